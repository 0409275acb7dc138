"""Durations as script authors write them (`5`, `2.5`, `"1m30s"`, `"12m"`, `"1h"`) and as people read them."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: object) -> float:
    """Seconds from a number or a string like "1m30s"; raises ValueError with a readable reason."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 5, 2.5, \"90s\" or \"1m30s\", not true/false")
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:  # an integer of hundreds of digits
            seconds = float("inf")
    elif isinstance(value, str):
        seconds = _parse_text(value.strip().lower())
    else:
        raise ValueError("expected a duration such as 5, 2.5, \"90s\" or \"1m30s\"")
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValueError("a duration must be a finite number of seconds")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative ({format_duration(seconds)})")
    return seconds


def _parse_text(text: str) -> float:
    """Seconds from a duration string; a bare number counts as seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    position = 0
    total = 0.0
    seen: set[str] = set()
    compact = text.replace(" ", "")
    while position < len(compact):
        match = _PART.match(compact, position)
        if match is None or match.group(2) in seen:
            raise ValueError(
                f"'{text}' is not a duration: write seconds (5, 2.5) or units like \"90s\", "
                "\"1m30s\", \"12m\", \"1h\""
            )
        seen.add(match.group(2))
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not seen:
        raise ValueError(f"'{text}' is not a duration")
    return total


def format_duration(seconds: float) -> str:
    """A short human form: 0:05.0 below a minute, 12:30 or 1:02:03 above."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    if not seconds < 1e7:  # beyond any session (or not finite): no clock of a hundred digits
        return f"{seconds:.3g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_clock(seconds: float) -> str:
    """A fixed-width clock for listings: 00:05.2 or 1:02:03.4."""
    tenths = round(seconds * 10)
    whole, tenth = divmod(tenths, 10)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}.{tenth}"
    return f"{minutes:02d}:{secs:02d}.{tenth}"
