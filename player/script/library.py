"""The built-in practices: finding a script by name or path."""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from player.errors import PlayerError, RequestError
from player.script.loader import load_script
from player.script.suggest import did_you_mean

SAFETY_NOTE = (
    "These practices support, and do not replace, care from a professional. If numbness persists, "
    "or you feel unsafe, please reach out to a professional or to your local emergency services."
)


def builtin_folder() -> Path:
    """The folder of built-in practice scripts: package data when installed, else the repository's."""
    return package_data("player.builtin", "scripts")


def package_data(package: str, repository_folder: str) -> Path:
    """Where a data folder shipped as a package is (scripts/, audio/), installed or not."""
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        if Path(location).is_dir():
            return Path(location)
    return Path(__file__).resolve().parents[2] / repository_folder


def builtin_names() -> list[str]:
    """Names of the built-in practices, sorted."""
    folder = builtin_folder()
    return sorted(path.stem for path in folder.glob("*.yaml")) if folder.is_dir() else []


def resolve_script(name_or_path: str) -> Path:
    """A script path: an existing file, or the built-in practice of that name."""
    path = Path(name_or_path)
    stem = path.stem if path.suffix in (".yaml", ".yml") else name_or_path
    if path.exists() or "/" in name_or_path or (stem != name_or_path and stem not in builtin_names()):
        return path
    builtin = builtin_folder() / f"{stem}.yaml"
    if builtin.exists():
        return builtin
    names = builtin_names()
    raise RequestError(
        f"no script file or built-in practice called '{name_or_path}'"
        f"{did_you_mean(name_or_path, names)}; `practice list` shows the built-in ones"
    )


@dataclass(frozen=True)
class PracticeInfo:
    """What `practice list` shows about one built-in practice."""

    name: str
    title: str
    seconds: float | None
    """Estimated length; None when the script cannot be loaded."""
    eyes: str
    summary: str
    description: str
    lengths: tuple[float, ...]
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Plain data for `practice list --json`."""
        return asdict(self)


def list_practices() -> list[PracticeInfo]:
    """Every built-in practice, by name, with its estimated length and a one-line summary."""
    from player.timeline.compile import estimate_timeline

    found = []
    for name in builtin_names():
        try:
            script = load_script(builtin_folder() / f"{name}.yaml")
        except PlayerError as error:
            found.append(PracticeInfo(name, name, None, "?", "", "", (), str(error).splitlines()[0]))
            continue
        description = " ".join(script.description.split())
        summary = description.split(". ")[0].rstrip(".") + "." if description else ""
        found.append(PracticeInfo(name, script.title, estimate_timeline(script).seconds, script.eyes, summary,
                                  description, script.lengths))
    return found
