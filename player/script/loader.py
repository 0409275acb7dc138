"""YAML file to Script: the public entry of script loading (load_script, Overrides, parse_set_options).

Every problem is collected, not just the first, and each is reported as FILE:LINE:COL. The walk
itself is in builder.py; values, variables, steps, the header and the files a script points at
each have a module of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from player.errors import ScriptError, VariableError
from player.script.builder import build
from player.script.context import Context
from player.script.model import Script
from player.script.support import SUPPORT_VAR, support_problem
from player.script.untrusted import MAX_SET_CHARS, control_problem, printable
from player.script.variables import VAR_NAME
from player.script.yamlnodes import compose_file


@dataclass(frozen=True)
class Overrides:
    """What the command line changes in a script (--set, --length, --pace, --engine, ...)."""

    vars: dict[str, str] = field(default_factory=dict)
    length: float | None = None
    pace: float | None = None
    engine: str | None = None
    voice: str | None = None
    rate: float | None = None
    strict_vars: bool = True
    """A --set name the script does not know is an error (a batch checks names across its scripts)."""


def parse_set_options(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """KEY=VALUE strings (values given from outside a script) into a dict; a malformed one is a VariableError."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not VAR_NAME.match(key):
            raise VariableError(f"a variable is given as NAME=VALUE, as in name=Sam, not '{printable(pair)}'")
        bad = control_problem(value)
        if bad is not None:
            raise VariableError(f"the value given for {key} {bad}")
        if len(value) > MAX_SET_CHARS:
            raise VariableError(f"the value given for {key} is {len(value):,} characters; "
                                f"the limit is {MAX_SET_CHARS:,}")
        problem = support_problem(value) if key == SUPPORT_VAR else None
        if problem is not None:
            raise VariableError(f"the value given for {SUPPORT_VAR}: {problem}")
        result[key] = value
    return result


def load_script(path: Path | str, overrides: Overrides | None = None) -> Script:
    """Read, validate and build one script; raise ScriptError listing every problem in it."""
    path = Path(path)
    display = str(path)
    root = compose_file(path, display)
    ctx = Context(display, path.parent, overrides or Overrides())
    script = build(ctx, root, path)
    if ctx.problems or script is None:
        raise ScriptError(ctx.problems)
    return script
