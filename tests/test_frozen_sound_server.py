"""A frozen sound server (its daemon stopped with SIGSTOP) must not hold live play hostage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pulse import PulseServer, available

pytestmark = [pytest.mark.real, pytest.mark.skipif(not available() and not os.environ.get("CI"),
                                                   reason="PulseAudio is not installed")]
HANG = 60
"""Seconds after which the player is taken to hang (it used to ignore signals for over a minute)."""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, None], ids=["SIGINT", "SIGTERM", "no signal"])
def test_play_stops_when_the_sound_server_freezes(tmp_path: Path, signum: int | None) -> None:
    server = PulseServer(tmp_path / "pulse")
    server.start()
    daemon = int((tmp_path / "pulse" / "pulse" / "pid").read_text())
    process = subprocess.Popen([sys.executable, "-m", "player", "timer", "10m"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=server.env,
                               start_new_session=True)
    try:
        server.wait_until_playing(process)
        os.kill(daemon, signal.SIGSTOP)
        if signum is not None:
            time.sleep(0.5)  # the device is answering no more
            os.killpg(process.pid, signum)
        try:
            _, err = process.communicate(timeout=HANG)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("play hung on the frozen sound server") from None
    finally:
        os.kill(daemon, signal.SIGCONT)
        if process.poll() is None:
            process.kill()
        server.stop()
    assert "Traceback" not in err
    if signum is None:
        assert process.returncode == 1, err
        assert "Error: the sound device stopped answering" in err
    else:
        assert process.returncode == 130, err
        assert [line for line in err.splitlines() if line.strip()] == ["Stopped."]
