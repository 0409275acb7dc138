"""The support line: who a listener can reach, spoken at the close and in the safe exit.

An exported file cannot be stopped with a key, so a script (`support:`) or a therapist
(`--set support="..."`) can name a person or a service to contact. It is spoken after the last
words of the practice and of its safe exit, and written into the file's comment tag. The text
comes from outside (a command line, a shared script), so it is checked once, here: bounded,
plain, printable text.
"""

from __future__ import annotations

import re
import unicodedata

from player.script.limits import MAX_SUPPORT_CHARS as MAX_SUPPORT_CHARS
from player.script.model import Pause, Say, Step, Where

SUPPORT_VAR = "support"
"""The variable that holds the support line (`--set support=...`, or the `support:` key)."""
INTRODUCTION = "If you would like support after this practice, here is who you can reach."
_MARKER = re.compile(r"\[\s*pause", re.IGNORECASE)


def support_problem(text: str) -> str | None:
    """Why a support line cannot be used (control characters, length, no words), or None."""
    if len(text) > MAX_SUPPORT_CHARS:
        return f"the support line is {len(text):,} characters; the limit is {MAX_SUPPORT_CHARS}"
    # Control, format (bidirectional overrides) and line/paragraph separators could hide text
    # in a tag or break a transcript cue: a support line is one plain line.
    bad = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")})
    if bad:
        return f"the support line must be plain text on one line (it contains {', '.join(bad[:3])})"
    if _MARKER.search(text):
        return "the support line cannot hold a [pause] marker"
    if text and not any(c.isalnum() for c in text):
        return "the support line needs words or a number, such as 'Dr. Lee, 5 5 5 0 1 0 0'"
    return None


def spoken_line(support: str) -> str:
    """The support text as one sentence of its own (whatever its grammar), ending in a stop."""
    text = " ".join(support.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def support_steps(support: str, where: Where) -> tuple[Step, ...]:
    """The steps that speak the support line: an introduction, the line, and the line again."""
    line = spoken_line(support)
    return (
        Pause(seconds=2.0, where=where),
        Say(text=INTRODUCTION, where=where),
        Pause(seconds=1.5, where=where),
        Say(text=line, where=where),
        Pause(seconds=2.5, where=where),
        Say(text=f"Once more. {line}", where=where),
        Pause(seconds=2.0, where=where),
    )


def with_support(steps: tuple[Step, ...], support: str, where: Where) -> tuple[Step, ...]:
    """The steps with the support line spoken after their last words (before a closing chime)."""
    if not support.strip() or not steps:
        return steps
    last = max((index for index, step in enumerate(steps) if isinstance(step, Say)), default=len(steps) - 1)
    # Keep a pause that follows the last words where it is: it belongs to them.
    cut = last + 1
    if cut < len(steps) and isinstance(steps[cut], Pause):
        cut += 1
    return steps[:cut] + support_steps(support, where) + steps[cut:]


def comment_with_support(comment: str, support: str) -> str:
    """A file's comment tag with the support line after the description."""
    if not support.strip():
        return comment
    line = f"Support: {' '.join(support.split())}"
    return f"{comment} {line}" if comment else line
