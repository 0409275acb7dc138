"""Beds ready to mix: built-in beds (layers rendered once, then cached) and the user's files.

A built-in bed is several loops of co-prime lengths played together (see beds.py), so it
never repeats audibly; a user's file is one loop with a crossfaded seam. `bed_samples` gives
any stretch of either, by slices.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.paths import beds_folder, cache_root
from player.sounds.beds import BED_RMS, LAYER_SECONDS, LAYERS, make_bed
from player.sounds.catalog import is_builtin_bed
from player.sounds.files import Stereo, load_stereo_file
from player.voices.cache import checked_folder, load_entry, save_entry

BED_VERSION = 2
"""Bump when a bed's recipe changes, so cached renders are made again."""
BED_PEAK = 4.0
"""No rendered bed peaks past this (rain's crackle reaches about 1.6 at BED_RMS): a cached one that does is damaged."""
SEAM_SECONDS = 1.0
"""The equal-power crossfade that joins a user file's end to its start."""


def _cache_path(name: str) -> Path:
    """Where a rendered built-in bed's layer is kept (with the checksum of its key and samples)."""
    checked_folder(cache_root())
    return beds_folder() / f"{name}-v{BED_VERSION}.npz"


def derived_cache_path(sound: str, what: str) -> Path | None:
    """Where something computed from a built-in bed is kept (None for a user's file)."""
    if not is_builtin_bed(sound):
        return None
    return beds_folder() / f"{sound}-v{BED_VERSION}-{what}.npz"


_LOADING = threading.Lock()


def bed_layers(sound: str) -> tuple[Stereo, ...]:
    """The seamless stereo loops that played together make a bed at BED_RMS (one for a file).

    Loaded once per process; a second thread asking meanwhile waits instead of repeating it.
    """
    with _LOADING:
        return _load(sound)


def bed_samples(sound: str, offset: int, frames: int) -> Stereo:
    """`frames` of a bed from `offset` frames after it started: its layers summed, each looping."""
    layers = bed_layers(sound)
    if len(layers) == 1:
        return looped(layers[0], offset, frames)
    mixed: Stereo = np.array(looped(layers[0], offset, frames), dtype=np.float32)
    for layer in layers[1:]:
        mixed += looped(layer, offset, frames)
    return mixed


def bed_loop(sound: str) -> Stereo:
    """A stretch of a bed as long as its longest layer: the loop itself for a file.

    For what only needs the bed's character (its loudness over time, its peaks), not the
    exact samples at a given time.
    """
    layers = bed_layers(sound)
    return layers[0] if len(layers) == 1 else bed_samples(sound, 0, max(len(layer) for layer in layers))


def looped(loop: Stereo, offset: int, frames: int) -> Stereo:
    """`frames` of a loop from `offset` on, wrapping around: slices, not a gather of every frame."""
    start = offset % len(loop)
    if start + frames <= len(loop):
        return loop[start:start + frames]
    parts = [loop[start:]]
    left = frames - (len(loop) - start)
    while left > 0:
        parts.append(loop[:min(left, len(loop))])
        left -= len(parts[-1])
    joined: Stereo = np.concatenate(parts)
    return joined


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
        bed_layers(sound)
    except Exception:  # the mixer or the timeline reports it properly
        return


@lru_cache(maxsize=8)
def _load(sound: str) -> tuple[Stereo, ...]:
    """A bed's layers, rendered or read from the cache (or a file decoded into one loop)."""
    if not is_builtin_bed(sound):
        return (loop_file(Path(sound)),)
    path = _cache_path(sound)
    layers = []
    for index, seconds in enumerate(LAYER_SECONDS):
        key = f"bed:{sound}:v{BED_VERSION}:layer{index}"
        cached, _ = load_entry(_layer_path(path, index), key, ndim=2, peak=BED_PEAK)
        # Key, checksum, finite samples and the layer's shape: anything else is made again
        # (a NaN or a zero-frame array here once became DC, silence or a crash).
        if cached is None or cached.shape != (seconds * SAMPLE_RATE, 2):
            break
        layers.append(cached)
    if len(layers) == LAYERS and all(_at_bed_level(layer, math.sqrt(LAYERS)) for layer in layers):
        return tuple(layers)
    made = make_bed(sound)
    for index, layer in enumerate(made):
        save_entry(_layer_path(path, index), f"bed:{sound}:v{BED_VERSION}:layer{index}", layer)
    return made


def _layer_path(path: Path, index: int) -> Path:
    """Where one layer of a built-in bed is kept, beside the bed's own name."""
    return path if index == 0 else path.with_name(f"{path.stem}-layer{index}{path.suffix}")


def _at_bed_level(loop: Stereo, scale: float = 1.0) -> bool:
    """Whether a loop (scaled by `scale`) is at BED_RMS (within 0.1 dB), as every rendered bed is."""
    flat = np.ascontiguousarray(loop).reshape(-1)
    # Summed in float64 a piece at a time: a float64 square of a whole layer was 120 MB, and the
    # level check of a cached bed was most of the time a cold start waited for its first sound.
    square_sum = sum(float(np.dot(piece, piece)) for piece in _float64_pieces(flat))
    rms = math.sqrt(square_sum / max(1, len(flat))) * scale
    return abs(20 * math.log10(max(rms, 1e-12) / BED_RMS)) < 0.1


def _float64_pieces(values: npt.NDArray[np.float32], size: int = 1 << 16) -> Iterator[npt.NDArray[np.float64]]:
    """The values in float64, a piece at a time."""
    for start in range(0, len(values), size):
        yield values[start:start + size].astype(np.float64)


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
    # Only the seam is blended (in float64); a float64 copy of the whole file was 210 MB a 5-minute bed.
    loop = np.array(audio[seam:], dtype=np.float32)
    loop[-seam:] = audio[-seam:] * fade_out + audio[:seam] * fade_in
    return loop


def loop_file(path: Path) -> Stereo:
    """A user's file as a bed: decoded, resampled once, seamed, at the beds' loudness."""
    audio = load_stereo_file(path)
    if len(audio) < SAMPLE_RATE:
        audio = np.tile(audio, (int(np.ceil(SAMPLE_RATE / max(len(audio), 1))), 1))
    loop = seamless(audio, int(SEAM_SECONDS * SAMPLE_RATE))
    step = 1 << 20  # the mean square a piece at a time: squaring it whole in float64 took twice the loop again
    rms = math.sqrt(sum(float(np.square(loop[at:at + step], dtype=np.float64).sum())
                        for at in range(0, len(loop), step)) / loop.size)
    if rms > 0:
        loop *= np.float32(BED_RMS / rms)
    return loop
