"""Saving a report when something unexpected breaks, so the user sees one line, not a traceback."""

from __future__ import annotations

import datetime
import os
import platform
import sys
import traceback
from pathlib import Path

from player import __version__
from player.paths import reports_folder


def save_report(error: BaseException, argv: list[str]) -> Path | None:
    """Write the traceback and context to a new report file; None if even that fails."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = "\n".join([
        f"practice-player {__version__} internal error report",
        f"time: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"command: {' '.join(argv)}",
        # Not platform.platform(): it runs `uname -p` in a subprocess, which a crash path should not.
        f"python: {sys.version.split()[0]} on {platform.system()} {platform.release()} {platform.machine()}",
        "",
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    ])
    try:
        folder = reports_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{stamp}-{os.getpid()}.txt"
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        return None
