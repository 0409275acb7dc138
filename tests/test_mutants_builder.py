"""The top level of a script as the builder makes it (survivors of the run over player/script/builder.py:
docs/testing.md). Every message is the exact text a user reads, at its FILE:LINE:COL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import ScriptError
from player.script.loader import Overrides, load_script
from player.script.model import Say, Where

WriteScript = Callable[..., Path]


def problems(path: Path) -> list[str]:
    """The lines a user reads for a script that fails, with its path written as F."""
    with pytest.raises(ScriptError) as error:
        load_script(path)
    return [line.replace(str(path), "F", 1) for line in str(error.value).splitlines()]


def test_every_top_level_text_is_kept(write_script: WriteScript) -> None:
    path = write_script("""
        title: ""
        description: For the evening.
        author: Ann
        collection: Evenings
        eyes: open
        language: de-DE
        steps:
          - say: hi
    """)
    script = load_script(path)
    assert (script.title, script.description, script.author, script.collection, script.eyes, script.language) == (
        "", "For the evening.", "Ann", "Evenings", "open", "de-DE")


def test_a_script_without_title_or_steps_says_what_it_needs(write_script: WriteScript) -> None:
    assert problems(write_script("description: d\n")) == [
        "F:1:1: the script needs 'title'",
        "F:1:1: the script needs 'steps' (a list of steps such as '- say: ...')",
    ]


def test_the_variables_of_a_script_are_those_it_defines_and_those_it_uses(write_script: WriteScript) -> None:
    # A batch export checks every --set name against these: defined (name, unused) or used (other).
    path = write_script("title: T\nvars: {name: Sam, unused: x}\nsteps:\n  - say: Hi {name} {other}.\n")
    script = load_script(path, Overrides(vars={"other": "x"}, strict_vars=False))
    assert sorted(script.variables) == ["name", "other", "unused"]


def test_the_cover_beside_the_script_is_kept(write_script: WriteScript) -> None:
    path = write_script("title: T\ncover: art.png\nsteps:\n  - say: hi\n")
    (path.parent / "art.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    assert load_script(path).cover == path.parent / "art.png"


def test_the_safe_exit_steps_are_read_and_checked(write_script: WriteScript) -> None:
    path = write_script("title: T\non_exit:\n  - say: Bye.\nsteps:\n  - say: hi\n")
    assert load_script(path).on_exit == (Say(text="Bye.", where=Where(str(path), 3, 5)),)
    bad = write_script("title: T\nambient: true\non_exit: 5\ntags: 3\nsteps:\n  - say: hi\n", "bad.yaml")
    assert problems(bad) == [
        "F:2:10: 'ambient' must be text",
        "F:3:10: 'on_exit' must be a list of steps, each line starting with '- '",
        "F:4:7: 'tags' must be a list such as [grounding, senses]",
    ]


def test_a_value_given_for_a_variable_the_script_defines_but_never_uses_is_accepted(write_script: WriteScript) -> None:
    path = write_script("title: T\nvars: {unused: x}\nsteps:\n  - say: hi\n")
    assert load_script(path, Overrides(vars={"unused": "y"})).vars == {"unused": "y"}


def test_an_empty_list_of_steps_is_refused_where_it_stands(write_script: WriteScript) -> None:
    assert problems(write_script("title: T\nsteps: []\n")) == [
        "F:2:8: 'steps' is empty: a practice needs at least one step"]


def test_twenty_thousand_unrolled_steps_load_and_one_more_does_not(write_script: WriteScript) -> None:
    # 1 + 99 * (1 + 100 * 2) = 19,900, then 1 + 1 * (1 + 98) = 100: 20,000 steps; a chapter after them is one more.
    body = """
        title: T
        steps:
          - repeat: 99
            steps:
              - repeat: 100
                steps:
                  - chapter: A
                  - chapter: B
          - repeat: 1
            steps:
              - repeat: 98
                steps:
                  - chapter: C
    """
    load_script(write_script(body))
    over = write_script(body.rstrip() + "\n          - chapter: D\n", "over.yaml")
    assert problems(over) == ["F:1:1: the steps unroll to 20,001 (repeats multiply); the limit is 20,000"]
