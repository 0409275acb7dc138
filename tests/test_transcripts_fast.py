"""Transcripts read back by their own parsers (webvtt-py, srt, a plain LRC pattern), against where the audio is.

The fake voice speaks each sentence as a tone of known length, so where each sentence sounds
in the mixed samples is known without the timeline's own cue list.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import srt
import webvtt

from player import SAMPLE_RATE
from player.export.transcripts import transcript
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.timeline.model import Timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
SCRIPT = """
title: Words --> here
steps:
  - say: Welcome, {name}.
  - pause: 2
  - say: "Notice your breath.  Feel your feet."
  - pause: 61
  - say: "A line\\nbroken --> in two."
"""
TEXTS = ["Welcome, Sam.", "Notice your breath.", "Feel your feet.", "A line broken --> in two."]


def spoken_spans(timeline: Timeline) -> list[tuple[float, float]]:
    """(start, end) in seconds of each stretch of sound in the mix (the fake voice is a steady tone)."""
    audio = np.concatenate(list(Mixer(timeline).blocks()))[:, 0]
    loud = np.abs(audio) > 1e-4
    edges = np.flatnonzero(np.diff(np.concatenate(([0], loud.astype(np.int8), [0]))))
    spans = list(zip(edges[::2], edges[1::2], strict=True))
    # Join the gaps inside one tone (zero crossings) and the breaths at commas inside one
    # sentence (0.45 s), and keep the gaps between sentences (0.8 s and more).
    joined: list[list[int]] = []
    for start, end in spans:
        if joined and start - joined[-1][1] < 0.6 * SAMPLE_RATE:
            joined[-1][1] = end
        else:
            joined.append([start, end])
    return [(start / SAMPLE_RATE, end / SAMPLE_RATE) for start, end in joined]


@pytest.fixture
def timeline(write_script: WriteScript, fake_speaker: Speaker) -> Timeline:
    """The script above, spoken by the fake voice, with name=Sam."""
    script = load_script(write_script(SCRIPT.replace("{name}", "Sam")))
    return compile_timeline(script, fake_speaker)


def test_vtt_and_srt_cues_are_the_sentences_where_they_sound(timeline: Timeline) -> None:
    heard = spoken_spans(timeline)
    assert len(heard) == len(TEXTS)
    vtt = webvtt.from_buffer(io.StringIO(transcript("vtt", timeline, "Words --> here")))
    subtitles = list(srt.parse(transcript("srt", timeline, "Words --> here")))
    assert [html.unescape(cue.text) for cue in vtt.captions] == TEXTS
    assert [subtitle.content for subtitle in subtitles] == TEXTS
    assert [subtitle.index for subtitle in subtitles] == [1, 2, 3, 4]
    for (start, end), cue, subtitle in zip(heard, vtt.captions, subtitles, strict=True):
        assert cue.start_in_seconds + cue.start_time.milliseconds / 1000 == pytest.approx(start, abs=0.0015)
        assert cue.end_in_seconds + cue.end_time.milliseconds / 1000 == pytest.approx(end, abs=0.0015)
        assert subtitle.start.total_seconds() == pytest.approx(start, abs=0.0015)
        assert subtitle.end.total_seconds() == pytest.approx(end, abs=0.0015)
    first_line = transcript("vtt", timeline, "Words --> here").splitlines()[0]
    assert first_line == "WEBVTT - Words --> here"


def test_lrc_lines_start_where_the_sentences_sound(timeline: Timeline) -> None:
    heard = spoken_spans(timeline)
    lines = transcript("lrc", timeline, "Words", "Guide").splitlines()
    assert lines[:2] == ["[ti:Words]", "[ar:Guide]"]
    total = timeline.length / SAMPLE_RATE
    assert lines[2] == f"[length:{int(total // 60):02d}:{int(total % 60):02d}]" and total > 60
    timed = [re.fullmatch(r"\[(\d\d):(\d\d)\.(\d\d)\](.*)", line) for line in lines[3:]]
    assert all(timed) and [m.group(4) for m in timed if m] == TEXTS
    for (start, _), match in zip(heard, timed, strict=True):
        assert match is not None
        seconds = int(match.group(1)) * 60 + int(match.group(2)) + int(match.group(3)) / 100
        assert seconds == pytest.approx(start, abs=0.0051)


def test_cues_late_in_a_minute_and_after_the_first_hour(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("title: Long\nsteps:\n  - say: Start.\n  - pause: 58.9\n  - say: Mid.\n  - pause: 1h\n"
                        "  - say: Later.\n")
    timeline = compile_timeline(load_script(path), fake_speaker)
    # Where each sentence's audio is placed (no need to render an hour to find it).
    starts = [sound.start / SAMPLE_RATE for sound in timeline.sounds if sound.kind == "speech"]
    assert 59 < starts[1] % 60 < 60 and starts[2] > 3600
    vtt = transcript("vtt", timeline, "")
    assert vtt.startswith("WEBVTT\n\n")  # no title, no dangling separator
    cues = webvtt.from_buffer(io.StringIO(vtt)).captions
    subtitles = list(srt.parse(transcript("srt", timeline, "")))
    lrc = transcript("lrc", timeline, "").splitlines()
    total = timeline.length / SAMPLE_RATE  # the closing second of quiet included
    assert lrc[0] == f"[length:{int(total // 60):02d}:{int(total % 60):02d}]" == "[length:61:00]"
    for start, cue, subtitle, line in zip(starts, cues, subtitles, lrc[1:], strict=True):
        assert cue.start_in_seconds + cue.start_time.milliseconds / 1000 == pytest.approx(start, abs=0.0015)
        assert subtitle.start.total_seconds() == pytest.approx(start, abs=0.0015)
        match = re.fullmatch(r"\[(\d+):(\d\d)\.(\d\d)\]\w+\.", line)
        assert match is not None, line
        seconds = int(match.group(1)) * 60 + int(match.group(2)) + int(match.group(3)) / 100
        assert seconds == pytest.approx(start, abs=0.0051)


def test_the_command_offers_exactly_the_transcripts_that_can_be_written() -> None:
    from click.testing import CliRunner

    from player.cli.commands import cli

    wrong = CliRunner().invoke(cli, ["export", "x.yaml", "--transcript", "txt"])
    assert wrong.exit_code == 2
    assert "'txt' is not one of 'vtt', 'srt', 'lrc'" in wrong.stderr
