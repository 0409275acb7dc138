"""The names of the built-in beds and chimes, with a line about each."""

from __future__ import annotations

BEDS: dict[str, str] = {
    "rain": "steady soft rain",
    "ocean": "slow waves on a shore",
    "stream": "a small running stream",
    "wind": "wind moving through open space",
    "brown-noise": "deep, rumbling noise",
    "pink-noise": "balanced, gentle noise",
    "white-noise": "bright, even noise",
    "night": "soft insects on a warm night",
    "room-tone": "the quiet hum of a still room",
}

CHIMES: dict[str, str] = {
    "bowl": "a singing bowl with a long decay",
    "bell": "a clear small bell",
    "soft": "a gentle rounded tone",
    "wood": "a short wood block",
}


def is_path(name: str) -> bool:
    """Whether a sound is named by a file path rather than a built-in name (those have no / \\ or .)."""
    return any(mark in name for mark in ("/", "\\", "."))


def is_builtin_bed(name: str) -> bool:
    """Whether a name is one of the built-in ambient beds."""
    return name in BEDS


def is_builtin_chime(name: str) -> bool:
    """Whether a name is one of the built-in chimes."""
    return name in CHIMES
