"""Every folder kept between runs lives under one root, chosen in one place (player/paths.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from player import paths
from player.cli.crash import save_report
from player.sounds.loops import _cache_path
from player.voices.cache import ClipCache


def test_every_folder_is_under_practice_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRACTICE_CACHE_DIR", str(tmp_path))
    assert paths.cache_root() == tmp_path
    assert ClipCache().folder == tmp_path / "speech"
    assert _cache_path("rain").parent == tmp_path / "beds"
    assert paths.piper_folder() == tmp_path / "piper"
    report = save_report(RuntimeError("boom"), ["practice", "x"])
    assert report is not None and report.parent == tmp_path / "reports"


def test_without_the_variable_the_user_folders_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRACTICE_CACHE_DIR", raising=False)
    assert paths.cache_root().name == "practice-player"
    assert paths.speech_folder().parent == paths.cache_root()
    assert "practice-player" in paths.reports_folder().parts
