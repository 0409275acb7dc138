"""Each value check's exact message at its FILE:LINE:COL (survivors of the run over player/script/values.py).

Columns are counted by hand in the YAML text: the value's first character (or the key's, for a
problem with a key). The mutants these kill and the ones left as equivalent: docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import ScriptError
from player.script.loader import load_script
from player.script.model import AmbientChange, Where

WriteScript = Callable[..., Path]


def problems(path: Path) -> list[str]:
    """The lines a user reads for a script that fails, with its path written as F."""
    with pytest.raises(ScriptError) as error:
        load_script(path)
    return [line.replace(str(path), "F", 1) for line in str(error.value).splitlines()]


def test_every_kind_of_bad_value_is_reported_at_once_and_located(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        voice: [a]
        ambient: {sound: rain, sound: ocean, 3: x, levl: -3}
        steps:
          - say: [Hi]
          - pause: ~
          - pause: {seconds: 3, flexible: maybe}
          - chime: {sound: [bowl]}
          - breathe: {pattern: squre}
          - say: {text: true}
          - breathe: {in: 4, out: 4, cycles: 2.5}
          - pause: 4000
          - repeat: 1000
            steps:
              - pause: 1
          - pause: abc
          - chime: {sound: bowl, volume: none}
          - chime: {sound: bowl, volume: -1}
          - say: {rate: 1}
          - breathe: {in: 4, out: 4, cycles: true}
    """)
    not_a_duration = 'is not a duration: write seconds (5, 2.5) or units like "90s", "1m30s", "12m", "1h"'
    assert problems(path) == [
        "F:2:8: 'voice' must be a mapping of keys and values",
        # After a repeated key and a key that is not a word, the keys after them are still read.
        "F:3:24: 'sound' is given twice in 'ambient'",
        "F:3:38: 'ambient': keys must be plain words",
        "F:3:44: unknown key 'levl' in 'ambient' (did you mean 'level'?)",
        "F:5:10: 'say' must be a single value, not a list or mapping",
        "F:6:12: 'pause' needs a value",
        "F:7:35: 'flexible' must be true or false",
        "F:8:20: 'sound' must be a single value, not a list or mapping",
        "F:9:14: 'breathe' needs a pattern (box, 4-7-8, resonance, calm) or both 'in' and 'out' seconds",
        "F:9:24: 'pattern' must be one of box, 4-7-8, resonance, calm, not 'squre'",
        "F:10:17: 'text' must be text",
        "F:11:38: 'cycles' must be a whole number, not '2.5'",
        "F:12:12: 'pause' must be at most 1:00:00, not 1:06:40 (the limit for a single pause is 1 h)",
        "F:13:13: 'repeat' must be at most 100, not 1000 (the limit for repeat is 100)",
        f"F:16:12: 'pause': 'abc' {not_a_duration}",
        "F:17:34: 'volume' must be a number, not 'none'",
        "F:18:34: 'volume' must be at least 0.0, not -1",
        "F:19:10: 'say' needs 'text'",
        "F:20:38: 'cycles' must be a number, not 'True'",
    ]


def test_a_text_without_variables_is_refused_past_five_thousand_characters(write_script: WriteScript) -> None:
    # `author` is plain text (no {variables}): its own limit message, not the template one.
    at_limit = write_script("title: T\nauthor: " + "a" * 5000 + "\nsteps:\n  - say: hi\n")
    assert load_script(at_limit).author == "a" * 5000
    over = write_script("title: T\nauthor: " + "a" * 5001 + "\nsteps:\n  - say: hi\n", "over.yaml")
    assert problems(over) == ["F:2:9: 'author' is 5,001 characters; the limit for one text is 5,000"]


def test_none_in_any_case_and_null_turn_the_bed_off(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        ambient: {sound: NONE}
        steps:
          - ambient: None
          - ambient: ~
          - ambient: {sound: none}
    """)
    script = load_script(path)
    assert script.ambient.sound is None
    f = str(path)
    assert script.steps == (AmbientChange(sound=None, where=Where(f, 4, 5), crossfade=6.0),
                            AmbientChange(sound=None, where=Where(f, 5, 5), crossfade=6.0),
                            AmbientChange(sound=None, where=Where(f, 6, 5), crossfade=6.0))


def test_a_maximum_says_why_only_where_it_is_the_formats_limit(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        steps:
          - repeat: 2
            steps: 5
          - ambient: {sound: rain, crossfade: 200}
          - chime: {sound: bowl, volume: 2}
    """)
    assert problems(path) == [
        "F:3:5: 'repeat' needs at least one step under 'steps'",
        "F:4:12: 'steps' must be a list of steps, each line starting with '- '",
        "F:5:39: 'crossfade' must be at most 2:00, not 3:20",  # a duration, but not a pause: no note
        "F:6:34: 'volume' must be at most 1.0, not 2",
    ]
