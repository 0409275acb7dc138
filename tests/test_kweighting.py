"""K-weighting in numpy alone, checked against pyloudnorm's filters (run by scipy.signal.lfilter)
and pyloudnorm's integrated loudness: the same coefficients, samples to rounding, loudness to 1e-9 LU."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
import scipy.signal

from player.render import kweighting
from player.render.kweighting import gated_loudness, impulse_response, k_weighted, k_weighting_sos
from player.render.loudness import integrated_loudness

RATES = [44_100, 48_000, 22_050, 16_000]


def pyloudnorm_filtered(samples: npt.NDArray[np.floating[Any]], rate: int) -> npt.NDArray[np.float64]:
    """The samples through pyloudnorm's K-weighting stages, as its meter runs them."""
    filtered = samples.reshape(len(samples), -1).astype(np.float64)
    for stage in pyloudnorm.Meter(rate)._filters.values():
        filtered = stage.passband_gain * scipy.signal.lfilter(stage.b, stage.a, filtered, axis=0)
    return filtered


def swelling_noise(frames: int, channels: int, seed: int) -> npt.NDArray[np.float32]:
    """Noise rising from near silence (below the absolute gate) to loud, so both gates act."""
    rng = np.random.default_rng(seed)
    envelope = np.geomspace(1e-5, 0.5, frames)[:, np.newaxis]
    return (rng.standard_normal((frames, channels)) * envelope).astype(np.float32)


@pytest.mark.parametrize("rate", RATES)
def test_the_coefficients_are_pyloudnorms(rate: int) -> None:
    stages = pyloudnorm.Meter(rate)._filters.values()
    expected = np.array([np.concatenate([stage.b * stage.passband_gain, stage.a]) for stage in stages])
    assert np.array_equal(k_weighting_sos(rate), expected)


@pytest.mark.parametrize("rate", RATES)
def test_the_impulse_response_is_lfilters_until_it_has_died_away(rate: int) -> None:
    taps = impulse_response(rate)
    impulse = np.zeros(len(taps) + rate // 10)
    impulse[0] = 1.0
    expected = pyloudnorm_filtered(impulse, rate)[:, 0]
    np.testing.assert_allclose(taps, expected[:len(taps)], rtol=0, atol=1e-13)  # rounding alone
    # What it leaves out is below 1e-18 of the peak (kweighting.DECAYED with room to spare).
    assert np.abs(expected[len(taps):]).max() < 1e-18 * np.abs(taps).max()


@pytest.mark.parametrize(("frames", "channels"), [(17_641, 1), (3 * 44_100 + 17, 2),
                                                  (2 * kweighting.FFT_FRAMES + 123, 2)])
def test_a_clip_is_filtered_as_lfilter_filters_it(frames: int, channels: int) -> None:
    # The last case is convolved in three pieces: their tails must add up across the joins.
    samples = swelling_noise(frames, channels, frames)
    got = k_weighted(samples, 44_100)
    assert got.shape == (frames, channels)
    np.testing.assert_allclose(got, pyloudnorm_filtered(samples, 44_100), rtol=0, atol=1e-12)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("seconds", [0.41, 0.5, 3.03, 12.96])  # 12.96 s is three FFT pieces
def test_the_loudness_is_pyloudnorms(rate: int, seconds: float) -> None:
    samples = swelling_noise(int(seconds * rate), 2, int(seconds * 100))
    expected = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
    assert gated_loudness(k_weighted(samples, rate), rate) == pytest.approx(expected, abs=1e-9)


def test_quiet_below_the_gate_and_silence_read_minus_infinity() -> None:
    assert gated_loudness(k_weighted(np.zeros((44_100, 2), np.float32), 44_100), 44_100) == -math.inf
    whisper = np.full((44_100, 1), 1e-6, dtype=np.float32)  # far below -70 LUFS
    assert pyloudnorm.Meter(44_100).integrated_loudness(whisper.astype(np.float64)) == -math.inf
    assert integrated_loudness(whisper, 44_100) == -math.inf


def test_a_short_line_reads_as_pyloudnorm_reads_it_repeated() -> None:
    # A line shorter than one gating block is measured as a loop of itself (loudness.py).
    line = swelling_noise(9_000, 1, 7)[:, 0] + np.float32(0.1)
    looped = np.tile(line.astype(np.float64), 2)
    assert integrated_loudness(line, 44_100) == pytest.approx(
        pyloudnorm.Meter(44_100).integrated_loudness(looped), abs=1e-9)
