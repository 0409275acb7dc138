"""One safe write for exports, caches, plots and the studio: beside the name, then renamed."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

import player.export
from player import atomic
from player.atomic import save_bytes, staged, write_bytes
from player.errors import ExportError
from player.studio.workspace import StudioError, atomic_write


def test_a_staged_write_replaces_the_file_only_when_it_completes(tmp_path: Path) -> None:
    path = tmp_path / "kept.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), staged(path) as temporary:
        temporary.write_text("half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]


def test_without_overwrite_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "kept.txt"
    path.write_text("old")
    with pytest.raises(FileExistsError), staged(path, overwrite=False) as temporary:
        temporary.write_text("new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]


def test_a_cache_write_that_fails_is_quiet_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert save_bytes(blocker / "entry.bin", b"x") is False
    assert save_bytes(tmp_path / "deep" / "entry.bin", b"x") is True
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["entry.bin"]


def test_exports_and_the_studio_go_through_the_same_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(temporary: Path, path: Path, overwrite: bool = True) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(player.export, "move_into_place", full)
    with (pytest.raises(ExportError, match=r"cannot write .*out\.txt: No space left on device"),
          player.export._staged(tmp_path / "out.txt", "txt", overwrite=False) as temporary):
        temporary.write_text("x")
    monkeypatch.setattr(atomic, "move_into_place", full)
    with pytest.raises(StudioError, match=r"cannot write a\.yaml: No space left on device"):
        atomic_write(tmp_path / "a.yaml", b"title: x\n")
    assert list(tmp_path.iterdir()) == []
