"""The user's own audio files (recorded clips, chime files), decoded to timeline samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

from player import SAMPLE_RATE
from player.voices.audio import resample


class AudioFileError(Exception):
    """A file that is missing or cannot be decoded (the caller adds the script position)."""


def load_audio_file(path: Path, sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """A file's audio as mono float32 at the timeline's rate (WAV, FLAC, OGG, AIFF)."""
    if not path.exists():
        raise AudioFileError(f"no such file: {path}")
    if path.is_dir():
        raise AudioFileError(f"{path} is a folder, not an audio file")
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
        raise AudioFileError(
            f"cannot read {path} as audio ({error}); WAV, FLAC, OGG and AIFF are supported"
        ) from None
    mono = np.ascontiguousarray(samples.mean(axis=1), dtype=np.float32)
    return resample(mono, int(rate), sample_rate)
