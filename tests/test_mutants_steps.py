"""How a step is written, and each wrong way, at its FILE:LINE:COL (survivors of the run over player/script/steps.py).

Columns are counted by hand in the YAML text: a step's problem stands at its `- ` item (column
5 here), a value's at the value. The mutants these kill and the equivalent ones: docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import ScriptError
from player.script.loader import load_script
from player.script.model import AmbientChange, Chime, Pause, Play, Say, Silence, Where

WriteScript = Callable[..., Path]


def problems(path: Path) -> list[str]:
    """The lines a user reads for a script that fails, with its path written as F."""
    with pytest.raises(ScriptError) as error:
        load_script(path)
    return [line.replace(str(path), "F", 1) for line in str(error.value).splitlines()]


def test_each_wrong_shape_of_a_step_says_how_to_write_it(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        steps:
          - pause
          - pase
          - [a]
          - {say: hi, rate: 2}
          - {say: hi, pause: 2}
          - {rate: 2, breathe: box}
          - say: "..."
          - pause: {flexible: true}
          - {repeat: 2, stesp: [{pause: 1}]}
          - {repeat: x, steps: [{pause: 1}]}
    """)
    assert problems(path) == [
        "F:3:5: a step is written as '- name: value' (for example '- pause: 5'), not '- pause'",
        "F:4:5: a step is written as '- name: value' (for example '- pause: 5'), not '- pase' (did you mean 'pause'?)",
        "F:5:5: a step is written as '- name: value', not a list",
        "F:6:5: 'say' options go in its own mapping, e.g. '- say: {text: ..., rate: ...}'",
        "F:7:5: each step holds one action; start another line with '- ' for the next one",
        "F:8:5: 'breathe' options go in its own mapping, e.g. '- breathe: {pattern: ..., in: ...}'",
        "F:9:10: 'say' has no words to speak; for quiet, use '- pause: SECONDS'",
        "F:10:12: 'pause' needs 'seconds'",
        "F:11:5: 'repeat' needs 'steps'",
        "F:11:17: unknown key 'stesp' in 'repeat' (did you mean 'steps'?)",
        "F:12:14: 'repeat' must be a number, not 'x'",
    ]


def test_steps_that_are_not_a_list_are_refused(write_script: WriteScript) -> None:
    assert problems(write_script("title: T\nsteps: 5\n")) == [
        "F:2:8: 'steps' must be a list of steps, each line starting with '- '"]


def test_a_say_keeps_its_own_voice(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - say: {text: Hi., voice: en-gb}\n")
    assert load_script(path).steps == (Say(text="Hi.", where=Where(str(path), 3, 5), voice="en-gb"),)


def test_min_and_max_bracket_a_flexible_pause_and_may_equal_it(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        steps:
          - pause: {seconds: 5, min: 2}
          - pause: {seconds: 5, flexible: true, min: 6}
          - pause: {seconds: 5, flexible: true, max: 4}
    """)
    assert problems(path) == [
        "F:3:12: 'min' and 'max' only apply to a flexible pause: add 'flexible: true'",
        "F:4:12: 'min' (6.0s) is longer than the pause (5.0s)",
        "F:5:12: 'max' (4.0s) is shorter than the pause (5.0s)",
    ]
    equal = write_script("title: T\nsteps:\n  - pause: {seconds: 5, flexible: true, min: 5, max: 5}\n", "equal.yaml")
    assert load_script(equal).steps == (
        Pause(seconds=5.0, where=Where(str(equal), 3, 5), flexible=True, minimum=5.0, maximum=5.0),)


def test_a_chime_a_recording_and_a_bed_change_keep_their_own_settings(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        steps:
          - chime: {sound: bowl, volume: 0.3}
          - play: {file: clip.wav, volume: 0.4}
          - ambient: {sound: rain, crossfade: 2}
          - silence: {duration: 30, bells_every: 10, chime: bell}
    """)
    (path.parent / "clip.wav").write_bytes(b"RIFF")
    f = str(path)
    assert load_script(path).steps == (
        Chime(sound="bowl", where=Where(f, 3, 5), volume=0.3),
        Play(file=path.parent / "clip.wav", where=Where(f, 4, 5), volume=0.4),
        AmbientChange(sound="rain", where=Where(f, 5, 5), crossfade=2.0),
        Silence(duration=30.0, where=Where(f, 6, 5), bells_every=10.0, chime="bell"),
    )


def test_breathing_needs_a_pattern_or_both_in_and_out(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - breathe: {in: 4}\n  - breathe: {out: 4}\n")
    needs = "'breathe' needs a pattern (box, 4-7-8, resonance, calm) or both 'in' and 'out' seconds"
    assert problems(path) == [f"F:3:14: {needs}", f"F:4:14: {needs}"]


def test_an_unknown_bed_in_a_step_is_refused_with_the_built_in_ones(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - ambient: oceann\n")
    assert problems(path) == [
        "F:3:5: unknown ambient bed 'oceann' (did you mean 'ocean'?); built-in beds: rain, ocean, stream, wind, "
        "brown-noise, pink-noise, white-noise, night, room-tone, or give a file path"]


def test_the_bell_of_a_silence_with_bells_must_exist(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - silence: {duration: 30, bells_every: 10, chime: bel}\n")
    assert problems(path) == [
        "F:3:5: unknown chime 'bel' (did you mean 'bell'?); built-in chimes: bowl, bell, soft, wood, "
        "or give a file path"]
