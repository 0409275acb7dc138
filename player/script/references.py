"""What a script points at: sounds, voices and a cover image, by built-in name or by a file beside it.

Names and files are checked here so that every problem in a script is reported at once;
decoding waits for the sounds' prepare step (it is the costly part).
"""

from __future__ import annotations

from pathlib import Path

from yaml.nodes import Node

from player.export.images import HEAD_BYTES, image_problem
from player.script import schema
from player.script.context import Context, opt_str
from player.script.model import Where
from player.script.suggest import did_you_mean
from player.script.values import value
from player.sounds.catalog import BEDS, CHIMES, is_path
from player.userfiles import (
    MAX_AUDIO_BYTES,
    MAX_COVER_BYTES,
    UserFileError,
    check_regular,
    is_voice_path,
    read_head,
)


def cover(ctx: Context, node: Node) -> Path | None:
    """The cover image beside the script: it must exist and be a JPEG or a PNG."""
    given = value(ctx, node, "cover", schema.TOP_FIELDS["cover"])
    if given is None:
        return None
    path = ctx.folder / str(given)
    try:
        head = read_head(path, HEAD_BYTES, MAX_COVER_BYTES)
    except UserFileError as error:
        ctx.problem(node, f"cannot use the cover image: {error}")
        return None
    if (problem := image_problem(head)) is not None:
        ctx.problem(node, f"the cover image {given} {problem}")
        return None
    return path


def check_sound(ctx: Context, kind: str, sound: str | None, where: Where) -> None:
    """A chime, bed or clip that exists: a built-in name, or a file beside the script."""
    if sound is None:
        return
    if is_path(sound):
        try:
            check_regular(Path(sound), MAX_AUDIO_BYTES)
        except UserFileError as error:
            ctx.problem_where(where, str(error))
        return
    names = {"chime": CHIMES, "bed": BEDS}.get(kind)
    if names is not None and sound not in names:
        what = "chime" if kind == "chime" else "ambient bed"
        plural = "chimes" if kind == "chime" else "beds"
        ctx.problem_where(where, f"unknown {what} '{sound}'{did_you_mean(sound, tuple(names))}; "
                          f"built-in {plural}: {', '.join(names)}, or give a file path")


def voice_name(ctx: Context, given: object, where: Where) -> str | None:
    """A voice id stays as it is; a Piper `.onnx` path resolves beside the script and must exist."""
    name = opt_str(given)
    if name is None or not is_voice_path(name):
        return name
    path = ctx.folder / Path(name).expanduser()
    if not path.is_file():
        ctx.problem_where(where, f"no such voice file: {name}")
    return str(path)


def sound_name(ctx: Context, given: object) -> str | None:
    """A bed or chime: a built-in name stays a name, a path resolves beside the script."""
    if given is None:
        return None
    text = str(given)
    return str(ctx.folder / text) if is_path(text) else text
