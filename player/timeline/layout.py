"""Steps to spans: the pure layout of a session in time (no file I/O, no DSP).

Speech comes from a ClipSource and every other sound from a `Sounds` (player/sounds/prepare.py
decodes, renders and levels them); the layout only decides where each goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from player import SAMPLE_RATE
from player.errors import Problem
from player.script.durations import format_duration
from player.script.limits import FLEXIBLE_PAUSE_MAX_SECONDS
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
from player.sounds.catalog import is_builtin_chime
from player.sounds.files import AudioFileError
from player.timeline.lengths import DEFAULT_FLEX_MIN, samples
from player.timeline.model import Clip
from player.timeline.spans import BedEvent, ChapterEvent, CueEvent, Event, Laid, SoundEvent, Span, StepRange
from player.voices.base import SpeechRequest
from player.voices.textprep import speakable

BREATH_WORDS = {"in": "Breathe in", "hold": "Hold", "out": "And out", "hold_out": "Hold"}

ClipSource = Callable[[SpeechRequest], Clip]


class Sounds(Protocol):
    """Every clip besides speech, ready to place (player.sounds.prepare.PreparedSounds)."""

    def chime(self, sound: str) -> Clip:
        """A built-in chime or a chime file; AudioFileError if it cannot be used."""
        ...

    def recording(self, path: Path) -> Clip:
        """A recording trimmed and levelled; AudioFileError if it cannot be used."""
        ...

    def breath_tone(self, inhale: bool, frames: int) -> Clip:
        """The tone of an in or out breath, `frames` long."""
        ...

    def check_bed(self, sound: str | None) -> None:
        """Raise AudioFileError if a bed file cannot be used."""
        ...

    def ring(self, sound: str, clip: Clip, gain: float, ambient: AmbientSettings, at: int | None = None) -> int:
        """Frames until the chime `sound` (its `clip`) starting `at` has fallen under the bed for good."""
        ...


class Layout:
    """Turns steps into spans; `speech` supplies the clip for each line, `sounds` every other one."""

    def __init__(self, script: Script, speech: ClipSource, sounds: Sounds, real_clips: bool) -> None:
        self.script = script
        self.speech = speech
        self.sounds = sounds
        self.real_clips = real_clips
        self.spans: list[Span] = []
        self.steps: list[StepRange] = []
        self.clips: dict[str, Clip] = {}
        self.problems: list[Problem] = []

    def laid(self) -> Laid:
        """What placement needs."""
        return Laid(self.script.title, self.script.ambient, self.spans, self.steps, self.clips)

    def fail(self, where: Where, message: str) -> None:
        """Record a problem at a step."""
        self.problems.append(Problem(where.file, where.line, where.column, message))

    def gap(self, seconds: float) -> None:
        """Quiet time of a fixed length."""
        if seconds > 0:
            self.spans.append(Span(samples(seconds)))

    def place(self, key: str, clip: Clip, gain: float, kind: str, text: str | None = None,
              advance: int | None = None) -> None:
        """A clip at the current time; the next step starts `advance` frames later (default: its end)."""
        self.clips[key] = clip
        span = Span(len(clip) if advance is None else advance)
        span.events.append((0, SoundEvent(key, gain, kind)))
        if text is not None:
            span.events.append((0, CueEvent(text, len(clip))))
        self.spans.append(span)

    def marker(self, event: Event) -> None:
        """A zero-length event at the current time."""
        self.spans.append(Span(0, events=[(0, event)]))

    def walk(self, steps: Sequence[Step]) -> None:
        """Lay out steps in order, unrolling repeats."""
        for step in steps:
            if isinstance(step, Repeat):
                for _ in range(step.count):
                    self.walk(step.steps)
                continue
            written = step.seconds if isinstance(step, Pause) and step.flexible else None
            record = StepRange(kind(step), label(step), step.where, len(self.spans), written=written)
            self.steps.append(record)
            self.step(step)
            record.end = len(self.spans)

    def step(self, step: Step) -> None:
        """Lay out one step."""
        if isinstance(step, Say):
            self.say(step)
        elif isinstance(step, Pause):
            self.pause(step, self.script.pace)
        elif isinstance(step, Chapter):
            self.marker(ChapterEvent(step))
        elif isinstance(step, Chime):
            self.chime(step)
        elif isinstance(step, Breathe):
            self.breathe(step)
        elif isinstance(step, Play):
            self.recording(step)
        elif isinstance(step, AmbientChange):
            self.check_bed(step.sound, step.where)
            self.marker(BedEvent(step.sound, samples(step.crossfade)))
        elif isinstance(step, Silence):
            self.silence(step)

    def check_bed(self, sound: str | None, where: Where) -> None:
        """A bed that can be played, or a located problem."""
        try:
            self.sounds.check_bed(sound)
        except AudioFileError as error:
            self.fail(where, str(error))

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
            self.place(speech_key(request), self.speech(request), 1.0, "speech")
        if first < len(self.spans):
            length = sum(span.samples for span in self.spans[first:])
            self.spans[first].events.append((0, CueEvent(text, length)))

    def pause(self, step: Pause, pace: float) -> None:
        """A pause; a flexible one remembers how far it may shrink and stretch."""
        length = samples(step.seconds * pace)
        if not step.flexible:
            self.spans.append(Span(length))
            return
        low = step.minimum if step.minimum is not None else step.seconds * DEFAULT_FLEX_MIN
        # Without `max`, as if the limit for a single pause were written (docs/script-format.md).
        high = step.maximum if step.maximum is not None else FLEXIBLE_PAUSE_MAX_SECONDS
        self.spans.append(Span(length, low=samples(low * pace),
                               high=max(samples(high * pace), length), flexible=True))

    def chime_clip(self, sound: str, where: Where) -> Clip | None:
        """A chime's clip, or a located problem."""
        try:
            return self.sounds.chime(sound)
        except AudioFileError as error:
            self.fail(where, str(error))
            return None

    def chime(self, step: Chime) -> None:
        """A chime; a built-in one lets the next step begin once its ring has fallen under the bed."""
        clip = self.chime_clip(step.sound, step.where)
        if clip is not None:
            # A built-in chime goes on ringing beneath the next step; a file takes its whole length.
            at = sum(span.samples for span in self.spans)
            advance = (self.sounds.ring(step.sound, clip, step.volume, self.script.ambient, at)
                       if is_builtin_chime(step.sound) else None)
            self.place(f"chime:{step.sound}", clip, step.volume, "chime", advance=advance)

    def recording(self, step: Play) -> None:
        """A recorded clip (trimmed and levelled by the sounds), or a located problem."""
        try:
            clip = self.sounds.recording(step.file)
        except AudioFileError as error:
            self.fail(step.where, str(error))
            return
        self.place(f"file:{step.file}", clip, step.volume, "recording")

    def breathe(self, step: Breathe) -> None:
        """Breathing cycles; every phase lasts exactly its seconds, whatever is spoken in it."""
        phases = (("in", step.inhale), ("hold", step.hold), ("out", step.exhale),
                  ("hold_out", step.hold_out))
        for _ in range(step.cycles):
            for phase, seconds in phases:
                length = samples(seconds)
                if length == 0:
                    continue
                span = Span(length)
                if step.cue in ("voice", "both"):
                    self.breath_word(step, phase, seconds, span)
                if step.cue in ("tone", "both") and phase in ("in", "out"):
                    key = f"tone:{phase}:{length}"
                    self.clips[key] = self.sounds.breath_tone(phase == "in", length)
                    span.events.append((0, SoundEvent(key, 1.0, "tone")))
                self.spans.append(span)

    def breath_word(self, step: Breathe, phase: str, seconds: float, span: Span) -> None:
        """The spoken cue of a breathing phase, which must fit inside it."""
        request = self.request(BREATH_WORDS[phase])
        clip = self.speech(request)
        if self.real_clips and len(clip) > span.samples:
            self.fail(step.where, f"the spoken cue '{request.text}' lasts "
                      f"{len(clip) / SAMPLE_RATE:.1f}s, longer than the "
                      f"{format_duration(seconds)} '{phase}' phase; lengthen the phase "
                      "or use 'cue: tone'")
        key = speech_key(request)
        self.clips[key] = clip
        span.events.append((0, SoundEvent(key, 1.0, "speech")))
        span.events.append((0, CueEvent(request.text, len(clip))))

    def silence(self, step: Silence) -> None:
        """A timed sit; interval chimes ring inside it without changing its length."""
        total = samples(step.duration)
        if step.bells_every is None:
            self.spans.append(Span(total))
            return
        clip = self.chime_clip(step.chime, step.where)
        interval = samples(step.bells_every)
        span = Span(total)
        if clip is not None:
            key = f"chime:{step.chime}"
            self.clips[key] = clip
            # Only bells that have fallen under the bed before the sit ends: none rings into
            # the words after it.
            ring = self.sounds.ring(step.chime, clip, 1.0, self.script.ambient)
            span.events.extend((offset, SoundEvent(key, 1.0, "chime"))
                               for offset in range(interval, total - ring + 1, interval))
        self.spans.append(span)


def speech_key(request: SpeechRequest) -> str:
    """The clip key of a spoken line."""
    return f"speech:{request.voice}:{request.rate}:{request.volume}:{request.text}"


def kind(step: Step) -> str:
    """A step's name as written in scripts."""
    return {Say: "say", Pause: "pause", Chapter: "chapter", Chime: "chime", Breathe: "breathe",
            Play: "play", AmbientChange: "ambient", Silence: "silence"}[type(step)]


def label(step: Step) -> str:
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
