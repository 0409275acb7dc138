"""The script's top-level settings: support line, lengths, tags, voice and ambient sections
(survivors of the run over player/script/header.py: docs/testing.md).

Columns are counted by hand in the YAML text; every message is the exact text a user reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import ScriptError
from player.script.loader import Overrides, load_script
from player.script.model import AmbientSettings, Say, VoiceSettings, Where

WriteScript = Callable[..., Path]


def problems(path: Path, overrides: Overrides | None = None) -> list[str]:
    """The lines a user reads for a script that fails, with its path written as F."""
    with pytest.raises(ScriptError) as error:
        load_script(path, overrides)
    return [line.replace(str(path), "F", 1) for line in str(error.value).splitlines()]


def test_lists_that_are_not_lists_and_a_support_line_that_is_not_one_line(write_script: WriteScript) -> None:
    path = write_script('title: T\nsupport: "Call\\tme"\nlengths: 5m\ntags: grounding\nsteps:\n  - say: hi\n')
    assert problems(path) == [
        "F:2:10: the support line must be plain text on one line (it contains U+0009)",
        "F:3:10: 'lengths' must be a list such as [5m, 10m, 20m]",
        "F:4:7: 'tags' must be a list such as [grounding, senses]",
    ]


def test_each_bad_item_of_a_list_and_an_unknown_bed_are_located(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        lengths: [5m, abc, 10m]
        tags: [calm, [x], true, 3]
        ambient: {sound: oceann, level: -20}
        steps:
          - say: hi
    """)
    assert problems(path) == [
        "F:2:15: 'lengths': 'abc' is not a duration: write seconds (5, 2.5) or units like \"90s\", \"1m30s\", "
        "\"12m\", \"1h\"",
        "F:3:14: each of 'tags' must be a word",
        "F:3:19: each of 'tags' must be a word",
        "F:4:18: unknown ambient bed 'oceann' (did you mean 'ocean'?); built-in beds: rain, ocean, stream, wind, "
        "brown-noise, pink-noise, white-noise, night, room-tone, or give a file path",
    ]


def test_the_voice_and_ambient_sections_keep_every_setting(write_script: WriteScript) -> None:
    path = write_script("""
        title: T
        lengths: [5m, 10m]
        tags: [calm, 3]
        voice: {engine: system, name: en-gb, rate: 1.5, volume: 0.5, sentence_gap: 1.2}
        ambient: {sound: ocean, level: -20, pause_level: -15, long_silence_level: -12, fade_in: 2, fade_out: 3}
        steps:
          - say: hi
    """)
    script = load_script(path)
    assert (script.lengths, script.tags) == ((300.0, 600.0), ("calm", "3"))
    assert script.voice == VoiceSettings(engine="system", name="en-gb", rate=1.5, volume=0.5, sentence_gap=1.2)
    assert script.ambient == AmbientSettings(sound="ocean", level=-20.0, pause_level=-15.0, long_silence_level=-12.0,
                                             fade_in=2.0, fade_out=3.0, where=Where(str(path), 5, 18))
    bare = write_script("title: T\nambient: rain\nsteps:\n  - say: hi\n", "bare.yaml")
    assert load_script(bare).ambient == AmbientSettings(sound="rain", where=Where(str(bare), 2, 10))


def test_the_support_line_from_the_script_or_from_outside(write_script: WriteScript) -> None:
    path = write_script("title: T\nsupport: Call Ann.\nsteps:\n  - say: hi\n")
    spoken = [step.text for step in load_script(path).steps if isinstance(step, Say)]
    assert spoken[-2:] == ["Call Ann.", "Once more. Call Ann."]
    given = load_script(path, Overrides(vars={"support": "Call Bo."}))
    assert [step.text for step in given.steps if isinstance(step, Say)][-2:] == ["Call Bo.", "Once more. Call Bo."]
    bad = "the support line needs words or a number, such as 'Dr. Lee, 5 5 5 0 1 0 0' (given from outside the script)"
    assert problems(path, Overrides(vars={"support": "..."})) == [f"F:2:10: {bad}"]
    bare = write_script("title: T\nsteps:\n  - say: hi\n", "bare.yaml")
    assert problems(bare, Overrides(vars={"support": "..."})) == [f"F:1:1: {bad}"]


def test_a_missing_voice_file_is_located_at_its_name(write_script: WriteScript) -> None:
    # "voice: {rate: 1, " is 17 characters and "name: " 6 more: the path starts at column 24.
    path = write_script("title: T\nvoice: {rate: 1, name: voices/missing.onnx}\nsteps:\n  - say: hi\n")
    assert problems(path) == ["F:2:24: no such voice file: voices/missing.onnx"]


def test_an_unknown_bed_by_name_alone_is_refused(write_script: WriteScript) -> None:
    path = write_script("title: T\nambient: oceann\nsteps:\n  - say: hi\n")
    assert problems(path) == [
        "F:2:10: unknown ambient bed 'oceann' (did you mean 'ocean'?); built-in beds: rain, ocean, stream, wind, "
        "brown-noise, pink-noise, white-noise, night, room-tone, or give a file path"]


def test_the_support_steps_stand_at_the_support_key_or_at_the_file(write_script: WriteScript) -> None:
    path = write_script("title: T\nsupport: Call Ann.\nsteps:\n  - say: hi\n")
    said = [step for step in load_script(path).steps if isinstance(step, Say)]
    assert {step.where for step in said[1:]} == {Where(str(path), 2, 10)}
    bare = write_script("title: T\nsteps:\n  - say: hi\n", "bare.yaml")
    given = [step for step in load_script(bare, Overrides(vars={"support": "Call Bo."})).steps if isinstance(step, Say)]
    assert {step.where for step in given[1:]} == {Where(str(bare))}


def test_a_support_line_that_is_not_one_value_is_refused_by_name(write_script: WriteScript) -> None:
    path = write_script("title: T\nsupport: [a]\nsteps:\n  - say: hi\n")
    assert problems(path) == ["F:2:10: 'support' must be a single value, not a list or mapping"]
