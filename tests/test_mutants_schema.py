"""The one number check and the breath patterns, with the exact words (mutants that survived: docs/testing.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.script.durations import format_duration
from player.script.loader import load_script
from player.script.model import Breathe
from player.script.schema import Field, check_number, number_problem

WriteScript = Callable[..., Path]
RATE = Field("number", "rate", minimum=0.5, maximum=2.0)


@pytest.mark.parametrize(("value", "spec", "expected"), [
    (True, RATE, "must be a finite number, not True"),
    (float("nan"), RATE, "must be a finite number, not nan"),
    (float("-inf"), RATE, "must be a finite number, not -inf"),
    ("1", RATE, "must be a finite number, not 1"),
    (2.5, Field("integer", "n", minimum=1, maximum=100), "must be a whole number, not 2.5"),
    (0.4, RATE, "must be at least 0.5, not 0.4"),
    (2.1, RATE, "must be at most 2.0, not 2.1"),
    (0.5, RATE, None),
    (2.0, RATE, None),
    (7, Field("integer", "n", minimum=1, maximum=100), None),
    (1e9, Field("number", "free"), None),
])
def test_number_problem_says_which_rule_a_number_breaks(value: object, spec: Field, expected: str | None) -> None:
    assert number_problem(value, spec) == expected


def test_number_problem_shows_durations_as_people_read_them() -> None:
    spec = Field("duration", "length", minimum=1.0, maximum=14_400.0)
    assert number_problem(0.5, spec, format_duration) == "must be at least 1.0s, not 0.5s"
    assert number_problem(14_401.0, spec, format_duration) == "must be at most 4:00:00, not 4:00:01"


def test_check_number_names_the_value_it_refuses() -> None:
    assert check_number(3.0, 0.0, 4.0, "--pace") == 3.0
    with pytest.raises(ValueError) as error:
        check_number(5.0, 0.0, 4.0, "--pace")
    assert str(error.value) == "--pace must be at most 4.0, not 5.0"


@pytest.mark.parametrize(("pattern", "phases"), [
    ("box", (4.0, 4.0, 4.0, 4.0)), ("4-7-8", (4.0, 7.0, 8.0, 0.0)),
    ("resonance", (5.5, 0.0, 5.5, 0.0)), ("calm", (4.0, 0.0, 6.0, 0.0)),
])
def test_each_breath_pattern_has_its_published_phases(
        pattern: str, phases: tuple[float, ...], write_script: WriteScript) -> None:
    step = load_script(write_script(f"title: B\nsteps:\n  - breathe: {pattern}\n")).steps[0]
    assert isinstance(step, Breathe)
    assert (step.inhale, step.hold, step.exhale, step.hold_out, step.cycles) == (*phases, 4)
