"""The user's own audio files (recorded clips, chimes, beds), decoded to timeline samples.

WAV, FLAC, OGG and AIFF are read by libsndfile; anything else ffmpeg reads (MP3, M4A, Opus,
...) is probed and then decoded by the bundled ffmpeg into raw floats in memory. pydub is not
used for this: for any format but WAV it asks ffprobe for the stream layout, and the
imageio-ffmpeg wheel carries ffmpeg only.

A user's file is untrusted: only a regular file is opened (a FIFO would hang), its size is
capped, its length is read from the header or the probe and refused past MAX_CLIP_SECONDS
before a sample is decoded, every ffmpeg call has a timeout, and NaN samples are refused.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.audio import resample
from player.errors import PlayerError
from player.ffmpeg import ffmpeg_exe
from player.script.durations import format_duration
from player.script.limits import MAX_AUDIO_BYTES, MAX_CLIP_SECONDS, MAX_COMPRESSED_BYTES
from player.userfiles import UserFileError, check_regular

Stereo = npt.NDArray[np.float32]
SNDFILE_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff"}


PROBE_TIMEOUT = 20.0
DECODE_TIMEOUT = 120.0
"""Seconds ffmpeg may take: a 30-minute MP3 decodes in a few seconds even on a busy machine."""
MIN_RATE, MAX_RATE = 1_000, 384_000
"""Sample rates a recording may have (telephone audio is 8 kHz, studio masters up to 384 kHz)."""
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Audio: [^\n]*?(\d+) Hz")


class AudioFileError(Exception):
    """A file that is missing or cannot be decoded (the caller adds the script position)."""


def _check(path: Path) -> int:
    """The size of a regular file within MAX_AUDIO_BYTES (never a FIFO or a device, which would hang)."""
    try:
        return check_regular(path, MAX_AUDIO_BYTES)
    except UserFileError as error:
        raise AudioFileError(str(error)) from None


def _too_long(path: Path, seconds: float) -> AudioFileError:
    """The error for a file past MAX_CLIP_SECONDS."""
    return AudioFileError(f"{path} lasts {format_duration(seconds)}; a clip, chime or bed may last at most "
                          f"{format_duration(MAX_CLIP_SECONDS)}")


def _check_rate(path: Path, rate: int) -> None:
    """Refuse a sample rate no recording has, before decoding."""
    # A WAV header saying 1 Hz made 1,000 samples into 1,000 s at the timeline's rate: 1.3 GB.
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioFileError(f"cannot read {path} as audio (a sample rate of {rate} Hz; "
                             f"recordings use {MIN_RATE:,} to {MAX_RATE:,} Hz)")


def decode(path: Path, mono: bool = False) -> tuple[npt.NDArray[np.float32], int]:
    """A file's samples as (frames, channels) float32 (one channel, the mean, if `mono`) and its sample rate.

    The header is read first: a file that claims more than MAX_CLIP_SECONDS is refused before
    any sample is decoded, so memory stays bounded by the limit, not by what a file claims.
    """
    import soundfile  # here, not at the top: checking a script needs no decoder

    _check(path)
    if path.suffix.lower() in SNDFILE_SUFFIXES:
        try:
            info = soundfile.info(str(path))
        except (OSError, RuntimeError, soundfile.LibsndfileError):
            info = None  # a misnamed file: let ffmpeg try
        if info is not None:
            _check_rate(path, info.samplerate)
            if info.frames / info.samplerate > MAX_CLIP_SECONDS:
                raise _too_long(path, info.frames / info.samplerate)
            try:
                if mono:
                    return _finite(path, _read_mono(path, info.frames)), int(info.samplerate)
                samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
                return _finite(path, samples), int(rate)
            except (OSError, RuntimeError, soundfile.LibsndfileError):
                pass
    return _decode_with_ffmpeg(path)


def _read_mono(path: Path, frames: int) -> npt.NDArray[np.float32]:
    """A libsndfile file of `frames` (as its header says) as (frames, 1), mixed down block by block."""
    import soundfile

    # Read whole, a 20-minute stereo WAV was 420 MB of float32 before its mono mix was made.
    try:
        mono = np.empty(frames, dtype=np.float32)
    except MemoryError:
        raise AudioFileError(f"{path} is too long to hold in memory") from None
    done = 0
    for block in soundfile.blocks(str(path), blocksize=1 << 16, dtype="float32", always_2d=True):
        taken = min(len(block), frames - done)  # a header claiming fewer frames than follow: the header's
        mono[done:done + taken] = block[:taken].mean(axis=1, dtype=np.float32)
        done += taken
    return mono[:done, np.newaxis]  # fewer than claimed: only what the file holds


def _ffmpeg(path: Path, arguments: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """ffmpeg on a file, bounded in time: a file built to stall the decoder fails instead of hanging."""
    try:
        return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), *arguments],
                              capture_output=True, check=False, timeout=timeout, stdin=subprocess.DEVNULL)
    except PlayerError as error:
        raise AudioFileError(str(error)) from None
    except subprocess.TimeoutExpired:
        raise AudioFileError(f"cannot read {path} as audio: decoding took over {timeout:.0f} s") from None


def _decode_with_ffmpeg(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """Probe the file's duration and rate, then decode at most MAX_CLIP_SECONDS of it as raw floats."""
    size = path.stat().st_size
    if size > MAX_COMPRESSED_BYTES:
        # ffmpeg's probe reads through junk to find frames, using memory and time in proportion.
        raise AudioFileError(f"{path} is {size:,} bytes; a compressed clip (MP3, M4A, Opus) may be at most "
                             f"{MAX_COMPRESSED_BYTES:,} bytes ({format_duration(MAX_CLIP_SECONDS)} at 448 kbit/s)")
    probe = _ffmpeg(path, [], PROBE_TIMEOUT).stderr.decode("utf-8", "replace")
    stream = _STREAM.search(probe)
    if stream is None:
        raise AudioFileError(f"cannot read {path} as audio (no audio stream in it)")
    rate = int(stream.group(1))
    duration = _DURATION.search(probe)
    if duration is not None:
        hours, minutes, seconds = duration.groups()
        total = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        if total > MAX_CLIP_SECONDS:
            raise _too_long(path, total)
    _check_rate(path, rate)
    # At most two channels and MAX_CLIP_SECONDS: what a file claims cannot make this larger.
    done = _ffmpeg(path, ["-vn", "-loglevel", "error", "-t", str(MAX_CLIP_SECONDS), "-ac", "2", "-ar", str(rate),
                          "-f", "f32le", "-acodec", "pcm_f32le", "-"], DECODE_TIMEOUT)
    if done.returncode != 0 or len(done.stdout) < 8:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AudioFileError(f"cannot read {path} as audio ({detail[-1] if detail else 'no audio in it'})")
    samples = np.frombuffer(done.stdout, dtype="<f4")
    samples = samples[: samples.size // 2 * 2].reshape(-1, 2).astype(np.float32, copy=False)
    return _finite(path, samples), rate


def _finite(path: Path, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Samples that are all finite numbers (a float WAV can hold NaN), centred on zero; or an error naming the file.

    A recording's DC offset (a cheap microphone's, or a file that is nothing but one) is taken
    out: levelling by loudness cannot see it, so a constant 0.5 became a second of 0.84 in an
    export, and a bed looped its offset under the whole session.
    """
    if not np.isfinite(samples).all():
        raise AudioFileError(f"{path} holds samples that are not numbers (NaN or infinite)")
    samples = np.array(samples, dtype=np.float32, copy=not samples.flags.writeable)
    samples -= samples.mean(axis=0, dtype=np.float64).astype(np.float32)
    return samples


def load_audio_file(path: Path, sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """A file's audio as mono float32 at the timeline's rate."""
    samples, rate = decode(path, mono=True)
    mono = np.ascontiguousarray(samples.mean(axis=1, dtype=np.float32) if samples.shape[1] > 1 else samples[:, 0])
    return resample(mono, rate, sample_rate)


def load_stereo_file(path: Path, sample_rate: int = SAMPLE_RATE) -> Stereo:
    """A file's audio as (frames, 2) float32 at the timeline's rate (mono is doubled)."""
    samples, rate = decode(path)
    if samples.shape[1] == 1:
        samples = np.repeat(samples, 2, axis=1)
    elif samples.shape[1] > 2:
        samples = samples[:, :2]
    if rate == sample_rate:
        return np.ascontiguousarray(samples, dtype=np.float32)  # no copy per channel and a third to stack them
    channels = [resample(np.ascontiguousarray(samples[:, c]), rate, sample_rate) for c in range(2)]
    return np.ascontiguousarray(np.stack(channels, axis=1), dtype=np.float32)
