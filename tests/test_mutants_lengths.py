"""Length solving's survivors killed (the mutation run over player/timeline/lengths.py: docs/testing.md).

Each expected length is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import pytest

from player import SAMPLE_RATE
from player.errors import ScriptError
from player.timeline.lengths import solve_length
from player.timeline.spans import Span

SR = SAMPLE_RATE


def flexible(samples: int, low: int, high: int) -> Span:
    """A flexible span."""
    return Span(samples, low=low, high=high, flexible=True)


def test_the_spare_sample_goes_to_the_largest_remainder_not_the_longest_pause() -> None:
    # 16 over 10 : 3 -> 12.31 and 3.69: floors 12 and 3; the spare sample goes to the .69, the shorter pause.
    spans = [flexible(10, 0, 100), flexible(3, 0, 100)]
    solve_length(spans, 16, "t.yaml")
    assert [span.samples for span in spans] == [12, 4]


def test_length_problems_are_about_the_whole_file_with_no_line_or_column() -> None:
    # The studio shows a problem's line and column as they are: a whole-file problem has 0 and 0.
    with pytest.raises(ScriptError) as none:
        solve_length([Span(100)], 100, "t.yaml")
    assert [(p.file, p.line, p.column) for p in none.value.problems] == [("t.yaml", 0, 0)]
    with pytest.raises(ScriptError) as far:
        solve_length([Span(10 * SR), flexible(10 * SR, 5 * SR, 20 * SR)], 31 * SR, "t.yaml")
    assert [(p.file, p.line, p.column) for p in far.value.problems] == [("t.yaml", 0, 0)]
