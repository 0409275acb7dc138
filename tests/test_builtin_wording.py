"""The built-in practices keep to the content brief: wording, safe exits, the return to the room.

Each test names a rule from the brief (../shared/PRACTICES.md) and fails on the regression it
guards against. They read the scripts with the loader and time them with the estimate, so they
need no engine.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from player.cli.commands import cli
from player.script.library import builtin_folder, builtin_names
from player.script.loader import Overrides, load_script
from player.script.model import Breathe, Chapter, Say, Script, Step
from player.timeline.compile import estimate_timeline
from player.timeline.model import Cue

BUILTINS = sorted(builtin_folder().glob("*.yaml"))
PRACTICES = [path for path in BUILTINS if path.stem != "reorient"]
NEW = ["listening-together", "before-reaching-out", "five-things-you-can-see"]
SUPPORT = "Dr. Amy Lee, 5 5 5 0 1 0 0"

FORBIDDEN = {
    r"\bfeel (your|both) feet\b": "a numb listener can fail to feel their feet; invite noticing where they are",
    r"\b(you will|you'll|you should) feel\b": "never promise or demand a feeling",
    r"\byou must\b": "invitations, not commands",
    r"\blet yourself feel\b": "never push for feeling",
    r"(^|[.!?]\s+)you (took|did|managed|checked in|gave|showed up)\b": "no line implies an achievement",
    r"\bi showed up\b|\balready done\b|\byou noticed (something|that)\b": "no implied achievement",
    r"(^|[.!?]\s+)(it|the cool stream|warmth) (moves|spreads|flows)\b": "state no experience for the listener",
    r"[\"\u201c\u201d]": "quote marks are read aloud or dropped unpredictably by engines",
    r"\bnubbly\b": "a word engines stumble over",
    r"\bgrey\b": "en-US scripts spell it gray",
    r"\bcool down\b": "reads as the verb 'to cool down'",
}
NEEDS_OWN_EXIT = r"\b(mug|ice|candle|object|stand|standing|walk|walking|music|track|phone|message)\b"
"""Objects in the hand, standing or walking, music playing: the safe exit must deal with them."""
OPT_OUT = r"(skip|instead|too much|not feel right|n't feel right|does not suit)"
INVITES_WITHOUT_WAY_OUT = r"\bnotice (any |the )?(smell|taste)\b|\bwhere your body is supported\b|\brest one hand\b|" \
                          r"\blook a little closer\b"


def says(steps: tuple[Step, ...]) -> list[Say]:
    """The say steps, in order (the built-ins use no repeats around speech)."""
    return [step for step in steps if isinstance(step, Say)]


def spoken(script: Script) -> str:
    """Every word a listener can hear, the safe exit included, lower case."""
    return " ".join(step.text for step in says(script.steps) + says(script.on_exit)).lower()


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_no_built_in_uses_wording_the_brief_rules_out(path: Path) -> None:
    text = spoken(load_script(path))
    for pattern, why in FORBIDDEN.items():
        found = re.search(pattern, text)
        assert found is None, f"{path.stem}: '{found.group(0) if found else ''}': {why}"


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_sentences_stay_short(path: Path) -> None:
    script = load_script(path)
    for step in says(script.steps) + says(script.on_exit):
        for sentence in re.split(r"(?<=[.!?])\s+", step.text):
            assert len(sentence.split()) <= 18, sentence


def _return_gap(cues: list[Cue], rate: int) -> float:
    """Seconds between the last line about the eyes and 'You are here, now.', which must follow it."""
    here = max(index for index, cue in enumerate(cues) if cue.text.startswith("You are here, now."))
    eyes = max(index for index, cue in enumerate(cues[:here]) if "eyes" in cue.text.lower())
    return (cues[here].start - cues[eyes].end) / rate


def _steps_of(script: Script, steps: tuple[Step, ...]) -> Script:
    """The script with other steps (its safe exit), at its natural length."""
    return replace(script, steps=steps, length=None)


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_eyes_open_and_you_are_here_are_separate_lines_with_time_between(path: Path) -> None:
    script = load_script(path)
    for steps in (script.steps, script.on_exit):
        if not steps:
            continue
        texts = [step.text for step in says(steps)]
        here = max(index for index, text in enumerate(texts) if text.startswith("You are here, now."))
        assert not any("eyes" in text.lower() for text in texts[here:here + 1]), texts[here]
        timeline = estimate_timeline(_steps_of(script, steps) if steps is script.on_exit else script)
        assert _return_gap(list(timeline.cues), timeline.sample_rate) >= 4.0


@pytest.mark.parametrize("path", PRACTICES, ids=lambda p: p.stem)
def test_the_return_to_the_room_grows_with_the_length(path: Path) -> None:
    base = load_script(path)
    assert len(base.lengths) >= 2
    shortest, longest = (estimate_timeline(load_script(path, Overrides(length=length)))
                         for length in (min(base.lengths), max(base.lengths)))
    short_gap = _return_gap(list(shortest.cues), shortest.sample_rate)
    long_gap = _return_gap(list(longest.cues), longest.sample_rate)
    assert long_gap > short_gap + 0.5, (short_gap, long_gap)

    def returning(timeline: object) -> float:
        chapters = timeline.chapters  # type: ignore[attr-defined]
        return float((timeline.length - chapters[-1].start) / timeline.sample_rate)  # type: ignore[attr-defined]

    assert base.steps and isinstance(next(s for s in reversed(base.steps) if isinstance(s, Chapter)), Chapter)
    assert returning(longest) > returning(shortest) + 2.0


# Without a support line, every variant is held to the frame by
# test_regressions_caught.py::test_every_declared_length_of_a_built_in_is_reached_exactly.
@pytest.mark.parametrize("path", PRACTICES, ids=lambda p: p.stem)
def test_every_length_variant_solves_with_a_support_line(path: Path) -> None:
    base = load_script(path)
    assert base.length in base.lengths
    for length in base.lengths:
        script = load_script(path, Overrides(vars={"support": SUPPORT}, length=length))
        assert estimate_timeline(script).seconds == pytest.approx(length, abs=0.01), length


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_objects_movement_and_music_get_their_own_safe_exit(path: Path) -> None:
    script = load_script(path)
    needs = re.search(NEEDS_OWN_EXIT, " ".join(step.text for step in says(script.steps)).lower())
    if needs is None:
        return
    assert script.on_exit, f"{path.stem} mentions '{needs.group(0)}' but has no on_exit"
    exit_text = " ".join(step.text for step in says(script.on_exit)).lower()
    assert "you are here, now" in exit_text and "eyes" in exit_text
    assert exit_text.startswith("we can stop here")


def test_the_safe_exits_deal_with_what_each_practice_uses() -> None:
    expected = {"sensory-anchors": "object", "breath-and-touch": "mug", "gentle-movement": "standing",
                "listening-to-music": "music", "mindful-walk": "stop", "micro-moments": "phone",
                "before-reaching-out": "phone", "listening-together": "stop"}
    for name, word in expected.items():
        script = load_script(builtin_folder() / f"{name}.yaml")
        assert word in " ".join(step.text for step in says(script.on_exit)).lower(), name


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_breath_practice_offers_another_anchor_first(path: Path) -> None:
    script = load_script(path)
    chapter_says: list[str] = []
    for step in script.steps:
        if isinstance(step, Chapter):
            chapter_says = []
        elif isinstance(step, Say):
            chapter_says.append(step.text.lower())
        elif isinstance(step, Breathe):
            before = " ".join(chapter_says)
            assert re.search(r"\b(hands?|sounds?)\b", before) and "instead" in before, before


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_invitations_to_smell_taste_touch_or_search_carry_their_way_out(path: Path) -> None:
    for step in says(load_script(path).steps):
        text = step.text.lower()
        if re.search(INVITES_WITHOUT_WAY_OUT, text):
            assert re.search(OPT_OUT, text), step.text


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_eyes_open_practices_say_so_at_the_start(path: Path) -> None:
    script = load_script(path)
    if script.eyes == "open" and path.stem != "reorient":
        opening = " ".join(step.text for step in says(script.steps)[:3]).lower()
        assert "eyes open" in opening


def test_the_three_new_practices_are_listed_and_every_built_in_checks() -> None:
    assert set(NEW) <= set(builtin_names())
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert set(NEW) <= set(listed)
    result = CliRunner().invoke(cli, ["check", *builtin_names()])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count(": ok, about") == len(builtin_names())


def test_listening_together_is_for_two_with_chimes_marking_turns() -> None:
    from player.script.model import Chime

    script = load_script(builtin_folder() / "listening-together.yaml")
    assert script.eyes == "open"
    titles = [step.title for step in script.steps if isinstance(step, Chapter)]
    assert {"First speaker", "First listener", "Second speaker", "Second listener"} <= set(titles)
    assert sum(isinstance(step, Chime) for step in script.steps) >= 6


def test_before_reaching_out_says_plainly_that_not_sending_is_fine() -> None:
    script = load_script(builtin_folder() / "before-reaching-out.yaml", Overrides(vars={"safe_place": "the pier"}))
    text = spoken(script)
    assert "not sending it is completely fine" in text and "the pier" in text


@pytest.mark.real
@pytest.mark.parametrize("path", PRACTICES, ids=lambda p: p.stem)
def test_with_the_real_voice_every_variant_renders_at_its_length_with_a_support_line(path: Path) -> None:
    # The estimate guesses speech lengths; the real voice decides whether a variant fits.
    from player.timeline.compile import compile_timeline
    from player.voices import Speaker, open_engine

    base = load_script(path)
    speaker = Speaker(open_engine(base.voice.engine))
    for length in base.lengths:
        script = load_script(path, Overrides(vars={"support": SUPPORT}, length=length))
        assert compile_timeline(script, speaker).seconds == pytest.approx(length, abs=0.5), length
