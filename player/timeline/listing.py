"""A timeline as rows of plain data for a listing (`practice show`): the caller formats them."""

from __future__ import annotations

from dataclasses import dataclass

from player.timeline.model import Timeline


@dataclass(frozen=True)
class Row:
    """One step of the session as placed in time."""

    start: float
    """Seconds from the start of the session."""
    seconds: float
    """How long the step lasts as placed (a flexible pause: as solved for the length)."""
    kind: str
    """The step's name as written in scripts: say, pause, chapter, chime, ..."""
    text: str
    """What the step says or names: a line, a chapter's title, a sound, a written duration."""
    written: float | None = None
    """A flexible pause's seconds as written; None for every other step."""

    @property
    def flexible(self) -> bool:
        """Whether the step is a flexible pause (stretched or shrunk to reach the length)."""
        return self.written is not None


def rows(timeline: Timeline) -> list[Row]:
    """Every step of the timeline in order, repeats unrolled, in seconds."""
    rate = timeline.sample_rate
    return [Row(mark.start / rate, mark.length / rate, mark.kind, mark.label, mark.written)
            for mark in timeline.steps]
