"""Every limit in one place (player/script/limits.py), and the docs' limits table equal to it."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import ScriptError
from player.script import limits
from player.script.loader import Overrides, load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
ROOT = Path(__file__).resolve().parent.parent
LIMIT_NAME = re.compile(r"MAX_\w*_(BYTES|CHARS|SECONDS)")


def test_the_docs_limits_table_is_the_codes() -> None:
    text = (ROOT / "docs" / "script-format.md").read_text(encoding="utf-8")
    start = text.index("| limit | value |")
    table = text[start:text.index("\n\n", start)]
    assert table == limits.markdown_table()


def test_no_module_defines_a_limit_of_its_own() -> None:
    own = {name for name in vars(limits) if name.isupper()}
    found = []
    for path in sorted((ROOT / "player").rglob("*.py")):
        if path.name == "limits.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Name) and (target.id in own or LIMIT_NAME.fullmatch(target.id)):
                    found.append(f"{path.relative_to(ROOT)}: {target.id}")
    assert found == []


def test_a_flexible_pause_without_max_grows_to_the_pause_limit(write_script: WriteScript,
                                                               fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Long sit
        steps:
          - say: Sit.
          - pause: {seconds: 10, flexible: true}
          - say: Done.
    """)
    within = compile_timeline(load_script(path, Overrides(length=3000.0)), fake_speaker)
    assert within.length == 3000 * within.sample_rate
    with pytest.raises(ScriptError, match=r"cannot make this session 2:00:00 long.*at their max"):
        compile_timeline(load_script(path, Overrides(length=7200.0)), fake_speaker)


def test_each_flexible_pause_may_grow_to_the_limit(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Two pauses
        steps:
          - say: Sit.
          - pause: {seconds: 10, flexible: true, max: 1h}
          - say: Again.
          - pause: {seconds: 10, flexible: true}
          - say: Done.
    """)
    timeline = compile_timeline(load_script(path, Overrides(length=7000.0)), fake_speaker)
    assert timeline.length == 7000 * timeline.sample_rate
