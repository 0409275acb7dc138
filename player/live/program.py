"""A program's timeline as live play reads it: steps' starts and levels, and a cold start held open."""

from __future__ import annotations

from dataclasses import replace

from player import SAMPLE_RATE
from player.timeline.model import Timeline

VOLUME_STEP_DB = 2.0
VOLUME_RANGE = (0.1, 2.0)
HOLD_SECONDS = 120.0
"""While the rest of a cold start is being made, the opening plays on past its last step for up
to this long (the bed goes on, a chime rings out) before it waits in silence."""


def mapped_positions(opening: Timeline, position: int, timeline: Timeline) -> int:
    """The same place in a longer timeline: as far into the same step."""
    marks = [mark for mark in opening.steps if mark.start <= position]
    if not marks:
        return position
    index = len(marks) - 1
    target = timeline.steps[index]
    return target.start + min(position - opening.steps[index].start, target.length)


def step_start(timeline: Timeline, index: int) -> int:
    """Where a step starts (the end, for the step after the last)."""
    return timeline.steps[index].start if index < len(timeline.steps) else timeline.length


def held_open(timeline: Timeline) -> Timeline:
    """An opening that plays on past its last step while the rest is made (its bed goes on)."""
    return replace(timeline, length=timeline.length + int(HOLD_SECONDS * SAMPLE_RATE))


def step_level(level: float, up: bool) -> float:
    """A volume level one step up or down, within range."""
    factor = 10 ** ((VOLUME_STEP_DB if up else -VOLUME_STEP_DB) / 20)
    low, high = VOLUME_RANGE
    return float(min(max(level * factor, low), high))
