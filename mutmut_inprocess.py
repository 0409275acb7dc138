"""mutmut's mutants, tested in one process: each mutated function's code is swapped in, pytest runs, it is put back.

mutmut 2 starts a new pytest for every mutant; on a shared 2-core machine that start (numpy,
scipy, the player's imports) costs more than the tests. This takes mutmut's own mutants
(`mutmut.list_mutations` and `mutate`, the same operators and ids) and runs `pytest.main`
in this process with the mutated function's `__code__` (and defaults) in place of the
original, so every module that imported the function sees the mutant. Mutants outside any
function (module constants, class bodies) cannot be swapped in and are counted apart.

    python mutmut_inprocess.py player/timeline/lengths.py "solve_length closing_quiet" -- -m "not real" \
        tests/test_timeline.py ++ tests/test_mutants_timeline.py

MUTMUT_FUNCTIONS-style selection (second argument, empty for all); writes one JSON line per
mutant to stdout's last lines and a summary. `MUTANTS="77:0 83:1"` (line:index, as in the
JSON lines) tests only those mutants: a survivor re-run once a test for it is written.
See docs/testing.md.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import signal
import sys
import time
import types
from typing import Any

import pytest
from mutmut import Context, list_mutations, mutate

from mutmut_config import selected

TIMEOUT = [600]
"""Seconds before a mutant's tests count as hung (killed): ten times the unmutated run, at least a minute."""


def functions(namespace: dict[str, Any], module: str) -> dict[str, types.FunctionType]:
    """Every function defined in a module namespace, methods included, by qualified name."""
    found: dict[str, types.FunctionType] = {}
    for value in namespace.values():
        candidates: list[Any] = [value]
        if isinstance(value, type) and value.__module__ == module:
            candidates = list(vars(value).values())
        for item in candidates:
            item = getattr(item, "__func__", item)
            if isinstance(item, property):
                item = item.fget
            if isinstance(item, types.FunctionType) and item.__module__ == module:
                found[item.__qualname__] = item
    return found


class Timeout(Exception):
    """The tests of one mutant ran past TIMEOUT."""


def alarm(signum: int, frame: object) -> None:
    """SIGALRM: stop the running test."""
    raise Timeout


def run(args: list[str]) -> int:
    """pytest in this process, quietly; its exit status."""
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TIMEOUT[0])
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *args]))
    except Timeout:
        return 1
    finally:
        signal.alarm(0)


def main() -> None:
    """Test every selected mutant of one file."""
    filename, names = sys.argv[1], set(sys.argv[2].replace(",", " ").split())
    rest = sys.argv[sys.argv.index("--") + 1:]
    # Tests after "++" run only on a mutant the first tests let through: the new tests' kills.
    args, extra = (rest[:rest.index("++")], rest[rest.index("++") + 1:]) if "++" in rest else (rest, [])
    module_name = filename.removesuffix(".py").replace("/", ".")
    module = importlib.import_module(module_name)
    originals = functions(vars(module), module_name)
    with open(filename, encoding="utf-8") as stream:
        source = stream.read()
    started = time.monotonic()
    if run(args) != 0 or (extra and run(extra) != 0):
        raise SystemExit("the tests fail without any mutant")
    TIMEOUT[0] = max(60, round(10 * (time.monotonic() - started)))
    only = set(os.environ.get("MUTANTS", "").split())
    counts = {"killed": 0, "killed by the new tests": 0, "survived": 0, "outside functions": 0, "not selected": 0}
    for mutant in list_mutations(Context(source=source, filename=filename)):
        line = mutant.line_number + 1
        if (names and not selected(filename, line, names)) or (only and f"{line}:{mutant.index}" not in only):
            counts["not selected"] += 1
            continue
        mutated, _ = mutate(Context(source=source, filename=filename, mutation_id=mutant))
        namespace: dict[str, Any] = {"__name__": module_name, "__file__": filename}
        try:
            code = compile(mutated, filename, "exec")
        except SyntaxError:  # mutmut made code that does not compile: no import would get past it
            counts["killed"] += 1
            print(json.dumps({"status": "killed", "line": line, "note": "does not compile"}), flush=True)
            continue
        try:
            exec(code, namespace)  # the mutated module, beside the real one
        except Exception:  # the real module would fail to import the same way: the tests could not run
            counts["killed"] += 1
            print(json.dumps({"status": "killed", "line": line, "note": "fails at import"}), flush=True)
            continue
        swapped = []
        for qualname, new in functions(namespace, module_name).items():
            old = originals.get(qualname)
            if old is not None and (new.__code__ != old.__code__ or new.__defaults__ != old.__defaults__):
                saved = (old, old.__code__, old.__defaults__, old.__kwdefaults__)
                with contextlib.suppress(ValueError):  # a different closure: cannot be swapped in
                    old.__code__, old.__defaults__ = new.__code__, new.__defaults__
                    old.__kwdefaults__ = new.__kwdefaults__
                    swapped.append(saved)
        if not swapped:
            counts["outside functions"] += 1
            print(json.dumps({"status": "outside functions", "line": line}), flush=True)
            continue
        try:
            status = "killed" if run(args) != 0 else "survived"
            if status == "survived" and extra and run(extra) != 0:
                status = "killed by the new tests"
        finally:
            for old, code, defaults, kwdefaults in swapped:
                old.__code__, old.__defaults__, old.__kwdefaults__ = code, defaults, kwdefaults
        counts[status] += 1
        if status:  # every mutant, so that a run stopped early still says what it covered
            print(json.dumps({"status": status, "line": line, "source": mutant.line.strip(), "index": mutant.index,
                              "mutant": mutated.splitlines()[mutant.line_number].strip()}), flush=True)
    print(json.dumps({"file": filename, **counts}), flush=True)


if __name__ == "__main__":
    main()
