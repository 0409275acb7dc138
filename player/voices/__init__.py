"""Voices: one small interface over speech engines, plus the cache and clean-up around them.

The names below are loaded on first use (PEP 562): `player.voices.textprep`, which checking a
script needs, then starts without the engines, the cache and numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from player.voices.base import Engine, RawClip, SpeechRequest
    from player.voices.registry import EngineChoice, choose_engine, open_engine
    from player.voices.speaker import Speaker

__all__ = ["Engine", "EngineChoice", "RawClip", "Speaker", "SpeechRequest", "choose_engine", "open_engine"]

_HOMES = {"Engine": "base", "RawClip": "base", "SpeechRequest": "base", "EngineChoice": "registry",
          "choose_engine": "registry", "open_engine": "registry", "Speaker": "speaker"}


def __getattr__(name: str) -> Any:
    """One of the names above, imported from its module when first asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
