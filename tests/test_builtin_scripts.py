"""The built-in practices load, follow the wording rules, and render at their declared length."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from player.script.library import builtin_folder
from player.script.loader import load_script
from player.script.model import Repeat, Say, Script, Step
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine

BUILTINS = sorted(builtin_folder().glob("*.yaml"))
FORBIDDEN = [r"\byou will feel\b", r"\byou should feel\b", r"\byou must\b", r"\blet yourself feel\b"]


def spoken(steps: tuple[Step, ...]) -> list[str]:
    """Every say text, repeats included."""
    texts: list[str] = []
    for step in steps:
        if isinstance(step, Say):
            texts.append(step.text)
        elif isinstance(step, Repeat):
            texts.extend(spoken(step.steps))
    return texts


def test_there_is_at_least_one_built_in_practice() -> None:
    assert any(path.stem == "five-senses" for path in BUILTINS)


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_built_ins_follow_the_wording_rules(path: Path) -> None:
    script: Script = load_script(path)
    texts = spoken(script.steps)
    whole = " ".join(texts).lower()
    for pattern in FORBIDDEN:
        assert not re.search(pattern, whole), pattern
    opening = " ".join(texts[:3]).lower()
    assert re.search(r"(free to|if that feels okay|at any (moment|time)|stop)", opening), "no opening permission"
    closing = " ".join(texts[-3:]).lower()
    assert re.search(r"(feet|floor|surface|eyes|room)", closing), "no closing reorientation"
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            assert len(sentence.split()) <= 20, sentence
    described = script.description.lower()
    assert "eyes" in described and re.search(r"\b(minutes?|seconds)\b", described), "description lacks length or eyes"


@pytest.mark.real
@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_built_ins_render_at_their_declared_length(path: Path) -> None:
    script = load_script(path)
    timeline = compile_timeline(script, Speaker(open_engine("auto")))
    if script.length is not None:
        assert timeline.seconds == pytest.approx(script.length, abs=0.5)


@pytest.mark.real
def test_the_reorientation_lasts_between_30_and_60_seconds() -> None:
    script = load_script(builtin_folder() / "reorient.yaml")
    timeline = compile_timeline(script, Speaker(open_engine("auto")))
    assert 30 <= timeline.seconds <= 60
