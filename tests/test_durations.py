"""Durations as script authors write them."""

from __future__ import annotations

import pytest

from player.durations import format_clock, format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    (5, 5.0), (2.5, 2.5), ("5", 5.0), ("5s", 5.0), ("90s", 90.0), ("1m30s", 90.0),
    ("12m", 720.0), ("1h", 3600.0), ("1h 2m 3s", 3723.0), ("500ms", 0.5), (" 2.5s ", 2.5),
])
def test_durations_parse_numbers_and_units(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "abc", "5x", "1m1m", "-3", True, None, [1], "m5"])
def test_bad_durations_are_refused_with_a_reason(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_durations_format_for_people() -> None:
    assert format_duration(5) == "5.0s"
    assert format_duration(750) == "12:30"
    assert format_duration(3723) == "1:02:03"
    assert format_clock(65.25) == "01:05.2"
