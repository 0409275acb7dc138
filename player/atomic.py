"""Writing arrays to a cache so a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def save_bytes(path: Path, data: bytes) -> bool:
    """Write bytes to a temporary file beside `path`, then rename it into place; False if it could not."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
        return True
    except OSError:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return False


def save_array(path: Path, array: npt.NDArray[Any], **more: npt.NDArray[Any]) -> bool:
    """Save to a temporary file beside `path`, then rename it into place; False if it could not.

    With `more` arrays, the file is an uncompressed .npz holding `array` as "data" and the rest
    under their names; otherwise a plain .npy.
    """
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            if more:
                arrays: dict[str, Any] = {"data": np.ascontiguousarray(array), **more}
                np.savez(stream, **arrays)
            else:
                np.save(stream, np.ascontiguousarray(array), allow_pickle=False)
        os.replace(temporary, path)
        return True
    except OSError:
        # A cache that cannot be written only costs speed; whatever needed it goes on.
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return False
