"""The built-in ambient beds, made by numpy: deterministic, stereo, seamless loops.

Every bed is built in the frequency domain over the whole loop (an inverse FFT of a shaped,
random-phase spectrum is periodic by construction), and every event in it (a raindrop, a
wave, a cricket's chirp) is placed modulo the loop length, so the seam cannot be heard.
A loop lasts LOOP_SECONDS, well past the 30 s below which repetition would be noticed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE

LOOP_SECONDS = 60
LOOP_FRAMES = LOOP_SECONDS * SAMPLE_RATE
BED_RMS = 10 ** (-18 / 20)
"""Every bed is normalized to about a voice's loudness; `level` and friends are relative to it."""
HIGHPASS_HZ = 25.0

Stereo = npt.NDArray[np.float32]
Mono = npt.NDArray[np.float64]


def _rng(name: str, channel: int = 0) -> np.random.Generator:
    """A generator seeded from the bed's name: the same bed on every machine, every time."""
    return np.random.default_rng(zlib.crc32(f"{name}:{channel}".encode()))


def _frequencies() -> Mono:
    """The FFT bin frequencies of one loop."""
    return np.asarray(np.fft.rfftfreq(LOOP_FRAMES, 1 / SAMPLE_RATE), dtype=np.float64)


def shaped_noise(rng: np.random.Generator, slope_db_per_octave: float,
                 low: float = HIGHPASS_HZ, high: float = 20_000.0) -> Mono:
    """Periodic noise whose power falls `slope` dB per octave between `low` and `high` Hz."""
    freqs = _frequencies()
    magnitude = np.zeros_like(freqs)
    band = (freqs >= low) & (freqs <= high)
    # Power ∝ f^(slope/3.01) per octave: amplitude is the square root of that.
    magnitude[band] = freqs[band] ** (slope_db_per_octave / (20 * np.log10(2)))
    phases = rng.uniform(0, 2 * np.pi, freqs.size)
    signal = np.fft.irfft(magnitude * np.exp(1j * phases), n=LOOP_FRAMES)
    return np.asarray(signal / np.sqrt(np.mean(signal**2)))


def _slow_noise(rng: np.random.Generator, highest_hz: float) -> Mono:
    """A smooth, periodic random curve around 0 (for gusts and burbles), unit RMS."""
    freqs = _frequencies()
    magnitude = np.where((freqs > 0) & (freqs <= highest_hz), 1.0, 0.0)
    signal = np.fft.irfft(magnitude * np.exp(1j * rng.uniform(0, 2 * np.pi, freqs.size)), n=LOOP_FRAMES)
    return np.asarray(signal / np.sqrt(np.mean(signal**2)))


def _circular_convolve(signal: Mono, kernel: Mono) -> Mono:
    """Convolution that wraps around the loop, so events near the end spill into its start."""
    padded = np.zeros(LOOP_FRAMES)
    padded[: kernel.size] = kernel
    return np.fft.irfft(np.fft.rfft(signal) * np.fft.rfft(padded), n=LOOP_FRAMES)


def _white(name: str, channel: int) -> Mono:
    return shaped_noise(_rng(name, channel), 0.0)


def _pink(name: str, channel: int) -> Mono:
    return shaped_noise(_rng(name, channel), -3.0)


def _brown(name: str, channel: int) -> Mono:
    return shaped_noise(_rng(name, channel), -6.0)


def _rain(name: str, channel: int) -> Mono:
    """A soft hiss of distant rain and the broadband crackle of near drops."""
    rng = _rng(name, channel)
    hiss = shaped_noise(rng, -2.0, low=200.0, high=12_000.0)
    drops_per_second = 180
    impulses = np.zeros(LOOP_FRAMES)
    positions = rng.integers(0, LOOP_FRAMES, drops_per_second * LOOP_SECONDS)
    strengths = np.minimum(rng.lognormal(0.0, 0.5, positions.size), 4.0)
    impulses[positions] += strengths * rng.choice([-1, 1], positions.size)
    t = np.arange(int(0.004 * SAMPLE_RATE)) / SAMPLE_RATE
    # A 1 ms tick of noise, softened by a short smoothing so its highest partials are not harsh.
    kernel = np.convolve(rng.standard_normal(t.size) * np.exp(-t / 0.0008), np.hanning(5), mode="same")
    crackle = _circular_convolve(impulses, kernel)
    crackle /= np.sqrt(np.mean(crackle**2))
    return 0.8 * hiss + 0.6 * crackle


def _ocean(name: str, channel: int) -> Mono:
    """Slow waves: deep noise that swells and washes, with an irregular rhythm."""
    rng = _rng(name, 0)  # the same waves in both ears, with different spray
    swell = np.zeros(LOOP_FRAMES)
    t = np.arange(LOOP_FRAMES) / LOOP_FRAMES
    for cycles in (5, 6, 7, 8):  # wave periods of 12, 10, 8.6 and 7.5 s: whole cycles per loop
        swell += rng.uniform(0.5, 1.0) * (0.5 - 0.5 * np.cos(2 * np.pi * (cycles * t + rng.uniform())))
    swell = (swell / swell.max()) ** 2
    body = shaped_noise(_rng(name, channel + 1), -5.0, high=6_000.0)
    wash = shaped_noise(_rng(name, channel + 3), -1.5, low=500.0)
    return np.asarray((0.25 + 0.75 * swell) * body + 0.6 * swell**2 * wash)


def _stream(name: str, channel: int) -> Mono:
    """Running water: a mid-band rush with a quick, uneven burble."""
    rng = _rng(name, channel)
    rush = shaped_noise(rng, -1.0, low=250.0, high=5_000.0)
    burble = 1.0 + 0.5 * _slow_noise(rng, 9.0)
    return rush * np.clip(burble, 0.2, None)


def _wind(name: str, channel: int) -> Mono:
    """Wind in open space: low noise in slow gusts."""
    gust_rng = _rng(name, 0)  # gusts reach both ears together
    gust = np.clip(1.0 + 0.6 * _slow_noise(gust_rng, 0.15), 0.15, None)
    body = shaped_noise(_rng(name, channel + 1), -5.0, low=40.0, high=3_000.0)
    whistle = shaped_noise(_rng(name, channel + 2), 0.0, low=600.0, high=1_400.0)
    return gust * body + 0.3 * gust**2 * whistle


def _night(name: str, channel: int) -> Mono:
    """A warm night: faint air, and a few crickets chirping at their own pace."""
    rng = _rng(name, channel)
    air = 0.5 * shaped_noise(rng, -4.0, high=8_000.0)
    chirps = np.zeros(LOOP_FRAMES)
    for cricket in range(3):
        pitch = rng.uniform(4_200, 5_200)
        per_loop = int(rng.integers(70, 110))  # chirp groups per loop: about 1.2 to 1.8 a second
        starts = (np.arange(per_loop) * LOOP_FRAMES // per_loop
                  + rng.integers(-2000, 2000, per_loop)) % LOOP_FRAMES
        pulses = np.zeros(LOOP_FRAMES)
        for pulse in range(3):  # three quick pulses make one chirp
            pulses[(starts + pulse * int(0.03 * SAMPLE_RATE)) % LOOP_FRAMES] = rng.uniform(0.5, 1.0)
        t = np.arange(int(0.018 * SAMPLE_RATE)) / SAMPLE_RATE
        kernel = np.sin(np.pi * t / t[-1]) ** 2 * np.sin(2 * np.pi * pitch * t)
        gain = (0.6 if cricket == channel else 0.35) * rng.uniform(0.5, 1.0)
        chirps += gain * _circular_convolve(pulses, kernel)
    chirps *= 1.0 + 0.3 * _slow_noise(rng, 0.1)
    chirps /= max(np.sqrt(np.mean(chirps**2)), 1e-9)
    return np.asarray(air + 0.5 * chirps)


def _room_tone(name: str, channel: int) -> Mono:
    """The hush of a still room: soft low noise and the faintest mains hum."""
    rng = _rng(name, channel)
    hush = 0.8 * shaped_noise(rng, -4.5, high=8_000.0) + 0.2 * shaped_noise(rng, -1.0, low=1_000.0)
    t = np.arange(LOOP_FRAMES) / SAMPLE_RATE
    hum = sum(0.02 / k * np.sin(2 * np.pi * 60 * k * t) for k in (1, 2, 3))
    return np.asarray(hush + hum)


GENERATORS: dict[str, Callable[[str, int], Mono]] = {
    "rain": _rain, "ocean": _ocean, "stream": _stream, "wind": _wind,
    "brown-noise": _brown, "pink-noise": _pink, "white-noise": _white,
    "night": _night, "room-tone": _room_tone,
}


def make_bed(name: str) -> Stereo:
    """One loop of a built-in bed: (LOOP_FRAMES, 2) float32 at BED_RMS."""
    left, right = GENERATORS[name](name, 0), GENERATORS[name](name, 1)
    stereo = np.stack([left, right], axis=1)
    stereo *= BED_RMS / np.sqrt(np.mean(stereo**2))
    return stereo.astype(np.float32)
