"""Where practice-player keeps things between runs: every cache and report folder, in one place.

$PRACTICE_CACHE_DIR, when set, holds all of them (tests and shared machines); otherwise the
user's cache and log folders (platformdirs) do.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "practice-player"


def cache_root() -> Path:
    """The user cache folder, or $PRACTICE_CACHE_DIR when set."""
    override = os.environ.get("PRACTICE_CACHE_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def speech_folder(root: Path | None = None) -> Path:
    """Prepared speech clips (voices/cache.py)."""
    return (root or cache_root()) / "speech"


def beds_folder() -> Path:
    """Rendered ambient bed layers and their calibrations (sounds/loops.py)."""
    return cache_root() / "beds"


def chimes_folder() -> Path:
    """Built-in chimes as synthesized (sounds/chimes.py)."""
    return cache_root() / "chimes"


def piper_folder() -> Path:
    """Piper voices prepared with their fixed noise (voices/piper.py)."""
    return cache_root() / "piper"


def reports_folder() -> Path:
    """Internal error reports: $PRACTICE_CACHE_DIR/reports when set, else the user log folder."""
    override = os.environ.get("PRACTICE_CACHE_DIR")
    if override:
        return Path(override) / "reports"
    return Path(platformdirs.user_log_dir(APP, appauthor=False))
