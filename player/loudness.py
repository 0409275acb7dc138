"""Loudness as people hear it (ITU-R BS.1770 through pyloudnorm), and gains to reach a target."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

SPEECH_LOUDNESS = -20.0
"""LUFS every speech line and recorded clip is brought to, so lines, engines and a therapist's
own recordings sound equally loud; -20 leaves speech peaks (about 18 dB above its loudness)
below full scale, and mastering sets the final loudness of an export."""
PEAK_CEILING = 10 ** (-1 / 20)
"""A clip is never raised so far that its peak passes -1 dBFS."""
BLOCK_SECONDS = 0.4
"""BS.1770's gating block: a clip shorter than this is measured as a loop of itself."""
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
"""BS.1770's gates in LUFS and LU: blocks below either do not count."""


@lru_cache(maxsize=4)
def _meter(rate: int) -> Any:
    """One K-weighting meter per sample rate (imported late: scipy slows every start)."""
    import pyloudnorm

    return pyloudnorm.Meter(rate)


def integrated_loudness(samples: npt.NDArray[np.float32], rate: int) -> float:
    """Gated integrated loudness in LUFS of mono or (frames, channels) audio; -inf for silence."""
    data = np.asarray(samples, dtype=np.float64)
    frames = data.shape[0]
    if frames == 0 or not np.any(data):
        return -math.inf
    needed = int(BLOCK_SECONDS * rate) + 1
    if frames < needed:
        # Repeating a short clip keeps its loudness and gives the meter a whole block.
        data = np.tile(data, (math.ceil(needed / frames),) + (1,) * (data.ndim - 1))
    return float(_meter(rate).integrated_loudness(data))


def gain_to_loudness(samples: npt.NDArray[np.float32], rate: int, target: float = SPEECH_LOUDNESS) -> float:
    """The linear gain that brings a clip to `target` LUFS without its peak passing -1 dBFS."""
    loudness = integrated_loudness(samples, rate)
    if not math.isfinite(loudness):
        return 1.0
    gain = 10 ** ((target - loudness) / 20)
    peak = float(np.max(np.abs(samples)))
    if peak * gain > PEAK_CEILING:
        gain = PEAK_CEILING / peak
    return gain


def match_loudness(
    samples: npt.NDArray[np.float32], rate: int, target: float = SPEECH_LOUDNESS
) -> npt.NDArray[np.float32]:
    """The clip at `target` LUFS (see gain_to_loudness), as contiguous float32."""
    gain = gain_to_loudness(samples, rate, target)
    return np.ascontiguousarray(np.asarray(samples, dtype=np.float32) * np.float32(gain))


Biquad = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def k_weighting_filters(rate: int) -> list[Biquad]:
    """BS.1770's K-weighting at `rate` as (b, a) biquads: the pre-filter's shelf, then the high-pass.

    The Audio EQ Cookbook designs pyloudnorm uses (a test holds them equal), written out here
    so that predicting an export's loudness needs only numpy: scipy.signal, which pyloudnorm
    imports, takes most of a second to load.
    """
    return [_high_shelf(rate, gain_db=4.0, frequency=1500.0, q=1 / math.sqrt(2)),
            _high_pass(rate, frequency=38.0, q=0.5)]


def _high_shelf(rate: int, gain_db: float, frequency: float, q: float) -> Biquad:
    """A cookbook high-shelf biquad, normalised so that a[0] is 1."""
    amp = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * frequency / rate
    cos, root = math.cos(w0), 2 * math.sqrt(amp) * math.sin(w0) / (2 * q)
    b = [amp * ((amp + 1) + (amp - 1) * cos + root), -2 * amp * ((amp - 1) + (amp + 1) * cos),
         amp * ((amp + 1) + (amp - 1) * cos - root)]
    a = [(amp + 1) - (amp - 1) * cos + root, 2 * ((amp - 1) - (amp + 1) * cos), (amp + 1) - (amp - 1) * cos - root]
    return np.array(b) / a[0], np.array(a) / a[0]


def _high_pass(rate: int, frequency: float, q: float) -> Biquad:
    """A cookbook high-pass biquad, normalised so that a[0] is 1."""
    w0 = 2 * math.pi * frequency / rate
    cos, alpha = math.cos(w0), math.sin(w0) / (2 * q)
    b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
    a = [1 + alpha, -2 * cos, 1 - alpha]
    return np.array(b) / a[0], np.array(a) / a[0]


def gated_integrated(block_power: npt.NDArray[np.float64]) -> float:
    """BS.1770 integrated loudness from each 400 ms block's K-weighted power (summed over channels)."""
    with np.errstate(divide="ignore"):
        block_loudness = -0.691 + 10 * np.log10(block_power)
    gated = block_power[block_loudness > ABSOLUTE_GATE]
    if len(gated) == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(gated.mean())) + RELATIVE_GATE
    gated = block_power[block_loudness > max(relative, ABSOLUTE_GATE)]
    return -0.691 + 10 * math.log10(float(gated.mean()))
