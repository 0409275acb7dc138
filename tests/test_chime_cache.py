"""Built-in chimes are synthesized once and read back from the cache, never trusted when damaged."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from player import SAMPLE_RATE
from player.sounds import chimes
from player.sounds.tones import chime
from player.voices.cache import save_entry


def fresh(name: str) -> npt.NDArray[np.float32]:
    """The chime as a new process gets it (nothing remembered in memory)."""
    chimes.cached_chime.cache_clear()
    return chimes.cached_chime(name)


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private cache; the path where the bell is kept there."""
    monkeypatch.setenv("PRACTICE_CACHE_DIR", str(tmp_path))
    chimes.cached_chime.cache_clear()
    yield tmp_path / "chimes" / f"bell-v{chimes.CHIME_VERSION}.npz"
    chimes.cached_chime.cache_clear()


def test_a_chime_is_kept_and_read_back_as_made(stored: Path) -> None:
    first = fresh("bell")
    assert np.array_equal(first, chime("bell")) and not first.flags.writeable
    assert stored.is_file()
    with np.load(stored) as kept:
        assert np.array_equal(kept["data"], chime("bell"))
    # A new process reads that entry rather than synthesizing: a sane entry of other samples shows it.
    save_entry(stored, f"chime:bell:v{chimes.CHIME_VERSION}:{SAMPLE_RATE}", chime("bell") * np.float32(0.5))
    assert np.array_equal(fresh("bell"), chime("bell") * np.float32(0.5))
    assert str(stored).startswith(os.environ["PRACTICE_CACHE_DIR"])


def test_a_damaged_or_foreign_chime_is_made_again(stored: Path) -> None:
    fresh("bell")
    fresh("wood")
    wood = stored.with_name(f"wood-v{chimes.CHIME_VERSION}.npz")
    for damage in (b"not a chime", wood.read_bytes()):
        stored.write_bytes(damage)
        assert np.array_equal(fresh("bell"), chime("bell"))
