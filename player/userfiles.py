"""Opening a user's file safely: only regular files, of bounded size, read without blocking.

A FIFO or a device named as a clip, a cover or a script would block a read forever (or never
end: /dev/zero), so a file is opened without blocking and checked with fstat on the open
descriptor (no window between the check and the use) before a byte is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from player.script.limits import MAX_AUDIO_BYTES as MAX_AUDIO_BYTES
from player.script.limits import MAX_COVER_BYTES as MAX_COVER_BYTES


class UserFileError(Exception):
    """A user's file that cannot be used, with a one-line reason (the caller adds where it was named)."""


def describe_os_error(error: OSError) -> str:
    """What the system refused, in one line: the reason and the file (a long name shortened)."""
    name = str(error.filename) if error.filename is not None else ""
    if len(name) > 80:
        name = name[:60] + f"... ({len(name)} characters)"
    reason = error.strerror or str(error)
    return f"{reason}: {name}" if name else reason


def _reason(path: Path, error: OSError) -> str:
    """An OSError as a short sentence that names the file."""
    if error.errno == errno.ENOENT:
        return f"no such file: {path}"
    if error.errno == errno.ENAMETOOLONG:
        return f"the file name is too long for this system ({len(str(path))} characters): {str(path)[:60]}..."
    if error.errno == errno.EISDIR:
        return f"{path} is a folder, not a file"
    return f"cannot read {path}: {error.strerror or error}"


class Opened:
    """A descriptor closed at the end of a `with` block."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor

    def __enter__(self) -> int:
        return self.descriptor

    def __exit__(self, *exc: object) -> None:
        os.close(self.descriptor)


def check_regular(path: Path, limit: int) -> int:
    """The size of a regular file of at most `limit` bytes; UserFileError for anything else."""
    with open_regular(path, limit):
        pass
    return path.stat().st_size


def open_regular(path: Path, limit: int) -> Opened:
    """An open file that is regular and at most `limit` bytes (use it in a `with`)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise UserFileError(_reason(path, error)) from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise UserFileError(f"{path} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UserFileError(f"{path} is not a regular file (a pipe or a device); give a file")
        if info.st_size > limit:
            raise UserFileError(f"{path} is {info.st_size:,} bytes; the limit is {limit:,}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return Opened(descriptor)


def read_regular(path: Path, limit: int) -> bytes:
    """All bytes of a regular file of at most `limit` bytes."""
    with open_regular(path, limit) as descriptor, os.fdopen(os.dup(descriptor), "rb") as stream:
        try:
            return stream.read(limit + 1)[:limit]
        except OSError as error:
            raise UserFileError(_reason(path, error)) from None


def read_head(path: Path, count: int, limit: int) -> bytes:
    """The first `count` bytes of a regular file of at most `limit` bytes."""
    with open_regular(path, limit) as descriptor:
        try:
            return os.read(descriptor, count)
        except OSError as error:
            raise UserFileError(_reason(path, error)) from None


def is_voice_path(name: str | None) -> bool:
    """Whether a voice name is a path to a Piper `.onnx` file rather than an id (here, not in
    player.voices, so that checking a script loads no engine and no numpy)."""
    return name is not None and name.lower().endswith(".onnx")
