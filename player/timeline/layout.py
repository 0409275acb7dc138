"""Script to Timeline: every sound placed in time, in samples, before any audio is mixed.

Compiling walks the steps twice: once to collect every line to speak (so the whole session is
synthesized as one batch), then again with the clips in hand to lay out spans of time. Length
solving (`--length`) adjusts the flexible spans before anything is placed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.audio import trim_silence
from player.errors import Problem, ScriptError
from player.render.loudness import match_loudness
from player.script.durations import format_duration
from player.script.limits import FLEXIBLE_PAUSE_MAX_SECONDS, MAX_SESSION_SECONDS
from player.script.model import (
    AmbientChange,
    AmbientSettings,
    Breathe,
    Chapter,
    Chime,
    Pause,
    Play,
    Repeat,
    Say,
    Script,
    Silence,
    Step,
    Where,
)
from player.script.text import BREATH_PAUSE, InlinePause, breath_groups, split_say
from player.sounds import (
    breath_tone,
    chime,
    is_builtin_bed,
    is_builtin_chime,
    load_audio_file,
    ring_frames,
)
from player.sounds.beds import BED_CALIBRATION_DB, BED_RMS
from player.sounds.files import AudioFileError
from player.sounds.loops import bed_loop
from player.sounds.tones import chime_samples
from player.voices.base import Progress, SpeechRequest
from player.voices.textprep import speakable

Clip = npt.NDArray[np.float32]

DEFAULT_FLEX_MIN = 0.5
"""A flexible pause without `min` may shrink to half its written length."""
ESTIMATED_CHARS_PER_SECOND = 9.4
"""For estimates before synthesis, at rate 1.0 (the unhurried pace, breaths included).
Characters follow a sentence's length better than words ("underneath" is one word); measured
with the piper voice over each sentence's cue, reorient spoke 9.5 and five-senses 9.3
characters a second."""
END_QUIET = 1.0
"""Seconds of digital silence that close every session, after every sound has rung out."""
BREATH_WORDS = {"in": "Breathe in", "hold": "Hold", "out": "And out", "hold_out": "Hold"}


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


# -- spans: the layout before placement ----------------------------------------------------------


@dataclass(frozen=True)
class _SoundEvent:
    clip: str
    gain: float
    kind: str


@dataclass(frozen=True)
class _CueEvent:
    text: str
    length: int


@dataclass(frozen=True)
class _ChapterEvent:
    chapter: Chapter


@dataclass(frozen=True)
class _BedEvent:
    sound: str | None
    crossfade: int


_Event = _SoundEvent | _CueEvent | _ChapterEvent | _BedEvent


@dataclass
class _Span:
    """A stretch of time; flexible spans may change length when a target length is set."""

    samples: int
    low: int = 0
    high: int = 0
    flexible: bool = False
    events: list[tuple[int, _Event]] = field(default_factory=list)
    """(offset in samples from the span's start, event)."""


@dataclass
class _StepRange:
    """A step's spans, first to one past the last."""

    kind: str
    label: str
    where: Where
    first: int
    end: int = 0
    written: float | None = None


ClipSource = Callable[[SpeechRequest], Clip]


class _Layout:
    """Turns steps into spans; `speech` supplies the clip for each line."""

    def __init__(self, script: Script, speech: ClipSource, real_clips: bool) -> None:
        self.script = script
        self.speech = speech
        self.real_clips = real_clips
        self.spans: list[_Span] = []
        self.steps: list[_StepRange] = []
        self.clips: dict[str, Clip] = {}
        self.problems: list[Problem] = []

    def fail(self, where: Where, message: str) -> None:
        """Record a problem at a step."""
        self.problems.append(Problem(where.file, where.line, where.column, message))

    def gap(self, seconds: float) -> None:
        """Quiet time of a fixed length."""
        if seconds > 0:
            self.spans.append(_Span(_samples(seconds)))

    def place(self, key: str, clip: Clip, gain: float, kind: str, text: str | None = None,
              advance: int | None = None) -> None:
        """A clip at the current time; the next step starts `advance` frames later (default: its end)."""
        self.clips[key] = clip
        span = _Span(len(clip) if advance is None else advance)
        span.events.append((0, _SoundEvent(key, gain, kind)))
        if text is not None:
            span.events.append((0, _CueEvent(text, len(clip))))
        self.spans.append(span)

    def marker(self, event: _Event) -> None:
        """A zero-length event at the current time."""
        self.spans.append(_Span(0, events=[(0, event)]))

    def walk(self, steps: Sequence[Step]) -> None:
        """Lay out steps in order, unrolling repeats."""
        for step in steps:
            if isinstance(step, Repeat):
                for _ in range(step.count):
                    self.walk(step.steps)
                continue
            written = step.seconds if isinstance(step, Pause) and step.flexible else None
            record = _StepRange(_kind(step), _label(step), step.where, len(self.spans), written=written)
            self.steps.append(record)
            self.step(step)
            record.end = len(self.spans)

    def step(self, step: Step) -> None:
        """Lay out one step."""
        pace = self.script.pace
        if isinstance(step, Say):
            self.say(step)
        elif isinstance(step, Pause):
            self.pause(step, pace)
        elif isinstance(step, Chapter):
            self.marker(_ChapterEvent(step))
        elif isinstance(step, Chime):
            clip = self.chime_clip(step.sound, step.where)
            if clip is not None:
                # A built-in chime lets the next step begin once its ring has fallen under the
                # bed, and goes on ringing beneath it; a file takes its whole length.
                at = sum(span.samples for span in self.spans)
                advance = self.ring(clip, step.volume, at) if is_builtin_chime(step.sound) else None
                self.place(f"chime:{step.sound}", clip, step.volume, "chime", advance=advance)
        elif isinstance(step, Breathe):
            self.breathe(step)
        elif isinstance(step, Play):
            self.recording(step)
        elif isinstance(step, AmbientChange):
            self.check_bed(step.sound, step.where)
            self.marker(_BedEvent(step.sound, _samples(step.crossfade)))
        elif isinstance(step, Silence):
            self.silence(step)

    def ring(self, clip: Clip, gain: float, at: int | None = None) -> int:
        """Frames until a chime at `gain`, starting `at`, is quieter than the bed under speech, and stays so.

        The bed's level is its `level` (where a bed would sit when there is none), lower while
        it fades in at the start of the session (`at` None: assume it has faded in).
        """
        if gain <= 0:
            return 0
        settings = self.script.ambient
        level = BED_RMS * self.bed_gain(settings.sound) * 10 ** (settings.level / 20) / gain
        fade_in = settings.fade_in * SAMPLE_RATE
        if at is None or settings.sound is None or at >= fade_in:
            return ring_frames(clip, lambda ends: np.full(ends.size, level))
        start = at

        def faded(ends: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return level * np.sin(0.5 * np.pi * np.clip((start + ends) / fade_in, 0.0, 1.0))

        return ring_frames(clip, faded)

    def bed_gain(self, sound: str | None) -> float:
        """The mixer's loudness calibration of a bed (linear): a table for built-ins, measured for a file."""
        if sound is None:
            return 1.0  # no bed: a chime still falls to where a typical bed would sit
        if is_builtin_bed(sound):
            return float(10 ** (BED_CALIBRATION_DB.get(sound, 0.0) / 20))
        if not self.real_clips:
            return 1.0
        from player.render.ambient import bed_calibration  # here: the ambient plan imports this module

        return bed_calibration(sound)

    def request(self, text: str, voice: str | None = None, rate: float | None = None) -> SpeechRequest:
        """A speech request with the script's voice settings."""
        settings = self.script.voice
        return SpeechRequest(text=text, voice=voice or settings.name,
                             rate=rate if rate is not None else settings.rate, volume=settings.volume)

    def say(self, step: Say) -> None:
        """Sentences with the sentence gap between them, inline pauses, then pause_after."""
        try:
            parts = split_say(step.text)
        except ValueError as error:
            self.fail(step.where, str(error))
            return
        previous_spoken = False
        for part in parts:
            if isinstance(part, InlinePause):
                self.gap(part.seconds * self.script.pace)
                previous_spoken = False
                continue
            if previous_spoken:
                self.gap(self.script.voice.sentence_gap)
            self.sentence(part.text, step)
            previous_spoken = True
        self.gap(step.pause_after * self.script.pace)

    def sentence(self, text: str, step: Say) -> None:
        """One sentence: its breath groups with a breath between them, under one transcript cue."""
        first = len(self.spans)
        for index, piece in enumerate(breath_groups(text)):
            if index:
                self.gap(BREATH_PAUSE)
            # The engine hears numbers and abbreviations in words; the transcript keeps the text.
            request = self.request(speakable(piece, self.script.language), step.voice, step.rate)
            self.place(_speech_key(request), self.speech(request), 1.0, "speech")
        if first < len(self.spans):
            length = sum(span.samples for span in self.spans[first:])
            self.spans[first].events.append((0, _CueEvent(text, length)))

    def pause(self, step: Pause, pace: float) -> None:
        """A pause; a flexible one remembers how far it may shrink and stretch."""
        length = _samples(step.seconds * pace)
        if not step.flexible:
            self.spans.append(_Span(length))
            return
        low = step.minimum if step.minimum is not None else step.seconds * DEFAULT_FLEX_MIN
        # Without `max`, as if the limit for a single pause were written (docs/script-format.md).
        high = step.maximum if step.maximum is not None else FLEXIBLE_PAUSE_MAX_SECONDS
        self.spans.append(_Span(length, low=_samples(low * pace),
                                high=max(_samples(high * pace), length), flexible=True))

    def chime_clip(self, sound: str, where: Where) -> Clip | None:
        """A built-in chime or a chime file (the script loader has checked the name)."""
        if is_builtin_chime(sound) and not self.real_clips:
            return np.zeros(chime_samples(sound), dtype=np.float32)  # an estimate needs only its length
        return chime(sound) if is_builtin_chime(sound) else self.file_clip(sound, where)

    def check_bed(self, sound: str | None, where: Where) -> None:
        """A bed file that decodes (and is then cached); the loader has checked names and files."""
        if sound is None or is_builtin_bed(sound) or not self.real_clips:
            return
        try:
            bed_loop(sound)
        except AudioFileError as error:
            self.fail(where, str(error))

    def file_clip(self, path: str, where: Where) -> Clip | None:
        """Audio from a file, or a located problem."""
        try:
            clip = load_audio_file(Path(path))
        except AudioFileError as error:
            self.fail(where, str(error))
            return None
        if not len(clip):
            self.fail(where, f"{path} holds no audio")
            return None
        return clip

    def recording(self, step: Play) -> None:
        """A recorded clip, trimmed of silence at both ends and as loud as the synthesized voice."""
        clip = self.file_clip(str(step.file), step.where)
        if clip is not None:
            trimmed = trim_silence(clip, SAMPLE_RATE)
            if not len(trimmed):
                self.fail(step.where, f"{step.file} is silent (nothing above -50 dBFS): nothing to play")
                return
            levelled = match_loudness(trimmed, SAMPLE_RATE)
            self.place(f"file:{step.file}", levelled, step.volume, "recording")

    def breathe(self, step: Breathe) -> None:
        """Breathing cycles; every phase lasts exactly its seconds, whatever is spoken in it."""
        phases = (("in", step.inhale), ("hold", step.hold), ("out", step.exhale),
                  ("hold_out", step.hold_out))
        for _ in range(step.cycles):
            for phase, seconds in phases:
                length = _samples(seconds)
                if length == 0:
                    continue
                span = _Span(length)
                if step.cue in ("voice", "both"):
                    request = self.request(BREATH_WORDS[phase])
                    clip = self.speech(request)
                    if self.real_clips and len(clip) > length:
                        self.fail(step.where, f"the spoken cue '{request.text}' lasts "
                                  f"{len(clip) / SAMPLE_RATE:.1f}s, longer than the "
                                  f"{format_duration(seconds)} '{phase}' phase; lengthen the phase "
                                  "or use 'cue: tone'")
                    key = _speech_key(request)
                    self.clips[key] = clip
                    span.events.append((0, _SoundEvent(key, 1.0, "speech")))
                    span.events.append((0, _CueEvent(request.text, len(clip))))
                if step.cue in ("tone", "both") and phase in ("in", "out"):
                    key = f"tone:{phase}:{length}"
                    self.clips[key] = breath_tone(phase == "in", length)
                    span.events.append((0, _SoundEvent(key, 1.0, "tone")))
                self.spans.append(span)

    def silence(self, step: Silence) -> None:
        """A timed sit; interval chimes ring inside it without changing its length."""
        total = _samples(step.duration)
        if step.bells_every is None:
            self.spans.append(_Span(total))
            return
        clip = self.chime_clip(step.chime, step.where)
        interval = _samples(step.bells_every)
        span = _Span(total)
        if clip is not None:
            key = f"chime:{step.chime}"
            self.clips[key] = clip
            # Only bells that have fallen under the bed before the sit ends: none rings into
            # the words after it.
            ring = self.ring(clip, 1.0)
            span.events.extend((offset, _SoundEvent(key, 1.0, "chime"))
                               for offset in range(interval, total - ring + 1, interval))
        self.spans.append(span)


# -- public entry points --------------------------------------------------------------------------


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

    layout = _Layout(script, record, real_clips=False)
    layout.walk(script.steps if steps is None else steps)
    return list(seen)


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
        seconds = max(len(request.text), 4) / (ESTIMATED_CHARS_PER_SECOND * request.rate)
        return np.zeros(_samples(seconds), dtype=np.float32)

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
    layout = _Layout(script, speech, real_clips)
    layout.check_bed(script.ambient.sound, script.ambient.where or Where(str(script.source)))
    layout.walk(steps)
    if layout.problems:
        raise ScriptError(layout.problems)
    solving = script.length is not None and steps is script.steps
    if ending:
        closing = _closing_quiet(layout, shortest=solving)
        if closing:
            layout.spans.append(_Span(closing))
    if solving and script.length is not None:
        solve_length(layout.spans, _samples(script.length), str(script.source))
    total = sum(span.samples for span in layout.spans)
    if total > _samples(MAX_SESSION_SECONDS):
        raise ScriptError([Problem(str(script.source), 0, 0,
                                   f"the session lasts {format_duration(total / SAMPLE_RATE)}; "
                                   f"the limit is {format_duration(MAX_SESSION_SECONDS)}")])
    return _place(script, layout, total, estimated=not real_clips)


def _closing_quiet(layout: _Layout, shortest: bool) -> int:
    """Frames to add after the last step so every sound rings out in full, then END_QUIET of silence.

    A chime lets the next step start while it rings, so the last one would be cut off. With
    `shortest` (a target length is being solved), flexible spans count at their shortest: the
    most any sound can run past the end, so the quiet reserved is enough whatever the solver does.
    """
    position = 0
    last_sound_end = 0
    for span in layout.spans:
        for offset, event in span.events:
            if isinstance(event, _SoundEvent):
                last_sound_end = max(last_sound_end, position + offset + len(layout.clips[event.clip]))
        position += span.low if shortest and span.flexible else span.samples
    return max(0, last_sound_end + _samples(END_QUIET) - position)


def solve_length(spans: list[_Span], target: int, name: str) -> None:
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
    # Water-filling: scale every free span in proportion to its written length; clamp the ones
    # that hit a bound and spread what is left over the rest, until nothing more clamps.
    # Zero-length flexible pauses only: share the time out equally instead.
    weights = {id(span): float(span.samples) for span in flexible}
    if not any(weights.values()):
        weights = dict.fromkeys(weights, 1.0)
    free = list(flexible)
    values: dict[int, float] = {}
    budget = float(target - fixed)
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
    # Whole samples: round down, then give the leftover samples to the largest remainders.
    floors = {key: math.floor(value) for key, value in values.items()}
    leftover = target - fixed - sum(floors.values())
    by_remainder = sorted(values, key=lambda key: values[key] - floors[key], reverse=True)
    for key in by_remainder[:leftover]:
        floors[key] += 1
    for span in flexible:
        span.samples = floors[id(span)]


def _place(script: Script, layout: _Layout, total: int, estimated: bool) -> Timeline:
    """Absolute positions for every span's events."""
    starts = np.concatenate(([0], np.cumsum([span.samples for span in layout.spans]))).astype(int)
    sounds: list[Sound] = []
    chapters: list[Chapter] = []
    cues: list[Cue] = []
    beds: list[BedChange] = []
    for span, start in zip(layout.spans, starts, strict=False):
        for offset, event in span.events:
            at = int(start) + offset
            if isinstance(event, _SoundEvent):
                sounds.append(Sound(at, event.clip, event.gain, event.kind))
            elif isinstance(event, _CueEvent):
                cues.append(Cue(at, at + event.length, event.text))
            elif isinstance(event, _ChapterEvent):
                chapters.append(replace(event.chapter, start=at))
            else:
                beds.append(BedChange(at, event.sound, event.crossfade))
    marks = tuple(
        StepMark(int(starts[r.first]), int(starts[r.end] - starts[r.first]), r.kind, r.label, r.where, r.written)
        for r in layout.steps
    )
    sounds.sort(key=lambda sound: sound.start)
    ends = [chapter.start for chapter in chapters[1:]] + [total]
    return Timeline(
        title=script.title, length=total, sounds=tuple(sounds), clips=layout.clips, steps=marks,
        chapters=tuple(replace(chapter, end=end) for chapter, end in zip(chapters, ends, strict=False)),
        cues=tuple(cues), ambient=script.ambient, bed_changes=tuple(beds),
        estimated=estimated,
    )


def _samples(seconds: float) -> int:
    """Seconds to whole samples at the timeline's rate."""
    return round(seconds * SAMPLE_RATE)


def _speech_key(request: SpeechRequest) -> str:
    """The clip key of a spoken line."""
    return f"speech:{request.voice}:{request.rate}:{request.volume}:{request.text}"


def _kind(step: Step) -> str:
    """A step's name as written in scripts."""
    return {Say: "say", Pause: "pause", Chapter: "chapter", Chime: "chime", Breathe: "breathe",
            Play: "play", AmbientChange: "ambient", Silence: "silence"}[type(step)]


def _label(step: Step) -> str:
    """A short description of a step for listings."""
    if isinstance(step, Say):
        return step.text
    if isinstance(step, Pause):
        return format_duration(step.seconds)
    if isinstance(step, Chapter):
        return step.title
    if isinstance(step, Chime):
        return step.sound
    if isinstance(step, Breathe):
        return (f"in {step.inhale:g}, hold {step.hold:g}, out {step.exhale:g}, "
                f"hold {step.hold_out:g} x{step.cycles}, cue {step.cue}")
    if isinstance(step, Play):
        return str(step.file)
    if isinstance(step, AmbientChange):
        return step.sound or "none"
    if isinstance(step, Silence):
        every = f", a chime every {format_duration(step.bells_every)}" if step.bells_every else ""
        return format_duration(step.duration) + every
    return ""
