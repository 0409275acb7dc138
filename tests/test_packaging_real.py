"""A clean build: the wheel is built without a single setuptools warning and holds every file the
program reads (built-in scripts, the cover, templates, the schema, the studio's page)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.real
ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {"player": "player", "scripts": "player/builtin", "audio": "player/builtin_audio"}
"""Repository folder -> where its files sit in the wheel."""


def tracked(*folders: str) -> list[str]:
    """The repository's own files (git's list: no caches, no build output)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know which files are the project's")
    return subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", *folders], capture_output=True, text=True,
                          check=True).stdout.split("\0")[:-1]


def expected_in_wheel() -> list[str]:
    """The repository's files under SHIPPED's folders, named where the wheel should hold them."""
    expected = []
    for name in tracked(*SHIPPED):
        folder, _, rest = name.partition("/")
        if folder == "scripts" and not rest.endswith(".yaml"):
            continue  # only the practices ship from scripts/
        expected.append(f"{SHIPPED[folder]}/{rest}")
    return expected


def test_the_wheel_builds_without_warnings_and_holds_every_data_file(tmp_path: Path) -> None:
    expected = expected_in_wheel()
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    for name in tracked():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "dist"),
                           str(source)], capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    warnings = [line for line in output.splitlines() if "warn" in line.lower()]
    assert warnings == []
    (wheel,) = (tmp_path / "dist").glob("practice_player-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in expected if name not in names] == []
    assert "player/builtin/five-senses.yaml" in names and "player/studio/static/index.html" in names
