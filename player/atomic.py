"""The one safe write: a file is written beside its name, then renamed into place, so no reader
ever sees half of it and a failed write leaves the old file as it was.

Exports, caches, plots and the studio's saves all go through `staged`; numpy is imported only
by `save_array`, since exports import this module from commands that must start light.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import numpy.typing as npt


@contextmanager
def staged(path: Path, temporary: Path | None = None, overwrite: bool = True) -> Iterator[Path]:
    """A temporary file beside `path` to write; renamed to `path` when the block ends without an
    error, and removed whatever happens.

    `temporary` is one the caller has claimed (an export names its own); otherwise a hidden one
    is made. Without `overwrite` an existing file is never replaced, not even one that appeared
    meanwhile: FileExistsError. Any other failure is an OSError.
    """
    if temporary is None:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        temporary = Path(name)
    try:
        yield temporary
        move_into_place(temporary, path, overwrite)
    finally:
        temporary.unlink(missing_ok=True)


def move_into_place(temporary: Path, path: Path, overwrite: bool = True) -> None:
    """Rename a finished file to its name; without `overwrite`, never replace a file (FileExistsError)."""
    if overwrite:
        os.replace(temporary, path)
        return
    try:
        # A hard link fails if the name exists, so nothing that appeared meanwhile is lost.
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links: rename, if the name is still free.
        if path.exists():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(temporary, path)


def write_bytes(path: Path, data: bytes) -> None:
    """Write bytes safely over `path` (OSError if it cannot be done; the old file is then untouched)."""
    with staged(path) as temporary:
        temporary.write_bytes(data)


def save_bytes(path: Path, data: bytes) -> bool:
    """Write bytes to a cache file safely, making its folder; False if it could not."""
    return _save(path, lambda stream: stream.write(data))


def save_array(path: Path, array: npt.NDArray[Any], **more: npt.NDArray[Any]) -> bool:
    """Save to a cache file safely, making its folder; False if it could not.

    With `more` arrays, the file is an uncompressed .npz holding `array` as "data" and the rest
    under their names; otherwise a plain .npy.
    """
    import numpy as np

    def write(stream: BinaryIO) -> None:
        if more:
            arrays: dict[str, Any] = {"data": np.ascontiguousarray(array), **more}
            np.savez(stream, **arrays)
        else:
            np.save(stream, np.ascontiguousarray(array), allow_pickle=False)

    return _save(path, write)


def _save(path: Path, write: Callable[[BinaryIO], object]) -> bool:
    """A cache file written through `staged`; a failure only costs speed, so it is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with staged(path) as temporary, temporary.open("wb") as stream:
            write(stream)
        return True
    except OSError:
        return False
