"""A content-addressed on-disk cache of prepared speech clips.

A clip's key is a hash of everything that could change how it sounds (engine, engine
version, voice, rate, volume, text, clean-up version), so an unchanged line is never
synthesized twice and a changed one never plays stale audio.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player.atomic import save_array
from player.errors import PlayerError
from player.paths import cache_root, speech_folder
from player.voices.base import SpeechRequest

CLIP_FORMAT = 6
"""Bump when the clean-up (trimming, resampling, levelling) changes, so old entries are not reused."""


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


class CacheError(PlayerError):
    """A cache folder that cannot be one (PRACTICE_CACHE_DIR naming a file)."""


def checked_folder(folder: Path) -> Path:
    """The cache folder, if it is (or can become) a folder; a one-line error if it is a file."""
    if folder.exists() and not folder.is_dir():
        raise CacheError(f"the cache folder {folder} is a file, not a folder; remove it or point "
                         "PRACTICE_CACHE_DIR at a folder")
    return folder


def _digest(key: str, data: npt.NDArray[np.float32]) -> bytes:
    """SHA-256 over the entry's key and samples: an entry copied over another fails it."""
    digest = hashlib.sha256(key.encode("utf-8") + b"\0")
    # The samples' own memory, not a copy: joining bytes copied a bed's 40 MB twice before hashing.
    digest.update(np.ascontiguousarray(data).data)
    return digest.digest()


def load_entry(path: Path, key: str, ndim: int, peak: float = 1.0) -> tuple[npt.NDArray[np.float32] | None, bool]:
    """(samples, damaged): an entry checked for its key, its checksum and sane samples.

    A damaged entry (truncated, corrupted, copied from another key, NaN or louder than `peak`,
    a folder where a file should be) is removed so that it is made again.
    """
    try:
        with np.load(path, allow_pickle=False) as stored:
            data: npt.NDArray[np.float32] = np.asarray(stored["data"])
            digest = bytes(np.asarray(stored["sha256"], dtype=np.uint8))
    except FileNotFoundError:
        return None, False
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, TypeError):
        _remove(path)
        return None, True
    sane = (data.dtype == np.float32 and data.ndim == ndim and np.isfinite(data).all()
            and (data.size == 0 or float(np.max(np.abs(data))) <= peak))
    if not sane or _digest(key, data) != digest:
        _remove(path)
        return None, True
    return data, False


def save_entry(path: Path, key: str, data: npt.NDArray[np.float32]) -> None:
    """Store samples with the checksum of key and content: written beside the target, then renamed."""
    data = np.ascontiguousarray(data, dtype=np.float32)
    if path.is_dir():
        _remove(path)
    save_array(path, data, sha256=np.frombuffer(_digest(key, data), dtype=np.uint8))


def _remove(path: Path) -> None:
    """Remove a damaged entry, whatever it is (a file, or a folder where a file should be)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
        return
    with contextlib.suppress(OSError):
        path.unlink()


class ClipCache:
    """Prepared clips stored as .npz files (samples and their SHA-256) under their key; writes are atomic."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = speech_folder(checked_folder(folder or cache_root()))
        self.hits = 0
        self.misses = 0
        self.damaged = 0
        """Entries found damaged (and removed) since this cache was opened."""

    def path(self, key: str) -> Path:
        """Where a key's clip lives (two-letter fan-out keeps folders small)."""
        return self.folder / key[:2] / f"{key}.npz"

    def get(self, key: str) -> npt.NDArray[np.float32] | None:
        """The stored clip, or None when absent or damaged (a damaged entry is removed, to be re-made).

        Each entry holds the clip and the SHA-256 of its key and samples: a truncated,
        corrupted or tampered file, or one copied over another's name, is never played.
        """
        clip, damaged = load_entry(self.path(key), key, ndim=1)
        if clip is None:
            self.misses += 1
            self.damaged += damaged
            return None
        self.hits += 1
        return clip

    def put(self, key: str, clip: npt.NDArray[np.float32]) -> None:
        """Store a clip with its checksum: written to a temporary file beside it, then renamed."""
        save_entry(self.path(key), key, clip)
