"""Timeline mutants that survived the suite (docs/testing.md): each value here is worked out by hand.

Length solving is checked on bare spans (whole samples, computed on paper from the
water-filling rule the docs describe); layout through the estimate, whose speech lengths are
the documented 9.4 characters a second; labels and kinds as `practice show` prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player import SAMPLE_RATE
from player.errors import ScriptError
from player.script.loader import Overrides, load_script
from player.timeline.compile import compile_timeline, delayed, estimate_timeline
from player.timeline.lengths import solve_length
from player.timeline.spans import Span
from player.voices import Speaker
from tests.fakes import fake_seconds

WriteScript = Callable[..., Path]
SR = SAMPLE_RATE


def flexible(samples: int, low: int, high: int) -> Span:
    """A flexible span."""
    return Span(samples, low=low, high=high, flexible=True)


def solved(spans: list[Span], target: int) -> list[int]:
    """Every span's length after solving."""
    solve_length(spans, target, "t.yaml")
    return [span.samples for span in spans]


def test_water_filling_clamps_at_the_top_and_gives_the_rest_to_the_others() -> None:
    # budget 600 over weights 100 : 300 -> 150 and 450; 450 passes 400, so B = 400 and A takes 200.
    assert solved([Span(1000), flexible(100, 50, 1000), flexible(300, 150, 400)], 1600) == [1000, 200, 400]


def test_water_filling_clamps_at_the_bottom() -> None:
    # budget 100 over 100 : 100 -> 50 each; A may not go under 90, so B gets the other 10.
    assert solved([flexible(100, 90, 200), flexible(100, 0, 1000)], 100) == [90, 10]


def test_the_leftover_sample_goes_to_the_largest_remainder() -> None:
    # 10 over 1 : 2 -> 3.33 and 6.67: floors 3 and 6, and the one sample left goes to 6.67.
    assert solved([flexible(1, 0, 100), flexible(2, 0, 100)], 10) == [3, 7]
    # 3.33, 3.33, 3.33 plus 10 fixed: the first of equal remainders gets the spare sample.
    assert solved([Span(10), flexible(1, 0, 50), flexible(1, 0, 50), flexible(1, 0, 50)], 20) == [10, 4, 3, 3]


def test_zero_length_flexible_pauses_share_the_time_equally() -> None:
    assert solved([flexible(0, 0, 100), flexible(0, 0, 100)], 10) == [5, 5]


def test_the_shortest_and_the_longest_lengths_are_reachable_exactly() -> None:
    assert solved([Span(1000), flexible(100, 50, 150)], 1050) == [1000, 50]
    assert solved([Span(1000), flexible(100, 50, 150)], 1150) == [1000, 150]


def test_a_length_past_either_bound_is_refused_with_both_figures() -> None:
    spans = [Span(10 * SR), flexible(10 * SR, 5 * SR, 20 * SR)]
    with pytest.raises(ScriptError) as short:
        solve_length(spans, 14 * SR, "t.yaml")
    assert str(short.value) == (
        "t.yaml: cannot make this session 14.0s long: with its flexible pauses at their min it lasts "
        "15.0s, and it cannot be shorter than that (speech and fixed pauses take 10.0s)")
    with pytest.raises(ScriptError) as long:
        solve_length(spans, 31 * SR, "t.yaml")
    assert str(long.value) == (
        "t.yaml: cannot make this session 31.0s long: with its flexible pauses at their max it lasts "
        "30.0s, and it cannot be longer than that (speech and fixed pauses take 10.0s)")
    for target in (15 * SR - 1, 30 * SR + 1):
        with pytest.raises(ScriptError):
            solve_length([Span(10 * SR), flexible(10 * SR, 5 * SR, 20 * SR)], target, "t.yaml")


def test_a_length_without_flexible_pauses_says_how_to_write_one() -> None:
    with pytest.raises(ScriptError) as error:
        solve_length([Span(100)], 100, "t.yaml")
    assert str(error.value) == (
        "t.yaml: a target length needs flexible pauses ('- pause: {seconds: 20, flexible: true}'), and "
        "this script has none: every pause is fixed")


def test_show_lists_each_step_by_its_kind_and_label(write_script: WriteScript) -> None:
    path = write_script("""
        title: Labels
        steps:
          - chapter: Start
          - say: Hello there.
          - pause: 90
          - pause: {seconds: 5, flexible: true}
          - chime: bowl
          - breathe: {in: 4, hold: 7, out: 8, cycles: 2, cue: tone}
          - ambient: none
          - ambient: ocean
          - silence: {duration: 10m, bells_every: 5m}
          - silence: 30
    """)
    marks = estimate_timeline(load_script(path)).steps
    assert [(m.kind, m.label) for m in marks] == [
        ("chapter", "Start"), ("say", "Hello there."), ("pause", "1:30"), ("pause", "5.0s"),
        ("chime", "bowl"), ("breathe", "in 4, hold 7, out 8, hold 0 x2, cue tone"), ("ambient", "none"),
        ("ambient", "ocean"), ("silence", "10:00, a chime every 5:00"), ("silence", "30.0s"),
    ]


def test_the_estimate_speaks_nine_point_four_characters_a_second(write_script: WriteScript) -> None:
    path = write_script("""
        title: Estimate
        steps:
          - say: Hello there.
          - pause: 2
          - say: {text: Hi, rate: 2}
    """)
    timeline = estimate_timeline(load_script(path))
    hello = round(12 / 9.4 * SR)  # 12 characters
    short = round(4 / (9.4 * 2) * SR)  # under 4 characters counts as 4, at twice the rate
    assert [(m.start, m.length) for m in timeline.steps] == [(0, hello), (hello, 2 * SR), (hello + 2 * SR, short)]
    assert timeline.length == hello + 2 * SR + short + SR  # and one second of closing quiet
    assert timeline.estimated


def test_the_breath_cues_say_the_words_of_each_phase(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("title: Box\nsteps:\n  - breathe: {pattern: box, cycles: 1}\n")
    timeline = compile_timeline(load_script(path), fake_speaker)
    words = ["Breathe in", "Hold", "And out", "Hold"]
    assert [(c.start, c.end, c.text) for c in timeline.cues] == [
        (4 * SR * i, 4 * SR * i + round(fake_seconds(w) * SR), w) for i, w in enumerate(words)]


def test_a_flexible_pause_shrinks_to_half_unless_it_has_a_min(write_script: WriteScript) -> None:
    path = write_script("""
        title: Half
        steps:
          - say: Hello there.
          - pause: {seconds: 20, flexible: true}
          - pause: {seconds: 20, flexible: true, min: 15}
    """)
    hello = round(12 / 9.4 * SR)
    # The shortest: 10 s and 15 s of pause (the closing quiet comes out of the pauses' slack).
    shortest = (hello + 25 * SR) / SR
    timeline = estimate_timeline(load_script(path, Overrides(length=shortest)))
    assert [m.length for m in timeline.steps[1:]] == [10 * SR, 15 * SR]
    with pytest.raises(ScriptError, match="at their min it lasts"):
        estimate_timeline(load_script(path, Overrides(length=shortest - 0.01)))


def test_a_late_voice_delays_everything_from_that_sample_on(write_script: WriteScript) -> None:
    path = write_script("""
        title: Late
        steps:
          - say: Hello there.
          - pause: 2
          - chapter: Next
          - say: Again now.
    """)
    timeline = estimate_timeline(load_script(path))
    hello = round(12 / 9.4 * SR)
    assert delayed(timeline, hello, 0) is timeline
    assert delayed(timeline, hello, 1).length == timeline.length + 1  # one frame late is one frame later
    at = hello + SR  # inside the pause
    later = delayed(timeline, at, 500)
    assert later.length == timeline.length + 500
    assert [(m.start, m.length) for m in later.steps] == [
        (0, hello), (hello, 2 * SR + 500), (hello + 2 * SR + 500, 0), (hello + 2 * SR + 500, round(10 / 9.4 * SR))]
    assert [c.start for c in later.cues] == [0, hello + 2 * SR + 500]
    assert [c.end - c.start for c in later.cues] == [c.end - c.start for c in timeline.cues]
    assert [c.start for c in later.chapters] == [hello + 2 * SR + 500]
    # A sound starting exactly at the delay moves too; a step starting there is not lengthened.
    edge = delayed(timeline, hello + 2 * SR, 7)
    assert [s.start for s in edge.sounds] == [0, hello + 2 * SR + 7]
    assert [m.length for m in edge.steps] == [m.length for m in timeline.steps]


def test_the_closing_quiet_counts_from_the_end_of_the_last_sound(write_script: WriteScript) -> None:
    from player.sounds.tones import chime_samples

    # No sound at all: the second of quiet counts from the start.
    assert estimate_timeline(load_script(write_script("title: Q\nsteps:\n  - pause: 0.5\n"))).length == SR
    # The last bell of a sit (at 20 s: one at 30 s would ring into what follows, so there is
    # none) rings out in full past the sit's end, then the second of quiet.
    bells = write_script("title: B\nsteps:\n  - silence: {duration: 30, bells_every: 10}\n", "bells.yaml")
    assert estimate_timeline(load_script(bells)).length == 20 * SR + chime_samples("bowl") + SR
