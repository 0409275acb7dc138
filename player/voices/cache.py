"""A content-addressed on-disk cache of prepared speech clips.

A clip's key is a hash of everything that could change how it sounds (engine, engine
version, voice, rate, volume, text, clean-up version), so an unchanged line is never
synthesized twice and a changed one never plays stale audio.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import platformdirs

from player.atomic import save_array
from player.voices.base import SpeechRequest

CLIP_FORMAT = 6
"""Bump when the clean-up (trimming, resampling, levelling) changes, so old entries are not reused."""


def default_cache_dir() -> Path:
    """The user cache folder, or $PRACTICE_CACHE_DIR when set (tests and shared machines)."""
    override = os.environ.get("PRACTICE_CACHE_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("practice-player", appauthor=False))


def clip_key(engine: str, engine_version: str, request: SpeechRequest, sample_rate: int,
             voice_version: str = "") -> str:
    """The content address of one prepared clip."""
    identity = {
        "engine": engine, "engine_version": engine_version, "voice": request.voice,
        "voice_version": voice_version,
        "rate": round(request.rate, 4), "volume": round(request.volume, 4), "text": request.text,
        "sample_rate": sample_rate, "format": CLIP_FORMAT,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()


class ClipCache:
    """Prepared clips stored as .npz files (samples and their SHA-256) under their key; writes are atomic."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = (folder or default_cache_dir()) / "speech"
        self.hits = 0
        self.misses = 0
        self.damaged = 0
        """Entries found damaged (and removed) since this cache was opened."""

    def path(self, key: str) -> Path:
        """Where a key's clip lives (two-letter fan-out keeps folders small)."""
        return self.folder / key[:2] / f"{key}.npz"

    def get(self, key: str) -> npt.NDArray[np.float32] | None:
        """The stored clip, or None when absent or damaged (a damaged entry is removed, to be re-made).

        Each entry holds the clip and the SHA-256 of its samples: a truncated, corrupted or
        tampered file fails the check and is never played.
        """
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as stored:
                clip: npt.NDArray[np.float32] = np.asarray(stored["data"])
                digest = bytes(np.asarray(stored["sha256"], dtype=np.uint8))
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
            self._damaged(path)
            return None
        if clip.dtype != np.float32 or clip.ndim != 1 or hashlib.sha256(clip.tobytes()).digest() != digest:
            self._damaged(path)
            return None
        self.hits += 1
        return clip

    def put(self, key: str, clip: npt.NDArray[np.float32]) -> None:
        """Store a clip with its checksum: written to a temporary file beside it, then renamed."""
        data = np.ascontiguousarray(clip, dtype=np.float32)
        digest = np.frombuffer(hashlib.sha256(data.tobytes()).digest(), dtype=np.uint8)
        save_array(self.path(key), data, sha256=digest)

    def _damaged(self, path: Path) -> None:
        """Drop a damaged entry and count a miss."""
        path.unlink(missing_ok=True)
        self.damaged += 1
        self.misses += 1
