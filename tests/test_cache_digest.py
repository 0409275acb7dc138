"""A cache entry's checksum: SHA-256 over its key, a NUL and its samples, whatever the array's layout."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from player.voices.cache import load_entry, save_entry


def test_the_checksum_is_sha256_of_key_nul_and_samples_so_earlier_entries_still_read(tmp_path: Path) -> None:
    samples = np.linspace(-0.5, 0.5, 3001, dtype=np.float32).reshape(-1, 1)
    path = tmp_path / "entry.npz"
    save_entry(path, "bed:rain:v2:layer0", samples)
    with np.load(path) as stored:
        digest = bytes(stored["sha256"])
    # Worked out here with hashlib, as entries written before were checked.
    assert digest == hashlib.sha256(b"bed:rain:v2:layer0\0" + samples.tobytes()).digest()
    read, damaged = load_entry(path, "bed:rain:v2:layer0", ndim=2)
    assert read is not None and not damaged and np.array_equal(read, samples)
    # The same samples under another key fail their checksum and are removed.
    assert load_entry(path, "bed:rain:v2:layer1", ndim=2) == (None, True)
    assert not path.exists()


def test_a_strided_array_is_kept_and_checked_as_its_samples(tmp_path: Path) -> None:
    stereo = np.arange(4000, dtype=np.float32).reshape(-1, 2) / np.float32(4000)
    left = stereo[:, :1]  # every other sample of the buffer: not contiguous
    path = tmp_path / "left.npz"
    save_entry(path, "key", left)
    read, damaged = load_entry(path, "key", ndim=2)
    assert read is not None and not damaged and np.array_equal(read, left)
