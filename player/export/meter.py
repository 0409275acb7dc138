"""Metering the written file: decoded by ffmpeg as the encoder writes it, measured here.

ffmpeg only decodes; loudness is measured by the project's own BS.1770 meter
(player.render.loudness.StreamMeter: BS.1770's K-weighting, run with state) over the whole file and,
separately, over the speech spans alone, and the true peak from the decoded samples, only
around samples loud enough to matter (player.render.limiter.true_peaks). For formats written frame
after frame (Format.streams) this runs on the other core while the encoder works, so checking
the file costs little extra time; other files are read once they are complete.
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.export.encoder import widen_pipe
from player.export.formats import Format
from player.export.master import UNMEASURED, Loudness, Span
from player.ffmpeg import ffmpeg_exe
from player.render.limiter import TAPS, true_peaks
from player.render.loudness import HOPS_PER_SECOND, StreamMeter

STEP_FRAMES = SAMPLE_RATE // HOPS_PER_SECOND
"""The meters keep the K-weighted energy and the true peak of every 100 ms step."""
FOLLOW_WAIT = 0.05
"""Seconds to wait for an encoder to add to the file it is writing."""
FOLLOW_CHUNK = 1 << 16
DECODED_CHUNK_FRAMES = 1 << 17
METER_NICENESS = 10


@dataclass(frozen=True)
class Reading:
    """A meter's reading, with what parts need to be joined: each 100 ms step's energy and peak."""

    loudness: Loudness
    hops: npt.NDArray[np.float64]
    """The K-weighted energy of each whole 100 ms step of the file."""
    speech_hops: npt.NDArray[np.float64]
    """The same over the speech spans alone, one after another."""
    step_peaks: npt.NDArray[np.float64]
    """The true peak (linear) within each 100 ms step (the last may be shorter)."""


FAILED = Reading(UNMEASURED, np.zeros(0), np.zeros(0), np.zeros(0))


class FollowingMeter:
    """Measures a file (at SAMPLE_RATE steps) while an encoder writes it, or once it is complete.

    `spans` are the speech's frames in the session, and `origin` the session frame the file
    starts at (a part's own start). `fmt` is the growing file's format (None once it is complete).
    """

    def __init__(self, path: Path, fmt: Format | None, channels: int, spans: Sequence[Span] = (), origin: int = 0,
                 complete: bool = False) -> None:
        self._path = path
        self._channels = channels
        source = ["-i", str(path)] if complete or fmt is None else ["-f", fmt.muxer, "-i", "pipe:0"]
        command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *source,
                   "-ac", str(channels), "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL if complete else subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # Lowered from here, not in the child before exec: other threads are running.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, self._process.pid, METER_NICENESS)
        assert self._process.stdout is not None
        widen_pipe(self._process.stdout)
        self._written = threading.Event()
        if complete:
            self._written.set()
        self._peak = PeakFollower(STEP_FRAMES)
        self._whole = StreamMeter(SAMPLE_RATE, channels, whole_file=True)
        self._speech = StreamMeter(SAMPLE_RATE, channels)
        self._spans = [(lo - origin, hi - origin) for lo, hi in spans if hi > origin]
        # A growing file decodes with its encoder delay (its gapless information comes at the
        # end): dropped, so the meter stays on the session's frames.
        self._skip = fmt.growing_delay if fmt is not None and not complete else 0
        self._reader_failed = False
        self._threads = [threading.Thread(target=self._read, name="meter", daemon=True)]
        if not complete:
            self._threads.append(threading.Thread(target=self._follow, name="meter input", daemon=True))
        for thread in self._threads:
            thread.start()

    def finish(self) -> Reading:
        """Call once the encoder has finished: reads the rest of the file and returns the reading."""
        self._written.set()
        for thread in self._threads:
            thread.join()
        self._process.wait()
        if self._process.returncode != 0 or self._reader_failed:
            return FAILED
        peak = self._peak.finish()
        speech = self._speech.integrated() if self._spans else math.nan
        loudness = Loudness(self._whole.integrated(), peak, speech)
        return Reading(loudness, self._whole.hop_energies(), self._speech.hop_energies(), self._peak.step_peaks())

    def stop(self) -> None:
        """Give up (the encoder failed or was interrupted)."""
        self._written.set()
        self._process.kill()
        for thread in self._threads:
            thread.join()
        self._process.wait()

    def _follow(self) -> None:
        """Copy what the encoder writes into the decoder, until the encoder is done and all is read."""
        stdin = self._process.stdin
        assert stdin is not None
        try:
            with open(self._path, "rb") as growing:
                while True:
                    done = self._written.is_set()  # read before the last read, so nothing is missed
                    chunk = growing.read(FOLLOW_CHUNK)
                    if chunk:
                        stdin.write(chunk)
                    elif done:
                        break
                    else:
                        time.sleep(FOLLOW_WAIT)
        except (BrokenPipeError, OSError):
            pass  # the decoder stopped: its status reads as a failed measurement
        finally:
            with contextlib.suppress(BrokenPipeError):
                stdin.close()

    def _read(self) -> None:
        """Take the decoded samples as they come: loudness, speech loudness and true peak."""
        stdout = self._process.stdout
        assert stdout is not None
        size = DECODED_CHUNK_FRAMES * self._channels * 4
        position = 0
        try:
            with stdout:
                while chunk := stdout.read(size):
                    samples = np.frombuffer(chunk, dtype="<f4")
                    block = samples[:len(samples) - len(samples) % self._channels].reshape(-1, self._channels)
                    dropped = min(self._skip, len(block))
                    block, self._skip = block[dropped:], self._skip - dropped
                    self._peak.add(block)
                    self._add_speech(self._whole.weigh(block), position)
                    position += len(block)
        except BaseException:
            self._reader_failed = True
            raise

    def _add_speech(self, energy: npt.NDArray[np.float64], position: int) -> None:
        """The K-weighted energies of a block's frames (from file frame `position` on) that fall in speech spans.

        The speech is weighted once, with the whole file: its frames' energies are taken from
        that, not filtered a second time (the filter's state at a span's start is the file's,
        as a meter reading the file there has it).
        """
        end = position + len(energy)
        for lo, hi in self._spans:
            if hi > position and lo < end:
                self._speech.add_energy(energy[max(lo, position) - position:min(hi, end) - position])


def measure_file(path: Path, channels: int, spans: Sequence[Span] = ()) -> Loudness:
    """The loudness (whole and over the speech) and true peak of a complete file, decoded by ffmpeg."""
    return FollowingMeter(path, None, channels, spans, complete=True).finish().loudness


class PeakFollower:
    """The highest true peak of a stream of blocks, the same as if it were measured in one piece,
    and with `step` frames given, the highest in each step of that many frames.

    With `bound_quiet`, a block whose loudest sample is more than twice the screen (8 dB) under the
    loudest true peak so far is not worked out: its steps get a bound instead, each sample peak
    raised by the 4 dB the screen allows, which stays 4 dB under that loudest peak (the sampled
    check needs the loud steps exactly and only a bound on the rest).
    """

    SCREEN = 10 ** (-4.0 / 20)
    """Inter-sample peaks are worked out only near samples within 4 dB of a block's loudest."""

    def __init__(self, step: int | None = None, bound_quiet: bool = False) -> None:
        self.peak = 0.0
        self._bound_quiet = bound_quiet
        self._step = step
        self._held: npt.NDArray[np.float32] | None = None
        self._counted = 0
        """Frames at the start of _held whose peaks are already counted."""
        self._steps: list[npt.NDArray[np.float64]] = []
        self._open: npt.NDArray[np.float64] = np.zeros(0)
        """Peaks of the frames counted since the last whole step."""

    def add(self, block: npt.NDArray[np.float32]) -> None:
        """Take the next block; its last frames wait for the next block's first (their neighbours)."""
        joined = block if self._held is None else np.concatenate([self._held, block])
        end = max(self._counted, len(joined) - TAPS // 2)
        self._measure(joined, self._counted, end)
        keep = min(len(joined), TAPS)
        self._held = joined[len(joined) - keep:]
        self._counted = max(0, end - (len(joined) - keep))

    def finish(self) -> float:
        """The peak in dBTP, with the stream's last frames (followed by silence) counted."""
        if self._held is not None:
            self._measure(self._held, self._counted, len(self._held))
            self._held = None
            if self._step and len(self._open):
                self._steps.append(self._open.max(keepdims=True))
                self._open = np.zeros(0)
        return 20 * math.log10(self.peak) if self.peak > 0 else -math.inf

    def step_peaks(self) -> npt.NDArray[np.float64]:
        """After finish(): the peak within each step (the last may be shorter)."""
        return np.concatenate(self._steps) if self._steps else np.zeros(0)

    def _measure(self, block: npt.NDArray[np.float32], start: int, end: int) -> None:
        """Count the true peaks of frames [start, end) of `block` (the others give them neighbours).

        Frames are counted exactly once and in order, so steps are cut from the counted frames.
        """
        if end <= start:
            return
        loudest = float(np.abs(block).max(initial=0.0))
        if self._bound_quiet and loudest < self.peak * self.SCREEN ** 2:
            peaks = true_peaks(block[start:end], math.inf) / self.SCREEN  # the sample peaks, raised
        else:
            peaks = true_peaks(block, loudest * self.SCREEN)[start:end]
            self.peak = max(self.peak, float(peaks.max()))
        if self._step:
            pending = np.concatenate([self._open, peaks])
            whole = len(pending) // self._step * self._step
            self._steps.append(pending[:whole].reshape(-1, self._step).max(axis=1))
            self._open = pending[whole:]
