"""Reopening the device with more latency (after underruns) is not taken for a frozen sound server.

On a busy machine draining the old stream and opening the new one took seconds; the stall
watch then counted that time as the new stream's silence and stopped the session with "the
sound device stopped answering" (seen in the ten-minute live test under load).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from player.errors import DeviceError
from player.live import device
from player.live.device import LATENCIES, STALL_SECONDS, UNDERRUNS_TO_GROW, LivePlayer
from player.live.transport import LiveSession
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]


def idle_player(write_script: WriteScript, fake_speaker: Speaker) -> LivePlayer:
    """A player of a short session whose device is never opened (the watch loop is driven by hand)."""
    script = load_script(write_script("title: Short\nsteps:\n  - pause: 2\n"))
    return LivePlayer(LiveSession(compile_timeline(script, fake_speaker)))


class Waits(threading.Event):
    """The player's `finished`: each wait is one turn of the watch loop (the fake clock stands
    still unless something moves it), and the session ends after `turns` turns."""

    def __init__(self, turns: int) -> None:
        super().__init__()
        self.turns = turns

    def wait(self, timeout: float | None = None) -> bool:
        self.turns -= 1
        return self.turns < 0


def test_a_slow_reopen_is_not_a_frozen_device(monkeypatch: pytest.MonkeyPatch, write_script: WriteScript,
                                               fake_speaker: Speaker) -> None:
    clock = [0.0]
    monkeypatch.setattr(device, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    player = idle_player(write_script, fake_speaker)
    player.underruns = UNDERRUNS_TO_GROW

    def slow_reopen() -> None:
        player.latency = LATENCIES[-1]
        clock[0] += STALL_SECONDS + 3.0  # the drain and the opening, on a busy machine

    monkeypatch.setattr(player, "_more_latency", slow_reopen)
    player.finished = Waits(turns=3)  # the new stream has not called back yet
    assert player._wait() is False


def test_a_stream_that_never_calls_back_is_still_found_frozen(monkeypatch: pytest.MonkeyPatch,
                                                              write_script: WriteScript, fake_speaker: Speaker) -> None:
    clock = [0.0]
    monkeypatch.setattr(device, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    player = idle_player(write_script, fake_speaker)

    class Stalled(Waits):
        def wait(self, timeout: float | None = None) -> bool:
            clock[0] += 1.0
            return super().wait(timeout)

    player.finished = Stalled(turns=100)
    with pytest.raises(DeviceError, match="stopped answering"):
        player._wait()
    assert clock[0] == pytest.approx(STALL_SECONDS + 1.0)
