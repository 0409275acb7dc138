"""An export killed outright leaves temporaries; the next export to the folder removes them."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from player.export.staging import claim_temporary, remove_stale

PRACTICE = [sys.executable, "-m", "player"]


def temporaries(folder: Path) -> list[Path]:
    """Hidden files an export leaves while it works (its temporaries and their parts)."""
    return sorted(path for path in folder.iterdir() if path.name.startswith("."))


def digest(path: Path) -> str:
    """The file's content hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for_growing_temporary(folder: Path, process: subprocess.Popen[bytes]) -> None:
    """Poll until some temporary holds encoded audio (the export is mid-way)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(path.stat().st_size > 100_000 for path in temporaries(folder) if path.exists()):
            return
        assert process.poll() is None, "the export ended before it could be killed"
        time.sleep(0.05)
    raise AssertionError("the export never started writing")


@pytest.mark.real
def test_a_killed_exports_temporaries_are_removed_by_the_next_export(tmp_path: Path) -> None:
    old = tmp_path / "timer.mp3"
    subprocess.run([*PRACTICE, "timer", "10s", "-o", str(old)], check=True, capture_output=True, timeout=120)
    before = digest(old)
    # Long enough to be split into parts on every core (the 38 MB leftovers of the issue).
    killed = subprocess.Popen([*PRACTICE, "timer", "30m", "-o", str(old), "--force"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_growing_temporary(tmp_path, killed)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
    assert temporaries(tmp_path), "SIGKILL should have left the temporaries behind"
    assert digest(old) == before

    subprocess.run([*PRACTICE, "timer", "5s", "-o", str(tmp_path / "other.mp3")],
                   check=True, capture_output=True, timeout=120)

    assert temporaries(tmp_path) == []
    assert digest(old) == before
    assert (tmp_path / "other.mp3").stat().st_size > 0


@pytest.mark.real  # it starts a process (a writer that has ended; the player's priority helper)
def test_only_temporaries_of_ended_writers_are_removed(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = int(finished.stdout)
    stale = tmp_path / f".talk.~practice{dead}~abc123.part.mp3"
    stale_part = tmp_path / f"{stale.name}.part0"
    alive = tmp_path / f".talk.~practice{os.getppid()}~def456.part.mp3"
    others = [tmp_path / ".talk.abc.part.mp3", tmp_path / f"talk.~practice{dead}~x.part.mp3",
              tmp_path / "talk.mp3"]
    for path in [stale, stale_part, alive, *others]:
        path.write_bytes(b"x")

    mine = claim_temporary(tmp_path, "talk", "mp3")

    assert sorted(remove_stale(tmp_path)) == []  # already removed when the temporary was claimed
    assert not stale.exists() and not stale_part.exists()
    assert alive.exists() and mine.exists() and all(path.exists() for path in others)
    assert f"~practice{os.getpid()}~" in mine.name
