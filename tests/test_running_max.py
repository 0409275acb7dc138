"""The limiter's running maximum, held to scipy's maximum_filter1d and to a plain max over each window."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import maximum_filter1d

from player.render.limiter import running_max


@pytest.mark.parametrize("length", [1, 2, 5, 256, 513, 1000, 4097])
@pytest.mark.parametrize("reach", [1, 3, 256, 960])
def test_running_max_equals_scipys_filter(length: int, reach: int) -> None:
    rng = np.random.default_rng(length * 1000 + reach)
    for values in (rng.random(length), np.arange(length, dtype=np.float64), -np.arange(length, dtype=np.float64),
                   np.where(rng.random(length) > 0.99, 1.0, 0.0)):
        expected = maximum_filter1d(values, size=2 * reach + 1, mode="nearest")
        assert np.array_equal(running_max(values, reach), expected)


def test_running_max_is_the_highest_value_within_reach() -> None:
    values = np.random.default_rng(7).random(300)
    reach = 11
    brute = np.array([values[max(0, i - reach):i + reach + 1].max() for i in range(len(values))])
    assert np.array_equal(running_max(values, reach), brute)


def test_running_max_of_nothing_and_of_no_reach() -> None:
    assert running_max(np.zeros(0), 5).shape == (0,)
    values = np.array([3.0, 1.0, 2.0])
    assert np.array_equal(running_max(values, 0), values)
