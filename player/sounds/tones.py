"""Synthesized tones: chimes and the rising and falling breath tones, made with numpy."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE

# name: (fundamental Hz, partial ratios, partial gains, decay seconds, length seconds)
_CHIME_VOICES: dict[str, tuple[float, tuple[float, ...], tuple[float, ...], float, float]] = {
    "bowl": (220.0, (1.0, 2.76, 5.4), (1.0, 0.5, 0.25), 2.2, 5.0),
    "bell": (880.0, (1.0, 2.0, 3.0), (1.0, 0.4, 0.2), 0.9, 3.0),
    "soft": (440.0, (1.0, 2.0), (1.0, 0.15), 0.7, 2.0),
    "wood": (800.0, (1.0, 2.3), (1.0, 0.3), 0.05, 0.4),
}
CHIME_PEAK = 0.5
"""Chimes peak at -6 dBFS: present under the voice, never startling."""


def chime(name: str, sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """A built-in chime as mono samples: decaying partials with a soft 5 ms attack."""
    fundamental, ratios, gains, decay, length = _CHIME_VOICES[name]
    t = np.arange(int(length * sample_rate), dtype=np.float64) / sample_rate
    wave = np.zeros_like(t)
    for ratio, gain in zip(ratios, gains, strict=True):
        # Higher partials die away faster, as they do on a struck bowl or bell.
        wave += gain * np.sin(2 * np.pi * fundamental * ratio * t) * np.exp(-t * ratio / decay)
    attack = np.minimum(t / 0.005, 1.0)
    wave *= attack
    tail = max(int(0.05 * sample_rate), 1)
    wave[-tail:] *= np.linspace(1.0, 0.0, tail)
    wave *= CHIME_PEAK / float(np.max(np.abs(wave)))
    return wave.astype(np.float32)


def breath_tone(rising: bool, samples: int, sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """A soft tone that glides up (in-breath) or down (out-breath) and lasts exactly `samples`."""
    if samples <= 0:
        return np.zeros(0, dtype=np.float32)
    low, high = 196.0, 294.0
    progress = np.arange(samples, dtype=np.float64) / samples
    frequency = low + (high - low) * (progress if rising else 1.0 - progress)
    phase = 2 * np.pi * np.cumsum(frequency) / sample_rate
    envelope = np.sin(np.pi * progress) ** 0.5  # swells and fades with the breath
    return (0.18 * envelope * np.sin(phase)).astype(np.float32)
