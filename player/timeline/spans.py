"""Spans: the layout before placement (stretches of time holding events), and their placement in samples."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from player.script.model import AmbientSettings, Chapter, Where
from player.timeline.model import BedChange, Clip, Cue, Sound, StepMark, Timeline


@dataclass(frozen=True)
class SoundEvent:
    """A clip starts."""

    clip: str
    gain: float
    kind: str


@dataclass(frozen=True)
class CueEvent:
    """A transcript line starts, lasting `length` samples."""

    text: str
    length: int


@dataclass(frozen=True)
class ChapterEvent:
    """A chapter starts."""

    chapter: Chapter


@dataclass(frozen=True)
class BedEvent:
    """The ambient bed changes."""

    sound: str | None
    crossfade: int


Event = SoundEvent | CueEvent | ChapterEvent | BedEvent


@dataclass
class Span:
    """A stretch of time; flexible spans may change length when a target length is set."""

    samples: int
    low: int = 0
    high: int = 0
    flexible: bool = False
    events: list[tuple[int, Event]] = field(default_factory=list)
    """(offset in samples from the span's start, event)."""


@dataclass
class StepRange:
    """A step's spans, first to one past the last."""

    kind: str
    label: str
    where: Where
    first: int
    end: int = 0
    written: float | None = None


@dataclass(frozen=True)
class Laid:
    """A laid-out session: its spans, the steps over them and the clips they play."""

    title: str
    ambient: AmbientSettings
    spans: list[Span]
    steps: list[StepRange]
    clips: dict[str, Clip]


def place(laid: Laid, total: int, estimated: bool) -> Timeline:
    """Absolute positions for every span's events."""
    starts = np.concatenate(([0], np.cumsum([span.samples for span in laid.spans]))).astype(int)
    sounds: list[Sound] = []
    chapters: list[Chapter] = []
    cues: list[Cue] = []
    beds: list[BedChange] = []
    for span, start in zip(laid.spans, starts, strict=False):
        for offset, event in span.events:
            at = int(start) + offset
            if isinstance(event, SoundEvent):
                sounds.append(Sound(at, event.clip, event.gain, event.kind))
            elif isinstance(event, CueEvent):
                cues.append(Cue(at, at + event.length, event.text))
            elif isinstance(event, ChapterEvent):
                chapters.append(replace(event.chapter, start=at))
            else:
                beds.append(BedChange(at, event.sound, event.crossfade))
    marks = tuple(
        StepMark(int(starts[r.first]), int(starts[r.end] - starts[r.first]), r.kind, r.label, r.where, r.written)
        for r in laid.steps
    )
    sounds.sort(key=lambda sound: sound.start)
    ends = [chapter.start for chapter in chapters[1:]] + [total]
    return Timeline(
        title=laid.title, length=total, sounds=tuple(sounds), clips=laid.clips, steps=marks,
        chapters=tuple(replace(chapter, end=end) for chapter, end in zip(chapters, ends, strict=False)),
        cues=tuple(cues), ambient=laid.ambient, bed_changes=tuple(beds),
        estimated=estimated,
    )
