"""One chapter type from the script to the tags: written, placed, then written into the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from player import SAMPLE_RATE
from player.export import metadata_for
from player.export.tags import ffmetadata_chapters
from player.script.loader import load_script
from player.script.model import Chapter
from player.timeline.compile import compile_timeline, delayed
from player.voices import Speaker

WriteScript = Callable[..., Path]
SCRIPT = """
title: Rooms
steps:
  - say: Welcome.
  - chapter: Arriving
  - pause: 2
  - chapter: Leaving
  - say: Goodbye.
"""


def test_the_timeline_places_the_scripts_own_chapters(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script(SCRIPT)
    script = load_script(path)
    timeline = compile_timeline(script, fake_speaker)
    first, second = timeline.chapters
    assert all(isinstance(chapter, Chapter) for chapter in timeline.chapters)
    assert (first.title, first.where.line) == ("Arriving", 4)
    assert (second.title, second.where.line) == ("Leaving", 6)
    assert 0 < first.start < first.end == second.start < second.end == timeline.length
    assert second.start - first.start == 2 * SAMPLE_RATE
    assert first.start_ms == round(first.start * 1000 / SAMPLE_RATE)
    assert metadata_for(script, timeline).chapters == timeline.chapters


def test_a_delay_moves_chapter_ends_too(write_script: WriteScript, fake_speaker: Speaker) -> None:
    timeline = compile_timeline(load_script(write_script(SCRIPT)), fake_speaker)
    later = delayed(timeline, 0, SAMPLE_RATE)
    assert [(c.start, c.end) for c in later.chapters] == [
        (c.start + SAMPLE_RATE, c.end + SAMPLE_RATE) for c in timeline.chapters]
    assert later.chapters[-1].end == later.length


def test_tags_write_the_placed_chapter_in_milliseconds() -> None:
    chapter = Chapter("Arriving", start=4 * SAMPLE_RATE, end=9 * SAMPLE_RATE)
    text = ffmetadata_chapters((chapter,), "Opening")
    assert "START=0\nEND=4000\ntitle=Opening" in text
    assert "START=4000\nEND=9000\ntitle=Arriving" in text
