"""The built-in ambient beds, made by numpy: deterministic, stereo, and never audibly repeating.

A bed is the sum of LAYERS independent loops of co-prime whole-second lengths (31, 37 and 43 s),
each a third of its energy. Any lag from 1 s to 10 minutes lines up at most one layer (two
only after 19 minutes, the shortest common multiple), so the bed's autocorrelation stays near
a third: the same raindrops never come back at the same offsets, while memory and the cost of
a block stay those of a 2-minute loop. Every layer is built in the frequency domain over its
whole length (an inverse FFT of a shaped, random-phase spectrum is periodic by construction),
and every event in it (a raindrop, a wave, a cricket's chirp) is placed modulo its length, so
no seam can be heard.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE

LAYER_SECONDS = (31, 37, 43)
"""Loop lengths of a bed's layers: pairwise co-prime, so two line up only after 1147 s."""
LAYERS = len(LAYER_SECONDS)
BED_RMS = 10 ** (-18 / 20)
"""Every bed is normalized to about a voice's loudness; `level` and friends are relative to it."""
HIGHPASS_HZ = 25.0

Stereo = npt.NDArray[np.float32]
Mono = npt.NDArray[np.float64]


def _rng(name: str, channel: int = 0) -> np.random.Generator:
    """A generator seeded from the layer's name: the same bed on every machine, every time."""
    return np.random.default_rng(zlib.crc32(f"{name}:{channel}".encode()))


def _frequencies(frames: int) -> Mono:
    """The FFT bin frequencies of one loop."""
    return np.asarray(np.fft.rfftfreq(frames, 1 / SAMPLE_RATE), dtype=np.float64)


def shaped_noise(rng: np.random.Generator, frames: int, slope_db_per_octave: float,
                 low: float = HIGHPASS_HZ, high: float = 20_000.0) -> Mono:
    """Periodic noise whose power falls `slope` dB per octave between `low` and `high` Hz."""
    freqs = _frequencies(frames)
    magnitude = np.zeros_like(freqs)
    band = (freqs >= low) & (freqs <= high)
    # Power ∝ f^(slope/3.01) per octave: amplitude is the square root of that.
    magnitude[band] = freqs[band] ** (slope_db_per_octave / (20 * np.log10(2)))
    phases = rng.uniform(0, 2 * np.pi, freqs.size)
    signal = np.fft.irfft(magnitude * np.exp(1j * phases), n=frames)
    return np.asarray(signal / np.sqrt(np.mean(signal**2)))


def _slow_noise(rng: np.random.Generator, frames: int, highest_hz: float) -> Mono:
    """A smooth, periodic random curve around 0 (for gusts and burbles), unit RMS."""
    freqs = _frequencies(frames)
    # At least the loop's slowest cycle: a loop shorter than 1/highest_hz has no bin below it,
    # and silence divided by its RMS would be NaN.
    magnitude = np.where((freqs > 0) & (freqs <= max(highest_hz, freqs[1])), 1.0, 0.0)
    signal = np.fft.irfft(magnitude * np.exp(1j * rng.uniform(0, 2 * np.pi, freqs.size)), n=frames)
    return np.asarray(signal / np.sqrt(np.mean(signal**2)))


def _circular_convolve(signal: Mono, kernel: Mono) -> Mono:
    """Convolution that wraps around the loop, so events near the end spill into its start."""
    padded = np.zeros(signal.size)
    padded[: kernel.size] = kernel
    return np.fft.irfft(np.fft.rfft(signal) * np.fft.rfft(padded), n=signal.size)


def _white(key: str, channel: int, frames: int, layer: int) -> Mono:
    return shaped_noise(_rng(key, channel), frames, 0.0)


def _pink(key: str, channel: int, frames: int, layer: int) -> Mono:
    return shaped_noise(_rng(key, channel), frames, -3.0)


def _brown(key: str, channel: int, frames: int, layer: int) -> Mono:
    return shaped_noise(_rng(key, channel), frames, -6.0)


def _rain(key: str, channel: int, frames: int, layer: int) -> Mono:
    """A soft hiss of distant rain and the broadband crackle of near drops (a third of them)."""
    rng = _rng(key, channel)
    hiss = shaped_noise(rng, frames, -2.0, low=200.0, high=12_000.0)
    drops_per_second = 180 // LAYERS
    impulses = np.zeros(frames)
    positions = rng.integers(0, frames, drops_per_second * frames // SAMPLE_RATE)
    strengths = np.minimum(rng.lognormal(0.0, 0.5, positions.size), 4.0)
    impulses[positions] += strengths * rng.choice([-1, 1], positions.size)
    t = np.arange(int(0.004 * SAMPLE_RATE)) / SAMPLE_RATE
    # A 1 ms tick of noise, softened by a short smoothing so its highest partials are not harsh.
    kernel = np.convolve(rng.standard_normal(t.size) * np.exp(-t / 0.0008), np.hanning(5), mode="same")
    crackle = _circular_convolve(impulses, kernel)
    crackle /= np.sqrt(np.mean(crackle**2))
    return 0.8 * hiss + 0.6 * crackle


def _ocean(key: str, channel: int, frames: int, layer: int) -> Mono:
    """Slow waves: deep noise that swells and washes, with an irregular rhythm."""
    rng = _rng(key, 0)  # the same waves in both ears, with different spray
    swell = np.zeros(frames)
    t = np.arange(frames) / frames
    seconds = frames / SAMPLE_RATE
    for period in (12.0, 10.0, 8.6, 7.5):  # whole cycles per layer, so each wraps seamlessly
        cycles = max(round(seconds / period), 1)
        swell += rng.uniform(0.5, 1.0) * (0.5 - 0.5 * np.cos(2 * np.pi * (cycles * t + rng.uniform())))
    swell = (swell / swell.max()) ** 2
    body = shaped_noise(_rng(key, channel + 1), frames, -5.0, high=6_000.0)
    wash = shaped_noise(_rng(key, channel + 3), frames, -1.5, low=500.0)
    return np.asarray((0.25 + 0.75 * swell) * body + 0.6 * swell**2 * wash)


def _stream(key: str, channel: int, frames: int, layer: int) -> Mono:
    """Running water: a mid-band rush with a quick, uneven burble."""
    rng = _rng(key, channel)
    rush = shaped_noise(rng, frames, -1.0, low=250.0, high=5_000.0)
    burble = 1.0 + 0.5 * _slow_noise(rng, frames, 9.0)
    return rush * np.clip(burble, 0.2, None)


def _wind(key: str, channel: int, frames: int, layer: int) -> Mono:
    """Wind in open space: low noise in slow gusts."""
    gust_rng = _rng(key, 0)  # gusts reach both ears together
    gust = np.clip(1.0 + 0.6 * _slow_noise(gust_rng, frames, 0.15), 0.15, None)
    body = shaped_noise(_rng(key, channel + 1), frames, -5.0, low=40.0, high=3_000.0)
    whistle = shaped_noise(_rng(key, channel + 2), frames, 0.0, low=600.0, high=1_400.0)
    return gust * body + 0.3 * gust**2 * whistle


def _night(key: str, channel: int, frames: int, layer: int) -> Mono:
    """A warm night: faint air, and one cricket per layer chirping at its own pace."""
    rng = _rng(key, channel)
    air = 0.5 * shaped_noise(rng, frames, -4.0, high=8_000.0)
    # The cricket is the same in both ears (nearer one side): its own generator, not the channel's.
    cricket = _rng(key, 7)
    pitch = cricket.uniform(4_200, 5_200)
    per_loop = int(cricket.uniform(1.2, 1.8) * frames / SAMPLE_RATE)  # chirps a second
    starts = (np.arange(per_loop) * frames // per_loop + cricket.integers(-2000, 2000, per_loop)) % frames
    pulses = np.zeros(frames)
    for pulse in range(3):  # three quick pulses make one chirp
        pulses[(starts + pulse * int(0.03 * SAMPLE_RATE)) % frames] = cricket.uniform(0.5, 1.0, per_loop)
    t = np.arange(int(0.018 * SAMPLE_RATE)) / SAMPLE_RATE
    kernel = np.sin(np.pi * t / t[-1]) ** 2 * np.sin(2 * np.pi * pitch * t)
    near = layer % 2 == channel
    chirps = (0.6 if near else 0.35) * _circular_convolve(pulses, kernel)
    chirps *= 1.0 + 0.3 * _slow_noise(cricket, frames, 0.1)
    chirps /= max(np.sqrt(np.mean(chirps**2)), 1e-9)
    return np.asarray(air + (0.5 if near else 0.3) * chirps)


def _room_tone(key: str, channel: int, frames: int, layer: int) -> Mono:
    """The hush of a still room: soft low noise and the faintest mains hum."""
    rng = _rng(key, channel)
    hush = (0.8 * shaped_noise(rng, frames, -4.5, high=8_000.0)
            + 0.2 * shaped_noise(rng, frames, -1.0, low=1_000.0))
    t = np.arange(frames) / SAMPLE_RATE
    hum = sum(0.02 / k * np.sin(2 * np.pi * 60 * k * t) for k in (1, 2, 3))
    return np.asarray(hush + hum)


GENERATORS: dict[str, Callable[[str, int, int, int], Mono]] = {
    "rain": _rain, "ocean": _ocean, "stream": _stream, "wind": _wind,
    "brown-noise": _brown, "pink-noise": _pink, "white-noise": _white,
    "night": _night, "room-tone": _room_tone,
}


def make_layer(name: str, layer: int) -> Stereo:
    """One layer of a built-in bed: (LAYER_SECONDS[layer] s, 2) float32 carrying a third of BED_RMS² each."""
    frames = LAYER_SECONDS[layer] * SAMPLE_RATE
    key = name if layer == 0 else f"{name}/{layer}"
    generate = GENERATORS[name]
    stereo = np.stack([generate(key, 0, frames, layer), generate(key, 1, frames, layer)], axis=1)
    stereo *= BED_RMS / np.sqrt(LAYERS * np.mean(stereo**2))
    return stereo.astype(np.float32)


def make_bed(name: str) -> tuple[Stereo, ...]:
    """Every layer of a built-in bed; played together (each looping on its own) they are the bed."""
    return tuple(make_layer(name, layer) for layer in range(LAYERS))


BED_CALIBRATION_DB = {
    "rain": -4.39, "ocean": -0.49, "stream": -4.01, "wind": -0.47, "brown-noise": 1.72,
    "pink-noise": -2.84, "white-noise": -5.06, "night": -3.2, "room-tone": -0.61,
}
"""The gain (dB) that brings each built-in bed from BED_RMS to the voice's loudness, as
player.render.ambient.bed_calibration measures it (BS.1770 over the rendered layers): known without
rendering, so a layout (and `practice check`) can place chimes against the real bed level.
tests/test_levels.py holds these to the measurement."""
