"""Mastering's parts: the limiter's span-wise work, the streaming loudness meter, the meter that
follows a file as it is written.

The limiter's true peaks are read by an independent 4x oversampling (scipy's polyphase
resampler); its block-wise work is compared with a plain whole-array version of the same
algorithm. The meters are checked against ffmpeg's ebur128 reading the real mix
or the finished file, and pyloudnorm.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import maximum_filter1d
from scipy.signal import butter, resample_poly, sosfilt

from player import SAMPLE_RATE
from player.export.encoder import encode, feed_ffmpeg
from player.export.formats import FORMATS, encoding_for
from player.export.meter import FollowingMeter, measure_file
from player.render.limiter import _KERNELS, TAPS, WINDOW, limit, true_peaks
from player.render.loudness import StreamMeter
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine

WriteScript = Callable[..., Path]

SCRIPT = """
title: Model check
voice: {engine: system}
ambient: {sound: rain, level: -20}
steps:
  - chime: bowl
  - say: Notice your feet on the floor, and the weight of your body.
  - pause: 6
  - say: Let your attention rest on one easy breath. Nothing to change.
  - pause: 20
  - say: Notice the sounds around you, near and far.
  - pause: 4
  - say: You are here, now.
  - chime: bowl
"""


def reference_limit(block: np.ndarray, context: int, ceiling: float) -> np.ndarray:
    """The limiter's algorithm done the plain way: every frame oversampled, every gain smoothed."""
    peaks = np.abs(block).max(axis=1).astype(np.float64)
    for channel in range(block.shape[1]):
        signal = block[:, channel].astype(np.float64)
        for kernel in _KERNELS:
            between = np.convolve(signal, kernel[::-1], mode="full")[TAPS // 2:][:len(signal)]
            peaks = np.maximum(peaks, np.abs(between))
    nearby = maximum_filter1d(peaks, size=2 * WINDOW + 1, mode="nearest")
    gain = np.minimum(1.0, ceiling / np.maximum(nearby, 1e-12))
    half = WINDOW // 2
    smooth = np.convolve(np.pad(gain, half, mode="edge"), np.full(2 * half + 1, 1 / (2 * half + 1)), mode="valid")
    return (block[context:len(block) - context] * smooth[context:len(block) - context, np.newaxis]).astype(np.float32)


@pytest.mark.parametrize("ceiling_db", [-1.5, -3.0, -9.0])
def test_limiter_matches_the_plain_algorithm(ceiling_db: float) -> None:
    rng = np.random.default_rng(7)
    quiet = rng.normal(0, 0.02, size=(40_000, 2))
    # Sparse loud bursts, like speech peaks and rain drops over a quiet bed.
    for start in rng.integers(0, 39_000, size=25):
        quiet[start:start + 300] += rng.normal(0, 0.6, size=(300, 2))
    block = quiet.astype(np.float32)
    ceiling = 10 ** (ceiling_db / 20)
    ours, plain = limit(block, 1024, ceiling), reference_limit(block, 1024, ceiling)
    assert np.max(np.abs(ours - plain)) < 1e-6


def bursts(seed: int, lowpass_hz: float | None) -> np.ndarray:
    """A quiet bed with loud noise bursts (speech peaks, rain drops), band-limited if asked."""
    rng = np.random.default_rng(seed)
    audio = rng.normal(0, 0.02, size=(80_000, 2))
    for start in rng.integers(0, 79_000, size=25):
        audio[start:start + 300] += rng.normal(0, 0.6, size=(300, 2))
    if lowpass_hz is not None:
        audio = 1.5 * sosfilt(butter(8, lowpass_hz, fs=44_100, output="sos"), audio, axis=0)
    return audio.astype(np.float32)


def reference_true_peak_db(block: np.ndarray) -> float:
    """dBTP by 4x polyphase oversampling (scipy), independent of the limiter's own kernels."""
    peak = max(float(np.abs(resample_poly(block[:, channel].astype(np.float64), 4, 1)).max())
               for channel in range(block.shape[1]))
    return 20 * math.log10(peak)


@pytest.mark.parametrize("ceiling_db", [-1.5, -3.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_limited_true_peaks_stay_at_the_ceiling_by_an_independent_meter(ceiling_db: float, seed: int) -> None:
    # Speech reaches the mix from 22 kHz engines and beds are shaped noise: content up to 16 kHz.
    block = bursts(seed, lowpass_hz=16_000)
    assert reference_true_peak_db(block) > ceiling_db + 3  # the limiter has real work to do
    limited = limit(block, 1024, 10 ** (ceiling_db / 20))
    assert reference_true_peak_db(limited) <= ceiling_db + 0.1
    # It takes away only what it must: the loudest moment still reaches the ceiling...
    assert reference_true_peak_db(limited) >= ceiling_db - 0.5
    # ...and the quiet bed far from any burst passes untouched.
    untouched = np.abs(block[1024:-1024]).max(axis=1) < 0.1
    near_loud = maximum_filter1d((~untouched).astype(np.uint8), size=2 * 2 * WINDOW + 1) > 0
    quiet = ~near_loud
    assert quiet.sum() > 10_000
    assert np.array_equal(limited[quiet], block[1024:-1024][quiet])


@pytest.mark.xfail(reason="full-band bursts (energy up to 22 kHz) pass the ceiling by about 0.6 dB by "
                          "scipy's and ffmpeg's 4x meters: the limiter's 16-tap interpolation misses "
                          "peaks near Nyquist (found by this independent check; limiter.py belongs to #15)",
                   strict=False)
def test_full_band_bursts_stay_at_the_ceiling_by_an_independent_meter() -> None:
    limited = limit(bursts(1, lowpass_hz=None), 1024, 10 ** (-1.5 / 20))
    assert reference_true_peak_db(limited) <= -1.5 + 0.1


def test_true_peaks_finds_peaks_between_samples() -> None:
    # A sine at a quarter of the rate, sampled at 45 degrees off its crests: every sample is at
    # 0.707 of the true peak.
    frames = np.arange(4000)
    wave = np.sin(2 * np.pi * frames / 4 + np.pi / 4).astype(np.float32)
    block = np.stack([wave, wave], axis=1)
    assert np.abs(block).max() == pytest.approx(0.7071, abs=1e-3)
    assert true_peaks(block, screen=0.5)[100:-100].max() == pytest.approx(1.0, abs=0.02)


@pytest.fixture(scope="module")
def real_mixer(tmp_path_factory: pytest.TempPathFactory) -> Mixer:
    folder = tmp_path_factory.mktemp("model")
    path = folder / "model.yaml"
    path.write_text(SCRIPT, encoding="utf-8")
    script = load_script(path)
    return Mixer(compile_timeline(script, Speaker(open_engine("system"))))


def ffmpeg_loudness(mixer: Mixer, channels: int, gain_db: float, ceiling: float) -> float:
    """Integrated loudness of the real rendered mix, by ffmpeg's ebur128 (its summary's I: line)."""
    blocks = mixer.blocks(gain=10 ** (gain_db / 20), ceiling=ceiling)
    if channels == 1:
        blocks = (block.mean(axis=1, keepdims=True) for block in blocks)
    printed = feed_ffmpeg(["-af", "ebur128=framelog=quiet", "-f", "null", "-"], blocks, channels, "measure")
    summary = printed[printed.rfind("Summary:"):]
    return float(summary.split("I:")[1].split("LUFS")[0])


@pytest.mark.real
@pytest.mark.parametrize("channels", [2, 1])
def test_stream_meter_reads_what_ffmpeg_reads(real_mixer: Mixer, channels: int) -> None:
    meter = StreamMeter(SAMPLE_RATE, channels)
    for block in real_mixer.blocks(gain=2.0, ceiling=10 ** (-3 / 20)):
        meter.add(block.mean(axis=1, keepdims=True) if channels == 1 else block)
    # ffmpeg gates on a histogram of 0.1 LU bins and prints tenths.
    theirs = ffmpeg_loudness(real_mixer, channels, 20 * math.log10(2.0), 10 ** (-3 / 20))
    assert meter.integrated() == pytest.approx(theirs, abs=0.1)


@pytest.mark.parametrize("whole_file", [False, True])
@pytest.mark.parametrize("block", [1000, 4410, 16_384, 100_000])
def test_stream_meter_is_pyloudnorm_block_by_block(block: int, whole_file: bool) -> None:
    import pyloudnorm

    rng = np.random.default_rng(5)
    signal = rng.normal(0, 0.1, size=(SAMPLE_RATE * 5 + 777, 2))
    signal[SAMPLE_RATE:3 * SAMPLE_RATE] *= 0.02  # quiet blocks for the relative gate to drop
    meter = StreamMeter(SAMPLE_RATE, 2, whole_file)
    for start in range(0, len(signal), block):
        meter.add(signal[start:start + block])
    assert meter.integrated() == pytest.approx(pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(signal), abs=1e-6)


@pytest.mark.real
def test_meter_that_follows_the_file_reads_what_the_finished_file_reads(real_mixer: Mixer,
                                                                        tmp_path: Path) -> None:
    encoding = encoding_for(FORMATS["mp3"], False, None, None)
    out = tmp_path / "followed.mp3"
    out.touch()
    meter = FollowingMeter(out, FORMATS["mp3"], 2)
    encode(real_mixer.blocks(gain=10 ** (6 / 20), ceiling=10 ** (-3 / 20)), out, encoding)
    followed = meter.finish().loudness
    after = measure_file(out, 2)
    assert math.isfinite(followed.integrated)
    assert followed.integrated == pytest.approx(after.integrated, abs=0.1)
    assert followed.true_peak == pytest.approx(after.true_peak, abs=0.1)
