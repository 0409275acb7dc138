"""Ctrl-C at any moment: exit 130 with one line, never a traceback (real processes, real signals).

A terminal sends Ctrl-C to the whole foreground process group, so the signal goes to the
group here too, worker processes included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.pulse import PulseServer

pytestmark = [pytest.mark.real, pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")]
WriteScript = Callable[..., Path]

LONG = """
title: Long enough to interrupt
steps:
  - chapter: Start
  - say: Settle in, and notice your feet on the floor.
  - pause: 2
  - say: Notice the air around you, and the sounds in the room.
  - say: Let your shoulders drop a little, if that feels right.
  - pause: 10m
  - say: Welcome back.
"""


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`practice ARGS` as a terminal would start it: its own process group, no keyboard."""
    return subprocess.Popen([sys.executable, "-m", "player", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env or dict(os.environ), start_new_session=True)


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for the signal (from /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (signum - 1)))


def workers_of(pid: int) -> list[int]:
    """The process's child processes (from /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in children.read_text().split()]
    except OSError:
        return []


def poll(ready: Callable[[], bool], process: subprocess.Popen[str], seconds: float = 120) -> None:
    """Wait until `ready()` holds, while the process still runs."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "never became ready"
        time.sleep(0.005)


def interrupt(process: subprocess.Popen[str]) -> str:
    """Ctrl-C to the process group; its stderr, after checking the exit and the one line."""
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err and "Exception" not in err, err
    assert process.returncode == 130, err
    assert [line for line in err.splitlines() if line.strip()] == ["Stopped."], err
    return err


@pytest.mark.parametrize("command", [["check", "five-senses"], ["list"], ["timer", "30m", "-o", "t.mp3"]])
def test_ctrl_c_while_the_program_is_still_starting(command: list[str], tmp_path: Path) -> None:
    # SIGTERM is caught only once the entry point has taken over the signals: from then on
    # (imports still under way, a second or more on a busy machine) Ctrl-C must be clean.
    process = start(*[str(tmp_path / part) if part.endswith(".mp3") else part for part in command])
    poll(lambda: catches(process.pid, signal.SIGTERM), process, seconds=30)
    interrupt(process)


def test_ctrl_c_mid_export_removes_its_temporaries(tmp_path: Path) -> None:
    process = start("timer", "30m", "-o", str(tmp_path / "t.mp3"))
    poll(lambda: any(path.stat().st_size > 0 for path in tmp_path.glob(".t.*")), process)
    interrupt(process)
    assert list(tmp_path.iterdir()) == []


def test_a_second_ctrl_c_stops_at_once_with_the_same_one_line(tmp_path: Path) -> None:
    process = start("timer", "30m", "-o", str(tmp_path / "t.mp3"))
    poll(lambda: any(tmp_path.glob(".t.*")), process)
    os.killpg(process.pid, signal.SIGINT)
    interrupt(process)


def test_ctrl_c_while_a_cold_start_synthesizes_the_opening(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer
) -> None:
    path = write_script(LONG)
    env = dict(pulse.env, PRACTICE_CACHE_DIR=str(tmp_path / "cold-cache"))
    process = start("play", str(path), env=env)
    poll(lambda: bool(workers_of(process.pid)), process)  # the voice's workers have started
    interrupt(process)


def test_ctrl_c_while_the_rest_is_synthesized_during_play(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer
) -> None:
    path = write_script(LONG)
    env = dict(pulse.env, PRACTICE_CACHE_DIR=str(tmp_path / "cold-cache"))
    process = start("play", str(path), env=env)
    assert process.stdout is not None
    while not process.stdout.readline().startswith("Playing to the end"):  # then sound starts,
        pass  # and the "speech" thread works on
    interrupt(process)
