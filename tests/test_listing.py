"""`practice show` reads typed rows from the core, never a label it has to parse."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from player.cli.commands import cli
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.timeline.listing import Row, rows
from player.voices import Speaker

WriteScript = Callable[..., Path]
SCRIPT = """
title: Rows
length: 30s
steps:
  - chapter: Start
  - say: Notice the flexible pause that follows.
  - pause: {seconds: 5, flexible: true}
  - pause: 2
"""


def test_rows_carry_times_kinds_and_a_flexible_pause_as_written(write_script: WriteScript,
                                                                 fake_speaker: Speaker) -> None:
    timeline = compile_timeline(load_script(write_script(SCRIPT)), fake_speaker)
    listed = rows(timeline)
    assert [row.kind for row in listed] == ["chapter", "say", "pause", "pause"]
    chapter, say, flexible, fixed = listed
    assert chapter == Row(0.0, 0.0, "chapter", "Start")
    assert say.text == "Notice the flexible pause that follows." and not say.flexible
    assert flexible.flexible and flexible.written == 5.0
    assert flexible.seconds > 10.0  # stretched from 5 s so the session lasts 30 s
    assert fixed.text == "2.0s" and fixed.written is None and fixed.seconds == pytest.approx(2.0)
    assert flexible.start == pytest.approx(say.start + say.seconds)
    assert fixed.start == pytest.approx(flexible.start + flexible.seconds)


def test_show_prints_the_rows(write_script: WriteScript, fake_speaker: Speaker,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    import player.cli.options

    monkeypatch.setattr(player.cli.options, "speaker_for", lambda script: fake_speaker)
    result = CliRunner().invoke(cli, ["show", str(write_script(SCRIPT))])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "00:00.0  == Start ==" in lines
    assert "00:00.0  say      Notice the flexible pause that follows." in lines
    assert any(line.endswith("(flexible, written 5.0s)") and " pause " in line for line in lines)
    assert "1 chapter; total 00:30.0 (1,323,000 samples at 44100 Hz)" in lines
