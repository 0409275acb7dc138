"""Streaming float32 blocks into ffmpeg: to encode a file, or to measure loudness on the way."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import numpy as np

from player import SAMPLE_RATE
from player.errors import ExportError
from player.export.formats import FORMATS, Encoding, Format
from player.ffmpeg import ffmpeg_exe
from player.render.mixer import Block, assert_finite


def feed_ffmpeg(arguments: list[str], blocks: Iterable[Block], channels: int, what: str) -> str:
    """Run ffmpeg on raw float32 blocks from a pipe; returns what it printed on stderr.

    Mixing goes on in this process while ffmpeg works in its own, so the two use two cores.
    """
    source = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(channels), "-i", "pipe:0"]
    return pipe_to_ffmpeg([*source, *arguments], lambda stream: _write_blocks(stream, blocks), what)


def pipe_to_ffmpeg(arguments: list[str], write: Callable[[IO[bytes]], None], what: str) -> str:
    """Run ffmpeg with `write` filling its standard input; returns what it printed on stderr."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *arguments]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
        assert process.stdin is not None
        widen_pipe(process.stdin)
        try:
            with contextlib.suppress(BrokenPipeError):  # ffmpeg stopped: its exit status says why
                write(process.stdin)
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
            code = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        errors.seek(0)
        printed = errors.read().decode("utf-8", "replace")
    if code != 0:
        lines = [line for line in printed.strip().splitlines() if line.strip()]
        raise ExportError(f"ffmpeg could not {what}: {_reason(code, lines)}")
    return printed


PIPE_BYTES = 1 << 20
"""A pipe this wide moves a block at a time: far fewer wake-ups than the usual 64 KiB."""


def widen_pipe(pipe: IO[bytes]) -> None:
    """Make a pipe hold PIPE_BYTES where the system allows (Linux); otherwise leave it as it is."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl  # Unix only

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _reason(code: int, lines: list[str]) -> str:
    """Why ffmpeg stopped, in words: its last message, or what its exit status means."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if name == "SIGXFSZ":
            return "the file reached the largest size this system allows it (a full disk or a file size limit)"
        return f"it was stopped by {name}"
    last = lines[-1] if lines else f"exit status {code}"
    if "No space left on device" in last:
        return "the disk is full (No space left on device)"
    return last


def encode(blocks: Iterable[Block], path: Path, encoding: Encoding, chapters: Path | None = None,
           name: str | None = None) -> None:
    """Encode blocks into `path` in the chosen format (tags are written afterwards, by mutagen).

    `chapters` is an ffmetadata file whose chapters go into the container (used for m4a,
    whose chapter track mutagen cannot write).
    """
    arguments: list[str] = []
    if chapters is not None:
        arguments += ["-f", "ffmetadata", "-i", str(chapters), "-map", "0:a", "-map_chapters", "1"]
    fmt = encoding.format
    arguments += ["-loglevel", "error", *fmt.codec, "-ar", str(encoding.sample_rate),
                  "-ac", str(encoding.channels)]
    if encoding.bitrate is not None:
        arguments += ["-b:a", f"{encoding.bitrate}k"]
    arguments += _output_arguments(fmt, path)
    feed_ffmpeg(arguments, blocks, encoding.channels, f"write {name or path.name}")


def remux_mp3(source: Path, path: Path, name: str) -> None:
    """Copy a bare MP3 stream's frames through ffmpeg's muxer as they are: it writes the Info frame afresh.

    The stream is read from a file: from a pipe, ffmpeg would not take the end padding from its Info frame.
    """
    arguments = ["-f", "mp3", "-i", str(source), "-loglevel", "error", "-c:a", "copy",
                 *_output_arguments(FORMATS["mp3"], path)]
    pipe_to_ffmpeg(arguments, lambda stream: None, f"write {name}")


def _output_arguments(fmt: Format, path: Path) -> list[str]:
    """How every export's file is written, whatever its audio."""
    # No tags from ffmpeg (mutagen writes them) and no encoder version: the same session gives
    # the same audio on every machine.
    arguments = ["-map_metadata:g", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
    return [*arguments, *fmt.muxer_options, "-f", fmt.muxer, str(path)]


def _write_blocks(stream: IO[bytes], blocks: Iterable[Block]) -> None:
    """Write blocks into the pipe."""
    for block in blocks:
        # Whatever made the block, nothing but finite samples reaches a file.
        # Its memory as it is (no copy into a bytes object first).
        stream.write(np.ascontiguousarray(assert_finite(block, "the encoder's input"), dtype="<f4").data)
