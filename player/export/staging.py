"""Temporary files beside an export, named so a later export can tell which are abandoned.

An export writes to hidden temporaries in the target folder and renames the finished file into
place. A process killed outright (SIGKILL, a power cut) cannot remove its temporaries, and an
MP3's parts are tens of megabytes, so every name carries a marker and the writer's process id:
the next export to the same folder removes those whose writer is no longer running.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

MARKER = "~practice"
"""Between the output's stem and the writer's pid: `.NAME.~practice1234~XXXXXXXX.part.mp3`."""
STALE_NAME = re.compile(r"^\..*\.~practice(\d+)~[^/]*\.part\.")
"""A temporary of ours, or one derived from it (`.part0`, `.joined`), with the writer's pid."""


def claim_temporary(folder: Path, stem: str, suffix: str) -> Path:
    """A new empty temporary in `folder` for an output named `stem`, after removing stale ones.

    Raises OSError when the folder cannot be written.
    """
    remove_stale(folder)
    handle, name = tempfile.mkstemp(dir=folder, prefix=f".{stem}.{MARKER}{os.getpid()}~", suffix=f".part.{suffix}")
    os.close(handle)
    return Path(name)


def remove_stale(folder: Path) -> list[Path]:
    """Remove temporaries in `folder` left by exports whose process has ended; the paths removed."""
    if os.name != "posix":
        return []  # os.kill(pid, 0) would end the process on Windows: leave them be
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = STALE_NAME.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid() or _running(int(match.group(1))):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # someone else's file, or already gone: not ours to fight over
    return removed


def _running(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal still counts)."""
    if pid <= 0:
        return True  # never a writer's id: keep the file rather than guess
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
