"""Checking a written MP3 by decoding only some of it, against the mix it was made from.

Mastering measured the mix exactly before the encode (player.export.master), and the limiter
kept every true peak of the mix under its ceiling: what is left to check is what the encoder
did. Decoding the whole file for that cost a 20-minute export about 3 s of CPU on top of the
encode. So the file's frames are decoded only at evenly spaced places in the speech and around
the mix's loudest 100 ms steps, each with a few frames before it (a frame may borrow bytes from
the frames before it, and the loudness filter needs to settle), all in one ffmpeg, and compared
with the mix rendered at the same places:

- the speech's loudness in the file is the mix's, shifted by what the encoder did to the
  places' energy; the places' spread gives the margin (two standard errors);
- the file's true peak is the highest decoded, or the bound on the rest, whichever is higher:
  each step's mix peak raised by the largest overshoot measured here or for this encoder.

The caller decodes the whole file instead where the margin would let the speech miss its
tolerance, or the bound pass the true-peak limit (player.export.meter.measure_file).

A decoder fed bare frames from frame g on gives the session's samples from g * 1152 -
STREAM_DELAY, and from its fourth frame on the same samples as the whole file decoded
(tests/test_sampled_check_real.py).
"""

from __future__ import annotations

import itertools
import math
import subprocess
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.errors import ExportError
from player.export.formats import LAME_DELAY_FRAMES
from player.export.master import PEAK_SCREEN, Loudness, Span, speech_mask
from player.export.mp3frames import SAMPLES_PER_FRAME, frame_offsets
from player.ffmpeg import ffmpeg_exe
from player.render.kweighting import KWeightingStream
from player.render.limiter import TAPS, true_peaks

Render = Callable[[int, int], Iterator[npt.NDArray[np.float32]]]

DECODER_DELAY = 529
"""Samples an MP3 decoder's filter bank holds back."""
STREAM_DELAY = LAME_DELAY_FRAMES + DECODER_DELAY
"""Bare frames decoded from frame g on give session frames from g * 1152 - STREAM_DELAY (measured)."""
UNSETTLED_FRAMES = 3
"""Frames decoded after a cut that may differ from the whole file's (borrowed bytes, the filter
bank's overlap): in every cut tried, at most 3 frames' samples differed."""
LEAD_FRAMES = UNSETTLED_FRAMES + 8
"""Frames decoded before a place: 8 more let the K-weighting's response (8,155 taps) die away."""
PLACE_FRAMES = 64
"""Each place in the speech: 64 frames, 1.67 s."""
SECONDS_PER_PLACE = 20.0
FEWEST_PLACES, MOST_PLACES = 12, 60
"""One place for every 20 s of speech, never fewer or more than these (the margin of a 20-minute
session's 12 places is about 0.03 LU, a tenth of the tolerance)."""
LOUDEST_STEPS = 16
"""The mix's loudest 100 ms steps, decoded for the true peak."""
SPREAD_SIGMAS = 2.0
DECODE_TIMEOUT = 300


@dataclass(frozen=True)
class MixFacts:
    """What the export knows of the mix it encoded."""

    render: Render
    """The mastered mix, as the encoder was given it."""
    measured: Sequence[Span]
    """The spans mastering measured: the speech, or the whole session."""
    speech: bool
    """Whether `measured` is the speech."""
    loudness: float
    """LUFS of `measured` in the mastered mix."""
    overshoot_db: float
    """How far this encoder was measured to raise a true peak (master.ENCODER_MARGINS)."""
    channels: int
    length: int
    """Frames in the session."""


@dataclass(frozen=True)
class Place:
    """Session frames [start, end) to compare; `speech` places count towards the loudness."""

    start: int
    end: int
    speech: bool


def speech_places(measured: Sequence[Span]) -> list[Place]:
    """Places spread evenly through the measured spans, taken one after another."""
    total = sum(end - start for start, end in measured)
    length = PLACE_FRAMES * SAMPLES_PER_FRAME
    count = min(MOST_PLACES, max(FEWEST_PLACES, round(total / SAMPLE_RATE / SECONDS_PER_PLACE)))
    if total <= 0:
        return []
    places = []
    for index in range(count):
        at = (2 * index + 1) * total // (2 * count)  # the middle of each share
        places.extend(_spanned(measured, max(0, at - length // 2), min(total, at + length // 2)))
    return places


def _spanned(measured: Sequence[Span], first: int, end: int) -> list[Place]:
    """Session places covering [first, end) of the spans taken one after another."""
    places, passed = [], 0
    for start, stop in measured:
        lo, hi = max(first, passed), min(end, passed + stop - start)
        if lo < hi:
            places.append(Place(start + lo - passed, start + hi - passed, True))
        passed += stop - start
    return places


def loudest_places(step_peaks: npt.NDArray[np.float64], step: int, length: int) -> list[Place]:
    """The mix's loudest steps, each with the reach of the peaks between samples either side."""
    loudest = np.argsort(step_peaks)[::-1][:LOUDEST_STEPS]
    return [Place(max(0, int(index) * step - TAPS), min(length, (int(index) + 1) * step + TAPS), False)
            for index in sorted(loudest)]


@dataclass
class _Range:
    """Frames [first, end) of the stream decoded in one piece, and the places they hold."""

    first: int
    end: int
    places: list[Place]


def frame_ranges(places: list[Place], audio_frames: int) -> list[_Range]:
    """The frames to decode for each place (led in), overlapping ones merged, in order."""
    ranges: list[_Range] = []
    for place in sorted(places, key=lambda p: p.start):
        first = max(0, (place.start + STREAM_DELAY) // SAMPLES_PER_FRAME - LEAD_FRAMES)
        end = min(audio_frames, -(-(place.end + STREAM_DELAY) // SAMPLES_PER_FRAME))
        if ranges and first <= ranges[-1].end:
            ranges[-1].end = max(ranges[-1].end, end)
            ranges[-1].places.append(place)
        else:
            ranges.append(_Range(first, end, [place]))
    return ranges


def decode_frames(stream: Path, offsets: npt.NDArray[np.int64], ranges: list[_Range],
                  channels: int) -> list[npt.NDArray[np.float32]]:
    """Each range's frames decoded, by one ffmpeg fed them one range after another."""
    with open(stream, "rb") as file:
        pieces = []
        for frames in ranges:  # the stream's frame 0 is its Info frame
            file.seek(int(offsets[frames.first + 1]))
            pieces.append(file.read(int(offsets[frames.end + 1] - offsets[frames.first + 1])))
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "mp3", "-i", "pipe:0",
               "-ac", str(channels), "-f", "f32le", "pipe:1"]
    try:
        done = subprocess.run(command, input=b"".join(pieces), capture_output=True, timeout=DECODE_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ExportError(f"could not decode the file to check it: {error}") from None
    samples = np.frombuffer(done.stdout, dtype="<f4")
    counts = [(frames.end - frames.first) * SAMPLES_PER_FRAME for frames in ranges]
    if done.returncode != 0 or len(samples) != sum(counts) * channels:
        raise ExportError("could not decode the file to check it")
    bounds = np.cumsum([0, *counts])
    whole = samples.reshape(-1, channels)
    return [whole[lo:hi] for lo, hi in itertools.pairwise(bounds)]


@dataclass
class _Tally:
    """What the places read so far."""

    file_energy: float = 0.0
    mix_energy: float = 0.0
    shifts: list[float] = field(default_factory=list)
    file_peak: float = 0.0
    overshoot: float = 0.0
    """The largest ratio of the file's true peak to the mix's within one range."""


def check_sampled(stream: Path, offsets: npt.NDArray[np.int64] | None, facts: MixFacts,
                  step_peaks: npt.NDArray[np.float64], step: int) -> Loudness:
    """Decode the bare MP3 `stream` (an Info frame, then the session's frames, starting at
    `offsets` if known) at the places that matter, and read its loudness and true peak against
    the mix.

    `step_peaks` are the mix's true peaks (linear) in each `step` frames. Raises ExportError when
    the places cannot be decoded.
    """
    offsets = frame_offsets(stream) if offsets is None else offsets
    ranges = frame_ranges(speech_places(facts.measured) + loudest_places(step_peaks, step, facts.length),
                          len(offsets) - 2)
    cuts = [_cut(frames, facts.length) for frames in ranges]
    # The mix is rendered and weighed while ffmpeg decodes the places.
    with ThreadPoolExecutor(1) as pool:
        decoding = pool.submit(decode_frames, stream, offsets, ranges, facts.channels)
        mixes = [_side(np.concatenate(list(facts.render(cut.lo, cut.hi))), cut, frames.places, facts)
                 if cut else None for frames, cut in zip(ranges, cuts, strict=True)]
        decoded = decoding.result()
    tally, covered = _Tally(), np.zeros(len(step_peaks), dtype=bool)
    for frames, cut, mix, samples in zip(ranges, cuts, mixes, decoded, strict=True):
        if cut is None or mix is None:
            continue
        ours = _side(samples[cut.lo - cut.origin:cut.hi - cut.origin], cut, frames.places, facts)
        _add(tally, ours, mix)
        covered[-(-cut.settled // step):cut.hi // step] = True
    return _reading(facts, tally, step_peaks[~covered])


@dataclass(frozen=True)
class _Cut:
    """Where a decoded range sits in the session: its first sample (`origin`), the first that is
    the file's own (`lo`), the first past the filter's settling (`settled`), and its end."""

    origin: int
    lo: int
    settled: int
    hi: int


def _cut(frames: _Range, length: int) -> _Cut | None:
    """Where a range's decoded samples fall (None: it settles on nothing)."""
    origin = frames.first * SAMPLES_PER_FRAME - STREAM_DELAY
    hi = min(length, frames.end * SAMPLES_PER_FRAME - STREAM_DELAY)
    if not frames.first:
        # From the session's start both sides begin as a whole-file meter does.
        return _Cut(origin, 0, 0, hi) if hi > 0 else None
    lo = origin + UNSETTLED_FRAMES * SAMPLES_PER_FRAME
    settled = lo + (LEAD_FRAMES - UNSETTLED_FRAMES) * SAMPLES_PER_FRAME
    return _Cut(origin, lo, settled, hi) if hi > settled else None


def _side(samples: npt.NDArray[np.float32], cut: _Cut, places: list[Place],
          facts: MixFacts) -> tuple[list[float], float]:
    """One side (file or mix) of a range: the K-weighted energy of each speech place's spoken
    frames, and the true peak (linear), from `cut.settled` on."""
    inside = slice(cut.settled - cut.lo, cut.hi - cut.lo)
    spoken_places = [place for place in places if place.speech]
    energies = []
    if spoken_places:
        energy = KWeightingStream(SAMPLE_RATE, facts.channels).energy(samples)[inside]
        spoken = speech_mask(facts.measured, cut.settled, cut.hi)  # the range's own: memory stays flat
        for place in spoken_places:
            within = slice(max(place.start, cut.settled) - cut.settled, min(place.end, cut.hi) - cut.settled)
            energies.append(float(energy[within][spoken[within]].sum()))
    return energies, _true_peak(samples[inside])


def _add(tally: _Tally, ours: tuple[list[float], float], mix: tuple[list[float], float]) -> None:
    """Count one range's reading of the file against the mix's."""
    for file_energy, mix_energy in zip(ours[0], mix[0], strict=True):
        if file_energy > 0 and mix_energy > 0:
            tally.file_energy += file_energy
            tally.mix_energy += mix_energy
            tally.shifts.append(10 * math.log10(file_energy / mix_energy))
    tally.file_peak = max(tally.file_peak, ours[1])
    if mix[1] > 0:
        tally.overshoot = max(tally.overshoot, ours[1] / mix[1])


def _true_peak(samples: npt.NDArray[np.float32]) -> float:
    """The highest true peak (linear) of some samples."""
    loudest = float(np.abs(samples).max(initial=0.0))
    return float(true_peaks(samples, loudest * PEAK_SCREEN).max(initial=0.0))


def _reading(facts: MixFacts, tally: _Tally, unchecked_peaks: npt.NDArray[np.float64]) -> Loudness:
    """The file's loudness and true peak from what the places read."""
    shifts = tally.shifts
    if tally.mix_energy > 0 and tally.file_energy > 0 and math.isfinite(facts.loudness):
        loudness = facts.loudness + 10 * math.log10(tally.file_energy / tally.mix_energy)
    else:
        loudness = -math.inf
    margin = SPREAD_SIGMAS * float(np.std(shifts, ddof=1)) / math.sqrt(len(shifts)) if len(shifts) > 1 else math.inf
    # Where nothing was decoded, a peak may rise as far as any decoded one did, or as far as this
    # encoder was ever measured to raise one, whichever is more.
    allowance = max(tally.overshoot, 10 ** (facts.overshoot_db / 20))
    peak = max(tally.file_peak, float(unchecked_peaks.max(initial=0.0)) * allowance)
    true_peak = 20 * math.log10(peak) if peak > 0 else -math.inf
    if facts.speech:
        return Loudness(math.nan, true_peak, loudness, margin)
    return Loudness(loudness, true_peak, margin=margin)
