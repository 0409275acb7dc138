"""Sounds other than speech: chimes, breath tones, ambient beds and the user's own files."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from player.sounds.catalog import BEDS, CHIMES, is_builtin_bed, is_builtin_chime, is_path

if TYPE_CHECKING:
    from player.sounds.files import load_audio_file
    from player.sounds.tones import breath_tone, chime

__all__ = [
    "BEDS", "CHIMES", "breath_tone", "chime", "is_builtin_bed", "is_builtin_chime", "is_path",
    "load_audio_file",
]

# The names that need numpy (and the decoders) are imported on first use, so the catalog of
# names serves the CLI's help and the script checker without them.
_LAZY = {"load_audio_file": "player.sounds.files",
         "breath_tone": "player.sounds.tones", "chime": "player.sounds.tones"}


def __getattr__(name: str) -> Any:
    """A name from a submodule, imported when first asked for."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
