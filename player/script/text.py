"""Splitting a `say` text into what is spoken: sentences, inline `[pause 2s]` markers, ellipses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from player.script.durations import format_duration, parse_duration
from player.script.schema import STEP_FORMS, number_problem
from player.voices.textprep import ends_with_abbreviation

ELLIPSIS_PAUSE = 0.7
"""Seconds of quiet an ellipsis inside a line stands for ("Breathe in... and out")."""

BREATH_PAUSE = 0.45
"""Seconds of quiet at a comma, semicolon, colon or spaced dash inside a sentence.

A breath, so a list does not run together; longer than the 0.35 s a listener (and ffmpeg's
silencedetect in the pace test) hears as a pause, shorter than the gap between sentences.
"""

_PAUSE_MARK = re.compile(r"\[\s*pause\s+([^\]]*)\]", re.IGNORECASE)
# A sentence ends at . ! or ? (and any closing quote or bracket) before a capital, digit or
# quote, unless the word before is an abbreviation such as "Dr." or "e.g.".
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[A-Z0-9\"'(])")
# A breath after , ; : or a dash (hyphen, en or em dash) with spaces around it (not inside "1,200" or "10:30").
_BREATH = re.compile(r"(?:(?<=[,;:])|(?<=\s[-\u2013\u2014]))\s+(?=\S)")
_TRAILING_DASH = re.compile(r"\s+[-\u2013\u2014]$")
# An ellipsis followed by more words: the words after it come after a short pause.
_ELLIPSIS_BREAK = re.compile(r"(?:\.\.\.+|…)(?=\s+\S)")
_WORD = re.compile(r"\w")
"""A sentence is spoken only if it holds a letter or a digit."""


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
            seconds = parse_duration(match.group(1).strip())
            problem = number_problem(seconds, STEP_FORMS["pause"].fields["seconds"], format_duration)
            if problem is not None:
                raise ValueError(f"a pause {problem} (the limit for a single pause is 1 h)")
            parts.append(InlinePause(seconds))
        except ValueError as error:
            raise ValueError(f"inline {match.group(0)}: {error}") from None
        position = match.end()
    parts.extend(_sentences(text[position:]))
    return parts


def _sentences(chunk: str) -> list[Spoken | InlinePause]:
    """The sentences of a stretch of text without markers; an ellipsis inside one is a short pause.

    Each Spoken keeps its text as written (the ellipsis stays in the transcript).
    """
    parts: list[Spoken | InlinePause] = []
    text = " ".join(chunk.split())
    if not _WORD.search(text):
        return parts  # punctuation alone ("...", "?") says nothing: no engine is asked to speak it
    start = 0
    for match in _ELLIPSIS_BREAK.finditer(text):
        parts.extend(_split_sentences(text[start:match.end()]))
        if parts:
            parts.append(InlinePause(ELLIPSIS_PAUSE))
        start = match.end()
    parts.extend(_split_sentences(text[start:]))
    return parts


def _split_sentences(text: str) -> list[Spoken | InlinePause]:
    """Sentences of text with no markers or inner ellipses."""
    sentences: list[Spoken | InlinePause] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if ends_with_abbreviation(text[start:match.start()]):
            continue
        if _WORD.search(text[start:match.start()]):
            sentences.append(Spoken(text[start:match.start()].strip()))
        start = match.end()
    if _WORD.search(text[start:]):
        sentences.append(Spoken(text[start:].strip()))
    return sentences


def breath_groups(sentence: str) -> list[str]:
    """A sentence cut where a reader breathes: after commas, semicolons, colons and spaced dashes.

    Each piece keeps its punctuation, so the engine still gives it a continuing intonation (a
    dash becomes a comma: an engine may read a lone dash aloud).
    """
    pieces = [piece.strip() for piece in _BREATH.split(sentence) if piece.strip()]
    return [_TRAILING_DASH.sub(",", piece) for piece in pieces]


def strip_markers(text: str) -> str:
    """The text as a listener reads it in a transcript: markers removed, spaces tidied."""
    return " ".join(_PAUSE_MARK.sub(" ", text).split())
