"""The script format as data: every key, step and limit, in one place.

The validator in script.py walks these definitions, and the JSON Schema for editors is
generated from them, so the two can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# The format's limits live in player.script.limits; named here too, where the loader finds them.
from player.script.limits import LEVEL_RANGE as LEVEL_RANGE
from player.script.limits import MAX_PAUSE_SECONDS as MAX_PAUSE_SECONDS
from player.script.limits import MAX_REPEAT as MAX_REPEAT
from player.script.limits import MAX_SESSION_SECONDS as MAX_SESSION_SECONDS
from player.script.limits import MAX_STEPS as MAX_STEPS
from player.script.limits import MAX_TEXT_CHARS as MAX_TEXT_CHARS

Kind = Literal[
    "text", "name", "number", "integer", "duration", "bool", "choice", "names", "durations", "vars", "steps",
]
EYES = ("closed", "open", "partly")
"""closed: can be done with eyes closed; open: needs them open (walking); partly: some of it."""


@dataclass(frozen=True)
class Field:
    """One key of a mapping in the script format."""

    kind: Kind
    doc: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    """`null` (or `none` for sounds) is accepted and means "nothing"."""
    template: bool = False
    """Text in which `{var}` is filled in."""


@dataclass(frozen=True)
class StepForm:
    """One step: its long-form keys and which of them the short form fills."""

    doc: str
    fields: dict[str, Field]
    short: str | None = None
    """The key that `- step: value` fills; None when only the long form exists."""
    example: str = ""


ENGINES = ("auto", "piper", "system")
CUES = ("voice", "tone", "both", "none")

BREATH_PATTERNS: dict[str, tuple[float, float, float, float]] = {
    # name: (in, hold, out, hold_out) in seconds
    "box": (4.0, 4.0, 4.0, 4.0),
    "4-7-8": (4.0, 7.0, 8.0, 0.0),
    "resonance": (5.5, 0.0, 5.5, 0.0),
    "calm": (4.0, 0.0, 6.0, 0.0),
}
DEFAULT_BREATH_CYCLES = 4

VOICE_FIELDS: dict[str, Field] = {
    "engine": Field("choice", "auto | piper | system (system = pyttsx3)", choices=ENGINES),
    "name": Field("name", "an engine voice id; `practice voices` lists them", nullable=True),
    "rate": Field("number", "1.0 = unhurried guided practice, about 130 words a minute", minimum=0.5, maximum=2.0),
    "volume": Field("number", "0.0 to 1.0", minimum=0.0, maximum=1.0),
    "sentence_gap": Field(
        "duration", "seconds of silence between sentences inside one say", minimum=0.0, maximum=10.0,
    ),
}

AMBIENT_FIELDS: dict[str, Field] = {
    "sound": Field("name", "a built-in bed, a file path, or none", nullable=True),
    "level": Field("number", "dB relative to the voice while it speaks", minimum=LEVEL_RANGE[0],
                   maximum=LEVEL_RANGE[1]),
    "pause_level": Field("number", "dB during pauses", minimum=LEVEL_RANGE[0], maximum=LEVEL_RANGE[1]),
    "long_silence_level": Field("number", "dB past 20 s of quiet", minimum=LEVEL_RANGE[0], maximum=LEVEL_RANGE[1]),
    "fade_in": Field("duration", "seconds", minimum=0.0, maximum=120.0),
    "fade_out": Field("duration", "seconds", minimum=0.0, maximum=120.0),
}

TOP_FIELDS: dict[str, Field] = {
    "title": Field("text", "the practice's title", required=True, template=True),
    "description": Field("text", "what it is for, how long, eyes closed or open", template=True),
    "author": Field("text", "becomes the artist tag on export"),
    "collection": Field("text", "the album tag on export: the series this practice belongs to", template=True),
    "cover": Field("text", "a JPEG or PNG image beside the script: cover art on export"),
    "language": Field("name", "a language tag such as en-US"),
    "eyes": Field("choice", "closed (can be done with eyes closed) | open (needs them open) | partly",
                  choices=EYES),
    "lengths": Field("durations", "lengths it is written to stretch or shrink to with --length, e.g. [5m, 10m]",
                     minimum=1.0, maximum=MAX_SESSION_SECONDS),
    "tags": Field("names", "a list of words"),
    "vars": Field("vars", "template values used as {name} in any text; --set name=Sam"),
    "voice": Field("text", "voice settings"),  # a mapping: see VOICE_FIELDS
    "ambient": Field("text", "the ambient bed"),  # a name, or a mapping: see AMBIENT_FIELDS
    "pace": Field("number", "multiplies every pause", minimum=0.25, maximum=4.0),
    "length": Field("duration", "target length; flexible pauses stretch or shrink to hit it",
                    minimum=1.0, maximum=MAX_SESSION_SECONDS),
    "steps": Field("steps", "what happens, in order", required=True),
    "on_exit": Field("steps", "steps for the safe exit in live play"),
    "support": Field("text", "who a listener can reach (a therapist's number, a crisis line): spoken at "
                     "the close and in the safe exit, written in the comment tag; --set support=..."),
}

STEP_FORMS: dict[str, StepForm] = {
    "say": StepForm(
        "speak a text; `[pause 2s]` inside it pauses; `{var}` is filled in",
        {
            "text": Field("text", "what to say", required=True, template=True),
            "rate": Field("number", "speaking rate for this step", minimum=0.5, maximum=2.0),
            "voice": Field("name", "an engine voice id for this step"),
            "pause_after": Field("duration", "seconds of quiet after it", minimum=0.0, maximum=MAX_PAUSE_SECONDS),
        },
        short="text",
        example="- say: Notice your feet on the floor.",
    ),
    "pause": StepForm(
        "quiet time; a flexible pause stretches or shrinks to fit a target length",
        {
            "seconds": Field("duration", "how long", required=True, minimum=0.0, maximum=MAX_PAUSE_SECONDS),
            "flexible": Field("bool", "may `length` stretch or shrink it"),
            "min": Field("duration", "the shortest a flexible pause may become",
                         minimum=0.0, maximum=MAX_PAUSE_SECONDS),
            "max": Field("duration", "the longest a flexible pause may become", minimum=0.0, maximum=MAX_PAUSE_SECONDS),
        },
        short="seconds",
        example="- pause: 5",
    ),
    "chapter": StepForm(
        "starts a named section: a chapter in exports, a skip point live",
        {"title": Field("text", "the chapter's name", required=True, template=True)},
        short="title",
        example="- chapter: Listening",
    ),
    "chime": StepForm(
        "a chime: a built-in name (`practice sounds`) or a file",
        {
            "sound": Field("name", "which chime", required=True),
            "volume": Field("number", "0.0 to 1.0", minimum=0.0, maximum=1.0),
        },
        short="sound",
        example="- chime: bowl",
    ),
    "breathe": StepForm(
        "paced breathing: a named pattern or explicit phases",
        {
            "pattern": Field("choice", "a named pattern", choices=tuple(BREATH_PATTERNS)),
            "in": Field("duration", "seconds breathing in", minimum=0.5, maximum=60.0),
            "hold": Field("duration", "seconds holding after the in-breath", minimum=0.0, maximum=60.0),
            "out": Field("duration", "seconds breathing out", minimum=0.5, maximum=60.0),
            "hold_out": Field("duration", "seconds holding after the out-breath",
                              minimum=0.0, maximum=60.0),
            "cycles": Field("integer", "how many breaths", minimum=1, maximum=MAX_REPEAT),
            "cue": Field("choice", "voice | tone | both | none", choices=CUES),
        },
        short="pattern",
        example="- breathe: box",
    ),
    "repeat": StepForm(
        "the steps beside it, several times",
        {
            "repeat": Field("integer", "how many times", required=True, minimum=1, maximum=MAX_REPEAT),
            "steps": Field("steps", "the steps to repeat", required=True),
        },
        example="- repeat: 3\n  steps:\n    - breathe: calm",
    ),
    "play": StepForm(
        "a recorded clip (any common audio format), relative to the script",
        {
            "file": Field("name", "the clip's path", required=True),
            "volume": Field("number", "0.0 to 1.0", minimum=0.0, maximum=1.0),
        },
        short="file",
        example="- play: clips/welcome.wav",
    ),
    "ambient": StepForm(
        "changes the bed mid-session with a crossfade",
        {
            "sound": Field("name", "a built-in bed, a file, or none", required=True, nullable=True),
            "crossfade": Field("duration", "seconds", minimum=0.0, maximum=120.0),
        },
        short="sound",
        example="- ambient: ocean",
    ),
    "silence": StepForm(
        "a timed sit, with interval chimes",
        {
            "duration": Field("duration", "how long", required=True, minimum=0.0, maximum=MAX_PAUSE_SECONDS),
            "bells_every": Field("duration", "a chime every so often", minimum=1.0,
                                 maximum=MAX_PAUSE_SECONDS),
            "chime": Field("name", "which chime rings"),
        },
        short="duration",
        example="- silence: {duration: 10m, bells_every: 5m}",
    ),
}

STEP_NAMES = tuple(STEP_FORMS)

OPTION_FIELDS: dict[str, Field] = {
    # The command line's numbers, checked by the same rule as a script's.
    "--length": TOP_FIELDS["length"],
    "--pace": TOP_FIELDS["pace"],
    "--rate": VOICE_FIELDS["rate"],
    "--settle": Field("duration", "quiet before the first word", minimum=0.0, maximum=MAX_PAUSE_SECONDS),
    "--linger": Field("duration", "the bed after the last step", minimum=0.0, maximum=MAX_SESSION_SECONDS),
}


def number_problem(value: object, spec: Field, show: Callable[[float], str] = str) -> str | None:
    """Why a number does not fit its field (not finite, not whole, out of range), or None.

    The one check every number from a script or the command line passes: comparisons with NaN
    are all false, so finiteness is checked first and explicitly.
    """
    # An int is always finite, and math.isfinite of one with hundreds of digits raises OverflowError.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not math.isfinite(value)):
        return f"must be a finite number, not {value}"
    if spec.kind == "integer" and not isinstance(value, int):
        return f"must be a whole number, not {value}"
    if spec.minimum is not None and value < spec.minimum:
        return f"must be at least {show(spec.minimum)}, not {show(value)}"
    if spec.maximum is not None and value > spec.maximum:
        return f"must be at most {show(spec.maximum)}, not {show(value)}"
    return None


def check_number(value: float, low: float, high: float, what: str) -> float:
    """A finite number within [low, high]; ValueError saying which limit it breaks otherwise."""
    problem = number_problem(value, Field("number", what, minimum=low, maximum=high))
    if problem is not None:
        raise ValueError(f"{what} {problem}")
    return value
