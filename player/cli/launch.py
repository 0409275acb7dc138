"""The `practice` entry point: Ctrl-C and SIGTERM answered with one line from the first instant.

Signals are taken over before anything slow is imported. Until a command is running there is
nothing to clean up, so a signal stops at once; while one runs (`graceful`), the first signal
raises KeyboardInterrupt in the main thread so exports remove their temporaries and live play
fades out and restores the terminal, and a second one stops at once. Either way the process
says "Stopped." and exits 130. Threads never report a KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

STOPPED = "Stopped."
EXIT_INTERRUPTED = 130
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_said_stopped = threading.Event()
_terminal: tuple[int, list[Any]] | None = None
"""Standard input's terminal settings at start, put back by a stop at once."""


def main() -> None:
    """Entry point of the `practice` command."""
    _save_terminal()
    for signum in SIGNALS:
        # An ignored signal stays ignored: a shell starts background jobs with SIGINT ignored.
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, stop_now)
    threading.excepthook = _quiet_interrupts
    command = sys.argv[2:] if sys.argv[1:2] == ["--debug"] else sys.argv[1:]
    if command[:1] == ["play"]:  # its saved opening starts while the rest loads
        from player.live.prelude import begin

        begin(command[1:])
    from player.cli.commands import cli  # the slow part: every import the commands need

    cli(prog_name="practice")


def stop_now(signum: int, frame: FrameType | None) -> None:
    """A signal with nothing (more) to clean up: restore the terminal, say so, exit 130."""
    _restore_terminal()
    from player.signals import stop_workers

    stop_workers()  # before they notice their parent has gone, which they would report
    if not _said_stopped.is_set():
        with contextlib.suppress(OSError):
            os.write(2, f"\n{STOPPED}\n".encode())
    os._exit(EXIT_INTERRUPTED)


def stopped_line() -> str:
    """What the CLI prints when interrupted (once: a later signal then exits without a word)."""
    _said_stopped.set()
    return f"\n{STOPPED}"


def _interrupt_once(signum: int, frame: FrameType | None) -> None:
    """The first signal while a command runs: KeyboardInterrupt, so the command cleans up."""
    for each in SIGNALS:
        signal.signal(each, stop_now)  # a second Ctrl-C during that clean-up stops at once
    raise KeyboardInterrupt


@contextlib.contextmanager
def graceful() -> Iterator[None]:
    """Within: a signal raises KeyboardInterrupt once; after: the handlers from before."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    for signum, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(signum, _interrupt_once)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _quiet_interrupts(args: threading.ExceptHookArgs) -> None:
    """Threads say nothing about an interruption (the main thread reports it once)."""
    if args.exc_type is not None and issubclass(args.exc_type, KeyboardInterrupt):
        return
    threading.__excepthook__(args)


def _save_terminal() -> None:
    """Remember standard input's terminal settings, if it is a terminal."""
    global _terminal
    try:
        import termios

        fd = sys.stdin.fileno()
        if os.isatty(fd):
            _terminal = (fd, termios.tcgetattr(fd))
    except (ImportError, OSError, ValueError, AttributeError):
        _terminal = None


def _restore_terminal() -> None:
    """Put standard input's terminal back as it was at start (cbreak mode off, echo on)."""
    if _terminal is None:
        return
    try:
        import termios

        termios.tcsetattr(_terminal[0], termios.TCSADRAIN, _terminal[1])
    except (ImportError, OSError):
        pass
