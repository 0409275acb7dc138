"""Keys from the terminal for live play, read in cbreak mode and always restored."""

from __future__ import annotations

import os
import select
import sys
import termios
import threading
import tty
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

from player.live.transport import Command

KEYMAP: dict[str, Command] = {
    " ": Command.PAUSE,
    "n": Command.NEXT, "\x1b[C": Command.NEXT, "\x1bOC": Command.NEXT,
    "p": Command.PREVIOUS, "\x1b[D": Command.PREVIOUS, "\x1bOD": Command.PREVIOUS,
    "\x1b[A": Command.VOICE_UP, "\x1bOA": Command.VOICE_UP,
    "\x1b[B": Command.VOICE_DOWN, "\x1bOB": Command.VOICE_DOWN,
    "+": Command.AMBIENT_UP, "=": Command.AMBIENT_UP,
    "-": Command.AMBIENT_DOWN, "_": Command.AMBIENT_DOWN,
    "s": Command.STATUS,
    "q": Command.END,
    "x": Command.SAFE_EXIT, "\x1b": Command.SAFE_EXIT,
}
KEY_HELP = "space pause · ←/→ chapters · ↑/↓ voice · +/- ambient · s status · q end · x safe exit"
ESCAPE_WAIT = 0.05
"""How long after ESC to wait for the rest of an arrow key's sequence."""


def split_keys(data: str) -> list[str]:
    """Keys from a chunk of terminal input: arrow sequences stay whole."""
    keys: list[str] = []
    index = 0
    while index < len(data):
        if data[index] == "\x1b" and index + 2 < len(data) and data[index + 1] in "[O":
            keys.append(data[index:index + 3])
            index += 3
        else:
            keys.append(data[index])
            index += 1
    return keys


class KeyReader:
    """Reads keys on a thread while active; the terminal is put back however the block exits."""

    def __init__(self, on_command: Callable[[Command], None], stream: TextIO | None = None) -> None:
        self.on_command = on_command
        self.stream = stream if stream is not None else sys.stdin
        self.fd = -1
        self.saved: list[Any] | None = None
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    @staticmethod
    def available(stream: TextIO | None = None) -> bool:
        """Whether there is a terminal to read keys from."""
        target = stream if stream is not None else sys.stdin
        try:
            return target is not None and target.isatty()
        except (AttributeError, ValueError):
            return False

    def __enter__(self) -> KeyReader:
        self.fd = self.stream.fileno()
        self.saved = termios.tcgetattr(self.fd)
        # cbreak, not raw: keys arrive one at a time without echo, and Ctrl-C still sends SIGINT.
        tty.setcbreak(self.fd)
        self.thread = threading.Thread(target=self._read, name="keys", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop.set()
        self.restore()

    def restore(self) -> None:
        """Put the terminal back as it was."""
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None

    def _read(self) -> None:
        """Turn keypresses into commands until stopped."""
        while not self.stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 64)
            except OSError:
                return
            if data == b"\x1b":
                more, _, _ = select.select([self.fd], [], [], ESCAPE_WAIT)
                if more:
                    data += os.read(self.fd, 64)
            for key in split_keys(data.decode("utf-8", "replace")):
                command = KEYMAP.get(key) or KEYMAP.get(key.lower())
                if command is not None:
                    self.on_command(command)
