"""Splitting a `say` text into what is spoken: sentences and inline `[pause 2s]` markers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from player.durations import parse_duration

_PAUSE_MARK = re.compile(r"\[\s*pause\s+([^\]]*)\]", re.IGNORECASE)
# A sentence ends at . ! or ? (and any closing quote or bracket) before a capital, digit or
# quote; "Breathe in... and out" stays one line, so the engine reads it as one breath.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Spoken:
    """A sentence to synthesize."""

    text: str


@dataclass(frozen=True)
class InlinePause:
    """A `[pause 2s]` marker: seconds of quiet inside a say."""

    seconds: float


def split_say(text: str) -> list[Spoken | InlinePause]:
    """Sentences and inline pauses in order; raises ValueError for a marker that is not a duration."""
    parts: list[Spoken | InlinePause] = []
    position = 0
    for match in _PAUSE_MARK.finditer(text):
        parts.extend(_sentences(text[position:match.start()]))
        try:
            parts.append(InlinePause(parse_duration(match.group(1).strip())))
        except ValueError as error:
            raise ValueError(f"inline {match.group(0)}: {error}") from None
        position = match.end()
    parts.extend(_sentences(text[position:]))
    return parts


def _sentences(chunk: str) -> list[Spoken | InlinePause]:
    """The sentences of a stretch of text without markers."""
    return [Spoken(s.strip()) for s in _SENTENCE_END.split(" ".join(chunk.split())) if s.strip()]


def strip_markers(text: str) -> str:
    """The text as a listener reads it in a transcript: markers removed, spaces tidied."""
    return " ".join(_PAUSE_MARK.sub(" ", text).split())
