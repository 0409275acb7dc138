"""Where ffmpeg is: the static build in the imageio-ffmpeg wheel, or one on PATH."""

from __future__ import annotations

import shutil
from functools import lru_cache

from player.errors import MissingDependency


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The path of a working ffmpeg binary."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found:
            return found
    raise MissingDependency(
        "MP3 export needs ffmpeg, and none was found.",
        "pip install imageio-ffmpeg (it carries its own ffmpeg), or install ffmpeg",
    )
