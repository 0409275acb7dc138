"""Writing arrays to a cache so a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt


def save_bytes(path: Path, data: bytes) -> bool:
    """Write bytes to a temporary file beside `path`, then rename it into place; False if it could not."""
    return _save(path, lambda stream: stream.write(data))


def save_array(path: Path, array: npt.NDArray[Any], **more: npt.NDArray[Any]) -> bool:
    """Save to a temporary file beside `path`, then rename it into place; False if it could not.

    With `more` arrays, the file is an uncompressed .npz holding `array` as "data" and the rest
    under their names; otherwise a plain .npy.
    """
    def write(stream: BinaryIO) -> None:
        if more:
            arrays: dict[str, Any] = {"data": np.ascontiguousarray(array), **more}
            np.savez(stream, **arrays)
        else:
            np.save(stream, np.ascontiguousarray(array), allow_pickle=False)

    return _save(path, write)


def _save(path: Path, write: Callable[[BinaryIO], object]) -> bool:
    """The one way a cache file is written: beside its name, then renamed over it."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
        return True
    except OSError:
        # A cache that cannot be written only costs speed; whatever needed it goes on.
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return False
