"""Every file a script uses (clips, chimes, beds, cover, voice), and which lie outside its folder.

Absolute and `../` paths are allowed (a therapist's clips folder is real), but a script that
reaches outside its own folder should say so: `practice check` lists those files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from player.script.model import AmbientChange, Chime, Play, Repeat, Say, Script, Silence, Step
from player.sounds.catalog import is_path
from player.userfiles import is_voice_path


def files_used(script: Script) -> list[Path]:
    """Each file the script names, once, in the order it first appears."""
    found: dict[Path, None] = {}
    names = [script.ambient.sound, script.voice.name, *_step_files(script.steps), *_step_files(script.on_exit)]
    for name in names:
        if name is not None and (is_path(name) or is_voice_path(name)):
            found.setdefault(Path(name), None)
    if script.cover is not None:
        found.setdefault(script.cover, None)
    return list(found)


def outside_folder(script: Script) -> list[Path]:
    """The files used from outside the script's own folder (by an absolute or a ../ path), as absolute paths."""
    folder = Path(os.path.abspath(script.source.parent))
    absolute = dict.fromkeys(Path(os.path.abspath(path)) for path in files_used(script))
    return [path for path in absolute if not path.is_relative_to(folder)]


def _step_files(steps: tuple[Step, ...]) -> Iterator[str | None]:
    """The sound and voice names of steps, repeats included."""
    for step in steps:
        if isinstance(step, Repeat):
            yield from _step_files(step.steps)
        elif isinstance(step, Play):
            yield str(step.file)
        elif isinstance(step, (Chime, AmbientChange)):
            yield step.sound
        elif isinstance(step, Silence) and step.bells_every is not None:
            yield step.chime
        elif isinstance(step, Say):
            yield step.voice
