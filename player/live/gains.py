"""Gains that move smoothly sample by sample, and feedback sounds laid over a session."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.render.mixer import Block

Clip = npt.NDArray[np.float32]


@dataclass
class Overlay:
    """A feedback sound playing over the session, independent of pause and fades."""

    clip: Clip
    played: int = 0
    ducks: bool = False


class Ramp:
    """A gain that moves linearly towards a target, sample by sample."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.target = value
        self.step = 0.0

    def go(self, target: float, seconds: float) -> None:
        """Move to `target` over `seconds`."""
        self.target = target
        frames = max(int(seconds * SAMPLE_RATE), 1)
        self.step = abs(target - self.value) / frames

    @property
    def settled(self) -> bool:
        """Whether the gain has reached its target."""
        return self.value == self.target

    def advance(self, frames: int) -> npt.NDArray[np.float32] | float:
        """The gain for each of the next frames (a plain float when it is constant)."""
        if self.settled:
            return self.value
        direction = 1.0 if self.target > self.value else -1.0
        raw = self.value + direction * self.step * np.arange(1, frames + 1)
        clamped = np.minimum(raw, self.target) if direction > 0 else np.maximum(raw, self.target)
        gains: npt.NDArray[np.float32] = clamped.astype(np.float32)
        self.value = float(clamped[-1])
        return gains


def apply_gain(block: Block, gain: npt.NDArray[np.float32] | float) -> None:
    """Scale a block in place by a constant or a per-frame gain."""
    if isinstance(gain, np.ndarray):
        block *= gain[:, np.newaxis]
    elif gain != 1.0:
        block *= np.float32(gain)
