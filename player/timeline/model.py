"""The Timeline and what it holds: sounds, step marks, chapters, cues and bed changes, in samples."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.script.model import AmbientSettings, Chapter, Where

Clip = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Sound:
    """A clip placed at a start sample."""

    start: int
    clip: str
    """Key into Timeline.clips."""
    gain: float
    kind: str
    """speech, chime, tone or recording."""


@dataclass(frozen=True)
class StepMark:
    """Where one step sits in time, for `practice show`."""

    start: int
    length: int
    kind: str
    label: str
    where: Where
    written: float | None = None
    """A flexible pause's seconds as written (its `length` is what solving made of them); else None."""


@dataclass(frozen=True)
class Cue:
    """One transcript line: the text as written and when it is spoken."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class BedChange:
    """The ambient bed changes at a sample, crossfading over `crossfade` samples."""

    start: int
    sound: str | None
    crossfade: int


@dataclass(frozen=True)
class Timeline:
    """A whole session in samples at `sample_rate`: plain data, cheap to inspect."""

    title: str
    length: int
    sounds: tuple[Sound, ...]
    clips: Mapping[str, Clip]
    steps: tuple[StepMark, ...]
    chapters: tuple[Chapter, ...]
    """In order, each placed: from its start to the next one's (the last to the session's end)."""
    cues: tuple[Cue, ...]
    ambient: AmbientSettings
    bed_changes: tuple[BedChange, ...]
    sample_rate: int = SAMPLE_RATE
    estimated: bool = False
    """True when speech lengths are guesses (no synthesis yet)."""

    @property
    def seconds(self) -> float:
        """The session's length in seconds."""
        return self.length / self.sample_rate

    def sound_end(self, sound: Sound) -> int:
        """The sample just after a placed sound."""
        return sound.start + len(self.clips[sound.clip])
