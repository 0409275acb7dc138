"""More hostile scripts and files, found by trying what the first hostile corpus did not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import ScriptError
from player.script.loader import load_script
from player.voices.textprep import speakable

WriteScript = Callable[..., Path]
NINES = "9" * 400
"""An integer far past a float's range (about 1e308)."""
MORE_DIGITS = "9" * 5_000
"""An integer past the 4,300 digits Python converts from text."""


def problems_of(path: Path) -> list[str]:
    """The problem lines load_script reports for a file."""
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(("setting", "column", "expect"), [
    ("pace: {n}", 7, "'pace' must be "),
    ("length: {n}", 9, "'length': a duration must be a finite number of seconds"),
    ("ambient: {{sound: rain, level: -{n}}}", 31, "'level' must be "),
])
@pytest.mark.parametrize("digits", [NINES, MORE_DIGITS], ids=["400-digits", "5000-digits"])
def test_an_integer_of_hundreds_of_digits_is_a_located_error(write_script: WriteScript, setting: str,
                                                             column: int, expect: str, digits: str) -> None:
    path = write_script(f"title: A\n{setting.format(n=digits)}\nsteps:\n  - pause: 2\n")
    problems = problems_of(path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:2:{column}: {expect}"), problems


@pytest.mark.parametrize("digits", [NINES, MORE_DIGITS], ids=["400-digits", "5000-digits"])
def test_a_pause_or_count_of_hundreds_of_digits_is_a_located_error(write_script: WriteScript, digits: str) -> None:
    path = write_script(f"title: A\nsteps:\n  - pause: {digits}\n  - breathe: {{in: 4, out: 4, cycles: {digits}}}\n")
    problems = problems_of(path)
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:3:12", f"{path}:4:38"], problems
    assert "'pause': a duration must be a finite number of seconds" in problems[0]


def test_a_title_of_many_digits_is_the_digits(write_script: WriteScript) -> None:
    path = write_script(f"title: {MORE_DIGITS[:4_400]}\nsteps:\n  - pause: 2\n")
    assert load_script(path).title == MORE_DIGITS[:4_400]


def test_a_number_of_thousands_of_digits_in_speech_is_left_as_written() -> None:
    number = MORE_DIGITS[:4_400]
    assert speakable(f"I have {number} apples.") == f"I have {number} apples."
    assert speakable("I have 12 apples.") == "I have twelve apples."


@pytest.mark.parametrize(("document", "where"), [
    ("title: A\nsteps: [" + "a," * 495_000 + "]\n", "2:19999"),
    ("title: A\nvars: {" + "a: b," * 195_000 + "}\nsteps: [{pause: 1}]\n", "2:24996"),
    ("title: A\nsteps:\n" + "- a\n" * 245_000, "9998:3"),
], ids=["flow-list", "flow-mapping", "block-list"])
def test_a_megabyte_of_tiny_values_is_refused_where_the_limit_is_passed(write_script: WriteScript,
                                                                        document: str, where: str) -> None:
    # Composing all of a flat 1 MB list before counting took 8.7 s of CPU and 260 MB; the parse
    # now stops at the 10,001st value, which is where the problem is placed.
    path = write_script(document)
    assert problems_of(path) == [f"{path}:{where}: the script holds more than 10,000 values (keys, texts and "
                                 "lists; the limit for one script)"]
