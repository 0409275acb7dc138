"""The Script: the validated, typed form of one practice file (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from player import SAMPLE_RATE


@dataclass(frozen=True)
class Where:
    """Where a value came from, so any later error can still say FILE:LINE:COL."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


@dataclass(frozen=True)
class VoiceSettings:
    """How the script is spoken."""

    engine: str = "auto"
    """auto, piper or system."""
    name: str | None = None
    """An engine voice id; None for the engine's default."""
    rate: float = 1.0
    """1.0 is unhurried guided practice (about 130 words a minute); the engine maps it."""
    volume: float = 1.0
    sentence_gap: float = 0.8
    """Seconds of silence between sentences inside one `say`."""


@dataclass(frozen=True)
class AmbientSettings:
    """The bed under the voice and how it moves."""

    sound: str | None = None
    """A built-in bed name, a file path, or None for no bed."""
    level: float = -22.0
    pause_level: float = -16.0
    long_silence_level: float = -14.0
    """LU under the voice (beds are calibrated to a levelled line's loudness): defaults that keep
    the bed at least 18 LU under speech and 12 LU under it in any quiet, with room to spare."""
    fade_in: float = 5.0
    fade_out: float = 8.0
    where: Where | None = None
    """Where the bed was named, for errors about it."""


@dataclass(frozen=True)
class Say:
    """Speak a text; sentences are spoken separately with `sentence_gap` between them."""

    text: str
    where: Where
    rate: float | None = None
    voice: str | None = None
    pause_after: float = 0.0


@dataclass(frozen=True)
class Pause:
    """Quiet time between speech; flexible pauses absorb a target length."""

    seconds: float
    where: Where
    flexible: bool = False
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Chapter:
    """A named section: a chapter in exports, a skip point live.

    One type from the script to the file's tags: the loader gives its title and where it is
    written, the timeline places it (`start` and `end`), the tags write it in milliseconds.
    """

    title: str
    where: Where = Where("")
    start: int = 0
    """The sample it starts at, once placed in a session (SAMPLE_RATE)."""
    end: int = 0
    """The sample the next chapter starts at, or the session's end, once placed."""

    @property
    def start_ms(self) -> int:
        """Where it starts, in whole milliseconds (as tags hold chapters)."""
        return round(self.start * 1000 / SAMPLE_RATE)

    @property
    def end_ms(self) -> int:
        """Where it ends, in whole milliseconds."""
        return round(self.end * 1000 / SAMPLE_RATE)


@dataclass(frozen=True)
class Chime:
    """A chime sound: a built-in name or a file."""

    sound: str
    where: Where
    volume: float = 1.0


@dataclass(frozen=True)
class Breathe:
    """Paced breathing: phases in seconds, repeated `cycles` times."""

    inhale: float
    hold: float
    exhale: float
    hold_out: float
    cycles: int
    cue: str
    where: Where


@dataclass(frozen=True)
class Repeat:
    """The nested steps, `count` times."""

    count: int
    steps: tuple[Step, ...]
    where: Where


@dataclass(frozen=True)
class Play:
    """A recorded clip, for example the therapist's own voice."""

    file: Path
    where: Where
    volume: float = 1.0


@dataclass(frozen=True)
class AmbientChange:
    """Change the bed mid-session with a crossfade."""

    sound: str | None
    where: Where
    crossfade: float = 6.0


@dataclass(frozen=True)
class Silence:
    """A timed sit, with interval chimes when `bells_every` is set."""

    duration: float
    where: Where
    bells_every: float | None = None
    chime: str = "bowl"


Step = Say | Pause | Chapter | Chime | Breathe | Repeat | Play | AmbientChange | Silence


@dataclass(frozen=True)
class Script:
    """One practice, validated, with vars filled in and command-line overrides applied."""

    title: str
    source: Path
    steps: tuple[Step, ...]
    description: str = ""
    author: str = ""
    collection: str = ""
    """The album tag on export."""
    eyes: str = "closed"
    """closed (can be done with eyes closed), open or partly."""
    lengths: tuple[float, ...] = ()
    """Length variants the script is written for (each works with --length)."""
    cover: Path | None = None
    """Cover art (JPEG or PNG) for exports."""
    language: str = "en-US"
    tags: tuple[str, ...] = ()
    vars: dict[str, str] = field(default_factory=dict)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    ambient: AmbientSettings = field(default_factory=AmbientSettings)
    pace: float = 1.0
    length: float | None = None
    on_exit: tuple[Step, ...] = ()
    variables: frozenset[str] = frozenset()
    """Every variable the script defines or fills in (what --set may name)."""

    @property
    def name(self) -> str:
        """The practice's short name: its file name without the extension."""
        return self.source.stem
