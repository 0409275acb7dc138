"""Terminal input to commands."""

from __future__ import annotations

from player.keys import KEYMAP, split_keys
from player.session import Command


def test_arrow_sequences_stay_whole_and_plain_keys_split() -> None:
    assert split_keys(" \x1b[Ax\x1bq\x1b") == [" ", "\x1b[A", "x", "\x1b", "q", "\x1b"]


def test_every_documented_key_has_a_command() -> None:
    expected = {
        " ": Command.PAUSE, "\x1b[C": Command.NEXT, "n": Command.NEXT, "\x1b[D": Command.PREVIOUS,
        "p": Command.PREVIOUS, "\x1b[A": Command.VOICE_UP, "\x1b[B": Command.VOICE_DOWN,
        "+": Command.AMBIENT_UP, "-": Command.AMBIENT_DOWN, "s": Command.STATUS, "q": Command.END,
        "x": Command.SAFE_EXIT, "\x1b": Command.SAFE_EXIT,
    }
    for key, command in expected.items():
        assert KEYMAP[key] is command
