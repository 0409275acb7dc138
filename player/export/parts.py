"""Encoding an MP3 in parts, one per core, joined frame-exactly into one file.

LAME uses one core. Cut into parts, each mixed by its own thread, encoded by its own ffmpeg and
measured by its own meter as it is written, a session encodes about as many times faster as
there are cores. player.export.mp3frames joins the parts' frames into one stream, and ffmpeg's
muxer, copying that stream as it is, writes the file with a fresh Info frame (seek table,
checksums). The mixer gives the same samples for any span, so each part's input is exactly
that stretch of the session; each later part starts a little early so its encoder has settled
by the time its frames are used.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.errors import ExportError
from player.export.encoder import encode, remux_mp3
from player.export.formats import Encoding
from player.export.master import UNMEASURED, Loudness, Span
from player.export.meter import STEP_FRAMES, FollowingMeter, PeakFollower, Reading
from player.export.mp3frames import (
    SAMPLE_RATES,
    SAMPLES_PER_FRAME,
    EncodedPart,
    SpliceError,
    find_splice,
    joined_offsets,
    write_joined,
)
from player.export.sampled import MixFacts, check_sampled
from player.render.loudness import block_powers, gated_integrated
from player.render.mixer import Block

Render = Callable[[int, int], Iterator[Block]]
"""The session's frames [start, end) as blocks, mastered and in the file's channels."""
Advance = Callable[[int], None]

PART_GRID = math.lcm(SAMPLES_PER_FRAME, STEP_FRAMES)
"""Frames (6.4 s at 44.1 kHz) holding whole MP3 frames and whole meter steps: parts begin on it,
so every part's frames and meter readings fall on the whole session's."""
LEAD_IN = PART_GRID
"""What each later part encodes before its share, so its encoder has settled when its share begins."""
RUN_ON = 16 * SAMPLES_PER_FRAME
"""What each earlier part encodes past its share, so the frames around the join are not its last."""
SETTLE_FRAMES = 8
"""A join is made at least this many frames from either part's first or last frame."""
MIN_SHARE_SECONDS = 120
"""Shorter sessions are encoded in one piece: a part's start-up would cost more than it saves."""
MAX_PARTS = 8
"""Beyond this, more parts add processes and pipes more than speed (every part's mixing shares one
interpreter)."""
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class PartPlan:
    """One part: the frames it contributes (its share) and the frames it encodes."""

    share_start: int
    share_end: int
    start: int
    end: int


def available_cores() -> int:
    """Cores this process may run on."""
    counted = getattr(os, "process_cpu_count", None)  # Python 3.13 and later
    if counted is not None:
        return int(counted() or 1)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def plan_parts(length: int, encoding: Encoding, cores: int) -> list[PartPlan]:
    """The parts to encode a session in: one per core, or a single one when parts cannot or would not help."""
    whole = [PartPlan(0, length, 0, length)]
    # Parts join only as MPEG-1 MP3 (32, 44.1 or 48 kHz) encoded at the mixer's own rate: a
    # resampler's start-up would put each part's frames off the session's grid.
    if not encoding.format.parts or encoding.sample_rate != SAMPLE_RATE or SAMPLE_RATE not in SAMPLE_RATES:
        return whole
    count = min(cores, MAX_PARTS, length // (MIN_SHARE_SECONDS * SAMPLE_RATE))
    if count < 2:
        return whole
    return plans_between(length, [round(i * length / count / PART_GRID) * PART_GRID for i in range(1, count)])


def plans_between(length: int, bounds: list[int]) -> list[PartPlan]:
    """Parts whose shares meet at `bounds` (on PART_GRID), each later one led in, each earlier one run on."""
    edges = [0, *bounds, length]
    return [PartPlan(lo, hi, lo - LEAD_IN if lo else 0, min(length, hi + RUN_ON))
            for lo, hi in itertools.pairwise(edges)]


def encode_in_parts(render: Render, plans: list[PartPlan], temporary: Path, encoding: Encoding, name: str,
                    advance: Advance, measure: bool = True, spans: Sequence[Span] = (),
                    facts: MixFacts | None = None) -> Loudness:
    """Encode each part at once on its own core, join them into `temporary`, and return the file's
    loudness (whole and over the speech `spans`) and true peak from the parts' meters
    (UNMEASURED when not measuring).

    Given the `facts` of the mix, the parts are not metered as they are written: the mix's true
    peaks are followed as it is encoded, and the joined file is checked at the places that
    matter (player.export.sampled), which costs a fraction of decoding it all.

    Raises SpliceError in the unlikely case that two parts offer no frame to join at.
    """
    paths = [temporary.with_name(f"{temporary.name}.part{index}") for index in range(len(plans))]
    joined = temporary.with_name(f"{temporary.name}.joined")
    stop = threading.Event()
    progress = _Progress(plans)
    failures: list[BaseException] = []
    meters: list[FollowingMeter] = []
    followers = [PeakFollower(STEP_FRAMES, bound_quiet=True) for _ in plans] if facts is not None else []
    threads: list[threading.Thread] = []
    try:
        for path in paths:
            path.touch()
        if measure and facts is None:
            _start_meters(meters, paths, plans, encoding, spans)
        for index, (plan, path) in enumerate(zip(plans, paths, strict=True)):
            blocks = _watched(render(plan.start, plan.end), stop, progress, index)
            if followers:
                blocks = _followed(blocks, followers[index])
            thread = threading.Thread(target=_encode_part, args=(blocks, path, encoding, name, stop, failures),
                                      name=f"part {index}", daemon=True)
            thread.start()
            threads.append(thread)
        while any(thread.is_alive() for thread in threads):
            next(thread for thread in threads if thread.is_alive()).join(POLL_SECONDS)
            advance(progress.news())
        if failures:
            raise failures[0]
        advance(progress.news())
        readings = [meter.finish() for meter in meters]
        meters.clear()
        offsets = _join(paths, plans, joined)
        for path in paths:  # no longer needed: the disk holds two copies at most
            path.unlink()
        if facts is not None:
            return _remux_and_check(joined, offsets, temporary, name, facts, joined_peaks(followers, plans))
        remux_mp3(joined, temporary, name)
        return joined_reading(readings, plans, bool(spans)) if measure else UNMEASURED
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for meter in meters:
            meter.stop()
        for path in [*paths, joined]:
            path.unlink(missing_ok=True)


def _start_meters(meters: list[FollowingMeter], paths: list[Path], plans: list[PartPlan], encoding: Encoding,
                  spans: Sequence[Span]) -> None:
    """A meter following each part's file as it is written, each added to `meters` as it starts
    (so the caller stops those already started if a later one fails)."""
    for path, plan in zip(paths, plans, strict=True):
        # Each part's meter hears the speech of its own share only, so none is counted twice.
        shared = [(max(lo, plan.share_start), min(hi, plan.share_end)) for lo, hi in spans
                  if hi > plan.share_start and lo < plan.share_end]
        meters.append(FollowingMeter(path, encoding.format, encoding.channels, shared, origin=plan.start))


def _join(paths: list[Path], plans: list[PartPlan], joined: Path) -> npt.NDArray[np.int64]:
    """The parts' frames joined into the bare stream `joined`; returns where its frames start."""
    parts = [EncodedPart(path, plan.start // SAMPLES_PER_FRAME) for path, plan in zip(paths, plans, strict=True)]
    splices = [find_splice(parts[index - 1], parts[index], plans[index].share_start // SAMPLES_PER_FRAME,
                           lowest=plans[index].start // SAMPLES_PER_FRAME + SETTLE_FRAMES,
                           highest=plans[index - 1].end // SAMPLES_PER_FRAME - SETTLE_FRAMES)
               for index in range(1, len(parts))]
    with open(joined, "wb") as stream:
        write_joined(parts, splices, stream)
    return joined_offsets(parts, splices)


def joined_reading(readings: list[Reading], plans: list[PartPlan], speech: bool = False) -> Loudness:
    """The whole session's loudness and true peak from each part's meter.

    Every meter kept each 100 ms step's K-weighted energy; parts begin on the session's 100 ms
    grid, so the session's steps are taken from the part whose share they fall in and gated as
    one meter would have. The speech's steps follow one another part after part (a block may
    straddle two parts' speech, as it straddles two sentences in one meter). The true peak is
    the highest any part read within its share.
    """
    hops, speech_hops, peaks = [], [], []
    for reading, plan in zip(readings, plans, strict=True):
        first = (plan.share_start - plan.start) // STEP_FRAMES
        last = (plan.share_end - plan.start) // STEP_FRAMES
        reaching = -(-(plan.share_end - plan.start) // STEP_FRAMES)  # and the session's last, partial step
        if len(reading.hops) < last or len(reading.step_peaks) < reaching \
                or not math.isfinite(reading.loudness.integrated):
            return UNMEASURED  # a meter that failed or stopped early: the file is measured instead
        hops.append(reading.hops[first:last])
        speech_hops.append(reading.speech_hops)
        # Peaks from the steps of the share alone: a part's lead-in and run-on, cut off where
        # the session goes on, are not in the joined file.
        peaks.append(reading.step_peaks[first:reaching])
    peak = float(np.concatenate(peaks).max(initial=0.0))
    true_peak = 20 * math.log10(peak) if peak > 0 else -math.inf
    spoken = gated_integrated(block_powers(np.concatenate(speech_hops), STEP_FRAMES)) if speech else math.nan
    return Loudness(gated_integrated(block_powers(np.concatenate(hops), STEP_FRAMES)), true_peak, spoken)


def joined_peaks(followers: list[PeakFollower], plans: list[PartPlan]) -> npt.NDArray[np.float64]:
    """The session's true peak in each 100 ms step, each step from the part whose share holds it."""
    peaks = []
    for follower, plan in zip(followers, plans, strict=True):
        follower.finish()
        first = (plan.share_start - plan.start) // STEP_FRAMES
        reaching = -(-(plan.share_end - plan.start) // STEP_FRAMES)
        peaks.append(follower.step_peaks()[first:reaching])
    return np.concatenate(peaks)


def _remux_and_check(joined: Path, offsets: npt.NDArray[np.int64], temporary: Path, name: str, facts: MixFacts,
                     peaks: npt.NDArray[np.float64]) -> Loudness:
    """Write the file from the joined stream and check the stream at the places that matter, at
    once: the muxer copies while the places are decoded. A check that cannot decode reads as
    UNMEASURED (the caller then decodes the whole file)."""
    with ThreadPoolExecutor(1) as pool:
        writing = pool.submit(remux_mp3, joined, temporary, name)
        try:
            checked = check_sampled(joined, offsets, facts, peaks, STEP_FRAMES)
        except ExportError:
            checked = UNMEASURED
        writing.result()
    return checked


def _followed(blocks: Iterator[Block], follower: PeakFollower) -> Iterator[Block]:
    """The blocks passed on, their true peaks followed."""
    for block in blocks:
        follower.add(block)
        yield block


def _encode_part(blocks: Iterator[Block], path: Path, encoding: Encoding, name: str, stop: threading.Event,
                 failures: list[BaseException]) -> None:
    """One part's thread: encode its blocks; a failure is handed to the caller and stops the others."""
    try:
        encode(blocks, path, encoding, None, name)
    except BaseException as error:  # handed to the caller's thread
        failures.append(error)
        stop.set()


class _Stopped(Exception):
    """Another part failed, or the export was interrupted."""


def _watched(blocks: Iterator[Block], stop: threading.Event, progress: _Progress, index: int) -> Iterator[Block]:
    """A part's blocks, counted, until told to stop."""
    for block in blocks:
        if stop.is_set():
            raise _Stopped
        yield block
        progress.done[index] += len(block)


class _Progress:
    """Frames each part has encoded, reported as a share of the session."""

    def __init__(self, plans: list[PartPlan]) -> None:
        self.done = [0] * len(plans)
        self._length = plans[-1].share_end
        self._total = sum(plan.end - plan.start for plan in plans)
        self._reported = 0

    def news(self) -> int:
        """Session frames done since the last call."""
        now = sum(self.done) * self._length // self._total
        news, self._reported = now - self._reported, now
        return news


__all__ = ["PartPlan", "SpliceError", "available_cores", "encode_in_parts", "joined_peaks", "joined_reading",
           "plan_parts", "plans_between"]
