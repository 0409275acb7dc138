"""Lengths in samples: the target length solved over flexible spans, the closing quiet, the speech estimate."""

from __future__ import annotations

import math

from player import SAMPLE_RATE
from player.errors import Problem, ScriptError
from player.script.durations import format_duration
from player.timeline.model import Clip
from player.timeline.spans import SoundEvent, Span

DEFAULT_FLEX_MIN = 0.5
"""A flexible pause without `min` may shrink to half its written length."""
ESTIMATED_CHARS_PER_SECOND = 9.4
"""For estimates before synthesis, at rate 1.0 (the unhurried pace, breaths included).
Characters follow a sentence's length better than words ("underneath" is one word); measured
with the piper voice over each sentence's cue, reorient spoke 9.5 and five-senses 9.3
characters a second."""
END_QUIET = 1.0
"""Seconds of digital silence that close every session, after every sound has rung out."""


def samples(seconds: float) -> int:
    """Seconds to whole samples at the timeline's rate."""
    return round(seconds * SAMPLE_RATE)


def estimated_speech(text: str, rate: float) -> int:
    """The samples a line of speech is guessed to last, before any engine has spoken it."""
    return samples(max(len(text), 4) / (ESTIMATED_CHARS_PER_SECOND * rate))


def closing_quiet(spans: list[Span], clips: dict[str, Clip], shortest: bool) -> int:
    """Frames to add after the last step so every sound rings out in full, then END_QUIET of silence.

    A chime lets the next step start while it rings, so the last one would be cut off. With
    `shortest` (a target length is being solved), flexible spans count at their shortest: the
    most any sound can run past the end, so the quiet reserved is enough whatever the solver does.
    """
    position = 0
    last_sound_end = 0
    for span in spans:
        for offset, event in span.events:
            if isinstance(event, SoundEvent):
                last_sound_end = max(last_sound_end, position + offset + len(clips[event.clip]))
        position += span.low if shortest and span.flexible else span.samples
    return max(0, last_sound_end + samples(END_QUIET) - position)


def solve_length(spans: list[Span], target: int, name: str) -> None:
    """Stretch or shrink the flexible spans, within their bounds, to make the total `target` exactly."""
    flexible = [span for span in spans if span.flexible]
    fixed = sum(span.samples for span in spans if not span.flexible)
    if not flexible:
        raise ScriptError([Problem(name, 0, 0, "a target length needs flexible pauses "
                                   "('- pause: {seconds: 20, flexible: true}'), and this script "
                                   "has none: every pause is fixed")])
    shortest = fixed + sum(span.low for span in flexible)
    longest = fixed + sum(span.high for span in flexible)
    if not shortest <= target <= longest:
        bound, word = (shortest, "shorter") if target < shortest else (longest, "longer")
        raise ScriptError([Problem(name, 0, 0, (
            f"cannot make this session {format_duration(target / SAMPLE_RATE)} long: with its "
            f"flexible pauses at their {'min' if word == 'shorter' else 'max'} it lasts "
            f"{format_duration(bound / SAMPLE_RATE)}, and it cannot be {word} than that "
            f"(speech and fixed pauses take {format_duration(fixed / SAMPLE_RATE)})"))])
    values = _water_fill(flexible, float(target - fixed))
    # Whole samples: round down, then give the leftover samples to the largest remainders.
    floors = {key: math.floor(value) for key, value in values.items()}
    leftover = target - fixed - sum(floors.values())
    by_remainder = sorted(values, key=lambda key: values[key] - floors[key], reverse=True)
    for key in by_remainder[:leftover]:
        floors[key] += 1
    for span in flexible:
        span.samples = floors[id(span)]


def _water_fill(flexible: list[Span], budget: float) -> dict[int, float]:
    """Each flexible span's share of `budget` (by id), in proportion to its written length, within bounds.

    Scale every free span in proportion to its written length; clamp the ones that hit a bound
    and spread what is left over the rest, until nothing more clamps. Zero-length flexible
    pauses only: share the time out equally instead.
    """
    weights = {id(span): float(span.samples) for span in flexible}
    if not any(weights.values()):
        weights = dict.fromkeys(weights, 1.0)
    free = list(flexible)
    values: dict[int, float] = {}
    while free:
        scale = budget / sum(weights[id(span)] for span in free)
        clamped = [span for span in free
                   if not span.low <= weights[id(span)] * scale <= span.high]
        for span in clamped:
            values[id(span)] = float(min(max(weights[id(span)] * scale, span.low), span.high))
            budget -= values[id(span)]
            free.remove(span)
        if not clamped:
            values.update((id(span), weights[id(span)] * scale) for span in free)
            break
    return values
