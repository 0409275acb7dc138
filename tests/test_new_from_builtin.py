"""`practice new NAME --from PRACTICE`: a built-in copied to adapt, which passes check as it is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from player.cli.commands import cli
from player.errors import RequestError
from player.script.authoring import new_script
from player.script.library import builtin_folder
from player.script.loader import Overrides, load_script


def test_a_copy_keeps_the_built_in_words_and_passes_check(tmp_path: Path) -> None:
    path = new_script("senses-for-sam", folder=tmp_path, builtin="five-senses")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=file://")
    assert text.endswith((builtin_folder() / "five-senses.yaml").read_text(encoding="utf-8"))
    copy, original = load_script(path), load_script(builtin_folder() / "five-senses.yaml")
    assert [getattr(s, "text", None) for s in copy.steps] == [getattr(s, "text", None) for s in original.steps]
    # The built-in's variables still work in the copy.
    named = load_script(path, Overrides(vars={"name": "Sam"}))
    assert "Hello, Sam." in named.steps[2].text  # type: ignore[union-attr]


def test_the_cli_copies_and_refuses_unknown_names_paths_and_both_options(tmp_path: Path) -> None:
    runner = CliRunner()
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(cli, ["new", "mine", "--from", "before-reaching-out"])
        assert result.exit_code == 0, result.stderr
        assert "copy of the built-in before-reaching-out" in result.stdout
        assert runner.invoke(cli, ["check", "mine.yaml"]).exit_code == 0
        result = runner.invoke(cli, ["new", "other", "--from", "five-sense"])
        assert result.exit_code == 2 and "did you mean 'five-senses'" in result.stderr
        result = runner.invoke(cli, ["new", "other", "--from", "../../etc/passwd"])
        assert result.exit_code == 2 and not (tmp_path / "other.yaml").exists()
        result = runner.invoke(cli, ["new", "other", "--from", "five-senses", "--template", "blank"])
        assert result.exit_code == 2 and "not both" in result.stderr
        result = runner.invoke(cli, ["new", "mine", "--from", "five-senses"])
        assert result.exit_code == 2 and "already exists" in result.stderr
    finally:
        os.chdir(here)


def test_an_unknown_built_in_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(RequestError, match="practice list"):
        new_script("x", folder=tmp_path, builtin="nothing-like-it")
