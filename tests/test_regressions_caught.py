"""Regressions that once slipped through: each test measures what the listener gets, not the code's own state.

Every test here was watched going red with its mutation applied by hand (see docs/testing.md):
the voice keys not reaching the samples, interval bells out of place, problems without their
line and column, an unreachable `lengths:` variant, and a bed cache that is written but never read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from player import SAMPLE_RATE
from player.errors import ScriptError
from player.live.start import exit_script
from player.live.transport import Command, LiveSession
from player.render.mixer import Mixer
from player.script.authoring import TEMPLATES, new_script, timer_script
from player.script.library import builtin_folder
from player.script.loader import Overrides, load_script
from player.sounds import loops
from player.timeline.compile import compile_timeline, estimate_timeline
from player.voices import Speaker
from player.voices.cache import save_entry
from tests.test_robustness import generated_corpus

WriteScript = Callable[..., Path]
SR = SAMPLE_RATE
BLOCK = 1024
CORPUS = Path(__file__).resolve().parent / "bad_scripts"

LIVE = """
title: Levels
steps:
  - say: A long first line that keeps the voice going for a while.
  - pause: 2
  - say: Another long line, so that there is plenty of voice to measure.
"""


def play(session: LiveSession, first: list[Command]) -> npt.NDArray[np.float32]:
    """Every block of a session, with `first` pressed before the first block."""
    for command in first:
        session.submit(command)
    blocks = []
    while (block := session.next_block(BLOCK)) is not None:
        blocks.append(block)
    return np.concatenate(blocks)


@pytest.mark.parametrize(("keys", "decibels"), [
    ([Command.VOICE_DOWN] * 3, -6.0),
    ([Command.VOICE_UP] * 2, 4.0),
])
def test_the_voice_keys_change_the_voice_in_the_samples(
    write_script: WriteScript, fake_speaker: Speaker, keys: list[Command], decibels: float
) -> None:
    script = load_script(write_script(LIVE))
    program = compile_timeline(script, fake_speaker)
    source, steps = exit_script(script)
    exit_timeline = compile_timeline(source, fake_speaker, steps=steps)
    plain = play(LiveSession(program, exit_timeline), [])
    changed = play(LiveSession(program, exit_timeline), keys)
    # After the key's tick has rung out (80 ms), every voiced sample is the plain one scaled.
    span = slice(int(0.2 * SR), program.length)
    voiced = np.abs(plain[span, 0]) > 0.01
    assert voiced.sum() > 2 * SR
    ratio = changed[span, 0][voiced] / plain[span, 0][voiced]
    expected = 10 ** (decibels / 20)
    assert np.median(ratio) == pytest.approx(expected, rel=1e-3)
    # The limiter may only ever lower a loud sample, never raise one.
    assert ratio.max() <= expected * (1 + 1e-3)


def onsets(samples: npt.NDArray[np.float32], threshold: float = 0.02, quiet: float = 0.25) -> list[int]:
    """Frames where the sound rises above `threshold` after at least `quiet` seconds below it."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if not len(loud):
        return []
    starts = [int(loud[0])]
    gaps = np.flatnonzero(np.diff(loud) > quiet * SR)
    starts.extend(int(loud[gap + 1]) for gap in gaps)
    return starts


def test_timer_bells_ring_exactly_on_each_interval(fake_speaker: Speaker) -> None:
    duration, every = 70.0, 20.0
    timeline = compile_timeline(timer_script(duration, bells_every=every, chime="wood"), fake_speaker)
    audio = np.concatenate(list(Mixer(timeline).blocks()))[:, 0]
    found = onsets(audio)
    # Opening chime, bells at 20, 40 and 60 s into the sit, closing chime when the sit ends.
    assert len(found) == 5, [f / SR for f in found]
    opening, *bells, closing = found
    sit_start = closing - int(duration * SR)  # the closing chime rings as the sit ends
    assert sit_start > opening
    for number, bell in enumerate(bells, start=1):
        assert abs(bell - (sit_start + number * every * SR)) <= 1, (number, (bell - sit_start) / SR)


# Every committed bad script and the exact problems it reports, FILE:LINE:COL included.
EXPECTED = {
    "ambient-is-a-list": ["2:10: 'ambient' must be a mapping of keys and values"],
    "ambient-level-too-high": ["2:31: 'level' must be at most 0.0, not 12"],
    "bad-inline-pause": ["3:10: inline [pause soon]: 'soon' is not a duration: write seconds (5, 2.5) "
                         'or units like "90s", "1m30s", "12m", "1h"'],
    "breathe-cycles-text": ["3:37: 'cycles' must be a number, not 'many'"],
    "breathe-unknown-pattern": ["3:14: 'breathe' must be one of box, 4-7-8, resonance, calm, not 'square'"],
    "empty": [" the file is empty; a script needs a title and steps"],
    "eyes-unknown": ["2:7: 'eyes' must be one of closed, open, partly, not 'shut'"],
    "flexible-maybe": ["3:35: 'flexible' must be true or false"],
    "list-at-top": ["1:1: the script must be a mapping of keys and values"],
    "min-without-flexible": ["3:12: 'min' and 'max' only apply to a flexible pause: add 'flexible: true'"],
    "missing-clip": ["3:5: no such file: clips/not-there.wav"],
    "missing-cover": ["2:8: cannot use the cover image: no such file: cover.jpg"],
    "nested-too-deep": ["2:57: lists and mappings nest more than 50 deep here; a script needs only a few levels"],
    "not-yaml": ["2:6: not valid YAML: did not find expected ',' or ']'"],
    "only-a-comment": [" the file is empty; a script needs a title and steps"],
    "pause-negative": ["3:12: 'pause': a duration cannot be negative (-3.0s)"],
    "pause-not-a-duration": ["3:12: 'pause': 'a while' is not a duration: write seconds (5, 2.5) "
                             'or units like "90s", "1m30s", "12m", "1h"'],
    "pause-too-long": ["3:12: 'pause' must be at most 1:00:00, not 2:00:00 (the limit for a single pause is 1 h)"],
    "python-tag": ["1:8: the tag '!!python/object/apply:os.system' is not allowed: "
                   "scripts hold plain text, numbers and lists"],
    "recursive-alias": ["1:8: an alias refers to itself (a recursive anchor)"],
    "repeat-explodes": ["1:1: the steps unroll to 1,010,101 (repeats multiply); the limit is 20,000",
                        "1:1: the pauses alone last 277:46:40; a session may last at most 4:00:00 (4 h)"],
    "repeat-fraction": ["3:13: 'repeat' must be a whole number, not '2.5'"],
    "repeat-too-many": ["3:13: 'repeat' must be at most 100, not 1000 (the limit for repeat is 100)"],
    "session-too-long": ["1:1: the pauses alone last 5:00:00; a session may last at most 4:00:00 (4 h)"],
    "step-is-a-word": ["3:5: a step is written as '- name: value' (for example '- pause: 5'), not '- say'"],
    "steps-is-text": ["2:8: 'steps' must be a list of steps, each line starting with '- '"],
    "stray-brace": ["3:10: stray '{' (write '{{' for a brace)"],
    "tab-indent": ["3:1: not valid YAML: found character that cannot start any token"],
    "title-is-a-list": ["1:8: 'title' must be a single value, not a list or mapping"],
    "two-actions-in-a-step": ["3:5: each step holds one action; start another line with '- ' for the next one"],
    "unknown-bed": ["2:10: unknown ambient bed 'rian' (did you mean 'rain'?); built-in beds: rain, ocean, stream, "
                    "wind, brown-noise, pink-noise, white-noise, night, room-tone, or give a file path"],
    "unknown-chime": ["3:5: unknown chime 'bowel' (did you mean 'bowl'?); built-in chimes: bowl, bell, soft, wood, "
                      "or give a file path"],
    "unknown-step": ["4:5: unknown step 'puase' (did you mean 'pause'?)"],
    "unknown-top-key": ["2:1: unknown key 'colour' in the script"],
    "unknown-var": ["3:10: unknown variable '{nmae}': define it under vars: or give it a value when the script is run"],
    "vars-is-a-list": ["2:7: 'vars' must be a mapping such as 'name: friend'"],
    "voice-engine-unknown": ["2:17: 'engine' must be one of auto, piper, system, not 'festival'"],
    "voice-is-a-number": ["2:8: 'voice' must be a mapping of keys and values"],
    "voice-rate-text": ["2:15: 'rate' must be a number, not 'fast'"],
}


def test_the_corpus_table_names_every_committed_bad_script() -> None:
    assert {path.stem for path in CORPUS.glob("*.yaml")} == {*EXPECTED, "length-without-flexible"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_script_reports_its_exact_file_line_and_column(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)  # relative paths, as a user would type them, and for relative clips
    with pytest.raises(ScriptError) as caught:
        load_script(Path(f"{name}.yaml"))
    assert [str(problem) for problem in caught.value.problems] == [f"{name}.yaml:{line}" for line in EXPECTED[name]]


GENERATED = {
    "billion-laughs": ["4:4: aliases expand to more than 10,000 nodes (the limit for one script); "
                       "is this file built to exhaust memory?"],
    "binary": ["2:118: not UTF-8 text (is this a script, or a binary file?)"],
    "huge": [" file is 1,320,019 bytes; a script may be at most 1,000,000 bytes (1 MB)"],
    "text-too-long": ["3:10: 'say' is 9,999 characters with its variables filled in; the limit for one text is 5,000"],
    "utf16": ["1:1: not UTF-8 text (is this a script, or a binary file?)"],
    "nul-byte": ["1:9: not a text file: character 0 is not allowed"],
}


def test_each_generated_bad_script_reports_its_exact_file_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    paths = generated_corpus(Path("."))
    assert {path.stem for path in paths} == set(GENERATED)
    for path in paths:
        with pytest.raises(ScriptError) as caught:
            load_script(path)
        assert [str(problem) for problem in caught.value.problems] == [
            f"{path.name}:{line}" for line in GENERATED[path.stem]]


def test_a_length_without_flexible_pauses_fails_when_solved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    with pytest.raises(ScriptError, match="a target length needs flexible pauses"):
        estimate_timeline(load_script(Path("length-without-flexible.yaml")))


def _variants(path: Path) -> list[tuple[Path, float]]:
    """(file, length) for every declared length of a script."""
    return [(path, length) for length in load_script(path).lengths]


@pytest.mark.parametrize("path", sorted(builtin_folder().glob("*.yaml")), ids=lambda p: p.stem)
def test_every_declared_length_of_a_built_in_is_reached_exactly(path: Path) -> None:
    for _, length in _variants(path):
        timeline = estimate_timeline(load_script(path, Overrides(length=length)))
        assert timeline.length == round(length * SR), (path.stem, length)


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_declared_length_of_a_template_is_reached_exactly(template: str, tmp_path: Path) -> None:
    path = new_script("t", template, folder=tmp_path)
    variants = _variants(path)
    assert variants or template == "blank"
    for _, length in variants:
        timeline = estimate_timeline(load_script(path, Overrides(length=length)))
        assert timeline.length == round(length * SR), (template, length)


def test_a_rendered_bed_is_read_back_from_the_cache(short_beds: Path) -> None:
    first = loops.bed_layers("white-noise")
    path = loops._layer_path(loops._cache_path("white-noise"), 1)
    assert path.exists()
    # Put a recognisable, valid layer in the cache (the real one backwards: same shape and
    # level, other samples): a fresh process (an empty lru cache) must play it, not render again.
    marker = np.ascontiguousarray(first[1][::-1])
    save_entry(path, f"bed:white-noise:v{loops.BED_VERSION}:layer1", marker)
    loops._load.cache_clear()
    try:
        assert np.array_equal(loops.bed_layers("white-noise")[1], marker)
        assert not np.array_equal(first[1], marker)
    finally:
        path.unlink()
        loops._load.cache_clear()
