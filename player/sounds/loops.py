"""Bed loops ready to mix: built-in beds (rendered once, then cached) and the user's files."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from player import SAMPLE_RATE
from player.atomic import save_array
from player.sounds.beds import BED_RMS, make_bed
from player.sounds.catalog import is_builtin_bed
from player.sounds.files import Stereo, load_stereo_file
from player.voices.cache import default_cache_dir

BED_VERSION = 1
"""Bump when a bed's recipe changes, so cached renders are made again."""
SEAM_SECONDS = 1.0
"""The equal-power crossfade that joins a user file's end to its start."""


def _cache_path(name: str) -> Path:
    """Where a rendered built-in bed is kept."""
    return default_cache_dir() / "beds" / f"{name}-v{BED_VERSION}.npy"


def derived_cache_path(sound: str, what: str) -> Path | None:
    """Where something computed from a built-in bed is kept (None for a user's file)."""
    if not is_builtin_bed(sound):
        return None
    return default_cache_dir() / "beds" / f"{sound}-v{BED_VERSION}-{what}.npz"


_LOADING = threading.Lock()


def bed_loop(sound: str) -> Stereo:
    """One seamless stereo loop of a bed, at BED_RMS: a built-in name or a file path.

    Loaded once per process; a second thread asking meanwhile waits instead of repeating it.
    """
    with _LOADING:
        return _load(sound)


def warm_up(sound: str | None) -> threading.Thread | None:
    """Start loading a bed on a thread, so it is ready when the first block is mixed."""
    if sound is None:
        return None
    thread = threading.Thread(target=_quietly_load, args=(sound,), name="bed", daemon=True)
    thread.start()
    return thread


def _quietly_load(sound: str) -> None:
    """Load a bed, leaving any error to be raised where the bed is really needed."""
    try:
        bed_loop(sound)
    except Exception:  # the mixer or the timeline reports it properly
        return


@lru_cache(maxsize=8)
def _load(sound: str) -> Stereo:
    """A bed loop, rendered or read from the cache (or decoded from a file)."""
    if not is_builtin_bed(sound):
        return loop_file(Path(sound))
    path = _cache_path(sound)
    try:
        cached = np.load(path, allow_pickle=False)
        if cached.dtype == np.float32 and cached.ndim == 2 and cached.shape[1] == 2:
            return np.asarray(cached)
    except (OSError, ValueError, EOFError):
        pass
    loop = make_bed(sound)
    save_array(path, loop)
    return loop


def seamless(audio: Stereo, seam_frames: int) -> Stereo:
    """A loop whose end runs into its start through an equal-power crossfade."""
    seam = min(seam_frames, len(audio) // 3)
    if seam <= 0:
        return audio
    t = (np.arange(seam, dtype=np.float64) + 0.5) / seam
    fade_in = np.sin(0.5 * np.pi * t)[:, np.newaxis]
    fade_out = np.cos(0.5 * np.pi * t)[:, np.newaxis]
    # The loop is the audio after its first `seam` frames; its last `seam` frames blend the
    # file's tail out and its head in, so playing past the end continues the head seamlessly.
    loop = audio[seam:].astype(np.float64)
    loop[-seam:] = audio[-seam:] * fade_out + audio[:seam] * fade_in
    return loop.astype(np.float32)


def loop_file(path: Path) -> Stereo:
    """A user's file as a bed: decoded, resampled once, seamed, at the beds' loudness."""
    audio = load_stereo_file(path)
    if len(audio) < SAMPLE_RATE:
        audio = np.tile(audio, (int(np.ceil(SAMPLE_RATE / max(len(audio), 1))), 1))
    loop = seamless(audio, int(SEAM_SECONDS * SAMPLE_RATE))
    rms = float(np.sqrt(np.mean(loop.astype(np.float64) ** 2)))
    if rms > 0:
        loop *= np.float32(BED_RMS / rms)
    return loop
