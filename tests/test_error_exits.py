"""What a user gets from each kind of error: the exact message lines and the exit status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from player.cli.commands import cli
from player.errors import ExportError, MissingDependency, PlayerError, Problem, ScriptError

WriteScript = Callable[..., Path]


def failing_list(error: PlayerError, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """`practice list` when listing raises `error`: (exit status, stderr)."""
    def broken() -> None:
        raise error

    monkeypatch.setattr("player.script.library.list_practices", broken)
    result = CliRunner().invoke(cli, ["list"])
    return result.exit_code, result.stderr


def test_a_user_error_exits_1_with_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert failing_list(ExportError("the disk is full"), monkeypatch) == (1, "Error: the disk is full\n")


def test_a_missing_dependency_names_the_fix_on_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = failing_list(MissingDependency("The system voice needs pyttsx3.", "pip install pyttsx3"), monkeypatch)
    assert (code, err) == (1, "Error: The system voice needs pyttsx3.\n  fix: pip install pyttsx3\n")


def test_a_usage_error_exits_2() -> None:
    result = CliRunner().invoke(cli, ["timer", "0s"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: a timer lasts between 1 s and")


def test_script_errors_exit_1_one_problem_a_line_then_the_count(write_script: WriteScript) -> None:
    path = write_script("title: [x\nsteps: 3\n")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "1 problem found"


def test_a_script_error_as_text_is_its_problems_in_order_one_a_line() -> None:
    error = ScriptError([Problem("b.yaml", 2, 1, "second"), Problem("a.yaml", 0, 0, "whole file"),
                         Problem("b.yaml", 1, 7, "first")])
    assert str(error) == "a.yaml: whole file\nb.yaml:1:7: first\nb.yaml:2:1: second"
