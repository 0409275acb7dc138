"""Durations as script authors write them."""

from __future__ import annotations

import pytest

from player.script.durations import format_clock, format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    (5, 5.0), (2.5, 2.5), ("5", 5.0), ("5s", 5.0), ("90s", 90.0), ("1m30s", 90.0),
    ("12m", 720.0), ("1h", 3600.0), ("1h 2m 3s", 3723.0), ("500ms", 0.5), (" 2.5s ", 2.5),
])
def test_durations_parse_numbers_and_units(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


HOW = 'write seconds (5, 2.5) or units like "90s", "1m30s", "12m", "1h"'


@pytest.mark.parametrize(("bad", "reason"), [
    ("", "'' is not a duration"),
    ("  ", "'' is not a duration"),
    ("abc", f"'abc' is not a duration: {HOW}"),
    ("5x", f"'5x' is not a duration: {HOW}"),
    ("1m1m", f"'1m1m' is not a duration: {HOW}"),
    ("m5", f"'m5' is not a duration: {HOW}"),
    ("ms", f"'ms' is not a duration: {HOW}"),
    ("1h-2m", f"'1h-2m' is not a duration: {HOW}"),
    ("-3", "a duration cannot be negative (-3.0s)"),
    (-2, "a duration cannot be negative (-2.0s)"),
    (float("nan"), "a duration must be a finite number of seconds"),
    (float("inf"), "a duration must be a finite number of seconds"),
    (float("-inf"), "a duration must be a finite number of seconds"),
    (True, 'expected a duration such as 5, 2.5, "90s" or "1m30s", not true/false'),
    (None, 'expected a duration such as 5, 2.5, "90s" or "1m30s"'),
    ([1], 'expected a duration such as 5, 2.5, "90s" or "1m30s"'),
])
def test_bad_durations_are_refused_with_the_reason_a_user_reads(bad: object, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(bad)
    assert str(caught.value) == reason


@pytest.mark.parametrize(("text", "seconds"), [
    ("1.5h", 5400.0), (".5s", 0.5), ("2 m 3 s", 123.0), ("3MS", 0.003), ("0", 0.0), ("1h30m", 5400.0),
    ("2m500ms", 120.5), (0, 0.0),
])
def test_unusual_but_valid_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("seconds", "short", "clock"), [
    (0, "0.0s", "00:00.0"), (5, "5.0s", "00:05.0"), (59.94, "59.9s", "00:59.9"), (60, "1:00", "01:00.0"),
    (61.5, "1:02", "01:01.5"), (65.25, "1:05", "01:05.2"), (750, "12:30", "12:30.0"),
    (3599.4, "59:59", "59:59.4"), (3600, "1:00:00", "1:00:00.0"), (3723, "1:02:03", "1:02:03.0"),
    (86399, "23:59:59", "23:59:59.0"),
])
def test_durations_format_for_people(seconds: float, short: str, clock: str) -> None:
    assert format_duration(seconds) == short
    assert format_clock(seconds) == clock
