"""The walk over a script's node graph: top-level keys, then the Script, then session-wide limits.

Every part records its problems in the shared Context rather than stopping at the first, so the
loader reports them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from yaml.nodes import Node

from player.errors import LengthError
from player.script import header, schema
from player.script.context import Context, num, opt_num
from player.script.durations import format_duration
from player.script.model import (
    AmbientSettings,
    Breathe,
    Pause,
    Repeat,
    Say,
    Script,
    Silence,
    Step,
    VoiceSettings,
    Where,
)
from player.script.references import cover
from player.script.steps import read_steps
from player.script.support import with_support
from player.script.values import mapping, value
from player.script.variables import check_set_names, defined_vars, read_vars

_SIMPLE = ("title", "description", "author", "collection", "language", "pace", "length", "eyes")
"""Top-level keys that are one plain value each."""


@dataclass(frozen=True)
class _Parts:
    """The top level's pieces, each checked, before they become a Script."""

    simple: dict[str, object]
    lengths: tuple[float, ...]
    cover: Path | None
    steps: tuple[Step, ...]
    on_exit: tuple[Step, ...]
    voice: VoiceSettings
    ambient: AmbientSettings
    tags: tuple[str, ...]


def build(ctx: Context, root: Node, path: Path) -> Script | None:
    """The Script, or None when the top level is unusable or a problem was found."""
    top = mapping(ctx, root, "the script", tuple(schema.TOP_FIELDS))
    if top is None:
        return None
    ctx.vars = read_vars(ctx, top.get("vars"))
    parts = _read_parts(ctx, root, top)
    if ctx.problems:
        return None
    script = Script(
        title=str(parts.simple.get("title") or ""),
        source=path,
        steps=parts.steps,
        description=str(parts.simple.get("description") or ""),
        author=str(parts.simple.get("author") or ""),
        collection=str(parts.simple.get("collection") or ""),
        eyes=str(parts.simple.get("eyes") or "closed"),
        lengths=parts.lengths,
        cover=parts.cover,
        language=str(parts.simple.get("language") or "en-US"),
        tags=parts.tags,
        vars=dict(ctx.vars),
        voice=parts.voice,
        ambient=parts.ambient,
        pace=num(parts.simple.get("pace"), 1.0),
        length=opt_num(parts.simple.get("length")),
        on_exit=parts.on_exit,
        variables=frozenset(defined_vars(top.get("vars")) | ctx.used),
    )
    script = apply_overrides(ctx, script)
    check_limits(ctx, root, script)
    return script


def _read_parts(ctx: Context, root: Node, top: dict[str, Node]) -> _Parts:
    """Every top-level key checked, in the order that keeps the messages in the file's order."""
    support = header.support(ctx, top.get("support"), root)
    for key in ("title", "steps"):
        if key not in top:
            ctx.problem(root, f"the script needs '{key}'"
                        + (" (a list of steps such as '- say: ...')" if key == "steps" else ""))
    simple = {name: value(ctx, node, name, schema.TOP_FIELDS[name])
              for name, node in top.items() if name in _SIMPLE}
    lengths = header.durations(ctx, top["lengths"], "lengths") if "lengths" in top else ()
    image = cover(ctx, top["cover"]) if "cover" in top else None
    steps = read_steps(ctx, top["steps"], "'steps'") if "steps" in top else ()
    on_exit = read_steps(ctx, top["on_exit"], "'on_exit'") if "on_exit" in top else ()
    voice = header.voice(ctx, top.get("voice"))
    ambient = header.ambient(ctx, top.get("ambient"))
    tags = header.names(ctx, top["tags"], "tags") if "tags" in top else ()
    check_set_names(ctx, top.get("vars"))
    if support:  # spoken after the last words of the practice and of its own safe exit
        where = ctx.where(top["support"]) if "support" in top else Where(ctx.display)
        steps, on_exit = with_support(steps, support, where), with_support(on_exit, support, where)
    if "steps" in top and not steps and not ctx.problems:
        ctx.problem(top["steps"], "'steps' is empty: a practice needs at least one step")
    return _Parts(simple, lengths, image, steps, on_exit, voice, ambient, tags)


def apply_overrides(ctx: Context, script: Script) -> Script:
    """Command-line values win over the file's (checked by the same rule as the file's)."""
    o = ctx.overrides
    for name, given in (("length", o.length), ("pace", o.pace), ("rate", o.rate)):
        spec = schema.OPTION_FIELDS[f"--{name}"]
        show = format_duration if spec.kind == "duration" else str
        problem = None if given is None else schema.number_problem(given, spec, show)
        if problem is not None:
            raise LengthError(f"the {name} {problem}", subject=name)
    voice = script.voice
    if o.engine is not None:
        voice = replace(voice, engine=o.engine)
    if o.voice is not None:
        voice = replace(voice, name=o.voice)
    if o.rate is not None:
        voice = replace(voice, rate=o.rate)
    return replace(
        script,
        voice=voice,
        pace=o.pace if o.pace is not None else script.pace,
        length=o.length if o.length is not None else script.length,
    )


def check_limits(ctx: Context, root: Node, script: Script) -> None:
    """Session-wide limits, computed on the steps without unrolling repeats."""
    steps, fixed = measure(script.steps, script.pace)
    if steps > schema.MAX_STEPS:
        ctx.problem(root, f"the steps unroll to {steps:,} (repeats multiply); the limit is "
                    f"{schema.MAX_STEPS:,}")
    if fixed > schema.MAX_SESSION_SECONDS:
        ctx.problem(root, f"the pauses alone last {format_duration(fixed)}; a session may last "
                    f"at most {format_duration(schema.MAX_SESSION_SECONDS)} (4 h)")


def measure(steps: tuple[Step, ...], pace: float) -> tuple[int, float]:
    """Unrolled step count and the seconds of timed quiet (before speech), without unrolling."""
    count, seconds = 0, 0.0
    for step in steps:
        if isinstance(step, Repeat):
            inner_count, inner_seconds = measure(step.steps, pace)
            count += 1 + step.count * inner_count
            seconds += step.count * inner_seconds
            continue
        count += 1
        if isinstance(step, Pause):
            seconds += step.seconds * pace
        elif isinstance(step, Say):
            seconds += step.pause_after * pace
        elif isinstance(step, Breathe):
            seconds += step.cycles * (step.inhale + step.hold + step.exhale + step.hold_out)
        elif isinstance(step, Silence):
            seconds += step.duration
    return count, seconds
