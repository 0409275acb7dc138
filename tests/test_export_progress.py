"""Progress counts real work: mastering's passes and the encode, evenly, ending exactly at the total."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

import player.cli.exporting
import player.cli.options
from player.cli.commands import cli
from player.export import ExportOptions, export, work_for
from player.export.master import speech_spans
from player.export.progress import Progress, scaled
from player.render.mixer import BLOCK_FRAMES, Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
SCRIPT = """
title: Steady
steps:
  - say: Notice your feet on the floor. Breathe in, and out.
  - pause: 4
  - say: You are here, now.
  - pause: 3
"""


def test_a_phase_ends_exactly_at_its_plan() -> None:
    seen: list[int] = []
    progress = Progress(seen.append)
    with progress.phase(10) as step:
        step(3)
        step(4)
        step(-2)  # never backwards
    with progress.phase(5) as step:
        step(7)  # a correcting pass reports nothing past the plan
    assert seen == [3, 4, 3, 5]
    assert progress.done == 15


def test_a_scaled_reporter_spreads_its_work_evenly_over_its_share() -> None:
    seen: list[int] = []
    report = scaled(seen.append, 100, 7)
    for _ in range(9):
        report(1)
    assert all(step > 0 for step in seen)
    assert sum(seen) == 100
    assert max(seen) <= 15


@pytest.mark.real
def test_export_reports_mastering_and_encoding_in_steady_steps(write_script: WriteScript, tmp_path: Path,
                                                               fake_speaker: Speaker) -> None:
    timeline = compile_timeline(load_script(write_script(SCRIPT)), fake_speaker)
    mixer = Mixer(timeline)
    speech = sum(end - start for start, end in speech_spans(mixer))
    options = ExportOptions(format="wav")
    assert work_for(timeline, options) == timeline.length + 2 * speech
    assert work_for(timeline, ExportOptions(format="wav", master=False)) == timeline.length
    seen: list[int] = []
    export(mixer, tmp_path / "steady.wav", options, advance=seen.append)
    assert sum(seen) == work_for(timeline, options)
    assert all(0 < step <= BLOCK_FRAMES for step in seen)


@pytest.mark.real
def test_a_batch_bar_rises_evenly_to_its_total(write_script: WriteScript, tmp_path: Path, fake_speaker: Speaker,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    bars: list[tuple[int, list[int]]] = []

    @contextmanager
    def recorded(label: str, total: int, enabled: bool = True) -> Iterator[Callable[[int], None]]:
        seen: list[int] = []
        bars.append((total, seen))
        yield seen.append

    monkeypatch.setattr(player.cli.exporting, "progress_bar", recorded)
    monkeypatch.setattr(player.cli.exporting, "speaker_for", lambda script: fake_speaker)
    monkeypatch.setattr(player.cli.options, "speaker_for", lambda script: fake_speaker)
    first = write_script(SCRIPT, "first.yaml")
    second = write_script(SCRIPT.replace("pause: 4", "pause: 40"), "second.yaml")
    result = CliRunner().invoke(cli, ["export", str(first), str(second), "-d", str(tmp_path / "out"),
                                      "--no-reorient", "--format", "wav"])
    assert result.exit_code == 0, result.output
    [(total, seen)] = bars
    assert all(step > 0 for step in seen)
    assert sum(seen) == total
    assert max(seen) <= total / 20  # no jump: each step is a block's share of one script's work
