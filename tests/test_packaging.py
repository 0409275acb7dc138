"""What pyproject.toml declares: every library the program imports, extras for what only one
feature (or only the benchmarks) needs, and the messages that name those extras."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from player.errors import MissingDependency
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later

WriteScript = Callable[..., Path]
ROOT = Path(__file__).resolve().parent.parent
SELF = "practice-player"


def project() -> dict[str, Any]:
    """pyproject.toml's [project] table."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        table: dict[str, Any] = tomllib.load(file)["project"]
    return table


def normal(name: str) -> str:
    """A distribution name as PyPI compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str], extras: dict[str, list[str]]) -> set[str]:
    """The distributions a list of requirements brings, following this project's own extras."""
    names: set[str] = set()
    for requirement in requirements:
        found = re.match(r"([A-Za-z0-9._-]+)(?:\[([^\]]*)\])?", requirement)
        assert found is not None, requirement
        if normal(found.group(1)) == SELF:
            for extra in (found.group(2) or "").split(","):
                names |= requirement_names(extras[extra.strip()], extras)
        else:
            names.add(normal(found.group(1)))
    return names


def imported_distributions(folder: Path) -> set[str]:
    """The third-party distributions whose modules anything under `folder` imports."""
    modules: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    local = {"player", "benchmarks", "tests"}
    third_party = {m for m in modules if m not in sys.stdlib_module_names and m not in local}
    owners = importlib.metadata.packages_distributions()
    missing = {m for m in third_party if m not in owners}
    assert missing == set(), f"imported but not installed here: {missing}"
    return {normal(owners[m][0]) for m in third_party}


def test_every_library_the_program_imports_is_declared() -> None:
    table = project()
    extras = table["optional-dependencies"]
    declared = requirement_names(table["dependencies"], extras)
    for name in ("piper", "studio", "plot"):
        declared |= requirement_names(extras[name], extras)
    assert imported_distributions(ROOT / "player") - declared == set()


def test_what_one_feature_or_the_benchmarks_need_is_an_extra() -> None:
    table = project()
    extras = table["optional-dependencies"]
    core = requirement_names(table["dependencies"], extras)
    assert "scipy" in core  # the streaming meter runs its filters
    # The player measures loudness itself; pyloudnorm is the tests' independent meter.
    assert "pyloudnorm" not in core | imported_distributions(ROOT / "player")
    assert "pyloudnorm" in requirement_names(extras["dev"], extras)
    assert {"matplotlib", "pydub", "audioop-lts"} & core == set()
    assert requirement_names(extras["plot"], extras) == {"matplotlib"}
    assert {"pydub", "audioop-lts", "matplotlib"} <= requirement_names(extras["bench"], extras)
    assert imported_distributions(ROOT / "benchmarks") <= core | requirement_names(extras["bench"], extras) \
        | requirement_names(extras["all"], extras)
    # `make test` installs .[all,dev]: the benchmarks and `show --plot` work there.
    assert requirement_names(extras["bench"], extras) <= requirement_names(extras["dev"], extras)
    assert "matplotlib" in requirement_names(extras["all"], extras)
    assert table["license"] == "MIT"  # an SPDX expression: the table form is deprecated


def test_drawing_without_matplotlib_names_the_plot_extra(write_script: WriteScript, fake_speaker: Speaker,
                                                         monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from player.timeline.plot import plot_timeline

    timeline = compile_timeline(load_script(write_script("title: T\nsteps:\n  - say: Hello.\n")), fake_speaker)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    with pytest.raises(MissingDependency) as raised:
        plot_timeline(timeline, tmp_path / "pacing.png")
    assert "pip install 'practice-player[plot]'" in raised.value.fix


def test_doctor_names_the_plot_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from player import doctor

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *rest: None if name == "matplotlib"
                        else real(name, *rest))
    check = doctor._matplotlib()
    assert not check.ok and not check.essential
    assert "pip install 'practice-player[plot]'" in check.fix


def test_every_folder_under_player_is_a_listed_package() -> None:
    # setuptools ships only listed packages (and warns of data folders left out): a new folder
    # under player/ must be added to [tool.setuptools] packages.
    with open(ROOT / "pyproject.toml", "rb") as file:
        listed = set(tomllib.load(file)["tool"]["setuptools"]["packages"])
    folders = {".".join(path.relative_to(ROOT).parts) for path in (ROOT / "player").rglob("*")
               if path.is_dir() and "__pycache__" not in path.parts and any(path.iterdir())}
    assert folders | {"player"} <= listed
