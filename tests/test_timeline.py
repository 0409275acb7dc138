"""Script to Timeline with the fake voice: exact pauses, breathing, chapters, cues and length solving."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.errors import ScriptError
from player.script.loader import Overrides, load_script
from player.script.text import ELLIPSIS_PAUSE
from player.timeline.compile import compile_timeline, estimate_timeline
from player.timeline.lengths import END_QUIET, ESTIMATED_CHARS_PER_SECOND
from player.timeline.model import Timeline
from player.voices import Speaker
from tests.fakes import fake_seconds

WriteScript = Callable[..., Path]
SR = SAMPLE_RATE


def compiled(path: Path, speaker: Speaker, **overrides: object) -> Timeline:
    """Load and compile a script with the fake speaker."""
    return compile_timeline(load_script(path, Overrides(**overrides)), speaker)  # type: ignore[arg-type]


def speech_spans(timeline: Timeline) -> list[tuple[int, int]]:
    """(start, end) of every speech sound, in samples."""
    return [(s.start, timeline.sound_end(s)) for s in timeline.sounds if s.kind == "speech"]


def test_pauses_are_exact_to_the_sample_between_speech(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Pauses
        steps:
          - say: One.
          - pause: 3
          - say: Two.
          - pause: 5.5
          - say: Three.
    """)
    timeline = compiled(path, fake_speaker)
    spans = speech_spans(timeline)
    assert [b[0] - a[1] for a, b in itertools.pairwise(spans)] == [3 * SR, int(5.5 * SR)]
    assert spans[0][1] - spans[0][0] == round(fake_seconds("One.") * SR)
    assert timeline.length == spans[-1][1] + round(END_QUIET * SR)  # then the closing quiet


def test_sentences_in_one_say_are_spaced_by_the_sentence_gap(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Gap
        voice: {sentence_gap: 1.5}
        steps:
          - say: "First sentence. Second one... still second. [pause 4s] Third!"
    """)
    timeline = compiled(path, fake_speaker)
    spans = speech_spans(timeline)
    # An ellipsis inside a line is a short pause; the transcript keeps the text as written.
    assert [cue.text for cue in timeline.cues] == ["First sentence.", "Second one...", "still second.", "Third!"]
    assert [b[0] - a[1] for a, b in itertools.pairwise(spans)] == [int(1.5 * SR), round(ELLIPSIS_PAUSE * SR), 4 * SR]


def test_pace_scales_pauses_but_never_speech(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Pace
        pace: 2
        voice: {sentence_gap: 1}
        steps:
          - say: {text: "Hello there. [pause 1s] Again.", pause_after: 2}
          - pause: 3
          - say: End.
    """)
    timeline = compiled(path, fake_speaker)
    spans = speech_spans(timeline)
    assert [b[0] - a[1] for a, b in itertools.pairwise(spans)] == [2 * SR, (4 + 6) * SR]
    assert spans[0][1] - spans[0][0] == round(fake_seconds("Hello there.") * SR)


def test_breathe_phases_last_exactly_their_seconds_with_voice_cues(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    path = write_script("""
        title: Breath
        steps:
          - breathe: {in: 4, hold: 2, out: 6, cycles: 2, cue: voice}
          - say: Done.
    """)
    timeline = compiled(path, fake_speaker)
    starts = [s.start for s in timeline.sounds if s.kind == "speech"]
    assert starts == [0, 4 * SR, 6 * SR, 12 * SR, 16 * SR, 18 * SR, 24 * SR]
    assert [c.text for c in timeline.cues[:3]] == ["Breathe in", "Hold", "And out"]


def test_breath_tones_fill_their_phase_exactly(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Tones
        steps:
          - breathe: {pattern: calm, cycles: 1, cue: tone}
    """)
    timeline = compiled(path, fake_speaker)
    tones = [(s.start, timeline.sound_end(s)) for s in timeline.sounds if s.kind == "tone"]
    assert tones == [(0, 4 * SR), (4 * SR, 10 * SR)]
    assert timeline.length == 10 * SR + round(END_QUIET * SR)


def test_a_spoken_cue_longer_than_its_phase_is_an_error(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Short
        voice: {rate: 0.5}
        steps:
          - breathe: {in: 0.5, out: 4, cycles: 1}
    """)
    with pytest.raises(ScriptError) as caught:
        compiled(path, fake_speaker)
    assert f"{path}:4:5: the spoken cue 'Breathe in' lasts" in str(caught.value)
    assert "use 'cue: tone'" in str(caught.value)


def test_chapters_repeats_and_silence_bells_are_placed(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Places
        steps:
          - chapter: Start
          - repeat: 3
            steps:
              - say: Hi.
              - pause: 2
          - chapter: Sit
          - silence: {duration: 10m, bells_every: 4m}
          - ambient: {sound: ocean, crossfade: 3}
    """)
    timeline = compiled(path, fake_speaker)
    hi = round(fake_seconds("Hi.") * SR)
    sit = 3 * (hi + 2 * SR)
    assert [(c.start, c.title) for c in timeline.chapters] == [(0, "Start"), (sit, "Sit")]
    bells = [s.start for s in timeline.sounds if s.kind == "chime"]
    assert bells == [sit + 240 * SR, sit + 480 * SR]
    assert timeline.length == sit + 600 * SR
    assert [(b.start, b.sound, b.crossfade) for b in timeline.bed_changes] == [(timeline.length, "ocean", 3 * SR)]
    assert [m.kind for m in timeline.steps].count("say") == 3


def test_length_stretches_flexible_pauses_to_the_sample(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Elastic
        steps:
          - say: Begin.
          - pause: {seconds: 10, flexible: true}
          - say: Middle.
          - pause: 7
          - say: Middle again.
          - pause: {seconds: 30, flexible: true, max: 100}
          - say: End.
    """)
    for target in (60.0, 95.5, 123.45678):
        timeline = compiled(path, fake_speaker, length=target)
        assert timeline.length == round(target * SR)
        spans = speech_spans(timeline)
        gaps = [b[0] - a[1] for a, b in itertools.pairwise(spans)]
        assert gaps[1] == 7 * SR  # a fixed pause never changes
        # Flexible pauses keep their proportions (10 : 30) until one reaches a bound.
        assert gaps[2] / gaps[0] == pytest.approx(3.0, rel=1e-4)


def test_length_respects_min_and_max_and_spreads_the_rest(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Bounded
        steps:
          - say: A.
          - pause: {seconds: 10, flexible: true, max: 12}
          - say: B.
          - pause: {seconds: 10, flexible: true}
          - say: C.
    """)
    timeline = compiled(path, fake_speaker, length=60)
    spans = speech_spans(timeline)
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(spans)]
    assert gaps[0] == 12 * SR
    assert timeline.length == 60 * SR


def test_length_without_flexible_pauses_fails_and_says_why(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("title: Fixed\nsteps:\n  - say: Hi.\n  - pause: 5\n")
    with pytest.raises(ScriptError, match=r"needs flexible pauses.*this script has none"):
        compiled(path, fake_speaker, length=60)


def test_an_unreachable_length_fails_with_the_bounds(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Tight
        steps:
          - say: Hi.
          - pause: {seconds: 10, flexible: true, min: 8, max: 20}
    """)
    with pytest.raises(ScriptError, match=r"cannot make this session 1:00 long.*at their max it lasts 20\.2s"):
        compiled(path, fake_speaker, length=60)
    with pytest.raises(ScriptError, match=r"cannot make this session 5\.0s long.*at their min"):
        compiled(path, fake_speaker, length=5)


def test_unknown_chimes_and_missing_clips_are_located(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Sounds
        steps:
          - chime: bowel
          - play: clips/missing.wav
    """)
    with pytest.raises(ScriptError) as caught:
        compiled(path, fake_speaker)
    text = str(caught.value)
    assert f"{path}:3:5: unknown chime 'bowel' (did you mean 'bowl'?)" in text
    assert f"{path}:4:5: no such file: {path.parent / 'clips/missing.wav'}" in text


def test_the_same_line_is_synthesized_once_and_then_cached(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Cache
        steps:
          - repeat: 5
            steps: [{say: Same line.}, {pause: 1}]
          - breathe: {pattern: box, cycles: 3}
    """)
    compiled(path, fake_speaker)
    engine = fake_speaker.engine
    # "Same line.", "Breathe in", "Hold", "And out": each once, in one batch.
    assert [len(call) for call in engine.calls] == [4]  # type: ignore[attr-defined]
    compiled(path, fake_speaker)
    assert len(engine.calls) == 1  # type: ignore[attr-defined]


def test_the_estimate_needs_no_engine_and_is_close(write_script: WriteScript) -> None:
    path = write_script("title: E\nsteps:\n  - say: one two three four five\n  - pause: 10\n")
    estimate = estimate_timeline(load_script(path))
    assert estimate.estimated
    assert estimate.seconds == pytest.approx(10 + len("one two three four five") / ESTIMATED_CHARS_PER_SECOND, abs=0.01)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_cache_entry_is_detected_and_made_again(tmp_path: Path, damage: str) -> None:
    from player.voices.base import SpeechRequest
    from player.voices.cache import ClipCache
    from tests.fakes import FakeEngine

    request = SpeechRequest("A line to keep safe.")
    first = Speaker(FakeEngine(), ClipCache(tmp_path / "cache"))
    (clip,) = first.speak([request])
    (entry,) = (tmp_path / "cache").rglob("*.npz")
    data = bytearray(entry.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0x40  # one flipped bit inside the samples
    entry.write_bytes(bytes(data))
    again = Speaker(FakeEngine(), ClipCache(tmp_path / "cache"))
    (remade,) = again.speak([request])
    assert again.cache.damaged == 1 and again.synthesized == 1
    assert np.array_equal(remade, clip)
    third = Speaker(FakeEngine(), ClipCache(tmp_path / "cache"))
    third.speak([request])
    assert third.synthesized == 0 and third.cache.damaged == 0
