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
