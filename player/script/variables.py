"""Script variables: `vars:` read and merged with values given from outside, `{var}` filled in texts.

Also the check that every name given from outside is one the script knows (a misspelling is
never silently ignored).
"""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, ScalarNode

from player.errors import Problem
from player.script import schema
from player.script.context import Context
from player.script.suggest import did_you_mean
from player.script.support import SUPPORT_VAR
from player.script.untrusted import MAX_SET_CHARS, control_problem
from player.script.yamlnodes import scalar_value

VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def fill(ctx: Context, node: Node, name: str, text: str) -> str | None:
    """Fill `{var}` templates; `{{` and `}}` stand for literal braces; None if it grows past the limit."""
    missing: list[str] = []
    # Variables multiply text: count the filled length as it grows, and stop filling past the
    # limit rather than build a string of gigabytes.
    grown = [len(text)]

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            grown[0] -= 1
            return token[0]
        if token in ("{", "}"):
            missing.append("stray '" + token + "' (write '" + token * 2 + "' for a brace)")
            return token
        var = match.group(1).strip()
        ctx.used.add(var)
        if var in ctx.vars:
            grown[0] += len(ctx.vars[var]) - len(token)
            return ctx.vars[var] if grown[0] <= schema.MAX_TEXT_CHARS else ""
        hint = did_you_mean(var, list(ctx.vars))
        missing.append(f"unknown variable '{{{var}}}'{hint}: define it under vars: or "
                       "give it a value when the script is run")
        return token

    filled = _TEMPLATE.sub(substitute, text)
    for message in missing:
        ctx.problem(node, message)
    if grown[0] > schema.MAX_TEXT_CHARS:
        ctx.problem(node, f"'{name}' is {grown[0]:,} characters with its variables filled in; the limit "
                    f"for one text is {schema.MAX_TEXT_CHARS:,}")
        return None
    return filled


def read_vars(ctx: Context, node: Node | None) -> dict[str, str]:
    """The vars mapping merged with --set values."""
    values: dict[str, str] = {}
    if node is not None:
        if not isinstance(node, MappingNode):
            ctx.problem(node, "'vars' must be a mapping such as 'name: friend'")
        else:
            for key_node, value_node in node.value:
                _read_var(ctx, key_node, value_node, values)
    for key, value in ctx.overrides.vars.items():
        # parse_set_options checks these too; a caller of the API may not have used it.
        bad = control_problem(value) or (None if len(value) <= MAX_SET_CHARS else
                                        f"is {len(value):,} characters; the limit is {MAX_SET_CHARS:,}")
        if bad is not None:
            ctx.problems.append(Problem(ctx.display, 0, 0, f"the value given for {key} {bad}"))
            continue
        values[key] = value
    return values


def _read_var(ctx: Context, key_node: Node, value_node: Node, values: dict[str, str]) -> None:
    """One `name: value` under `vars:`, into `values` when it is a word and a short text or number."""
    key = scalar_value(key_node) if isinstance(key_node, ScalarNode) else None
    if not isinstance(key, str) or not VAR_NAME.match(key):
        ctx.problem(key_node, "a variable name is a word of letters, digits and _")
        return
    value = scalar_value(value_node) if isinstance(value_node, ScalarNode) else None
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        ctx.problem(value_node, f"variable '{key}' must be text or a number")
        return
    if len(str(value)) > schema.MAX_TEXT_CHARS:
        ctx.problem(value_node, f"variable '{key}' is {len(str(value)):,} characters; the limit "
                    f"is {schema.MAX_TEXT_CHARS:,}")
        return
    values[key] = str(value)


def defined_vars(vars_node: Node | None) -> set[str]:
    """The names under `vars:`."""
    if not isinstance(vars_node, MappingNode):
        return set()
    return {str(scalar_value(k)) for k, _ in vars_node.value if isinstance(k, ScalarNode)}


def check_set_names(ctx: Context, vars_node: Node | None) -> None:
    """A --set name the script neither defines nor uses is a misspelling, never silently ignored."""
    if not ctx.overrides.strict_vars:
        return
    known = sorted(defined_vars(vars_node) | ctx.used)
    for name in ctx.overrides.vars:
        # support is always known: every practice speaks it at the close when it is given.
        if name not in known and name != SUPPORT_VAR:
            offer = f"; its variables: {', '.join(known)}" if known else "; it has no variables"
            ctx.problems.append(Problem(ctx.display, 0, 0, f"a value is given for {name}, but this script "
                                        f"has no variable '{name}'{did_you_mean(name, known)}{offer}"))
