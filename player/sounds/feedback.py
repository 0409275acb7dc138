"""The small sounds live play answers with: pause and resume tones, a click, a volume tick."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE


def _tone(frequency: float, seconds: float, peak: float, decay: float) -> npt.NDArray[np.float32]:
    """A sine with a 10 ms attack and an exponential decay that ends in silence."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = np.minimum(t / 0.01, 1.0) * np.exp(-t / decay)
    envelope *= np.linspace(1.0, 0.0, t.size) ** 0.5  # reach zero exactly: no click at the end
    return (peak * envelope * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def pause_tone() -> npt.NDArray[np.float32]:
    """A soft low tone: the session is pausing."""
    return _tone(330.0, 0.45, 0.25, 0.18)


def resume_tone() -> npt.NDArray[np.float32]:
    """A soft high tone: the session goes on."""
    return _tone(660.0, 0.45, 0.22, 0.18)


def click() -> npt.NDArray[np.float32]:
    """A short click: moved to another chapter."""
    t = np.arange(int(0.03 * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.35 * np.exp(-t / 0.004) * np.sin(2 * np.pi * 1800.0 * t)).astype(np.float32)


def tick(level: float) -> npt.NDArray[np.float32]:
    """A tick whose loudness is the new volume level (0 to 1.5)."""
    return _tone(1200.0, 0.08, 0.3 * min(max(level, 0.05), 1.5), 0.02)
