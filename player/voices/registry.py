"""Engine names in scripts to engine objects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from player.errors import RequestError
from player.script.schema import ENGINES
from player.userfiles import is_voice_path
from player.voices.base import Engine
from player.voices.piper import BUNDLED_NAMES, INSTALL_HINT, piper_missing


@dataclass(frozen=True)
class EngineChoice:
    """The engine to speak with, and a one-line notice when `auto` had to fall back."""

    engine: Engine
    notice: str | None = None


def choose_engine(name: str, voice: str | None = None) -> EngineChoice:
    """The engine a script or --engine names; `auto` prefers piper and falls back to system.

    A voice that is a path to a Piper `.onnx` file needs piper, whatever `auto` would pick.
    """
    if name not in ENGINES:
        raise RequestError(f"unknown engine '{name}': choose one of {', '.join(ENGINES)}")
    if name == "piper" or (name == "auto" and is_voice_path(voice)):
        from player.voices.piper import PiperEngine

        return EngineChoice(PiperEngine())
    if is_voice_path(voice):
        raise RequestError(f"the voice {voice} is a Piper voice file: use it with 'engine: piper' (or auto)")
    if name == "auto":
        missing = piper_missing()
        if missing is None:
            from player.voices.piper import PiperEngine

            return EngineChoice(PiperEngine())
        notice = (f"Using the system voice: the natural piper voice is not installed ({missing} is "
                  f"missing). For it: {INSTALL_HINT}")
        from player.voices.system import SystemEngine

        return EngineChoice(SystemEngine(), notice)
    from player.voices.system import SystemEngine

    return EngineChoice(SystemEngine())


def open_engine(name: str) -> Engine:
    """The engine for a name, without the fallback notice (see choose_engine)."""
    return choose_engine(name).engine


def voice_credit(name: str, voice: str | None = None) -> str:
    """Who speaks, for an export's artist tag, by the choice choose_engine makes (nothing is started)."""
    if name == "piper" or is_voice_path(voice) or (name == "auto" and piper_missing() is None):
        if voice is None or voice in BUNDLED_NAMES:
            return "Joe (Piper voice)"
        return f"{Path(voice).name.removesuffix('.onnx')} (Piper voice)"
    return f"{voice} (system voice)" if voice else "System voice"
