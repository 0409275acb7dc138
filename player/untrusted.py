"""Text from outside the program (a script, --set, a file name) made safe for every reader.

A terminal obeys escape sequences (an OSC 52 clipboard write, a cleared screen), and VTT
files and ID3 tags carry text to other programs, so control characters never get in: the
loader refuses them with a location, and `printable` escapes what must still be shown
(a file's own name, say).
"""

from __future__ import annotations

import unicodedata

ALLOWED_CONTROLS = frozenset("\n\t")
"""Line breaks and tabs are layout in a folded YAML text, not commands."""
MAX_SET_CHARS = 1_000
"""The longest --set value: a name or a place, never a whole script."""


def describe(char: str) -> str:
    """A character as a reader can see it: U+001B (a control character)."""
    kind = "a lone surrogate, not text" if unicodedata.category(char) == "Cs" else "a control character"
    return f"U+{ord(char):04X} ({kind})"


def _bad(char: str) -> bool:
    """A control character (C0, DEL, C1) or a lone surrogate."""
    return char not in ALLOWED_CONTROLS and unicodedata.category(char) in ("Cc", "Cs")


def control_problem(text: str) -> str | None:
    """Why a text cannot be used (the first control character or lone surrogate in it), or None."""
    for index, char in enumerate(text):
        if _bad(char):
            return (f"holds {describe(char)} at character {index + 1}; "
                    "scripts hold plain text (a terminal or a player would obey it)")
    return None


def printable(text: str) -> str:
    """Text with every control character and lone surrogate shown as an escape, safe to print."""
    if not any(_bad(char) for char in text):
        return text
    return "".join(char.encode("unicode_escape").decode("ascii") if _bad(char) else char for char in text)
