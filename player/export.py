"""Export sinks: stream mixer blocks into a WAV or MP3 file, written atomically.

The output is written to a temporary file in the target folder and renamed into place only
when complete, so an interrupted or failed export never leaves a half file where a good one was.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import soundfile

from player import SAMPLE_RATE
from player.errors import ExportError, UsageError
from player.ffmpeg import ffmpeg_exe
from player.mixer import Block, Mixer

FORMATS = ("mp3", "wav")
MP3_BITRATE = "128k"
"""Speech over an ambient bed, stereo: transparent at phone listening levels."""


@dataclass(frozen=True)
class Tags:
    """What the exported file says about itself."""

    title: str = ""
    artist: str = ""
    comment: str = ""


Advance = Callable[[int], None]
"""Called with the number of frames just written."""


def format_for(path: Path, requested: str | None = None) -> str:
    """The output format: the one asked for, or the file's extension."""
    chosen = (requested or path.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        shown = chosen or "(none)"
        raise UsageError(f"cannot export to '{shown}': choose a file ending in .mp3 or .wav")
    return chosen


def export(mixer: Mixer, path: Path, fmt: str | None = None, tags: Tags | None = None,
           advance: Advance | None = None) -> Path:
    """Render the whole session into `path`; returns the path written."""
    chosen = format_for(path, fmt)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name such as {path / 'session.mp3'}")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    try:
        handle, temporary_name = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}.", suffix=f".part.{chosen}")
    except OSError as error:
        raise ExportError(f"cannot write in {folder}: {error.strerror}") from None
    os.close(handle)
    temporary = Path(temporary_name)
    # mkstemp makes the file private (0600); an export gets the usual permissions instead.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    try:
        blocks = _counted(mixer.blocks(), advance)
        if chosen == "wav":
            _write_wav(blocks, temporary, mixer.channels)
        else:
            _write_mp3(blocks, temporary, mixer.channels, tags or Tags())
        os.replace(temporary, path)
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _counted(blocks: Iterator[Block], advance: Advance | None) -> Iterator[Block]:
    """Pass blocks through, reporting progress after each."""
    for block in blocks:
        yield block
        if advance is not None:
            advance(len(block))


def _write_wav(blocks: Iterator[Block], path: Path, channels: int) -> None:
    """16-bit PCM WAV through libsndfile."""
    with soundfile.SoundFile(str(path), "w", samplerate=SAMPLE_RATE, channels=channels,
                             subtype="PCM_16", format="WAV") as sink:
        for block in blocks:
            sink.write(block)


def _write_mp3(blocks: Iterator[Block], path: Path, channels: int, tags: Tags) -> None:
    """MP3 through ffmpeg's libmp3lame, fed raw float32 through a pipe while mixing goes on."""
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(channels), "-i", "pipe:0",
        "-c:a", "libmp3lame", "-b:a", MP3_BITRATE,
        # No encoder version tag: the same session must give the same bytes on every machine.
        "-fflags", "+bitexact", "-flags:a", "+bitexact",
    ]
    for key, value in (("title", tags.title), ("artist", tags.artist), ("comment", tags.comment)):
        if value:
            command += ["-metadata", f"{key}={value}"]
    command += ["-f", "mp3", str(path)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors)
        assert process.stdin is not None
        try:
            _feed(process.stdin, blocks)
            process.stdin.close()
            code = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        if code != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise ExportError(f"ffmpeg could not encode {path.name}: "
                              f"{detail[-1] if detail else f'exit status {code}'}")


def _feed(stream: IO[bytes], blocks: Iterator[Block]) -> None:
    """Write blocks into the encoder's pipe; a closed pipe means ffmpeg stopped."""
    try:
        for block in blocks:
            stream.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
    except BrokenPipeError:
        with contextlib.suppress(BrokenPipeError):
            stream.close()
