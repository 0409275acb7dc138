"""Cue text reaches a subtitle reader exactly as written: VTT's markup characters escaped,
SRT's as they are, each cue on one line. Read back by webvtt-py and srt."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from pathlib import Path

import srt
import webvtt

from player.export.transcripts import transcript
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
WORDS = ["Breathe <slowly> & gently.", "In --> out, a < b > c.", "R&amp;R is four characters."]


def test_cue_text_reads_back_as_written(write_script: WriteScript, fake_speaker: Speaker) -> None:
    steps = "".join(f"  - say: {line!r}\n" for line in WORDS)
    timeline = compile_timeline(load_script(write_script(f"title: Marks\nsteps:\n{steps}")), fake_speaker)
    vtt = transcript("vtt", timeline, "Marks")
    captions = webvtt.from_buffer(io.StringIO(vtt)).captions
    # A reader that takes `<slowly>` for a tag drops it; character references keep it.
    assert [html.unescape(caption.text) for caption in captions] == WORDS
    assert all(len(caption.lines) == 1 for caption in captions)
    assert [subtitle.content for subtitle in srt.parse(transcript("srt", timeline, "Marks"))] == WORDS

