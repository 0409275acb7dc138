"""One mapping or one value checked against the schema: keys, kinds, choices, numbers and ranges."""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import MappingNode, Node, ScalarNode

from player.script import schema
from player.script.context import Context
from player.script.durations import format_duration, parse_duration
from player.script.model import Step
from player.script.suggest import did_you_mean
from player.script.variables import fill
from player.script.yamlnodes import scalar_value

StepsReader = Callable[[Context, Node, str], tuple[Step, ...]]
"""Reads a list of steps (the steps module's reader, passed in for `repeat`'s `steps:`)."""


def mapping(ctx: Context, node: Node, what: str, known: tuple[str, ...]) -> dict[str, Node] | None:
    """A mapping's keys and value nodes; unknown and repeated keys are problems."""
    if not isinstance(node, MappingNode):
        ctx.problem(node, f"{what} must be a mapping of keys and values")
        return None
    result: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key = scalar_value(key_node) if isinstance(key_node, ScalarNode) else None
        if not isinstance(key, str):
            ctx.problem(key_node, f"{what}: keys must be plain words")
            continue
        if key in result:
            ctx.problem(key_node, f"'{key}' is given twice in {what}")
            continue
        if key not in known:
            ctx.problem(key_node, f"unknown key '{key}' in {what}{did_you_mean(key, known)}")
            continue
        result[key] = value_node
    return result


def value(ctx: Context, node: Node, name: str, spec: schema.Field) -> object:
    """Check one value against its field; None (with a problem recorded) when it is wrong."""
    kind = spec.kind
    if kind in ("steps", "vars", "names", "durations"):
        raise AssertionError(f"{kind} fields are built by their own functions")
    if not isinstance(node, ScalarNode):
        ctx.problem(node, f"'{name}' must be a single value, not a list or mapping")
        return None
    raw = scalar_value(node)
    if raw is None or (spec.nullable and isinstance(raw, str) and raw.lower() == "none"):
        if spec.nullable:
            return None
        ctx.problem(node, f"'{name}' needs a value")
        return None
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        ctx.problem(node, f"'{name}' must be true or false")
        return None
    if kind in ("number", "integer", "duration"):
        return number(ctx, node, name, spec, raw)
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        ctx.problem(node, f"'{name}' must be text")
        return None
    return _text(ctx, node, name, spec, str(raw))


def _text(ctx: Context, node: Node, name: str, spec: schema.Field, text: str) -> str | None:
    """A text, name or choice: one of the choices, its variables filled, within the length limit."""
    if spec.kind == "choice" and text not in spec.choices:
        choices = ", ".join(spec.choices)
        ctx.problem(node, f"'{name}' must be one of {choices}, not '{text}'"
                    f"{did_you_mean(text, spec.choices)}")
        return None
    if spec.template:
        filled = fill(ctx, node, name, text)
        if filled is None:
            return None
        text = filled
    if spec.kind == "text" and len(text) > schema.MAX_TEXT_CHARS:
        ctx.problem(node, f"'{name}' is {len(text):,} characters; the limit for one text is "
                    f"{schema.MAX_TEXT_CHARS:,}")
        return None
    return text


def number(ctx: Context, node: Node, name: str, spec: schema.Field, raw: object) -> float | int | None:
    """A number, integer or duration within the field's range."""
    try:
        if spec.kind == "duration":
            found: float = parse_duration(raw)
        elif isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ValueError("a number")
        else:
            found = raw
    except ValueError as error:
        ctx.problem(node, f"'{name}': {error}" if spec.kind == "duration"
                    else f"'{name}' must be {error}, not '{raw}'")
        return None
    if spec.kind == "integer" and not (isinstance(raw, int) and not isinstance(raw, bool)):
        ctx.problem(node, f"'{name}' must be a whole number, not '{raw}'")
        return None
    show = format_duration if spec.kind == "duration" else str
    problem = schema.number_problem(found, spec, show)
    if problem is not None:
        note = _limit_note(name, spec) if "at most" in problem else ""
        ctx.problem(node, f"'{name}' {problem}{note}")
        return None
    return found


def fields(ctx: Context, node: Node, what: str, specs: dict[str, schema.Field],
           steps: StepsReader | None = None) -> dict[str, object]:
    """All keys of a mapping, checked; required ones reported when missing."""
    nodes = mapping(ctx, node, what, tuple(specs))
    if nodes is None:
        return {}
    values: dict[str, object] = {}
    for name, spec in specs.items():
        if name not in nodes:
            if spec.required:
                ctx.problem(node, f"{what} needs '{name}'")
            continue
        if spec.kind == "steps":
            if steps is None:
                raise AssertionError(f"{what}: a list of steps needs the steps reader")
            values[name] = steps(ctx, nodes[name], f"'{name}'")
        else:
            values[name] = value(ctx, nodes[name], name, spec)
    return values


def _limit_note(name: str, spec: schema.Field) -> str:
    """Why a maximum exists, where it is one of the format's limits."""
    if spec.kind == "duration" and spec.maximum == schema.MAX_PAUSE_SECONDS:
        return " (the limit for a single pause is 1 h)"
    if name == "repeat":
        return f" (the limit for repeat is {schema.MAX_REPEAT})"
    return ""
