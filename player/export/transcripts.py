"""Transcripts beside an export: WebVTT, SubRip and LRC, one cue per spoken sentence.

Cue times come from the Timeline (where each sentence's audio starts and ends); the text is
as the author wrote it, with `{vars}` filled in and pause markers removed.

Written here rather than with `srt` and `webvtt-py` (the tests' independent readers): neither
escapes cue text (webvtt-py writes `<` and `&` as they are, so a reader takes `<slowly>` for
a tag and drops it), so they would add two runtime dependencies and still need the escaping,
the one-line rule and the title header done here. What the formats need is small: a cue's text
on one line (a blank line or a line holding `-->` would end or break a cue; text arrives
free of control characters), VTT's `&`, `<` and `>` as character references, and clock
times whose hours simply grow past 99 (a session is at most 4 h anyway).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the timeline (numpy) is not needed to name the transcript kinds
    from player.timeline.model import Cue, Timeline

TRANSCRIPTS = ("vtt", "srt", "lrc")


def _clock(seconds: float, separator: str) -> str:
    """HH:MM:SS.mmm (VTT) or HH:MM:SS,mmm (SRT)."""
    milliseconds = round(seconds * 1000)
    whole, ms = divmod(milliseconds, 1000)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _one_line(text: str) -> str:
    """Cue text on one line (a blank line would end a VTT or SRT cue early)."""
    return " ".join(text.split())


def webvtt(timeline: Timeline, title: str) -> str:
    """WebVTT: a header naming the practice, then timed cues."""
    rate = timeline.sample_rate
    header = "WEBVTT" + (f" - {_one_line(title)}" if title else "")
    blocks = [header]
    for cue in _spoken(timeline.cues):
        # Character references keep the author's words exact: `a < b`, `R&R` and `-->` read back as written.
        text = html.escape(_one_line(cue.text), quote=False)
        blocks.append(f"{_clock(cue.start / rate, '.')} --> {_clock(cue.end / rate, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def subrip(timeline: Timeline, title: str) -> str:
    """SubRip: numbered cues with comma decimal separators."""
    rate = timeline.sample_rate
    blocks = []
    for number, cue in enumerate(_spoken(timeline.cues), start=1):
        blocks.append(f"{number}\n{_clock(cue.start / rate, ',')} --> {_clock(cue.end / rate, ',')}\n"
                      f"{_one_line(cue.text)}")
    return "\n\n".join(blocks) + "\n"


def lrc(timeline: Timeline, title: str, artist: str = "") -> str:
    """LRC lyrics: [mm:ss.xx] before each line, so music players scroll the words along."""
    rate = timeline.sample_rate
    lines = []
    if title:
        lines.append(f"[ti:{_one_line(title)}]")
    if artist:
        lines.append(f"[ar:{_one_line(artist)}]")
    total = timeline.length / rate
    lines.append(f"[length:{int(total // 60):02d}:{int(total % 60):02d}]")
    for cue in _spoken(timeline.cues):
        centiseconds = round(cue.start / rate * 100)
        minutes, rest = divmod(centiseconds, 6000)
        lines.append(f"[{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}]{_one_line(cue.text)}")
    return "\n".join(lines) + "\n"


def _spoken(cues: Sequence[Cue]) -> list[Cue]:
    """Cues with words in them."""
    return [cue for cue in cues if cue.text.strip()]


WRITERS: dict[str, Callable[[Timeline, str, str], str]] = {
    "vtt": lambda timeline, title, artist: webvtt(timeline, title),
    "srt": lambda timeline, title, artist: subrip(timeline, title),
    "lrc": lrc,
}


def transcript(kind: str, timeline: Timeline, title: str, artist: str = "") -> str:
    """One transcript's text."""
    return WRITERS[kind](timeline, title, artist)
