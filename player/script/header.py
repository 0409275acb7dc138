"""The script's top-level settings beside its steps: support line, lengths, tags, voice and ambient bed."""

from __future__ import annotations

from dataclasses import replace

from yaml.nodes import Node, ScalarNode, SequenceNode

from player.script import schema
from player.script.context import Context, child, num
from player.script.model import AmbientSettings, VoiceSettings
from player.script.references import check_sound, sound_name, voice_name
from player.script.support import SUPPORT_VAR, support_problem
from player.script.values import fields, value
from player.script.yamlnodes import scalar_value


def support(ctx: Context, node: Node | None, root: Node) -> str:
    """The support line: --set support=..., else the `support:` key, else a `support` variable."""
    if node is not None:
        given = value(ctx, node, "support", schema.TOP_FIELDS["support"])
        if given is not None and SUPPORT_VAR not in ctx.overrides.vars:
            ctx.vars[SUPPORT_VAR] = str(given)
    text = ctx.vars.get(SUPPORT_VAR, "")
    problem = support_problem(text)
    if problem is not None:
        from_outside = " (given from outside the script)" if SUPPORT_VAR in ctx.overrides.vars else ""
        ctx.problem(node if node is not None else root, problem + from_outside)
        return ""
    return text


def durations(ctx: Context, node: Node, what: str) -> tuple[float, ...]:
    """A list of durations (the length variants a script declares)."""
    if not isinstance(node, SequenceNode):
        ctx.problem(node, f"'{what}' must be a list such as [5m, 10m, 20m]")
        return ()
    spec = schema.TOP_FIELDS[what]
    found = []
    for item in node.value:
        given = value(ctx, item, what, replace(spec, kind="duration"))
        if isinstance(given, (int, float)):
            found.append(float(given))
    return tuple(found)


def names(ctx: Context, node: Node, what: str) -> tuple[str, ...]:
    """A list of plain words (tags)."""
    if not isinstance(node, SequenceNode):
        ctx.problem(node, f"'{what}' must be a list such as [grounding, senses]")
        return ()
    words: list[str] = []
    for item in node.value:
        given = scalar_value(item) if isinstance(item, ScalarNode) else None
        if not isinstance(given, (str, int, float)) or isinstance(given, bool):
            ctx.problem(item, f"each of '{what}' must be a word")
            continue
        words.append(str(given))
    return tuple(words)


def voice(ctx: Context, node: Node | None) -> VoiceSettings:
    """The voice section."""
    if node is None:
        return VoiceSettings()
    values = fields(ctx, node, "'voice'", schema.VOICE_FIELDS)
    defaults = VoiceSettings()
    return VoiceSettings(
        engine=str(values.get("engine") or defaults.engine),
        name=voice_name(ctx, values.get("name"), ctx.where(child(node, "name") or node)),
        rate=num(values.get("rate"), defaults.rate),
        volume=num(values.get("volume"), defaults.volume),
        sentence_gap=num(values.get("sentence_gap"), defaults.sentence_gap),
    )


def ambient(ctx: Context, node: Node | None) -> AmbientSettings:
    """The ambient section: a bed name, or a mapping of settings."""
    if node is None:
        return AmbientSettings()
    if isinstance(node, ScalarNode):
        sound = sound_name(ctx, value(ctx, node, "ambient", schema.AMBIENT_FIELDS["sound"]))
        check_sound(ctx, "bed", sound, ctx.where(node))
        return AmbientSettings(sound=sound, where=ctx.where(node))
    values = fields(ctx, node, "'ambient'", schema.AMBIENT_FIELDS)
    defaults = AmbientSettings()
    where = ctx.where(child(node, "sound") or node)
    sound = sound_name(ctx, values.get("sound"))
    check_sound(ctx, "bed", sound, where)
    return AmbientSettings(
        sound=sound,
        where=where,
        level=num(values.get("level"), defaults.level),
        pause_level=num(values.get("pause_level"), defaults.pause_level),
        long_silence_level=num(values.get("long_silence_level"), defaults.long_silence_level),
        fade_in=num(values.get("fade_in"), defaults.fade_in),
        fade_out=num(values.get("fade_out"), defaults.fade_out),
    )
