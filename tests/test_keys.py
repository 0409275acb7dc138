"""Terminal input to commands."""

from __future__ import annotations

import re
from pathlib import Path

from player.live.keys import KEYMAP, split_keys
from player.live.transport import Command


def test_arrow_sequences_stay_whole_and_plain_keys_split() -> None:
    assert split_keys(" \x1b[Ax\x1bq\x1b") == [" ", "\x1b[A", "x", "\x1b", "q", "\x1b"]


# How a terminal sends each key named in the README (arrows in normal and application mode).
SENT = {
    "space": [" "], "n": ["n"], "p": ["p"], "s": ["s"], "q": ["q"], "x": ["x"], "Esc": ["\x1b"],
    "+": ["+"], "-": ["-"], "right": ["\x1b[C", "\x1bOC"], "left": ["\x1b[D", "\x1bOD"],
    "up": ["\x1b[A", "\x1bOA"], "down": ["\x1b[B", "\x1bOB"],
}
# The README's words for each action, and the command that does it.
MEANS = {
    "pause": Command.PAUSE, "next chapter": Command.NEXT, "previous chapter": Command.PREVIOUS,
    "voice louder": Command.VOICE_UP, "voice softer": Command.VOICE_DOWN, "ambient louder": Command.AMBIENT_UP,
    "ambient softer": Command.AMBIENT_DOWN, "where am i": Command.STATUS, "gentle end": Command.END,
    "safe exit": Command.SAFE_EXIT,
}
README = Path(__file__).resolve().parent.parent / "README.md"


def documented_keys() -> dict[str, Command]:
    """Each key the README's key table names, with the command its words describe."""
    found: dict[str, Command] = {}
    for row in re.findall(r"^\| ([^|]+) \| ([^|]+) \|", README.read_text(encoding="utf-8"), re.MULTILINE):
        keys, action = row[0].strip(), row[1].strip().lower()
        if keys == "key" or set(keys) <= {"-"}:
            continue
        # "right or n / left or p" pairs with "next chapter / restart or previous chapter".
        for key_part, action_part in zip(keys.split(" / "), action.split(" / "), strict=False):
            meanings = [command for words, command in MEANS.items() if words in action_part]
            if " / " not in keys and " / " in action:  # "space | pause / resume": one key, one command
                meanings = [command for words, command in MEANS.items() if words in action]
            if not meanings:  # "up / down" with "voice louder / softer"
                subject = action.split()[0]
                meanings = [MEANS[f"{subject} {action_part.split()[-1]}"]]
            assert len(meanings) == 1, (keys, action)
            for key in key_part.split(" or "):
                found[key.strip()] = meanings[0]
    return found


def test_every_key_in_the_readme_does_what_it_says_and_nothing_else_is_bound() -> None:
    documented = documented_keys()
    assert set(documented) == set(SENT), documented
    bound: dict[str, Command] = {}
    for name, command in documented.items():
        for sent in SENT[name]:
            # Through the same path as typing: split into keys, then looked up.
            assert split_keys(sent) == [sent]
            assert KEYMAP[sent] is command, (name, sent)
            bound[sent] = command
    # Anything else bound is only a shifted twin of a documented key (= for +, _ for -).
    extra = {key: command for key, command in KEYMAP.items() if key not in bound}
    assert extra == {"=": Command.AMBIENT_UP, "_": Command.AMBIENT_DOWN}
