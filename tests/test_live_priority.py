"""Live play's audio threads get real-time scheduling where the system allows it, and a nice
value (with the reason said) where it does not."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from player.realtime import raise_realtime
from tests.pulse import PulseServer

WriteScript = Callable[..., Path]
SR = 44_100
needs_scheduling = pytest.mark.skipif(not hasattr(os, "sched_setscheduler"), reason="no thread scheduling here")


def policy(tid: int = 0) -> int:
    """A thread's scheduling policy, without the reset-on-fork flag."""
    return os.sched_getscheduler(tid) & ~getattr(os, "SCHED_RESET_ON_FORK", 0)


def in_thread(priority: int) -> tuple[str, int, int]:
    """Ask for real-time on a new thread: (what it got, its policy then, the policy of a thread it starts)."""
    results: list[tuple[str, int, int]] = []

    def worker() -> None:
        got = raise_realtime(priority, -5)
        children: list[int] = []
        child = threading.Thread(target=lambda: children.append(policy()))
        child.start()
        child.join()
        results.append((got, policy(), children[0]))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    return results[0]


def real_time_allowed() -> bool:
    """Whether this process may give a thread real-time scheduling (root, CAP_SYS_NICE or RLIMIT_RTPRIO)."""
    return in_thread(5)[0] == "real-time 5"


@needs_scheduling
def test_a_thread_gets_real_time_where_allowed_and_only_that_thread() -> None:
    before = policy()
    got, its_policy, child_policy = in_thread(5)
    if got == "real-time 5":
        assert its_policy == os.SCHED_RR
    else:  # refused: the nice value instead, and the reason in the words
        assert "real-time refused" in got and its_policy == before
    assert child_policy == os.SCHED_OTHER  # threads it starts (a synthesizer's, say) do not inherit it
    assert policy() == before


@needs_scheduling
def test_refused_real_time_falls_back_to_nice_and_says_why() -> None:
    # A priority no system grants is refused as a missing permission is.
    got, its_policy, _ = in_thread(os.sched_get_priority_max(os.SCHED_RR) + 1)
    assert its_policy == os.SCHED_OTHER
    assert got.startswith(("nice -5 (real-time refused: ", "normal (real-time refused: ")), got


def scheduled_threads(pid: int) -> set[tuple[str, int, int]]:
    """(name, policy, real-time priority) of each thread of a process, read from /proc."""
    seen: set[tuple[str, int, int]] = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        seen.add((name, int(fields[38]), int(fields[37])))
    return seen


@pytest.mark.real
@needs_scheduling
def test_live_play_runs_its_audio_threads_at_real_time_where_allowed(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer
) -> None:
    t = np.arange(8 * SR) / SR
    soundfile.write(tmp_path / "tone.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR)
    path = write_script("title: Tone\nsteps:\n  - play: tone.wav\n")
    env = dict(pulse.env, PRACTICE_CACHE_DIR=os.environ["PRACTICE_CACHE_DIR"])
    process = subprocess.Popen([sys.executable, "-m", "player", "--debug", "play", str(path)], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[tuple[str, int, int]] = set()
    while process.poll() is None:
        try:
            seen |= scheduled_threads(process.pid)
        except OSError:
            break  # it ended
        time.sleep(0.2)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    if real_time_allowed():
        assert "Debug: audio threads at real-time 5;" in err
        # Seen from outside, not only said: PortAudio's callback thread (named as the process)
        # and libpulse's client thread, which carries the blocks to the server; nothing else.
        real_time = {(name, rt_policy, priority) for name, rt_policy, priority in seen if rt_policy != os.SCHED_OTHER}
        assert ("threaded-ml", os.SCHED_RR, 5) in real_time
        assert len(real_time) == 2, real_time
    else:
        assert "real-time refused" in err
        assert all(rt_policy == os.SCHED_OTHER for _, rt_policy, _ in seen)
