"""Script to Timeline: every sound placed in time, in samples, before any audio is mixed.

Compiling walks the steps twice: once to collect every line to speak (so the whole session is
synthesized as one batch), then again with the clips in hand to lay out spans of time. Length
solving (`--length`) adjusts the flexible spans before anything is placed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from player import SAMPLE_RATE
from player.errors import Problem, ScriptError
from player.script.durations import format_duration
from player.script.limits import MAX_SESSION_SECONDS
from player.script.model import AmbientSettings, Script, Step, Where
from player.sounds.prepare import PreparedSounds, silence
from player.timeline.layout import ClipSource, Layout
from player.timeline.lengths import closing_quiet, estimated_speech, samples, solve_length
from player.timeline.model import Clip, Timeline
from player.timeline.spans import Span, place
from player.voices.base import Progress, SpeechRequest


class Speech(Protocol):
    """Anything that turns many requests into clips at SAMPLE_RATE (a voices.Speaker)."""

    def speak(self, requests: Sequence[SpeechRequest], progress: Progress | None = None) -> list[Clip]:
        """One clip per request."""
        ...


def speech_requests(script: Script, steps: Sequence[Step] | None = None) -> list[SpeechRequest]:
    """Every distinct line the session speaks, in order of first use."""
    seen: dict[SpeechRequest, None] = {}

    def record(request: SpeechRequest) -> Clip:
        seen[request] = None
        return np.zeros(0, dtype=np.float32)

    layout = Layout(script, record, _NoSounds(), real_clips=False)
    layout.walk(script.steps if steps is None else steps)
    return list(seen)


class _NoSounds:
    """Sounds for a walk that only collects speech: nothing decoded, rendered or levelled."""

    def chime(self, sound: str) -> Clip:
        return silence(1)

    def recording(self, path: Path) -> Clip:
        return silence(1)

    def breath_tone(self, inhale: bool, frames: int) -> Clip:
        return silence(1)

    def check_bed(self, sound: str | None) -> None:
        return None

    def ring(self, sound: str, clip: Clip, gain: float, ambient: AmbientSettings, at: int | None = None) -> int:
        return 0


def compile_timeline(
    script: Script,
    speaker: Speech,
    progress: Progress | None = None,
    steps: Sequence[Step] | None = None,
    ending: bool = True,
) -> Timeline:
    """The exact Timeline: synthesizes (or takes from the cache) every line, then lays out time.

    `ending`: close with every sound rung out and END_QUIET of silence (not for the opening
    of a cold start, which must stay a prefix of the whole session).
    """
    chosen = script.steps if steps is None else steps
    requests = speech_requests(script, chosen)
    clips = dict(zip(requests, speaker.speak(requests, progress), strict=True))
    return _build(script, chosen, lambda request: clips[request], real_clips=True, ending=ending)


def estimate_timeline(script: Script) -> Timeline:
    """A Timeline with speech lengths guessed from word counts: no engine needed."""

    def guess(request: SpeechRequest) -> Clip:
        # Only its length is read: a read-only view of one zero, not seconds of allocated samples.
        return silence(estimated_speech(request.text, request.rate))

    return _build(script, script.steps, guess, real_clips=False)


def delayed(timeline: Timeline, at: int, frames: int) -> Timeline:
    """The timeline with `frames` of quiet inserted at sample `at`: everything from there on starts later.

    Live play uses it when the voice was not ready in time: the listener has heard the bed go
    on for that long, and the session resumes where it was, not where the clock says.
    """
    if frames <= 0:
        return timeline

    def later(start: int) -> int:
        return start + frames if start >= at else start

    return replace(
        timeline, length=timeline.length + frames,
        sounds=tuple(replace(sound, start=later(sound.start)) for sound in timeline.sounds),
        steps=tuple(replace(mark, start=later(mark.start),
                            length=mark.length + frames if mark.start < at < mark.start + mark.length else mark.length)
                    for mark in timeline.steps),
        chapters=tuple(replace(mark, start=later(mark.start), end=later(mark.end)) for mark in timeline.chapters),
        cues=tuple(replace(cue, start=later(cue.start), end=later(cue.start) + cue.end - cue.start)
                   for cue in timeline.cues),
        bed_changes=tuple(replace(change, start=later(change.start)) for change in timeline.bed_changes),
    )


def _build(script: Script, steps: Sequence[Step], speech: ClipSource, real_clips: bool,
           ending: bool = True) -> Timeline:
    """Lay out, close, solve the target length, place."""
    layout = Layout(script, speech, PreparedSounds(exact=real_clips), real_clips)
    layout.check_bed(script.ambient.sound, script.ambient.where or Where(str(script.source)))
    layout.walk(steps)
    if layout.problems:
        raise ScriptError(layout.problems)
    solving = script.length is not None and steps is script.steps
    if ending:
        closing = closing_quiet(layout.spans, layout.clips, shortest=solving)
        if closing:
            layout.spans.append(Span(closing))
    if solving and script.length is not None:
        solve_length(layout.spans, samples(script.length), str(script.source))
    total = sum(span.samples for span in layout.spans)
    if total > samples(MAX_SESSION_SECONDS):
        raise ScriptError([Problem(str(script.source), 0, 0,
                                   f"the session lasts {format_duration(total / SAMPLE_RATE)}; "
                                   f"the limit is {format_duration(MAX_SESSION_SECONDS)}")])
    return place(layout.laid(), total, estimated=not real_clips)
