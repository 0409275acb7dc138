"""Loudness mastering: targets, the limiter's ceiling, and measuring an encoded file (ffmpeg's ebur128).

One gain goes in before the mixer's true-peak limiter, so the file reaches its target without
passing -1 dBTP. The gain comes from a model of the mix (player.export.predict); the written
file is then measured with ITU-R BS.1770 (ffmpeg's ebur128) and corrected once if it missed.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.export.encoder import widen_pipe
from player.ffmpeg import ffmpeg_exe
from player.limiter import TAPS, true_peaks

STEREO_TARGET = -16.0
"""LUFS integrated: what podcast apps and phone players expect for stereo speech."""
MONO_TARGET = -19.0
"""LUFS for mono: the same perceived level as -16 in stereo on headphones."""
TARGET_RANGE = (-30.0, -10.0)
MAX_GAIN_DB = 30.0
"""Never raise a nearly silent session by more than this (it would only raise noise)."""
LOSSLESS_CEILING_DB = -1.5
LOSSY_CEILING_DB = -3.5
"""AAC, MP3 and Opus put inter-sample peaks up to about 2 dB above what they were given
(measured on five-senses: m4a -0.4 dBTP and MP3 +0.2 dBTP from a -1.5 dBTP mix), and more
over a long session (a 2-hour MP3 reached -0.8 dBTP from -3.0), so lossy files start with
this much room, and the encoded file is checked."""
TRUE_PEAK_LIMIT = -1.0
"""dBTP no file may pass."""
TOLERANCE_LU = 0.3
PEAK_MARGIN_DB = 0.3
"""When a file's true peak passed the limit, the ceiling goes down by the excess and this much."""
ENCODE_PASSES = 2
"""The file is measured after encoding; if it missed, it is encoded once more, corrected."""


@dataclass(frozen=True)
class Loudness:
    """What the meter read."""

    integrated: float
    """LUFS; -inf for silence."""
    true_peak: float
    """dBTP."""


UNMEASURED = Loudness(-math.inf, -math.inf)
"""What a meter that did not run (or read nothing) reports."""


def default_target(channels: int) -> float:
    """-16 LUFS for stereo, -19 LUFS for mono."""
    return MONO_TARGET if channels == 1 else STEREO_TARGET


def limiter_ceiling(lossy: bool) -> float:
    """The limiter's true-peak ceiling in dB: lower for lossy encoders, whose output overshoots."""
    return LOSSY_CEILING_DB if lossy else LOSSLESS_CEILING_DB


METER = ("-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-")
STEP_SECONDS = 0.1
"""A following meter can log the loudness of the 400 ms block ending at every 100 ms step."""
STEP_FRAMES = round(SAMPLE_RATE * STEP_SECONDS)
FOLLOW_WAIT = 0.05
"""Seconds to wait for an encoder to add to the file it is writing."""
FOLLOW_CHUNK = 1 << 16
DECODED_CHUNK_FRAMES = 1 << 17
METER_NICENESS = 10


def measure_file(path: Path) -> Loudness:
    """Integrated loudness and true peak of an encoded file, decoded by ffmpeg."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), *METER],
                          capture_output=True, text=True, check=False)
    return summary_of(done.stderr)


@dataclass(frozen=True)
class MeterLog:
    """A following meter's reading, and everything it printed (with steps: each step's loudness)."""

    loudness: Loudness
    printed: str
    step_peaks: npt.NDArray[np.float64]
    """With steps: the true peak (linear) within each 100 ms step, on the same steps as the log."""


class FollowingMeter:
    """Measures a file while an encoder is still writing it: decoding and metering run on the
    other core as the encoder works, so checking the file costs little extra time.

    ffmpeg decodes and measures loudness (ebur128); the true peak is found here, from the
    decoded samples, only around samples loud enough to matter (player.limiter.true_peaks),
    which costs a fraction of oversampling the whole session. Only for formats written frame
    after frame (Format.streams): what an encoder fills in at the end (an MP3's Info frame) is
    a header, not audio, so what was read earlier is still right.
    """

    def __init__(self, path: Path, demuxer: str, channels: int, steps: bool = False) -> None:
        """`steps`: also log each 100 ms step's loudness and true peak, for a file at SAMPLE_RATE."""
        self._path = path
        self._channels = channels
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish() or stop()
        # With steps the decoded samples are pinned to the session's rate, so the peaks' steps
        # are the log's whatever rate a meter works at.
        rate = ["-ar", str(SAMPLE_RATE)] if steps else []
        command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-f", demuxer, "-i", "pipe:0",
                   "-af", f"ebur128=framelog={'info' if steps else 'quiet'}", "-ac", str(channels), *rate,
                   "-f", "f32le", "pipe:1"]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._errors)
        # Lowered from here, not in the child before exec: other threads are running.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, self._process.pid, METER_NICENESS)
        assert self._process.stdout is not None
        widen_pipe(self._process.stdout)
        self._written = threading.Event()
        self._peak = _PeakFollower(STEP_FRAMES if steps else None)
        self._reader_failed = False
        self._threads = [threading.Thread(target=self._follow, name="meter input", daemon=True),
                         threading.Thread(target=self._read_peaks, name="meter peaks", daemon=True)]
        for thread in self._threads:
            thread.start()

    def finish(self) -> Loudness:
        """Call once the encoder has finished: reads the rest of the file and returns the reading."""
        return self.finish_log().loudness

    def finish_log(self) -> MeterLog:
        """Like finish(), with everything the meter printed."""
        self._written.set()
        for thread in self._threads:
            thread.join()
        self._process.wait()
        self._errors.seek(0)
        printed = self._errors.read().decode("utf-8", "replace")
        self._errors.close()
        summary = summary_of(printed)
        if self._process.returncode != 0 or self._reader_failed or not math.isfinite(summary.integrated):
            return MeterLog(UNMEASURED, printed, np.zeros(0))  # the meter failed: the file is measured instead
        peak = self._peak.finish()
        return MeterLog(Loudness(summary.integrated, peak), printed, self._peak.step_peaks())

    def stop(self) -> None:
        """Give up (the encoder failed or was interrupted)."""
        self._written.set()
        self._process.kill()
        for thread in self._threads:
            thread.join()
        self._process.wait()
        self._errors.close()

    def _follow(self) -> None:
        """Copy what the encoder writes into the meter, until the encoder is done and all is read."""
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
            pass  # the meter stopped: its missing summary reads as a failed measurement
        finally:
            with contextlib.suppress(BrokenPipeError):
                stdin.close()

    def _read_peaks(self) -> None:
        """Take the decoded samples as they come and follow their true peak."""
        stdout = self._process.stdout
        assert stdout is not None
        size = DECODED_CHUNK_FRAMES * self._channels * 4
        try:
            with stdout:
                while chunk := stdout.read(size):
                    frames = np.frombuffer(chunk, dtype="<f4")
                    self._peak.add(frames[:len(frames) - len(frames) % self._channels].reshape(-1, self._channels))
        except BaseException:
            self._reader_failed = True  # read as a failed measurement (the file is then measured after)
            raise


class _PeakFollower:
    """The highest true peak of a stream of blocks, the same as if it were measured in one piece,
    and with `step` frames given, the highest in each step of that many frames."""

    SCREEN = 10 ** (-4.0 / 20)
    """Inter-sample peaks are worked out only near samples within 4 dB of a block's loudest."""

    def __init__(self, step: int | None = None) -> None:
        self.peak = 0.0
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
        peaks = true_peaks(block, loudest * self.SCREEN)[start:end]
        self.peak = max(self.peak, float(peaks.max()))
        if self._step:
            pending = np.concatenate([self._open, peaks])
            whole = len(pending) // self._step * self._step
            self._steps.append(pending[:whole].reshape(-1, self._step).max(axis=1))
            self._open = pending[whole:]


def summary_of(printed: str) -> Loudness:
    """The integrated loudness and true peak from ebur128's summary."""
    summary = printed[printed.rfind("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if integrated is None:
        return UNMEASURED
    return Loudness(float(integrated.group(1)), float(peak.group(1)) if peak else math.nan)


def block_powers(printed: str) -> npt.NDArray[np.float64]:
    """The K-weighted power of the 400 ms block ending at each 100 ms step, from a stepped meter's log."""
    momentary = np.array(_MOMENTARY.findall(printed), dtype=np.float64)
    power: npt.NDArray[np.float64] = 10 ** ((momentary + 0.691) / 10)
    return power


_MOMENTARY = re.compile(r"\bM:\s*(-?(?:[\d.]+|inf))")
