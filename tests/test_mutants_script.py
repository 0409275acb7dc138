"""What the loader makes of a script, value by value (mutants that survived: docs/testing.md).

Every expected step is written out in full, defaults included, with the FILE:LINE:COL of its
key counted by hand in the YAML text; every message is the exact text a user reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import LengthError, ScriptError
from player.script.loader import Overrides, load_script
from player.script.model import (
    AmbientChange,
    AmbientSettings,
    Breathe,
    Chapter,
    Chime,
    Pause,
    Play,
    Say,
    Silence,
    VoiceSettings,
    Where,
)

WriteScript = Callable[..., Path]


def test_every_step_with_its_defaults_and_position(write_script: WriteScript) -> None:
    path = write_script("""
        title: Defaults
        steps:
          - say: Hi.
          - chime: bowl
          - ambient: ocean
          - silence: {duration: 60, bells_every: 20}
          - breathe: box
          - breathe: {pattern: 4-7-8, in: 5, cycles: 2, cue: tone}
          - breathe: {in: 3, out: 5}
          - pause: {seconds: 10, flexible: true, min: 5, max: 20}
          - pause: 3
          - play: clip.wav
          - chapter: C
          - say: {text: Slow., rate: 0.5, pause_after: 2}
          - silence: 5
    """)
    (path.parent / "clip.wav").write_bytes(b"RIFF")
    script = load_script(path)
    f = str(path)

    def at(line: int) -> Where:
        return Where(f, line, 5)

    assert script.steps == (
        Say(text="Hi.", where=at(3), rate=None, voice=None, pause_after=0.0),
        Chime(sound="bowl", where=at(4), volume=1.0),
        AmbientChange(sound="ocean", where=at(5), crossfade=6.0),
        Silence(duration=60.0, where=at(6), bells_every=20.0, chime="bowl"),
        Breathe(inhale=4.0, hold=4.0, exhale=4.0, hold_out=4.0, cycles=4, cue="voice", where=at(7)),
        Breathe(inhale=5.0, hold=7.0, exhale=8.0, hold_out=0.0, cycles=2, cue="tone", where=at(8)),
        Breathe(inhale=3.0, hold=0.0, exhale=5.0, hold_out=0.0, cycles=4, cue="voice", where=at(9)),
        Pause(seconds=10.0, where=at(10), flexible=True, minimum=5.0, maximum=20.0),
        Pause(seconds=3.0, where=at(11), flexible=False, minimum=None, maximum=None),
        Play(file=path.parent / "clip.wav", where=at(12), volume=1.0),
        Chapter(title="C", where=at(13)),
        Say(text="Slow.", where=at(14), rate=0.5, voice=None, pause_after=2.0),
        Silence(duration=5.0, where=at(15), bells_every=None, chime="bowl"),
    )
    assert (script.title, script.description, script.author, script.collection, script.eyes, script.language,
            script.pace, script.length, script.lengths, script.tags, script.cover) == (
        "Defaults", "", "", "", "closed", "en-US", 1.0, None, (), (), None)
    assert script.voice == VoiceSettings(engine="auto", name=None, rate=1.0, volume=1.0, sentence_gap=0.8)


def test_voice_and_ambient_sections_keep_the_defaults_they_do_not_set(write_script: WriteScript) -> None:
    path = write_script("""
        title: Sections
        voice: {rate: 1.2}
        ambient: {sound: rain, level: -30}
        steps:
          - say: Hi.
    """)
    script = load_script(path)
    assert script.voice == VoiceSettings(engine="auto", name=None, rate=1.2, volume=1.0, sentence_gap=0.8)
    assert script.ambient == AmbientSettings(sound="rain", level=-30.0, pause_level=-16.0, long_silence_level=-14.0,
                                             fade_in=5.0, fade_out=8.0, where=Where(str(path), 3, 18))


def test_command_line_values_win_and_are_checked(write_script: WriteScript) -> None:
    path = write_script("title: O\npace: 1.5\nlength: 10m\nsteps:\n  - pause: {seconds: 5, flexible: true}\n")
    script = load_script(path)
    assert (script.pace, script.length) == (1.5, 600.0)
    changed = load_script(path, Overrides(length=900, pace=2, engine="system", voice="gmw/en", rate=1.25))
    assert (changed.pace, changed.length) == (2, 900)
    assert (changed.voice.engine, changed.voice.name, changed.voice.rate) == ("system", "gmw/en", 1.25)
    for overrides, message in [
        (Overrides(pace=5), "the pace must be at most 4.0, not 5"),
        (Overrides(length=0.5), "the length must be at least 1.0s, not 0.5s"),
        (Overrides(rate=0.25), "the rate must be at least 0.5, not 0.25"),
    ]:
        with pytest.raises(LengthError) as error:
            load_script(path, overrides)
        assert str(error.value) == message
        assert error.value.subject == message.split()[1]


def test_templates_fill_braces_and_report_each_missing_name(write_script: WriteScript) -> None:
    path = write_script("""
        title: "{{literal}} for {name}"
        vars: {name: Sam}
        steps:
          - say: Hello {name}.
    """)
    script = load_script(path)
    assert script.title == "{literal} for Sam"
    assert script.steps[0] == Say(text="Hello Sam.", where=Where(str(path), 4, 5))
    bad = write_script("""
        title: T
        vars: {name: Sam}
        steps:
          - say: "Hello {nme}, a } and a {"
    """, "bad.yaml")
    with pytest.raises(ScriptError) as error:
        load_script(bad)
    f = str(bad)
    assert str(error.value).splitlines() == [
        f"{f}:4:10: unknown variable '{{nme}}' (did you mean 'name'?): define it under vars: "
        "or give it a value when the script is run",
        f"{f}:4:10: stray '}}' (write '}}}}' for a brace)",
        f"{f}:4:10: stray '{{' (write '{{{{' for a brace)",
    ]


def test_timed_quiet_is_counted_through_pace_breaths_and_repeats(write_script: WriteScript) -> None:
    body = """
        title: Long
        pace: 2
        steps:
          - pause: 3000
          - say: {text: Hi., pause_after: 1000}
          - breathe: {in: 60, hold: 60, out: 60, hold_out: 60, cycles: 10}
          - silence: 3600
          - repeat: 2
            steps:
              - pause: 100
    """
    # 6000 + 2000 + 2400 (breaths keep their seconds) + 3600 + 400 = 14,400 s: exactly the 4 h limit.
    load_script(write_script(body))
    over = write_script(body.rstrip() + "\n          - pause: 0.5\n", "over.yaml")
    with pytest.raises(ScriptError) as error:
        load_script(over)
    assert str(error.value) == (f"{over}:1:1: the pauses alone last 4:00:01; a session may last at most "
                                "4:00:00 (4 h)")


def test_repeats_multiply_the_step_count(write_script: WriteScript) -> None:
    path = write_script("""
        title: Many
        steps:
          - repeat: 100
            steps:
              - repeat: 100
                steps:
                  - chapter: A
                  - chapter: B
    """)
    # 1 + 100 * (1 + 100 * 2) = 20,101 steps
    with pytest.raises(ScriptError) as error:
        load_script(path)
    assert str(error.value) == f"{path}:1:1: the steps unroll to 20,101 (repeats multiply); the limit is 20,000"
