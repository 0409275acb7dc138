"""Loudness mastering: measure the whole mix (ITU-R BS.1770, ffmpeg's ebur128), then one gain.

The mix is measured as it will be encoded (mono or stereo); the gain goes in before the
mixer's true-peak limiter, so the file reaches its target without passing -1 dBTP.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from player.export.encoder import feed_ffmpeg
from player.ffmpeg import ffmpeg_exe
from player.mixer import Block

STEREO_TARGET = -16.0
"""LUFS integrated: what podcast apps and phone players expect for stereo speech."""
MONO_TARGET = -19.0
"""LUFS for mono: the same perceived level as -16 in stereo on headphones."""
TARGET_RANGE = (-30.0, -10.0)
MAX_GAIN_DB = 30.0
"""Never raise a nearly silent session by more than this (it would only raise noise)."""
LOSSLESS_CEILING_DB = -1.5
LOSSY_CEILING_DB = -3.0
"""AAC, MP3 and Opus put inter-sample peaks up to about 2 dB above what they were given
(measured on five-senses: m4a -0.4 dBTP and MP3 +0.2 dBTP from a -1.5 dBTP mix), so lossy
files start with more room, and the encoded file is checked."""
TRUE_PEAK_LIMIT = -1.0
"""dBTP no file may pass."""
TOLERANCE_LU = 0.3
PEAK_MARGIN_DB = 0.3
"""When a file's true peak passed the limit, the ceiling goes down by the excess and this much."""
MIX_PASSES = 2
"""Metering passes over the mix before encoding: as mixed, then with the gain (when raised)."""
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


def measure(blocks: Iterable[Block], channels: int, true_peak: bool = False) -> Loudness:
    """Integrated loudness (and, if asked, true peak) of a stream of blocks, by ffmpeg's ebur128.

    The mix passes need only the loudness: the 4x-oversampled peak meter would double their cost.
    """
    meter = "ebur128=peak=true:framelog=quiet" if true_peak else "ebur128=framelog=quiet"
    return _summary(feed_ffmpeg(["-af", meter, "-f", "null", "-"], blocks, channels, "measure loudness"))


def limiter_ceiling(lossy: bool) -> float:
    """The limiter's true-peak ceiling in dB: lower for lossy encoders, whose output overshoots."""
    return LOSSY_CEILING_DB if lossy else LOSSLESS_CEILING_DB


def measure_file(path: Path) -> Loudness:
    """Integrated loudness and true peak of an encoded file, decoded by ffmpeg."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-af",
                           "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
                          capture_output=True, text=True, check=False)
    return _summary(done.stderr)


@dataclass
class GainSearch:
    """Finds the gain that reaches a loudness target through the limiter, from measurements.

    Raising a mix makes the limiter take some loudness back off its peaks, so loudness grows
    by less than the gain: each new gain comes from the slope between the last two
    measurements (a secant step), which lands within a few tenths of a LU in a step or two.
    """

    target: float
    points: list[tuple[float, float]] = field(default_factory=list)
    """(gain dB, integrated LUFS) measured so far."""

    def add(self, gain_db: float, measured: Loudness) -> None:
        """Record a measurement made with `gain_db` applied (silence tells nothing: skipped)."""
        if math.isfinite(measured.integrated) and measured.integrated > -70:
            self.points.append((gain_db, measured.integrated))

    def slope(self) -> float:
        """LU of loudness per dB of gain near the last measurements (1 until two are known)."""
        if len(self.points) >= 2:
            (g0, l0), (g1, l1) = self.points[-2], self.points[-1]
            if abs(g1 - g0) > 1e-6:
                return min(max((l1 - l0) / (g1 - g0), 0.3), 1.0)
        return 1.0

    def next_gain_db(self) -> float:
        """The best next gain in dB."""
        if not self.points:
            return 0.0
        gain, reached = self.points[-1]
        return self.corrected(gain, reached)

    def corrected(self, gain_db: float, reached: float) -> float:
        """The gain that moves a measurement `reached` at `gain_db` onto the target."""
        return min(gain_db + (self.target - reached) / self.slope(), MAX_GAIN_DB)

    def close_enough(self, measured: Loudness) -> bool:
        """Whether a measurement is within TOLERANCE_LU of the target."""
        return abs(measured.integrated - self.target) <= TOLERANCE_LU


def _summary(printed: str) -> Loudness:
    """The integrated loudness and true peak from ebur128's summary."""
    summary = printed[printed.rfind("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if integrated is None:
        return Loudness(-math.inf, -math.inf)
    return Loudness(float(integrated.group(1)), float(peak.group(1)) if peak else math.nan)
