"""Speech levelling and bed calibration, measured with pyloudnorm on synthetic clips (no engines)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from player import SAMPLE_RATE
from player.render.ambient import BED_REFERENCE, bed_calibration
from player.sounds.loops import bed_loop
from player.voices.level import level_speech


def speechlike(peak_over: float, seconds: float = 2.0) -> np.ndarray:
    """Syllable-shaped noise with a few sharp clicks standing `peak_over` dB over its loudness."""
    rng = np.random.default_rng(4)
    frames = int(seconds * SAMPLE_RATE)
    envelope = np.clip(np.sin(2 * np.pi * 3 * np.arange(frames) / SAMPLE_RATE), 0, None)
    clip = rng.normal(0, 0.05, frames) * envelope
    loudness = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(clip)
    for at in rng.integers(1000, frames - 1000, size=6):
        clip[at] = 10 ** ((loudness + peak_over) / 20)
    shaped: np.ndarray = clip.astype(np.float32)
    return shaped


def true_peak_db(clip: np.ndarray) -> float:
    """4x oversampled peak in dB."""
    return 20 * math.log10(float(np.abs(resample_poly(clip.astype(np.float64), 4, 1)).max()))


@pytest.mark.parametrize("peak_over", [14.0, 19.0, 24.0])
def test_lines_reach_minus_20_lufs_with_peaks_held(peak_over: float) -> None:
    levelled = level_speech(speechlike(peak_over), SAMPLE_RATE)
    loudness = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(levelled.astype(np.float64))
    assert loudness == pytest.approx(-20.0, abs=0.01)
    assert true_peak_db(levelled) - loudness <= 16.3  # docs/design.md: peaks at most 16 LU over the line


def test_a_line_without_high_peaks_is_only_levelled() -> None:
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    levelled = level_speech(tone, SAMPLE_RATE)
    gain = 10 ** ((-20 - pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(tone.astype(np.float64))) / 20)
    assert np.allclose(levelled, tone * gain, rtol=0, atol=1e-6)


@pytest.mark.parametrize("sound", ["rain", "pink-noise", "night"])
def test_beds_are_calibrated_to_a_levelled_lines_loudness(sound: str, short_beds: Path) -> None:
    # Short layers: the calibration measures whatever was rendered, so this holds for any
    # length; the table of the real beds' calibrations is checked by the real test below.
    loop = bed_loop(sound).astype(np.float64) * bed_calibration(sound)
    assert pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(loop) == pytest.approx(BED_REFERENCE, abs=0.05)
    # A levelled line (-20 LUFS) in both channels of the mix reads the same.
    line = np.full((SAMPLE_RATE, 1), 1.0) * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)[:, None]
    line *= 10 ** ((-20 - pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(line[:, 0])) / 20)
    stereo = np.repeat(line, 2, axis=1)
    assert pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(stereo) == pytest.approx(BED_REFERENCE, abs=0.01)


@pytest.mark.real
def test_the_built_in_bed_calibration_table_is_what_the_meter_reads(private_cache: Path) -> None:
    from player.sounds.beds import BED_CALIBRATION_DB
    from player.sounds.catalog import BEDS

    assert set(BED_CALIBRATION_DB) == set(BEDS)
    for bed in BEDS:
        assert 20 * math.log10(bed_calibration(bed)) == pytest.approx(BED_CALIBRATION_DB[bed], abs=0.05), bed
