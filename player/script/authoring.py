"""Authoring helpers: new scripts from templates, and timer sessions built in code."""

from __future__ import annotations

import json
from pathlib import Path

from player.atomic import write_bytes
from player.errors import RequestError
from player.script import schema
from player.script.durations import format_duration
from player.script.jsonschema import shipped_schema_path
from player.script.model import AmbientSettings, Chime, Script, Silence, Step, Where
from player.script.untrusted import without_controls
from player.sounds.catalog import BEDS, CHIMES

TEMPLATES = {
    "blank": "a short practice to fill in: permission, one noticing prompt, a way back to the room",
    "breathing": "a paced breathing practice (in 4, out 6) with length variants",
    "personal": "a practice for one client: vars for their name and a chosen safe place",
}


def template_text(template: str, title: str) -> str:
    """A new script's text from a template, with its title and the schema path for editors."""
    if template not in TEMPLATES:
        raise RequestError(f"unknown template '{template}': choose one of {', '.join(TEMPLATES)}")
    text = (Path(__file__).resolve().parent / "templates" / f"{template}.yaml").read_text(encoding="utf-8")
    # A JSON string is a YAML double-quoted one, so a name's backslashes stay themselves: quoted
    # bare, a name ending in a backslash left the quote unclosed and one holding \n broke the line.
    quoted = json.dumps(title, ensure_ascii=False)
    return text.replace("__TITLE__", quoted).replace("__SCHEMA__", shipped_schema_path().as_uri())


def title_from_name(name: str) -> str:
    """'evening-calm' to 'Evening Calm' (control characters dropped: the loader refuses them)."""
    words = without_controls(Path(name).stem).replace("_", " ").replace("-", " ").split()
    return " ".join(word.capitalize() for word in words) or "New Practice"


def copy_text(builtin: str) -> str:
    """A built-in practice's text to adapt: its own words, under the schema line for editors."""
    from player.script.library import builtin_folder, builtin_names
    from player.script.suggest import did_you_mean

    names = builtin_names()
    if builtin not in names:  # a name from the list only: never a path
        raise RequestError(f"no built-in practice called '{builtin}'{did_you_mean(builtin, names)}; "
                         "`practice list` shows them")
    text = (builtin_folder() / f"{builtin}.yaml").read_text(encoding="utf-8")
    return (f"# yaml-language-server: $schema={shipped_schema_path().as_uri()}\n"
            f"# Adapted from the built-in practice {builtin}: change the words, then `practice check` it.\n"
            + text)


def new_script(name: str, template: str = "blank", folder: Path = Path("."), force: bool = False,
               builtin: str | None = None) -> Path:
    """Write NAME.yaml from a template, or a copy of a built-in; never replaces a file unless `force`."""
    path = folder / (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    text = copy_text(builtin) if builtin is not None else template_text(template, title_from_name(name))
    if path.exists() and not force:
        raise RequestError(f"{path} already exists; choose another name", subject="overwrite")
    if not path.parent.is_dir():
        raise RequestError(f"the folder {path.parent} does not exist")
    write_bytes(path, text.encode("utf-8"))  # renamed into place: --force over a FIFO opened it and hung
    return path


def timer_script(duration: float, bells_every: float | None = None, ambient: str | None = None,
                 chime: str = "bowl") -> Script:
    """A silent sit: a chime, `duration` of quiet (a chime every `bells_every`), a closing chime."""
    if not 1.0 <= duration <= schema.MAX_SESSION_SECONDS:
        raise RequestError(f"a timer lasts between 1 s and {format_duration(schema.MAX_SESSION_SECONDS)}")
    if bells_every is not None and not 1.0 <= bells_every < duration:
        raise RequestError("the time between bells must be at least 1 s and shorter than the timer",
                           subject="bells_every")
    # Built here, not loaded from a file, so the names get the loader's check here.
    for sound, names, what in ((ambient, BEDS, "bed"), (chime, CHIMES, "chime")):
        if sound is not None and sound not in names:
            raise RequestError(f"unknown {what} '{sound}': choose one of {', '.join(names)}")
    where = Where("timer")
    steps: list[Step] = [Chime(sound=chime, where=where)]
    left = duration
    while left > 0:
        # A silence step holds at most an hour: longer timers are several, bells kept in step.
        part = min(left, schema.MAX_PAUSE_SECONDS)
        steps.append(Silence(duration=part, where=where, bells_every=bells_every, chime=chime))
        left -= part
    steps.append(Chime(sound=chime, where=where))
    title = f"Timer, {format_duration(duration)}" + (f", a bell every {format_duration(bells_every)}"
                                                     if bells_every else "")
    return Script(title=title, source=Path("timer.yaml"), steps=tuple(steps),
                  description="A silent sit with chimes.", ambient=AmbientSettings(sound=ambient, where=where),
                  eyes="closed")
