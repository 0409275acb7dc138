"""The voice interface every engine implements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # `practice check` reads requests, never samples: it starts without numpy
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class SpeechRequest:
    """One line to speak and how."""

    text: str
    voice: str | None = None
    """An engine voice id; None for the engine's default."""
    rate: float = 1.0
    """1.0 is unhurried guided practice (about 130 words a minute); the engine maps it."""
    volume: float = 1.0


@dataclass(frozen=True)
class RawClip:
    """What an engine returns: mono samples in [-1, 1] at the engine's own rate, or prepared."""

    samples: npt.NDArray[np.float32]
    sample_rate: int
    levelled: bool = False
    """Already a timeline clip (at the timeline's rate, trimmed, levelled at full volume): the
    engine's worker process did that work, so the player's own process never imports the meter."""


Progress = Callable[[int], None]
"""Called with the number of lines just finished."""


class Engine(Protocol):
    """A speech engine: turns texts into clips, many at a time."""

    name: str
    """The engine's name in scripts (`system`, `piper`)."""

    @property
    def version(self) -> str:
        """Changes whenever the same text could sound different: part of the cache key."""
        ...

    def voice_version(self, voice: str | None) -> str:
        """Identifies the voice's data (a model file's hash, say): part of the cache key."""
        ...

    def synthesize(
        self, requests: Sequence[SpeechRequest], progress: Progress | None = None
    ) -> list[RawClip]:
        """One clip per request, in order."""
        ...
