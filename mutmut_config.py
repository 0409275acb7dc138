"""mutmut 2's hook (read from the working directory): mutate only the functions named in MUTMUT_FUNCTIONS.

A whole module is hundreds of mutants; on a shared 2-core machine a run is bounded by choosing
the functions that decide the output. `MUTMUT_FUNCTIONS="solve_length closing_quiet"` tests
only mutants on lines inside a function (or class) of one of those names, nested ones
included; every other mutant is reported as skipped. Unset or empty: every mutant is tested.
See docs/testing.md.
"""

from __future__ import annotations

import ast
import os
from functools import cache
from typing import Any


@cache
def _spans(filename: str) -> tuple[tuple[int, int, str], ...]:
    """(first line, last line, name) of every function and class in a file (1-based lines)."""
    with open(filename, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    return tuple((node.lineno, node.end_lineno or node.lineno, node.name) for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))


def selected(filename: str, line: int, names: set[str]) -> bool:
    """Whether a 1-based line lies inside a function or class with one of `names`."""
    return any(first <= line <= last and name in names for first, last, name in _spans(filename))


def pre_mutation(context: Any) -> None:
    """Skip a mutant outside the chosen functions."""
    names = set(os.environ.get("MUTMUT_FUNCTIONS", "").replace(",", " ").split())
    if names and not selected(context.filename, context.current_line_index + 1, names):
        context.skip = True
