"""Progress in units of real work: every frame an export renders, held to an exact total."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Advance = Callable[[int], None]
"""Called with the units of work just done (never negative)."""

MASTERING_PASSES = 2
"""Passes over the speech that mastering makes: at unity, then at the gain that reading asks
for (a rare third, confirming one is not counted)."""


class Progress:
    """Passes progress on, phase by phase, each held to the work it was planned at.

    A phase that does less than planned (a pass that was not needed) is topped up when it ends,
    and one that does more (a correcting pass) reports nothing past its plan, so the reported
    total rises monotonically and ends exactly at the sum of the phases.
    """

    def __init__(self, advance: Advance | None) -> None:
        self.done = 0
        self._advance = advance

    @contextmanager
    def phase(self, planned: int) -> Iterator[Advance]:
        """A reporter for the next `planned` units; on a normal exit the phase counts as whole."""
        end = self.done + max(0, planned)

        def advance(units: int) -> None:
            self._report(min(units, end - self.done))

        yield advance
        self._report(end - self.done)

    def _report(self, units: int) -> None:
        if units > 0:
            self.done += units
            if self._advance is not None:
                self._advance(units)


def scaled(advance: Advance, share: int, total: int) -> Advance:
    """A reporter of `total` units that passes them on as `share` units, rounding down until the end.

    A batch plans each script's share of its bar before the script is compiled (from an
    estimate); the export then reports its exact work, spread evenly over that share.
    """
    done = 0
    reported = 0

    def report(units: int) -> None:
        nonlocal done, reported
        done = min(total, done + max(0, units))
        now = share if done >= total else share * done // max(1, total)
        if now > reported:
            advance(now - reported)
            reported = now

    return report
