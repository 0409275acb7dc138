"""A cold start: sound at once from what needs no voice, the first spoken step next, nothing heard twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.live.start import build_session, first_sentence, opening_stages
from player.live.transport import LiveSession
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline, delayed, speech_requests
from player.timeline.model import Timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
BLOCK = 1024

SCRIPT = """
title: Cold
steps:
  - chime: bell
  - chapter: Arriving
  - say: First words. And a second sentence.
  - pause: 3
  - chapter: Next
  - say: More words come later.
  - pause: 40
  - say: Last words.
"""


def pull(session: LiveSession, blocks: int) -> list[np.ndarray]:
    """`blocks` blocks from the session (it must not end meanwhile)."""
    pulled = []
    for _ in range(blocks):
        block = session.next_block(BLOCK)
        assert block is not None
        pulled.append(block)
    return pulled


def drain(session: LiveSession) -> list[np.ndarray]:
    """Every block until the session ends."""
    pulled = []
    while (block := session.next_block(BLOCK)) is not None:
        pulled.append(block)
    return pulled


def assert_heard_with_quiet(session: LiveSession, heard: list[np.ndarray], whole: Timeline, at: int,
                            waited: int) -> None:
    """Swap the whole session in and play it out: what was heard is the whole session with
    `waited` frames of quiet at `at`, nothing repeated or skipped."""
    session.swap(whole)
    played = np.concatenate(heard + drain(session))
    expected = Mixer(delayed(whole, at, waited)).render(0, len(played))
    assert len(played) == pytest.approx(whole.length + waited, abs=2 * BLOCK)
    np.testing.assert_allclose(played, expected, atol=1e-6)


def test_the_opening_stages_need_no_voice_then_the_first_spoken_step(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    script = load_script(write_script(SCRIPT))
    prelude, sentence, first, *rest = opening_stages(script)
    assert [type(step).__name__ for step in prelude] == ["Chime", "Chapter"]
    assert speech_requests(script, prelude) == []
    # The voice makes the first sentence alone, then the rest of its step.
    assert [r.text for r in speech_requests(script, sentence)] == ["First words."]
    assert [r.text for r in speech_requests(script, first)] == ["First words.", "And a second sentence."]
    assert all(len(stage) > len(first) for stage in rest)


@pytest.mark.parametrize(("text", "cut"), [
    ("One sentence only.", None),
    ("[pause 2s] Then words. And more.", None),
    ("Breathe in... and out. Again.", "Breathe in..."),
    ("Dr. Lee says hello. Welcome.", "Dr. Lee says hello."),
    ("Notice, gently, your feet. Then your hands.", "Notice, gently, your feet."),
])
def test_the_first_sentence_is_cut_as_the_timeline_cuts_it(text: str, cut: str | None) -> None:
    from player.script.model import Pause, Say, Where

    where = Where("x.yaml", 1, 1)
    step = Say(text=text, where=where, pause_after=2.0)
    alone = first_sentence(step)
    assert (alone.text if alone else None) == cut
    assert alone is None or alone.pause_after == 0.0
    assert first_sentence(Pause(seconds=3.0, where=where)) is None


def test_the_first_sentence_sounds_where_and_as_it_does_in_the_whole(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    script = load_script(write_script(SCRIPT))
    _, sentence_steps, *_ = opening_stages(script)
    sentence = compile_timeline(script, fake_speaker, steps=sentence_steps, ending=False)
    whole = compile_timeline(script, fake_speaker)
    (alone,) = [s for s in sentence.sounds if s.kind == "speech"]
    assert alone.start == next(s for s in whole.sounds if s.kind == "speech").start
    end = sentence.sound_end(alone)
    np.testing.assert_array_equal(Mixer(sentence).render(0, end), Mixer(whole).render(0, end))


def test_a_cold_session_starts_with_the_chime_and_no_speech(write_script: WriteScript, fake_speaker: Speaker) -> None:
    script = load_script(write_script(SCRIPT))
    session, rest = build_session(script, fake_speaker)
    assert rest is not None and not session.complete
    assert [sound.kind for sound in session.timeline.sounds] == ["chime"]
    rest.join(timeout=30)
    played = np.concatenate(drain(session))
    whole = compile_timeline(script, fake_speaker)
    assert len(played) == pytest.approx(whole.length, abs=3 * BLOCK)


@pytest.mark.parametrize("late_blocks", [0, 1, 87])
def test_a_late_voice_inserts_quiet_and_repeats_or_skips_nothing(
    write_script: WriteScript, fake_speaker: Speaker, late_blocks: int
) -> None:
    script = load_script(write_script(SCRIPT))
    prelude_steps, sentence_steps, first_steps, *_ = opening_stages(script)
    prelude = compile_timeline(script, fake_speaker, steps=prelude_steps, ending=False)
    sentence = compile_timeline(script, fake_speaker, steps=sentence_steps, ending=False)
    first = compile_timeline(script, fake_speaker, steps=first_steps, ending=False)
    whole = compile_timeline(script, fake_speaker)
    session = LiveSession(prelude, complete=False)
    # The opening runs out, and the listener waits `late_blocks` more for the first words.
    heard = pull(session, prelude.length // BLOCK + 1 + late_blocks)
    session.swap(sentence, complete=False)
    heard += pull(session, 5)
    session.swap(first, complete=False)
    heard += pull(session, 10)
    waited = (prelude.length // BLOCK + 1 + late_blocks) * BLOCK - prelude.length
    assert_heard_with_quiet(session, heard, whole, prelude.length, waited)


def test_delayed_moves_only_what_starts_at_or_after_the_point(write_script: WriteScript, fake_speaker: Speaker) -> None:
    whole = compile_timeline(load_script(write_script(SCRIPT)), fake_speaker)
    at = whole.steps[2].start  # the first `say`
    later = delayed(whole, at, SAMPLE_RATE)
    assert later.length == whole.length + SAMPLE_RATE
    assert [s.start for s in later.sounds] == [s.start + SAMPLE_RATE * (s.start >= at) for s in whole.sounds]
    assert [c.start for c in later.chapters] == [c.start + SAMPLE_RATE * (c.start >= at) for c in whole.chapters]
    assert [(c.start - w.start, c.end - w.end) for c, w in zip(later.cues, whole.cues, strict=True)] == (
        [(SAMPLE_RATE, SAMPLE_RATE)] * len(whole.cues))
    assert later.steps[0] == whole.steps[0]


@pytest.mark.parametrize("late_blocks", [0, 40])
def test_the_rest_of_the_first_step_late_inserts_quiet_after_the_first_sentence(
    write_script: WriteScript, fake_speaker: Speaker, late_blocks: int
) -> None:
    script = load_script(write_script(SCRIPT))
    prelude_steps, sentence_steps, *_ = opening_stages(script)
    sentence = compile_timeline(script, fake_speaker, steps=sentence_steps, ending=False)
    whole = compile_timeline(script, fake_speaker)
    session = LiveSession(compile_timeline(script, fake_speaker, steps=prelude_steps, ending=False), complete=False)
    session.swap(sentence, complete=False)
    # The first sentence is heard to its end, then the listener waits for the second.
    heard = pull(session, sentence.length // BLOCK + 1 + late_blocks)
    waited = (sentence.length // BLOCK + 1 + late_blocks) * BLOCK - sentence.length
    assert_heard_with_quiet(session, heard, whole, sentence.length, waited)
