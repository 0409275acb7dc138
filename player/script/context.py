"""What every part of script building shares: the file, its folder, the overrides and the problems found.

Building a script is a set of module functions (header, steps, values, variables, references)
that each take this small context, so that every problem lands in one list and all are
reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from yaml.nodes import MappingNode, Node, ScalarNode

from player.errors import Problem
from player.script.model import Where
from player.script.yamlnodes import problem_at

if TYPE_CHECKING:
    from player.script.loader import Overrides


@dataclass
class Context:
    """One script being built: where it is, what the command line changes, and every problem so far."""

    display: str
    folder: Path
    overrides: Overrides
    problems: list[Problem] = field(default_factory=list)
    vars: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    """Every `{name}` the script's texts ask for."""

    def problem(self, node: Node | None, message: str) -> None:
        """Record a problem at a node."""
        self.problems.append(problem_at(self.display, node, message))

    def problem_where(self, where: Where, message: str) -> None:
        """Record a problem at a position already taken from a node."""
        self.problems.append(Problem(where.file, where.line, where.column, message))

    def where(self, node: Node) -> Where:
        """The position of a node for the Script."""
        return Where(self.display, node.start_mark.line + 1, node.start_mark.column + 1)


def child(node: Node, key: str) -> Node | None:
    """The value node under a key of a mapping node, if there is one."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                found: Node = value_node
                return found
    return None


def num(value: object, default: float) -> float:
    """A float from a checked value, or the default."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def opt_num(value: object) -> float | None:
    """A float from a checked value, or None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def opt_str(value: object) -> str | None:
    """A str from a checked value, or None."""
    return None if value is None else str(value)
