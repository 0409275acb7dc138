"""The mixer's samples against sums worked out in numpy (mutants that survived: docs/testing.md).

Hand-made timelines with quiet clips keep the limiter out of the way (it leaves anything under
its ceiling exactly as it is), so each rendered sample is the gains and sums written here. The
bed part uses white noise, the cheapest bed, and the sine fades the mixer's docs promise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from player import SAMPLE_RATE
from player.render.ambient import bed_calibration, plan_ambient
from player.render.mixer import Mixer, NonFiniteAudio, assert_finite
from player.script.model import AmbientSettings
from player.sounds.loops import bed_samples
from player.timeline.model import BedChange, Sound, Timeline

Samples = npt.NDArray[np.float64]


@pytest.fixture(autouse=True)
def _short_layers(short_beds: Path) -> None:
    """Built-in beds with short layers: the mixer's sums hold for any loop, and a whole bed costs seconds."""


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


def test_the_message_counts_the_samples_that_are_not_finite() -> None:
    block = np.zeros((4, 2), dtype=np.float32)
    block[0, 0], block[1, 1], block[3, 0] = np.nan, np.inf, -np.inf
    with pytest.raises(NonFiniteAudio) as error:
        assert_finite(block, "the mixer")
    assert str(error.value) == "the mixer made 3 samples that are not finite numbers (NaN or infinite)"


def test_a_quieter_sound_over_another_adds_to_it_rather_than_replacing_it() -> None:
    # A chime at volume 0.25 that rings while speech plays: both are heard, summed.
    made = timeline(2000, (Sound(100, "a", 1.0, "speech"), Sound(600, "b", 0.25, "chime")), {"a": A, "b": B})
    expected = np.zeros(2000)
    expected[100:1100] += A.astype(np.float64)
    expected[600:1100] += 0.25 * B.astype(np.float64)
    np.testing.assert_allclose(Mixer(made).render(0, 2000)[:, 0], expected, atol=1e-7)


def sine_fades(start: int, end: int, fade_in: int, fade_out: int) -> Samples:
    """The weight of a bed's frames [start, end): a quarter sine up over fade_in, down over fade_out."""
    positions = np.arange(start, end, dtype=np.float64)
    rising = np.clip((positions - start) / fade_in, 0, 1) if fade_in else np.ones(end - start)
    falling = np.clip((end - positions) / fade_out, 0, 1) if fade_out else np.ones(end - start)
    return np.sin(0.5 * np.pi * rising) * np.sin(0.5 * np.pi * falling)


def beds_expected(made: Timeline, parts: list[tuple[str, int, int, int, int]]) -> Samples:
    """Each (sound, start, end, fade in, fade out) bed from its own loop start, at the planned level, summed."""
    plan = plan_ambient(made)
    total = np.zeros((made.length, 2))
    for sound, start, end, fade_in, fade_out in parts:
        weight = (plan.gains(start, end - start).astype(np.float64) * bed_calibration(sound)
                  * sine_fades(start, end, fade_in, fade_out))
        total[start:end] += bed_samples(sound, 0, end - start).astype(np.float64) * weight[:, np.newaxis]
    return total


def test_a_bed_change_crossfades_into_the_new_bed_from_its_own_start() -> None:
    quarter = SAMPLE_RATE // 4
    settings = AmbientSettings(sound="white-noise", level=-40.0, pause_level=-40.0, long_silence_level=-40.0,
                               fade_in=0.25, fade_out=0.25)
    length = 4 * SAMPLE_RATE  # the beds end at 3 s, where the closing second of quiet begins
    made = Timeline(title="T", length=length, sounds=(Sound(1000, "b", 1.0, "speech"),), clips={"b": B},
                    steps=(), chapters=(), cues=(), ambient=settings,
                    bed_changes=(BedChange(SAMPLE_RATE, "white-noise", quarter),))
    # The first bed until the crossfade is over (1.25 s), fading out over it; the new one from 1 s, from
    # the start of its own loop, fading in (the same sound: only the times and the loop offsets differ).
    expected = beds_expected(made, [("white-noise", 0, SAMPLE_RATE + quarter, quarter, quarter),
                                    ("white-noise", SAMPLE_RATE, 3 * SAMPLE_RATE, quarter, quarter)])
    expected[1000:1500] += B[:, np.newaxis]
    mixer = Mixer(made)
    np.testing.assert_allclose(mixer.render(0, length), expected, atol=2e-6)
    # A block wholly after the first bed has ended still hears the second.
    start = 2 * SAMPLE_RATE
    np.testing.assert_allclose(mixer.render(start, 10_000), expected[start:start + 10_000], atol=2e-6)


def test_a_bed_without_fades_starts_and_stops_at_full_level() -> None:
    settings = AmbientSettings(sound="white-noise", level=-40.0, pause_level=-40.0, long_silence_level=-40.0,
                               fade_in=0.0, fade_out=0.0)
    length = 2 * SAMPLE_RATE
    made = timeline(length, (Sound(1000, "b", 1.0, "speech"),), {"b": B}, settings)
    expected = beds_expected(made, [("white-noise", 0, SAMPLE_RATE, 0, 0)])
    expected[1000:1500] += B[:, np.newaxis]
    whole = Mixer(made).render(0, length)
    assert whole[0, 0] != 0  # the very first frame already has the bed
    np.testing.assert_allclose(whole, expected, atol=2e-6)
