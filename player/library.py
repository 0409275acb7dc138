"""The built-in practices: finding a script by name or path."""

from __future__ import annotations

from pathlib import Path

from player.errors import UsageError
from player.script import did_you_mean


def builtin_folder() -> Path:
    """The folder of built-in practice scripts (the repository's scripts/)."""
    return Path(__file__).resolve().parent.parent / "scripts"


def builtin_names() -> list[str]:
    """Names of the built-in practices, sorted."""
    folder = builtin_folder()
    return sorted(path.stem for path in folder.glob("*.yaml")) if folder.is_dir() else []


def resolve_script(name_or_path: str) -> Path:
    """A script path: an existing file, or the built-in practice of that name."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml") or "/" in name_or_path:
        return path
    builtin = builtin_folder() / f"{name_or_path}.yaml"
    if builtin.exists():
        return builtin
    names = builtin_names()
    raise UsageError(
        f"no script file or built-in practice called '{name_or_path}'"
        f"{did_you_mean(name_or_path, names)}; `practice list` shows the built-in ones"
    )
