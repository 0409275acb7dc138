"""Built-in chimes as the timeline plays them: synthesized once, then read from the cache.

A bowl is 14 s of six partials (about 0.12 s of CPU to make, several times that while a bed
loads beside it), and a live session's first sound is often a bowl: read back with its
checksum it takes a few milliseconds.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.paths import cache_root, chimes_folder
from player.sounds.tones import CHIME_PEAK, chime, chime_samples
from player.voices.cache import checked_folder, load_entry, save_entry

CHIME_VERSION = 1
"""Bump when a chime's recipe (player/sounds/tones.py) changes, so cached ones are made again."""


@cache
def cached_chime(name: str) -> npt.NDArray[np.float32]:
    """A built-in chime's samples (read-only), from the cache when a sane copy is there."""
    checked_folder(cache_root())
    path = chimes_folder() / f"{name}-v{CHIME_VERSION}.npz"
    key = f"chime:{name}:v{CHIME_VERSION}:{SAMPLE_RATE}"
    stored, _ = load_entry(path, key, ndim=1, peak=CHIME_PEAK * 1.0001)
    if stored is not None and stored.shape == (chime_samples(name),):
        stored.flags.writeable = False
        return stored
    made = chime(name)
    save_entry(path, key, made)
    return made
