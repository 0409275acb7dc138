"""Text preparation: what the engine hears, and how a `say` splits into lines and pauses."""

from __future__ import annotations

import pytest

from player.script.text import ELLIPSIS_PAUSE, InlinePause, Spoken, split_say
from player.voices.textprep import speakable


@pytest.mark.parametrize(("written", "spoken"), [
    ("Try 4-7-8 breathing.", "Try four seven eight breathing."),
    ("Rest for 5 min.", "Rest for five minutes."),
    ("Rest for 1 min, then 10 secs.", "Rest for one minute, then ten seconds."),
    ("At 10:30 we stop.", "At ten thirty we stop."),
    ("At 7:05 pm, or 3:00.", "At seven oh five p m, or three o'clock."),
    ("Wake at 6:00 a.m. gently.", "Wake at six a m gently."),
    ("About 50% of the time.", "About fifty percent of the time."),
    ("Count 5-10 breaths.", "Count five to ten breaths."),
    ("The 3rd and 21st breath.", "The third and twenty-first breath."),
    ("Breathe 2.5 times slower.", "Breathe two point five times slower."),
    ("Over 1,200 steps.", "Over one thousand two hundred steps."),
    ("Ask Dr. Lee, e.g. after class.", "Ask doctor Lee, for example after class."),
    ("Tea & biscuits, etc.", "Tea and biscuits, et cetera."),
    ("Breathe in... and out", "Breathe in and out"),
    ("Notice five things.", "Notice five things."),
])
def test_numbers_times_and_abbreviations_are_written_out(written: str, spoken: str) -> None:
    assert speakable(written) == spoken


def test_numbers_follow_the_script_language() -> None:
    assert speakable("Atme 5 mal", "de-DE") == "Atme fünf mal"
    assert speakable("Respire 3 fois", "fr") == "Respire trois fois"


def test_an_ellipsis_inside_a_line_is_a_short_pause_and_the_text_stays_as_written() -> None:
    assert split_say("Breathe in... and out. Good.") == [
        Spoken("Breathe in..."), InlinePause(ELLIPSIS_PAUSE), Spoken("and out."), Spoken("Good.")]
    # At the very start or end there is nothing to pause between.
    assert split_say("...and rest here…") == [Spoken("...and rest here…")]


def test_abbreviations_do_not_end_a_sentence() -> None:
    assert split_say("See Dr. Smith today. Then rest.") == [Spoken("See Dr. Smith today."), Spoken("Then rest.")]


def test_inline_pause_markers_split_the_text() -> None:
    assert split_say("One. [pause 2s] Two. [PAUSE 1m] Three.") == [
        Spoken("One."), InlinePause(2.0), Spoken("Two."), InlinePause(60.0), Spoken("Three.")]
