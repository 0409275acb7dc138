"""Engine names in scripts to engine objects."""

from __future__ import annotations

from player.errors import MissingDependency, UsageError
from player.schema import ENGINES
from player.voices.base import Engine


def open_engine(name: str) -> Engine:
    """The engine a script or --engine names; `auto` picks the best one installed."""
    if name not in ENGINES:
        raise UsageError(f"unknown engine '{name}': choose one of {', '.join(ENGINES)}")
    if name == "piper":
        raise MissingDependency(
            "The piper voice engine is not available in this version of practice-player.",
            "use the system voice: --engine system (or 'engine: system' under voice: in the script)",
        )
    from player.voices.system import SystemEngine

    return SystemEngine()
