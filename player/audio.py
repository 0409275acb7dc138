"""Clean-up of engine output: trimming silence at both ends and resampling to the timeline's rate."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

TRIM_THRESHOLD = 10 ** (-50 / 20)
"""Samples quieter than -50 dBFS at the ends of a clip count as silence."""
TRIM_MARGIN_SECONDS = 0.002


def trim_silence(samples: npt.NDArray[np.float32], sample_rate: int) -> npt.NDArray[np.float32]:
    """The clip without leading and trailing silence, so a pause after it is exactly the pause."""
    # A mask, not np.flatnonzero: the index of every loud sample of a 20-minute clip was 420 MB.
    loud = (samples > TRIM_THRESHOLD) | (samples < -TRIM_THRESHOLD)
    if not loud.any():
        return samples[:0]
    margin = int(TRIM_MARGIN_SECONDS * sample_rate)
    start = max(int(loud.argmax()) - margin, 0)
    end = min(samples.size - int(loud[::-1].argmax()) + margin, samples.size)
    return samples[start:end]


def resample(samples: npt.NDArray[np.float32], source_rate: int, target_rate: int) -> npt.NDArray[np.float32]:
    """The clip at another sample rate, through libsoxr's high-quality filter."""
    if source_rate == target_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    import soxr  # here, not at the top: checking a script needs no resampler

    return np.asarray(soxr.resample(samples, source_rate, target_rate, quality="HQ"), dtype=np.float32)


def prepare_clip(samples: npt.NDArray[np.float32], source_rate: int, target_rate: int) -> npt.NDArray[np.float32]:
    """Engine output to a timeline clip: resampled, trimmed, contiguous float32."""
    resampled = resample(np.asarray(samples, dtype=np.float32), source_rate, target_rate)
    return np.ascontiguousarray(trim_silence(resampled, target_rate), dtype=np.float32)
