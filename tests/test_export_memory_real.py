"""A mastered export's memory does not grow with the session's length.

Python's own allocation tracer (numpy reports its arrays to it) follows the export of a 6- and
a 24-minute session through the real encoder, parts and sampled check: the longer one may not
need more than a few MB more. A mask of the whole session once cost 63 MB at 24 minutes and
0.3 GB at two hours.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from player.export import ExportOptions, export
from player.export.sampled import check_sampled
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine

pytestmark = pytest.mark.real


def session(folder: Path, minutes: int) -> Mixer:
    """A session of `minutes`: a short line, then a minute's pause, over a bed."""
    steps = "\n".join(f"  - say: Moment {index}. Notice one breath.\n  - pause: 55" for index in range(minutes))
    path = folder / f"long-{minutes}.yaml"
    path.write_text(f"title: Long\nvoice: {{engine: system}}\nambient: {{sound: rain, level: -20}}\nsteps:\n{steps}\n",
                    encoding="utf-8")
    return Mixer(compile_timeline(load_script(path), Speaker(open_engine("system"))))


def peaks_megabytes(mixer: Mixer, out: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[float, float]:
    """The most Python and numpy held at once while the session was exported, and what the
    check of the written file added to what was held when it began, in MB."""
    checks: list[float] = []

    def measured_check(*args, **kwargs):  # type: ignore[no-untyped-def]
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        try:
            return check_sampled(*args, **kwargs)
        finally:
            checks.append(tracemalloc.get_traced_memory()[1] - held)
            tracemalloc.reset_peak()

    monkeypatch.setattr("player.export.parts.check_sampled", measured_check)
    whole = []
    tracemalloc.start()
    try:
        result = export(mixer, out, ExportOptions())
        whole.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
    assert result.final is not None and result.final.margin > 0  # in parts, checked at places
    return whole[0] / 1e6, checks[0] / 1e6


def test_a_mastered_export_holds_no_more_for_a_longer_session(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("player.export.parts.available_cores", lambda: 2)
    short, long = session(tmp_path, 6), session(tmp_path, 24)
    assert long.length > 3.9 * short.length
    short_whole, short_check = peaks_megabytes(short, tmp_path / "short.mp3", monkeypatch)
    long_whole, long_check = peaks_megabytes(long, tmp_path / "long.mp3", monkeypatch)
    # The check reads at most a set number of places, whatever the length (how many of them
    # merge into one decoded range varies by a few MB: 18 and 27 MB were seen). A mask of the
    # whole session added 53 MB here.
    assert long_check < short_check + 20, (short_check, long_check)
    # The longer session holds more spoken lines (a few MB), and nothing in step with its length.
    assert long_whole < short_whole + 30, (short_whole, long_whole)
