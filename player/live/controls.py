"""The live session's vocabulary: what a listener asks for, what the program queues, where play is."""

from __future__ import annotations

import enum


class Command(enum.Enum):
    """What a listener can ask for."""

    PAUSE = "pause"
    NEXT = "next"
    PREVIOUS = "previous"
    VOICE_UP = "voice up"
    VOICE_DOWN = "voice down"
    AMBIENT_UP = "ambient up"
    AMBIENT_DOWN = "ambient down"
    STATUS = "status"
    END = "end"
    SAFE_EXIT = "safe exit"
    INTERRUPT = "interrupt"


class Update(enum.Enum):
    """What the program itself queues for a session while it plays (from the thread making the voice)."""

    SWAP = "swap"
    """A longer timeline replaces the opening (argument: the timeline and whether it is complete)."""
    SET_EXIT = "set exit"
    """The safe exit's timeline, made after play began."""
    ABANDON = "abandon"
    """The rest could not be made: end after the opening (argument: why)."""
    SPEAK = "speak"
    """Spoken feedback to play over the session (argument: the clip)."""


class Phase(enum.Enum):
    """Where a live session is."""

    SETTLE = "settle"
    """Quiet before the first word."""
    MAIN = "main"
    """The practice plays (or is paused)."""
    ENDING = "ending"
    """The listener asked to end: the gentle end fades out and closes."""
    EXIT = "exit"
    """The safe exit plays."""
    DONE = "done"
    """Nothing more of the program plays; feedback may still ring out."""


Queued = tuple[Command | Update, object]
"""A queued command or update and its argument (None for a listener's command)."""
