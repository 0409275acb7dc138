"""The mixer renders any span the same way, whatever the block size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from player import SAMPLE_RATE
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]


def make_mixer(write_script: WriteScript, speaker: Speaker, bed: str = "none") -> Mixer:
    """A mixer over a small session with speech, a chime and overlapping breath tones."""
    path = write_script(f"""
        title: Mix
        ambient: {{sound: {bed}, level: 0, pause_level: 0, fade_in: 1}}
        steps:
          - say: Hello there. How are you today?
          - chime: bell
          - say: {{text: Again., pause_after: 1}}
          - breathe: {{pattern: calm, cycles: 2, cue: both}}
    """)
    return Mixer(compile_timeline(load_script(path), speaker))


def test_blocks_of_any_size_join_into_the_same_session(write_script: WriteScript, fake_speaker: Speaker,
                                                      short_beds: Path) -> None:
    # A loud bed under the voice makes the limiter work: it too must not care about block edges.
    # (White noise: the cheapest bed to render, and the one with the most peaks to limit.)
    mixer = make_mixer(write_script, fake_speaker, bed="white-noise")
    whole = mixer.render(0, mixer.length)
    assert np.abs(whole).max() > 0.5
    for size in (777, 4096, 44_100):
        joined = np.concatenate(list(mixer.blocks(frames=size)))
        assert np.array_equal(joined, whole)
    # Tiny blocks cost a render each: over the bed's fade-in and the first words only.
    start, end = SAMPLE_RATE // 2, 3 * SAMPLE_RATE
    assert np.array_equal(np.concatenate(list(mixer.blocks(start, end, frames=97))), whole[start:end])


def test_any_span_renders_like_the_same_slice_of_the_whole(write_script: WriteScript, fake_speaker: Speaker,
                                                          short_beds: Path) -> None:
    mixer = make_mixer(write_script, fake_speaker, bed="white-noise")
    whole = mixer.render(0, mixer.length)
    rng = np.random.default_rng(7)
    for start in rng.integers(0, mixer.length, 20):
        frames = int(rng.integers(1, SAMPLE_RATE))
        block = mixer.render(int(start), frames)
        expected = whole[start:start + frames]
        assert np.array_equal(block[:len(expected)], expected)
        assert not block[len(expected):].any()  # past the end is silence (the bed has faded out)


def test_speech_is_where_the_timeline_puts_it(write_script: WriteScript, fake_speaker: Speaker) -> None:
    mixer = make_mixer(write_script, fake_speaker)
    timeline = mixer.timeline
    whole = mixer.render(0, mixer.length)
    first = timeline.sounds[0]
    clip = timeline.clips[first.clip]
    assert np.array_equal(whole[first.start:first.start + len(clip), 0], clip)
    assert np.array_equal(whole[:, 0], whole[:, 1])
    assert whole.dtype == np.float32 and np.abs(whole).max() <= 1.0


def test_loop_slices_and_block_gains_equal_the_per_frame_formulas() -> None:
    from player.render.ambient import AmbientPlan
    from player.sounds.loops import looped as _looped

    loop = np.arange(1000, dtype=np.float32).reshape(500, 2)
    for offset, frames in [(0, 10), (495, 10), (1234, 1200), (499, 1)]:
        expected = loop[(offset + np.arange(frames)) % len(loop)]
        assert np.array_equal(_looped(loop, offset, frames), expected)
    plan = AmbientPlan((), np.array([0.0, 1000.0, 2000.0, 5000.0]), np.array([-20.0, -20.0, -10.0, -10.0]))
    for start, frames in [(100, 500), (900, 300), (2500, 1000), (4800, 600), (0, 5000)]:
        positions = np.arange(start, start + frames, dtype=np.float64)
        per_frame = (10 ** (np.interp(positions, plan.times, plan.levels_db) / 20)).astype(np.float32)
        assert np.array_equal(plan.gains(start, frames), per_frame)
