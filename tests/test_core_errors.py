"""The core's errors speak of the script, the file and the value; only the CLI names options."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import player
from player.cli.app import error_message
from player.cli.commands import cli
from player.errors import ChapterError, ExportError, FormatError, LengthError, PlayerError, VariableError
from player.export import ExportOptions, check_targets
from player.export.formats import FORMATS, encoding_for, format_for
from player.script.loader import Overrides, load_script, parse_set_options

WriteScript = Callable[..., Path]
PACKAGE = Path(player.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[a-z]")


def _messages(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """The text of every raised error and every script Problem built in a module."""
    for node in ast.walk(tree):
        built = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Problem"
        if isinstance(node, ast.Raise) or built:
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    yield part.lineno, part.value


def test_no_core_message_names_a_command_line_option() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        source = path.read_text(encoding="utf-8")
        assert path.name == "errors.py" or "UsageError" not in source, f"{path} raises the CLI's UsageError"
        found += [f"{path.relative_to(PACKAGE)}:{line}: {text}" for line, text in _messages(ast.parse(source))
                  if FLAG.search(text)]
    assert found == []


def test_core_errors_say_what_was_asked_for(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("title: T\nsteps:\n  - say: Hi.\n  - pause: {seconds: 5, flexible: true}\n")
    with pytest.raises(LengthError, match=r"^the pace must be a finite number") as pace:
        load_script(path, Overrides(pace=float("nan")))
    assert pace.value.subject == "pace" and pace.value.exit_code == 2
    with pytest.raises(VariableError, match=r"^a variable is given as NAME=VALUE"):
        parse_set_options(["name"])
    with pytest.raises(FormatError, match=r"^cannot export to 'aiff'") as suffix:
        format_for(tmp_path / "x.aiff")
    assert suffix.value.subject == "suffix"
    with pytest.raises(FormatError, match=r"^a bitrate does not apply to flac") as bitrate:
        encoding_for(FORMATS["flac"], bitrate=128)
    assert bitrate.value.subject == "bitrate"
    (tmp_path / "x.wav").write_bytes(b"")
    with pytest.raises(ExportError, match=r"x\.wav already exists$") as exists:
        check_targets(tmp_path / "x.wav", ExportOptions())
    assert exists.value.subject == "overwrite" and exists.value.exit_code == 1


@pytest.mark.parametrize(("error", "shown"), [
    (LengthError("the length must be at most 4:00:00", subject="length"),
     "the length must be at most 4:00:00 (--length)"),
    (VariableError("the value given for name holds U+001B"), "the value given for name holds U+001B (--set)"),
    (ChapterError("no chapter 'x'"), "no chapter 'x' (--from)"),
    (FormatError("cannot export to 'aiff'", subject="suffix"), "cannot export to 'aiff' (or --format)"),
    (PlayerError("the cache folder is a file"), "the cache folder is a file"),
])
def test_the_cli_names_the_option_that_carried_the_value(error: PlayerError, shown: str) -> None:
    assert error_message(error) == shown


def test_the_cli_shows_the_option_with_the_cores_words(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("title: T\nsteps: [{say: hi}]\n")
    (tmp_path / "out.wav").write_bytes(b"")
    runner = CliRunner()
    bad = runner.invoke(cli, ["export", str(path), "-o", str(tmp_path / "out.aiff")])
    assert bad.exit_code == 2
    assert "Error: cannot export to 'aiff': choose a file ending in .mp3, .m4a, .ogg, .flac, .wav, .opus " \
           "(or --format)" in bad.stderr
    there = runner.invoke(cli, ["export", str(path), "-o", str(tmp_path / "out.wav")])
    assert there.exit_code == 1
    assert f"Error: {tmp_path / 'out.wav'} already exists (or add --force to replace it)" in there.stderr
