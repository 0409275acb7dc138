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

from player.ffmpeg import ffmpeg_exe

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


def default_target(channels: int) -> float:
    """-16 LUFS for stereo, -19 LUFS for mono."""
    return MONO_TARGET if channels == 1 else STEREO_TARGET


def limiter_ceiling(lossy: bool) -> float:
    """The limiter's true-peak ceiling in dB: lower for lossy encoders, whose output overshoots."""
    return LOSSY_CEILING_DB if lossy else LOSSLESS_CEILING_DB


METER = ("-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-")
FOLLOW_WAIT = 0.05
"""Seconds to wait for an encoder to add to the file it is writing."""
FOLLOW_CHUNK = 1 << 16
METER_NICENESS = 10


def measure_file(path: Path) -> Loudness:
    """Integrated loudness and true peak of an encoded file, decoded by ffmpeg."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), *METER],
                          capture_output=True, text=True, check=False)
    return _summary(done.stderr)


def _lower_priority() -> None:
    """In the meter's process: yield the CPU to the encoder, which every other step waits on."""
    os.nice(METER_NICENESS)


class FollowingMeter:
    """Measures a file while an encoder is still writing it: decoding and metering run on the
    other core as the encoder works, so checking the file costs next to no extra time.

    Only for formats written frame after frame (Format.streams). What an encoder fills in at the
    end (an MP3's Xing header) is a header, not audio, so what was read earlier is still right.
    """

    def __init__(self, path: Path, demuxer: str) -> None:
        self._path = path
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish() or stop()
        self._process = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-f", demuxer, "-i", "pipe:0", *METER],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._errors, preexec_fn=_lower_priority)
        self._written = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="meter", daemon=True)
        self._thread.start()

    def finish(self) -> Loudness:
        """Call once the encoder has finished: reads the rest of the file and returns the reading."""
        self._written.set()
        self._thread.join()
        self._process.wait()
        self._errors.seek(0)
        printed = self._errors.read().decode("utf-8", "replace")
        self._errors.close()
        return _summary(printed)

    def stop(self) -> None:
        """Give up (the encoder failed or was interrupted)."""
        self._written.set()
        self._process.kill()
        self._thread.join()
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


def _summary(printed: str) -> Loudness:
    """The integrated loudness and true peak from ebur128's summary."""
    summary = printed[printed.rfind("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if integrated is None:
        return Loudness(-math.inf, -math.inf)
    return Loudness(float(integrated.group(1)), float(peak.group(1)) if peak else math.nan)
