"""Beds never repeat audibly: no autocorrelation above 0.5 at any lag from 1 s to 10 minutes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from player import SAMPLE_RATE
from player.sounds import BEDS
from player.sounds.loops import bed_samples

DECIMATE = 10
"""Average every 10 frames: 4.41 kHz keeps the structure and makes 12 minutes cheap to correlate."""
MINUTES = 12
RATE = SAMPLE_RATE // DECIMATE


def rendered(name: str) -> npt.NDArray[np.float64]:
    """12 minutes of a bed's left channel as the mixer would read it, averaged down to 4.41 kHz."""
    step = 60 * SAMPLE_RATE
    parts = [bed_samples(name, offset, step)[:, 0].astype(np.float64).reshape(-1, DECIMATE).mean(axis=1)
             for offset in range(0, MINUTES * step, step)]
    return np.concatenate(parts)


def autocorrelation(signal: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Normalized autocorrelation at every lag (zero-padded FFT: linear, not circular)."""
    centred = signal - signal.mean()
    size = 1 << int(np.ceil(np.log2(2 * centred.size)))
    spectrum = np.fft.rfft(centred, n=size)
    full = np.fft.irfft(np.abs(spectrum) ** 2, n=size)[: centred.size]
    # Each lag compares fewer frames: scale to the overlap, so a long lag is not flattered.
    overlap = centred.size - np.arange(centred.size)
    return np.asarray(full / full[0] * centred.size / overlap)


# With the real tests: ten minutes without a repeat needs the whole layers, seconds of CPU each.
@pytest.mark.real
@pytest.mark.parametrize("name", BEDS)
def test_a_bed_does_not_repeat_within_ten_minutes(name: str) -> None:
    correlation = autocorrelation(rendered(name))
    lags = np.abs(correlation[1 * RATE: 10 * 60 * RATE + 1])
    worst = int(np.argmax(lags))
    assert lags[worst] < 0.5, f"{name} repeats at {(worst + RATE) / RATE:.2f} s (correlation {lags[worst]:.2f})"
