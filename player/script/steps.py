"""Steps: the list, one step in its short or long form, and one builder for each kind of step."""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from player.script import schema
from player.script.context import Context, num, opt_num
from player.script.durations import format_duration
from player.script.model import (
    AmbientChange,
    Breathe,
    Chapter,
    Chime,
    Pause,
    Play,
    Repeat,
    Say,
    Silence,
    Step,
    Where,
)
from player.script.references import check_sound, sound_name, voice_name
from player.script.suggest import did_you_mean
from player.script.text import Spoken, split_say
from player.script.values import fields, value
from player.script.yamlnodes import scalar_value

Values = dict[str, object]
"""A step's checked fields by name."""


def read_steps(ctx: Context, node: Node, what: str) -> tuple[Step, ...]:
    """A list of steps; each is one mapping with one step key (repeat also has `steps`)."""
    if not isinstance(node, SequenceNode):
        ctx.problem(node, f"{what} must be a list of steps, each line starting with '- '")
        return ()
    result: list[Step] = []
    for item in node.value:
        found = step(ctx, item)
        if found is not None:
            result.append(found)
    return tuple(result)


def step(ctx: Context, node: Node) -> Step | None:
    """One step, in its short or long form."""
    if isinstance(node, ScalarNode):
        word = str(scalar_value(node))
        hint = did_you_mean(word, schema.STEP_NAMES) if word not in schema.STEP_NAMES else ""
        ctx.problem(node, f"a step is written as '- name: value' (for example '- pause: 5'), "
                    f"not '- {word}'{hint}")
        return None
    if not isinstance(node, MappingNode):
        ctx.problem(node, "a step is written as '- name: value', not a list")
        return None
    keys = [(scalar_value(k) if isinstance(k, ScalarNode) else None, k, v) for k, v in node.value]
    names = [key for key, _, _ in keys]
    if "repeat" in names:
        return repeat(ctx, node)
    if len(keys) != 1:
        _many_keys(ctx, node, names)
        return None
    name, key_node, value_node = keys[0]
    if not isinstance(name, str) or name not in schema.STEP_FORMS:
        ctx.problem(key_node, f"unknown step '{name}'{did_you_mean(str(name), schema.STEP_NAMES)}")
        return None
    values = _step_values(ctx, name, value_node)
    if values is None:
        return None  # the problem is already recorded
    return _MAKERS[name](ctx, values, ctx.where(key_node), value_node)


def _many_keys(ctx: Context, node: Node, names: list[object]) -> None:
    """A step mapping with more than one key: its options belong in its own mapping, or it is two steps."""
    step_keys = [k for k in names if k in schema.STEP_FORMS]
    if len(step_keys) == 1:
        form = schema.STEP_FORMS[str(step_keys[0])]
        ctx.problem(node, f"'{step_keys[0]}' options go in its own mapping, e.g. "
                    f"'- {step_keys[0]}: {{{', '.join(f'{key}: ...' for key in list(form.fields)[:2])}}}'")
    else:
        ctx.problem(node, "each step holds one action; start another line with '- ' "
                    "for the next one")


def _step_values(ctx: Context, name: str, node: Node) -> Values | None:
    """A step's fields from its long form (a mapping) or its short one; None when one it needs is wrong."""
    form = schema.STEP_FORMS[name]
    if isinstance(node, MappingNode):
        values = fields(ctx, node, f"'{name}'", form.fields, read_steps)
    elif form.short is not None:
        short = value(ctx, node, name, form.fields[form.short])
        if short is None and not form.fields[form.short].nullable:
            return None
        values = {form.short: short}
    else:
        ctx.problem(node, f"'{name}' takes a mapping, for example: {form.example}")
        return None
    for key, spec in form.fields.items():
        if spec.required and (key not in values or (values[key] is None and not spec.nullable)):
            return None
    return values


def repeat(ctx: Context, node: MappingNode) -> Repeat | None:
    """`- repeat: N` with `steps:` beside it."""
    values = fields(ctx, node, "'repeat'", schema.STEP_FORMS["repeat"].fields, read_steps)
    count, steps = values.get("repeat"), values.get("steps")
    if not isinstance(count, int) or not isinstance(steps, tuple):
        return None
    if not steps:
        ctx.problem(node, "'repeat' needs at least one step under 'steps'")
        return None
    return Repeat(count=count, steps=steps, where=ctx.where(node))


def say(ctx: Context, values: Values, where: Where, node: Node) -> Say | None:
    """Words to speak: at least one, with their own voice and rate if given."""
    try:
        parts = split_say(str(values["text"]))
    except ValueError as error:
        ctx.problem(node, str(error))
        return None
    if not any(isinstance(part, Spoken) for part in parts):
        ctx.problem(node, "'say' has no words to speak; for quiet, use '- pause: SECONDS'")
        return None
    return Say(text=str(values["text"]), where=where, rate=opt_num(values.get("rate")),
               voice=voice_name(ctx, values.get("voice"), where),
               pause_after=num(values.get("pause_after"), 0.0))


def pause(ctx: Context, values: Values, where: Where, node: Node) -> Pause | None:
    """A pause; min and max only make sense on a flexible one and must bracket it."""
    seconds = num(values.get("seconds"), 0.0)
    flexible = bool(values.get("flexible", False))
    low, high = opt_num(values.get("min")), opt_num(values.get("max"))
    if (low is not None or high is not None) and not flexible:
        ctx.problem(node, "'min' and 'max' only apply to a flexible pause: add 'flexible: true'")
        return None
    if low is not None and low > seconds:
        ctx.problem(node, f"'min' ({format_duration(low)}) is longer than the pause "
                    f"({format_duration(seconds)})")
        return None
    if high is not None and high < seconds:
        ctx.problem(node, f"'max' ({format_duration(high)}) is shorter than the pause "
                    f"({format_duration(seconds)})")
        return None
    return Pause(seconds=seconds, where=where, flexible=flexible, minimum=low, maximum=high)


def chapter(ctx: Context, values: Values, where: Where, node: Node) -> Chapter:
    """A named section."""
    return Chapter(title=str(values["title"]), where=where)


def chime(ctx: Context, values: Values, where: Where, node: Node) -> Chime:
    """A built-in chime or a chime file beside the script."""
    sound = str(sound_name(ctx, values["sound"]))
    check_sound(ctx, "chime", sound, where)
    return Chime(sound=sound, where=where, volume=num(values.get("volume"), 1.0))


def breathe(ctx: Context, values: Values, where: Where, node: Node) -> Breathe | None:
    """Breathing phases from a named pattern, explicit seconds, or a pattern with changes."""
    pattern = values.get("pattern")
    explicit = [values.get(key) for key in ("in", "hold", "out", "hold_out")]
    if pattern is not None:
        base = schema.BREATH_PATTERNS[str(pattern)]
    elif values.get("in") is None or values.get("out") is None:
        ctx.problem(node, "'breathe' needs a pattern (" + ", ".join(schema.BREATH_PATTERNS)
                    + ") or both 'in' and 'out' seconds")
        return None
    else:
        base = (0.0, 0.0, 0.0, 0.0)
    inhale, hold, exhale, hold_out = (
        float(given) if isinstance(given, (int, float)) else default
        for given, default in zip(explicit, base, strict=True)
    )
    cycles = values.get("cycles")
    return Breathe(inhale=inhale, hold=hold, exhale=exhale, hold_out=hold_out,
                   cycles=int(cycles) if isinstance(cycles, int) else schema.DEFAULT_BREATH_CYCLES,
                   cue=str(values.get("cue") or "voice"), where=where)


def play(ctx: Context, values: Values, where: Where, node: Node) -> Play:
    """A recording beside the script."""
    file = ctx.folder / str(values["file"])
    check_sound(ctx, "clip", str(file), where)
    return Play(file=file, where=where, volume=num(values.get("volume"), 1.0))


def ambient(ctx: Context, values: Values, where: Where, node: Node) -> AmbientChange:
    """A change of ambient bed (or none), crossfaded."""
    bed = sound_name(ctx, values.get("sound"))
    check_sound(ctx, "bed", bed, where)
    return AmbientChange(sound=bed, where=where, crossfade=num(values.get("crossfade"), 6.0))


def silence(ctx: Context, values: Values, where: Where, node: Node) -> Silence:
    """A timed sit, with a chime every so often if asked."""
    bells = opt_num(values.get("bells_every"))
    duration = num(values.get("duration"), 0.0)
    bell = str(sound_name(ctx, values.get("chime") or "bowl"))
    if bells is not None:
        check_sound(ctx, "chime", bell, where)
    return Silence(duration=duration, where=where, bells_every=bells, chime=bell)


_MAKERS: dict[str, Callable[[Context, Values, Where, Node], Step | None]] = {
    "say": say, "pause": pause, "chapter": chapter, "chime": chime, "breathe": breathe,
    "play": play, "ambient": ambient, "silence": silence,
}
