"""Synthesized tones: chimes and the rising and falling breath tones, made with numpy."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE

# name: (fundamental Hz, partial ratios, partial gains, decay seconds of the fundamental, length)
_CHIME_VOICES: dict[str, tuple[float, tuple[float, ...], tuple[float, ...], float, float]] = {
    # A singing bowl's partials are far from harmonic; each pair is slightly detuned so it beats
    # slowly, as a real bowl does, and the low ones ring for many seconds.
    "bowl": (196.0, (1.0, 1.004, 2.71, 2.716, 5.12, 8.21), (1.0, 0.7, 0.55, 0.4, 0.25, 0.12), 3.5, 14.0),
    "bell": (880.0, (1.0, 2.0, 2.4, 3.0, 4.2), (1.0, 0.45, 0.3, 0.2, 0.1), 1.1, 6.0),
    "soft": (440.0, (1.0, 2.0), (1.0, 0.12), 0.9, 4.0),
    "wood": (820.0, (1.0, 2.46, 4.1), (1.0, 0.35, 0.12), 0.035, 0.35),
}
ENVELOPE_SECONDS = 0.1
"""The window a ring's level is measured over (RMS) when deciding it has fallen quiet."""
RING_OUT = 0.4
"""The share of a chime's length over which its ring fades to silence."""
CHIME_PEAK = 0.5
"""Chimes peak at -6 dBFS: present under the voice, never startling."""


@cache
def chime(name: str, sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """A built-in chime as mono samples: decaying partials with a soft attack.

    Made once per process (a bowl is 8 s of six partials) and shared, so it is read-only.
    """
    fundamental, ratios, gains, decay, _ = _CHIME_VOICES[name]
    t = np.arange(chime_samples(name, sample_rate), dtype=np.float64) / sample_rate
    wave = np.zeros_like(t)
    for ratio, gain in zip(ratios, gains, strict=True):
        # Higher partials die away faster, as they do on a struck bowl or bell.
        wave += gain * np.sin(2 * np.pi * fundamental * ratio * t) * np.exp(-t * ratio**0.7 / decay)
    attack = np.minimum(t / 0.004, 1.0)
    wave *= attack
    # The last 40 % eases what is left of the ring (about -20 dB for the bowl) to exactly zero
    # along a half cosine, so the ring dies away rather than stopping.
    tail = max(int(RING_OUT * t.size), 1)
    wave[-tail:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, tail + 1) / tail)
    wave *= CHIME_PEAK / float(np.max(np.abs(wave)))
    result = wave.astype(np.float32)
    result.flags.writeable = False
    return result


def chime_samples(name: str, sample_rate: int = SAMPLE_RATE) -> int:
    """How long a built-in chime's clip is, without making it (for estimates)."""
    return int(_CHIME_VOICES[name][4] * sample_rate)


def frames_until_under(levels: npt.NDArray[np.float64], size: int,
                       under_rms: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
                       sample_rate: int = SAMPLE_RATE) -> int:
    """Frames until a sound of `size` frames, whose `envelope` is `levels`, falls under a level for good.

    `under_rms` gives the level (linear RMS) for each window from the frame where the window
    ends, counted from the sound's start: a bed that is still fading in is quieter. Measured
    from the sound's own envelope, so a ring that swells again as its partials beat counts
    until its last loud window.
    """
    window = max(int(ENVELOPE_SECONDS * sample_rate), 1)
    ends = np.minimum(np.arange(1, levels.size + 1, dtype=np.float64) * window, size)
    loud = np.flatnonzero(levels >= under_rms(ends))
    return 0 if loud.size == 0 else min(int(loud[-1] + 1) * window, size)


def envelope(clip: npt.NDArray[np.float32], sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float64]:
    """A sound's level (linear RMS) over each ENVELOPE_SECONDS window, the last one partial."""
    window = max(int(ENVELOPE_SECONDS * sample_rate), 1)
    whole = clip.size // window * window
    blocks = np.asarray(clip[:whole], dtype=np.float64).reshape(-1, window)
    levels = np.sqrt(np.mean(blocks**2, axis=1))
    if clip.size > whole:
        levels = np.append(levels, np.sqrt(np.mean(np.asarray(clip[whole:], dtype=np.float64) ** 2)))
    return np.asarray(levels, dtype=np.float64)


def chime_envelope(name: str) -> npt.NDArray[np.float64]:
    """A built-in chime's `envelope`, from the table in chime_rings.py (read-only).

    An estimate lays out a chime's ring from this without making the chime (a bowl is 0.1 to
    0.2 s of CPU), so `check` and `show` stay quick and place the words after a chime where
    the export will. tests/test_estimate.py holds the table to `envelope(chime(name))`.
    """
    from player.sounds.chime_rings import CHIME_ENVELOPES

    levels = np.array(CHIME_ENVELOPES[name], dtype=np.float64)
    levels.flags.writeable = False
    return levels


def chime_rings_source() -> str:
    """The text of chime_rings.py, worked out from the chimes themselves (to regenerate it)."""
    rows = []
    for name in _CHIME_VOICES:
        values = [f"{value:.6g}," for value in envelope(chime(name))]
        lines = (" ".join(values[start:start + 8]) for start in range(0, len(values), 8))
        rows.append(f'    "{name}": (\n' + "\n".join(f"        {line}" for line in lines) + "\n    ),")
    return ('"""Each built-in chime\'s envelope (RMS over 100 ms windows), as tones.envelope measures it.\n\n'
            "Generated by `python -c \"from player.sounds.tones import chime_rings_source as s; print(s(), end='')\"\n"
            '> player/sounds/chime_rings.py`; tests/test_estimate.py fails when a chime changes and this does not.\n'
            '"""\n\nCHIME_ENVELOPES: dict[str, tuple[float, ...]] = {\n' + "\n".join(rows) + "\n}\n")


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
