"""The `practice` command as a user meets it: messages, exit codes, help."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from player.cli.commands import cli
from tests.conftest import silences

WriteScript = Callable[..., Path]
# Every command the CLI has, read from click itself: a new command cannot skip the help test.
COMMANDS = sorted(cli.commands)


def run(*args: str) -> tuple[int, str, str]:
    """Invoke the CLI in-process; returns (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_reports_a_misspelt_step_with_its_line_and_a_suggestion(write_script: WriteScript) -> None:
    path = write_script("""
        title: Typo
        steps:
          - say: Hello.
          - puase: 4
    """)
    code, out, err = run("check", str(path))
    assert code == 1
    assert f"{path}:4:5: unknown step 'puase' (did you mean 'pause'?)" in err
    assert "Traceback" not in out + err


def test_check_reports_every_file_and_fails_if_any_is_bad(write_script: WriteScript) -> None:
    good = write_script("title: Good\nsteps:\n  - chapter: One\n  - say: Hi.\n", "good.yaml")
    bad = write_script("title: Bad\nsteps:\n  - pause: {seconds: x}\n", "bad.yaml")
    code, out, err = run("check", str(good), str(bad))
    assert code == 1
    assert f"{good}: ok, about" in out and "1 chapter (One)" in out
    assert f"{bad}:3:22: 'seconds': 'x' is not a duration" in err


def test_a_python_tag_is_refused_by_the_cli(write_script: WriteScript) -> None:
    path = write_script("title: !!python/object:os.system x\nsteps: [{say: hi}]\n")
    code, _, err = run("check", str(path))
    assert code == 1 and "is not allowed" in err


def test_a_bad_set_option_is_a_usage_error(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps: [{say: hi}]\n")
    code, _, err = run("check", str(path), "--set", "name")
    assert code == 2 and "a variable is given as NAME=VALUE, as in name=Sam, not 'name' (--set)" in err


def test_an_unknown_practice_name_suggests_the_built_in_one() -> None:
    code, _, err = run("check", "five-sense")
    assert code == 2
    assert "no script file or built-in practice called 'five-sense' (did you mean 'five-senses'?)" in err


def test_a_bad_output_extension_fails_before_any_work(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("title: T\nsteps: [{say: hi}]\n")
    code, _, err = run("export", str(path), "-o", str(tmp_path / "out.aiff"))
    assert code == 2 and "choose a file ending in .mp3, .m4a, .ogg, .flac, .wav" in err


def test_list_shows_the_built_in_practices_and_the_safety_note() -> None:
    code, out, _ = run("list")
    assert code == 0
    assert "five-senses" in out
    assert "do not replace, care from a professional" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0
    assert "Example" in out
    # The example runs this very command, and the summary line is a sentence, not a stub.
    assert f"practice {command}" in out.split("Example", 1)[1], out
    summary = (cli.commands[command].help or "").strip().splitlines()[0]
    assert len(summary.split()) >= 3 and " ".join(summary.split()) in " ".join(out.split())


def test_the_main_help_lists_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    listed = re.findall(r"^  ([a-z]+)\s", out.split("Commands:", 1)[1], re.MULTILINE)
    assert listed == sorted(cli.commands) and len(listed) == 13


@pytest.mark.real
def test_show_lists_steps_chapters_and_the_exact_total(write_script: WriteScript) -> None:
    path = write_script("""
        title: Show me
        length: 30s
        steps:
          - chapter: Start
          - say: Notice your feet.
          - pause: {seconds: 5, flexible: true}
          - say: You are here.
    """)
    code, out, err = run("show", str(path))
    assert code == 0, err
    assert "== Start ==" in out
    assert "(flexible, written 5.0s)" in out
    assert "1 chapter; total 00:30.0 (1,323,000 samples at 44100 Hz)" in out


@pytest.mark.real
def test_export_through_the_installed_command_keeps_stdout_clean(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("""
        title: Clean
        steps:
          - say: A line that has never been spoken before in this test run, {n}.
          - pause: 2.5
          - say: And a second one.
        vars: {n: one}
    """)
    out = tmp_path / "clean.mp3"
    done = subprocess.run(
        [sys.executable, "-m", "player", "export", str(path), "-o", str(out), "--set", f"n={tmp_path.name}"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Audio saved" not in done.stdout + done.stderr
    assert done.stdout.strip().startswith(f"Wrote {out}")
    assert [round(d, 1) for _, d in silences(out)] == [2.5, 1.0]  # the pause, then the closing quiet


@pytest.mark.real
def test_voices_lists_engines_voices_the_default_and_what_to_install() -> None:
    code, out, _ = run("voices")
    assert code == 0
    assert "piper" in out and "<- auto uses this" in out.split("system")[0]
    voice_line = next(line for line in out.splitlines() if line.strip().startswith("piper") and "joe" in line)
    assert "en_US" in voice_line and "medium" in voice_line and "(default)" in voice_line
    assert "gmw/en-us" in out  # eSpeak NG's US English voice, from the real system engine
    assert "rhasspy/piper-voices" in out and ".onnx" in out
    code, out, _ = run("voices", "--engine", "system", "--language", "de")
    assert code == 0 and "gmw/de" in out and "joe" not in out
