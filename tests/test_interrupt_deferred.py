"""A Ctrl-C that lands in the import system's own code is delivered again, not lost.

Raised inside importlib's module-lock callback, a KeyboardInterrupt is printed as "Exception
ignored in ... cb" with a traceback and dropped, and the export ran on to its end (seen once in
`make test`: tests/test_interrupt_exit.py). The handler now sends the signal again a moment
later, when that code has returned.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

import pytest

from player.cli import launch


def frame_of(filename: str) -> FrameType:
    """A live frame whose code comes from `filename`."""
    namespace: dict[str, object] = {}
    exec(compile("import sys\nframe = sys._getframe()", filename, "exec"), namespace)
    frame = namespace["frame"]
    assert isinstance(frame, FrameType)
    return frame


def test_a_signal_inside_the_import_machinery_is_sent_again_and_nothing_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent = threading.Event()
    signals: list[tuple[int, int]] = []

    def kill(pid: int, signum: int) -> None:
        signals.append((pid, signum))
        sent.set()

    monkeypatch.setattr(os, "kill", kill)
    before = {signum: signal.getsignal(signum) for signum in launch.SIGNALS}
    try:
        launch._interrupt_once(signal.SIGINT, frame_of("<frozen importlib._bootstrap>"))
    except KeyboardInterrupt:
        for signum, handler in before.items():
            signal.signal(signum, handler)
        pytest.fail("raised inside the import machinery, where it is lost")
    assert sent.wait(10)
    assert signals == [(os.getpid(), signal.SIGINT)]
    # Still the first signal: the handlers are not yet those that stop at once.
    assert {signum: signal.getsignal(signum) for signum in launch.SIGNALS} == before


def test_elsewhere_the_first_signal_raises_and_the_next_stops_at_once() -> None:
    before = {signum: signal.getsignal(signum) for signum in launch.SIGNALS}
    try:
        with pytest.raises(KeyboardInterrupt):
            launch._interrupt_once(signal.SIGTERM, sys._getframe())
        assert all(signal.getsignal(signum) is launch.stop_now for signum in launch.SIGNALS)
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
