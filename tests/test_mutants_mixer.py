"""The mixer's samples against sums worked out in numpy (mutants that survived: docs/testing.md).

Hand-made timelines with quiet clips keep the limiter out of the way (it leaves anything under
its ceiling exactly as it is), so each rendered sample is the gains and sums written here. The
bed part uses white noise, the cheapest bed, and the sine fades the mixer's docs promise.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from player import SAMPLE_RATE
from player.render.ambient import bed_calibration, plan_ambient
from player.render.mixer import Mixer, NonFiniteAudio
from player.script.model import AmbientSettings
from player.sounds.loops import bed_samples
from player.timeline.model import Sound, Timeline

Samples = npt.NDArray[np.float64]


def timeline(length: int, sounds: tuple[Sound, ...], clips: dict[str, npt.NDArray[np.float32]],
             ambient: AmbientSettings | None = None) -> Timeline:
    """A timeline with only placed sounds (and a bed when asked)."""
    return Timeline(title="T", length=length, sounds=sounds, clips=clips, steps=(), chapters=(), cues=(),
                    ambient=ambient or AmbientSettings(), bed_changes=())


A = np.linspace(0.1, 0.2, 1000).astype(np.float32)
B = np.full(500, 0.05, dtype=np.float32)


def voice_only() -> tuple[Timeline, Samples]:
    """Two overlapping sounds, one at half gain, and the mono sum expected from them."""
    made = timeline(3000, (Sound(100, "a", 0.5, "speech"), Sound(600, "b", 1.0, "chime")), {"a": A, "b": B})
    expected = np.zeros(3000)
    expected[100:1100] += 0.5 * A.astype(np.float64)
    expected[600:1100] += B
    return made, expected


def test_placed_sounds_are_summed_at_their_gains_in_every_channel() -> None:
    made, expected = voice_only()
    whole = Mixer(made).render(0, 3000)
    assert whole.shape == (3000, 2)
    np.testing.assert_allclose(whole, np.stack([expected, expected], axis=1), atol=1e-7)
    np.testing.assert_allclose(Mixer(made, channels=1).render(0, 3000)[:, 0], expected, atol=1e-7)


def test_a_block_that_starts_inside_a_sound_hears_its_rest() -> None:
    made, expected = voice_only()
    mixer = Mixer(made)
    np.testing.assert_allclose(mixer.render(1050, 100)[:, 0], expected[1050:1150], atol=1e-7)
    np.testing.assert_allclose(mixer.render(650, 200, voice_gain=2.0)[:, 1], 2 * expected[650:850], atol=1e-7)


def test_blocks_apply_the_mastering_gain_and_the_voice_trim() -> None:
    made, expected = voice_only()
    mixer = Mixer(made)
    blocks = list(mixer.blocks(frames=700, gain=0.5, voice_trim=3.0))
    assert [len(block) for block in blocks] == [700, 700, 700, 700, 200]
    np.testing.assert_allclose(np.concatenate(blocks)[:, 0], 1.5 * expected, atol=1e-7)
    part = np.concatenate(list(mixer.blocks(1000, 2500, frames=400)))
    np.testing.assert_allclose(part[:, 0], expected[1000:2500], atol=1e-7)
    assert sum(len(block) for block in mixer.blocks(2900, 10_000)) == 100  # never past the end


def test_the_ceiling_given_is_the_limiters() -> None:
    made, expected = voice_only()
    loud = Mixer(made).render(0, 3000, ceiling=0.1)
    assert np.abs(loud).max() <= 0.1 + 1e-6
    assert np.abs(Mixer(made).render(0, 3000)).max() == pytest.approx(expected.max(), abs=1e-7)


def test_a_nan_in_a_clip_is_stopped_before_anyone_hears_it() -> None:
    clip = np.full(10, 0.1, dtype=np.float32)
    clip[3] = np.nan
    with pytest.raises(NonFiniteAudio, match=r"^the mixer made \d+ samples that are not finite numbers"):
        Mixer(timeline(100, (Sound(0, "x", 1.0, "speech"),), {"x": clip})).render(0, 100)


def test_the_bed_is_its_loop_at_the_planned_level_with_sine_fades() -> None:
    fade, bed_end = SAMPLE_RATE // 4, SAMPLE_RATE
    settings = AmbientSettings(sound="white-noise", level=-40.0, pause_level=-40.0, long_silence_level=-40.0,
                               fade_in=0.25, fade_out=0.25)
    length = bed_end + SAMPLE_RATE  # the bed ends where the closing second of quiet begins
    made = timeline(length, (Sound(1000, "b", 1.0, "speech"),), {"b": B}, settings)
    plan = plan_ambient(made)
    positions = np.arange(bed_end)
    fades = (np.sin(0.5 * np.pi * np.clip(positions / fade, 0, 1))
             * np.sin(0.5 * np.pi * np.clip((bed_end - positions) / fade, 0, 1)))
    weight = plan.gains(0, bed_end).astype(np.float64) * bed_calibration("white-noise") * fades
    bed = bed_samples("white-noise", 0, bed_end).astype(np.float64) * weight[:, np.newaxis]
    voice = np.zeros((bed_end, 1))
    voice[1000:1500, 0] = B
    mixer = Mixer(made)
    whole = mixer.render(0, length)
    np.testing.assert_allclose(whole[:bed_end], bed + voice, atol=2e-6)
    assert not whole[bed_end:].any()
    np.testing.assert_allclose(mixer.render(0, bed_end, ambient_gain=0.5), 0.5 * bed + voice, atol=2e-6)
    np.testing.assert_allclose(mixer.render(0, bed_end, ambient_gain=0.0), np.hstack([voice, voice]), atol=1e-7)
    np.testing.assert_allclose(mixer.render(30_000, 10_000), bed[30_000:40_000], atol=2e-6)
