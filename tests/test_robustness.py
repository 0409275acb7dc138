"""Bad input, limits, faults and interruptions: never a traceback, never lost work.

The bad-script corpus runs through the real command in its own process, its memory measured
(how long it takes belongs in benchmarks/, never in a test).
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.cli.commands import cli
from player.errors import ScriptError
from player.script.library import builtin_folder
from player.script.loader import load_script
from player.script.model import Script
from player.timeline.compile import estimate_timeline

WriteScript = Callable[..., Path]
CORPUS = Path(__file__).resolve().parent / "bad_scripts"


def generated_corpus(folder: Path) -> list[Path]:
    """Bad scripts too big or too binary to keep in the repository."""
    laughs = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level, name in enumerate("bcdefghi"):
        laughs.append(f"{name}: &{name} [" + ", ".join(["*" + "abcdefghi"[level]] * 10) + "]")
    files = {
        "billion-laughs.yaml": ("\n".join(laughs) + "\n").encode(),
        "binary.yaml": bytes(range(256)) * 40,
        "huge.yaml": b"title: Huge\nsteps:\n" + b"  - say: Hello there.\n" * 60_000,
        "text-too-long.yaml": b"title: Long\nsteps:\n  - say: " + b"word " * 2_000 + b"\n",
        "utf16.yaml": "title: x\nsteps:\n  - say: hi\n".encode("utf-16"),
        "nul-byte.yaml": b"title: x\x00\nsteps: []\n",
    }
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every bad script: the committed ones and the generated ones."""
    return sorted(CORPUS.glob("*.yaml")) + generated_corpus(tmp_path_factory.mktemp("generated"))


def test_each_bad_script_in_the_corpus_tests_something_different(corpus: list[Path]) -> None:
    reports: dict[str, list[str]] = {}
    for path in corpus:
        try:
            estimate_timeline(load_script(path))
        except ScriptError as error:
            # The message without the file name: two files failing the same way test one thing.
            reports[path.name] = [f"{p.line}:{p.column}: {p.message}" for p in error.problems]
        else:
            raise AssertionError(f"{path.name} is in the bad-script corpus but is a good script")
    seen: dict[str, str] = {}
    for name, problems in reports.items():
        key = "\n".join(problems)
        # An empty file and a file holding only a comment are both empty, on purpose.
        if {name, seen.get(key)} != {"empty.yaml", "only-a-comment.yaml"}:
            assert key not in seen, f"{name} fails exactly like {seen.get(key)}"
        seen[key] = name


# Runs a command as its only child and reports that child's peak RSS (kB) on the last line.
MEASURED = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(done.returncode)")


@pytest.mark.real
def test_every_bad_script_fails_located_and_small(corpus: list[Path]) -> None:
    for path in corpus:
        done = subprocess.run([sys.executable, "-c", MEASURED, sys.executable, "-m", "player", "check", str(path)],
                              capture_output=True, text=True, timeout=60, cwd=path.parent)
        assert done.returncode == 1, (path.name, done.stderr)
        *lines, peak_kb = done.stderr.strip().splitlines()
        assert int(peak_kb) < 400 * 1024, (path.name, peak_kb)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, path.name
        assert re.fullmatch(r"\d+ problems? found", lines[-1]), (path.name, lines)
        for line in lines[:-1]:
            assert re.match(rf"{re.escape(str(path))}:([1-9]\d*:[1-9]\d*:)? \S", line), (path.name, line)


# The only problems that concern a whole file rather than a place in it.
WHOLE_FILE = ("the file is empty", "not valid YAML", "file is ")


def _is_located(error: ScriptError, path: Path) -> bool:
    """Every problem names the file and a real (1-based) line and column, unless it is about the whole file."""
    return bool(error.problems) and all(
        p.file == str(path) and ((p.line >= 1 and p.column >= 1) or p.message.startswith(WHOLE_FILE))
        for p in error.problems)


def _load(path: Path) -> None:
    """The loader returns a Script or raises a located ScriptError: nothing else."""
    try:
        assert isinstance(load_script(path), Script)
    except ScriptError as error:
        assert _is_located(error, path), error.problems


SOURCES = [path.read_text(encoding="utf-8") for path in sorted(builtin_folder().glob("*.yaml"))]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.sampled_from(SOURCES), data=st.data())
def test_mutated_built_ins_load_or_fail_located(tmp_path: Path, source: str, data: st.DataObject) -> None:
    text = source
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate-line", "swap-lines"]))
        if action == "delete":
            text = text[:position] + text[position + data.draw(st.integers(1, 40)):]
        elif action == "insert":
            text = text[:position] + data.draw(st.sampled_from(
                [":", "- ", "[", "]", "{", "}", "\n", "  ", "&a ", "*a", "!!str ", "'", '"', "#", "\t",
                 "99999", "-1", "null", "pause: 3", "{x}", "[pause 2s]"])) + text[position:]
        else:
            lines = text.splitlines(keepends=True)
            if len(lines) > 2:
                i = data.draw(st.integers(0, len(lines) - 2))
                if action == "duplicate-line":
                    lines.insert(i, lines[i])
                else:
                    lines[i], lines[i + 1] = lines[i + 1], lines[i]
                text = "".join(lines)
    path = tmp_path / "mutated.yaml"
    path.write_text(text, encoding="utf-8")
    _load(path)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(["say", "pause", "5m", "rain", "bowl", "box", "{name}"]))
keys = st.one_of(st.sampled_from(["title", "steps", "say", "pause", "voice", "ambient", "vars", "repeat",
                                  "breathe", "chime", "seconds", "flexible", "min", "max", "length", "text"]),
                 st.text(max_size=10))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                           st.dictionaries(keys, inner, max_size=5)),
                         max_leaves=40)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents)
def test_random_documents_load_or_fail_located(tmp_path: Path, document: object) -> None:
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    _load(path)


def run(*args: str) -> tuple[int, str, str]:
    """The CLI in-process."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_an_internal_error_is_one_line_and_a_saved_report(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken() -> None:
        raise RuntimeError("something inside broke")

    monkeypatch.setattr("player.script.library.list_practices", broken)
    monkeypatch.setenv("PRACTICE_CACHE_DIR", str(tmp_path))
    code, out, err = run("list")
    assert code == 1
    assert "internal error (RuntimeError: something inside broke)" in err and "Traceback" not in out + err
    (report,) = (tmp_path / "reports").glob("crash-*.txt")
    assert str(report) in err
    assert "Traceback" in report.read_text() and "something inside broke" in report.read_text()
    result = CliRunner().invoke(cli, ["--debug", "list"])
    assert isinstance(result.exception, RuntimeError)


LONG = """
title: Long enough to interrupt
voice: {engine: system}
ambient: rain
steps:
  - say: Settle in.
  - pause: 20m
  - say: Welcome back.
"""


@pytest.mark.real
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_export_keeps_the_old_file_and_leaves_nothing_behind(
    write_script: WriteScript, tmp_path: Path, signum: int
) -> None:
    path = write_script(LONG)
    out = tmp_path / "session.mp3"
    out.write_bytes(b"the good old export")
    before = sorted(p.name for p in tmp_path.iterdir())
    process = subprocess.Popen([sys.executable, "-m", "player", "export", str(path), "-o", str(out), "--force",
                                "--no-master"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=tmp_path, env=dict(os.environ))
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".session.*.part.mp3")):  # the encoder is writing the new file
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Stopped." in err and "Traceback" not in err
    assert out.read_bytes() == b"the good old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


QUIET = "title: Quiet\nvoice: {engine: system}\nsteps:\n  - say: Hello.\n  - pause: 3\n"


@pytest.mark.real
def test_outputs_that_cannot_be_written_are_clear_errors(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script(QUIET)
    code, _, err = run("export", str(path), "-o", "/dev/full", "--format", "mp3", "--force")
    assert code == 1 and "/dev/full is not a regular file" in err
    assert Path("/dev/full").is_char_device()
    code, _, err = run("export", str(path), "-o", str(tmp_path))
    assert code == 1 and "is a folder" in err
    code, _, err = run("export", str(path), "-o", "/proc/session.mp3")
    assert code == 1 and "cannot write in /proc" in err
    code, _, err = run("export", str(path), "-o", str(tmp_path / "no-such-folder" / "x.mp3"))
    assert code == 1 and "does not exist" in err


def _small_file_limit() -> None:
    """In the child: files may not grow past 64 kB, as on a full disk (EFBIG, not a kill)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.real
def test_a_full_disk_during_export_is_a_clear_error_and_loses_nothing(write_script: WriteScript,
                                                                       tmp_path: Path) -> None:
    path = write_script(LONG.replace("20m", "1m"))
    out = tmp_path / "session.wav"
    out.write_bytes(b"the good old export")
    before = sorted(p.name for p in tmp_path.iterdir())
    done = subprocess.run([sys.executable, "-m", "player", "export", str(path), "-o", str(out), "--force",
                           "--no-master"], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          preexec_fn=_small_file_limit)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Error:" in done.stderr
    assert "could not write session.wav" in done.stderr and "full disk" in done.stderr
    assert out.read_bytes() == b"the good old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.real
def test_doctor_reports_each_dependency_with_its_state() -> None:
    code, out, _ = run("doctor")
    for name in ("Python", "ffmpeg", "piper voice", "system voice", "PortAudio", "sound output", "cache folder"):
        assert name in out
    assert code == 0 and "Ready" in out
