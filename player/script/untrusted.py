"""Text from outside the program (a script, --set, a file name) made safe for every reader.

A terminal obeys escape sequences (an OSC 52 clipboard write, a cleared screen), and VTT
files and ID3 tags carry text to other programs, so control characters never get in: the
loader refuses them with a location, and `printable` escapes what must still be shown
(a file's own name, say).
"""

from __future__ import annotations

import re
import unicodedata

from player.script.limits import MAX_SET_CHARS as MAX_SET_CHARS


def describe(char: str) -> str:
    """A character as a reader can see it: U+001B (a control character)."""
    category = unicodedata.category(char)
    kind = ("a lone surrogate, not text" if category == "Cs" else
            "a bidirectional control: it reorders the text shown after it" if category == "Cf" else
            "a control character")
    return f"U+{ord(char):04X} ({kind})"


_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
"""Unicode's control characters (category Cc: C0, DEL, C1) but tab and newline, lone surrogates, and
the explicit bidirectional embeddings, overrides and isolates: U+202E in a chapter title reversed the
rest of `check`'s line on the terminal (and of a player's title). The implicit marks (U+200E, U+200F)
and joiners that right-to-left text and emoji need are kept."""


def control_problem(text: str) -> str | None:
    """Why a text cannot be used (the first control character or lone surrogate in it), or None."""
    found = _BAD.search(text)
    if found is None:
        return None
    return (f"holds {describe(found.group())} at character {found.start() + 1}; "
            "scripts hold plain text (a terminal or a player would obey it)")


def printable(text: str) -> str:
    """Text with every control character and lone surrogate shown as an escape, safe to print."""
    return _BAD.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


def without_controls(text: str) -> str:
    """Text with every control character and lone surrogate removed (a title made from a file name)."""
    return _BAD.sub("", text)
