"""The user's own audio files (recorded clips, chimes, beds), decoded to timeline samples.

WAV, FLAC, OGG and AIFF are read by libsndfile; anything else ffmpeg reads (MP3, M4A, Opus,
...) is decoded by the bundled ffmpeg into a float WAV in memory. pydub is not used for this:
for any format but WAV it asks ffprobe for the stream layout, and the imageio-ffmpeg wheel
carries ffmpeg only.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.errors import PlayerError
from player.ffmpeg import ffmpeg_exe
from player.voices.audio import resample

Stereo = npt.NDArray[np.float32]
SNDFILE_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff"}


class AudioFileError(Exception):
    """A file that is missing or cannot be decoded (the caller adds the script position)."""


def _check(path: Path) -> None:
    """A file that exists and is not a folder."""
    if not path.exists():
        raise AudioFileError(f"no such file: {path}")
    if path.is_dir():
        raise AudioFileError(f"{path} is a folder, not an audio file")


def decode(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """A file's samples as (frames, channels) float32 and its sample rate."""
    import soundfile  # here, not at the top: checking a script needs no decoder

    _check(path)
    if path.suffix.lower() in SNDFILE_SUFFIXES:
        try:
            samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
            return samples, int(rate)
        except (OSError, RuntimeError, soundfile.LibsndfileError):
            pass  # a misnamed file: let ffmpeg try
    try:
        done = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
             "-vn", "-f", "wav", "-acodec", "pcm_f32le", "-"],
            capture_output=True, check=False, timeout=300,
        )
    except PlayerError as error:
        raise AudioFileError(str(error)) from None
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AudioFileError(f"cannot read {path} as audio ({detail[-1] if detail else 'no audio in it'})")
    samples, rate = soundfile.read(io.BytesIO(done.stdout), dtype="float32", always_2d=True)
    return samples, int(rate)


def load_audio_file(path: Path, sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """A file's audio as mono float32 at the timeline's rate."""
    samples, rate = decode(path)
    mono = np.ascontiguousarray(samples.mean(axis=1), dtype=np.float32)
    return resample(mono, rate, sample_rate)


def load_stereo_file(path: Path, sample_rate: int = SAMPLE_RATE) -> Stereo:
    """A file's audio as (frames, 2) float32 at the timeline's rate (mono is doubled)."""
    samples, rate = decode(path)
    if samples.shape[1] == 1:
        samples = np.repeat(samples, 2, axis=1)
    elif samples.shape[1] > 2:
        samples = samples[:, :2]
    channels = [resample(np.ascontiguousarray(samples[:, c]), rate, sample_rate) for c in range(2)]
    return np.ascontiguousarray(np.stack(channels, axis=1), dtype=np.float32)
