"""Mastering reads the speech once where the limiter will leave it alone, and the gain it finds is
the one the full passes through the limiter find; where the limiter would act, the passes run.

The reading is checked by measuring the mastered render itself with the streaming meter
(whose agreement with ffmpeg and pyloudnorm tests/test_mastering.py holds).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.export.master import Render, mastering_gain, measure_spans, speech_spans, unity_reading
from player.render.limiter import true_peaks
from player.render.mixer import Block, Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]


@pytest.fixture(autouse=True)
def _short_layers(short_beds: Path) -> None:
    """Beds with short layers: mastering's passes hold for any bed, and a whole one costs seconds."""


def make_mixer(write_script: WriteScript, speaker: Speaker) -> Mixer:
    """Speech over a noise bed, with pauses the bed fills."""
    path = write_script("""
        title: One pass
        ambient: {sound: white-noise, level: -18, fade_in: 1}
        steps:
          - say: Notice your feet on the floor.
          - pause: 3
          - say: Let one breath come and go.
          - pause: 2
          - say: You are here.
    """)
    return Mixer(compile_timeline(load_script(path), speaker))


class Renders:
    """The export's renderings of a mixer, counting the passes made through the limiter."""

    def __init__(self, mixer: Mixer, ceiling: float) -> None:
        self.mixer = mixer
        self.ceiling = ceiling
        self.limited = 0

    def rendering(self, gain_db: float) -> Render:
        """The mix at `gain_db` through the limiter."""
        self.limited += 1
        return self._render(gain_db, self.ceiling)

    def raw(self) -> Render:
        """The unity mix without the limiter."""
        return self._render(0.0, float("inf"))

    def _render(self, gain_db: float, ceiling: float) -> Render:
        def render(start: int, end: int) -> Iterator[Block]:
            return self.mixer.blocks(start, end, gain=10 ** (gain_db / 20), ceiling=ceiling)
        return render


def spans_peak(mixer: Mixer, spans: list[tuple[int, int]], gain_db: float) -> float:
    """The highest true peak of the mix at `gain_db`, unlimited, over the whole session (linear)."""
    whole = mixer.render(0, mixer.length, voice_gain=10 ** (gain_db / 20), ambient_gain=10 ** (gain_db / 20),
                         ceiling=float("inf"))
    return float(true_peaks(whole, screen=0.0).max())


def test_one_pass_where_the_limiter_is_idle(write_script: WriteScript, fake_speaker: Speaker) -> None:
    mixer = make_mixer(write_script, fake_speaker)
    spans = speech_spans(mixer)
    renders = Renders(mixer, ceiling=10 ** (-1.5 / 20))
    aim = -24.0
    gain, before, said = mastering_gain(renders.rendering, spans, mixer.length, SAMPLE_RATE, 2, aim,
                                        raw=renders.raw(), ceiling=renders.ceiling)
    assert renders.limited == 0
    assert spans_peak(mixer, spans, gain) < renders.ceiling  # the limiter had nothing to do
    # What the speech reads, mastered through the limiter, is the aim (the meter's rounding).
    reached = measure_spans(Renders(mixer, renders.ceiling).rendering(gain), spans, SAMPLE_RATE, 2)
    assert reached == pytest.approx(aim, abs=0.01)
    # And mastering says so (the sampled check of the file starts from it).
    assert said == pytest.approx(reached, abs=0.001)
    # The same gain as the passes through the limiter found.
    passes, passes_before, _ = mastering_gain(renders.rendering, spans, mixer.length, SAMPLE_RATE, 2, aim)
    assert gain == pytest.approx(passes, abs=0.02)
    assert before == pytest.approx(passes_before, abs=0.01)


def test_passes_through_the_limiter_where_it_would_act(write_script: WriteScript, fake_speaker: Speaker) -> None:
    mixer = make_mixer(write_script, fake_speaker)
    spans = speech_spans(mixer)
    ceiling = 10 ** (-1.5 / 20)
    renders = Renders(mixer, ceiling)
    aim = -4.0  # loud enough for the speech's peaks to reach the ceiling
    gain, _, said = mastering_gain(renders.rendering, spans, mixer.length, SAMPLE_RATE, 2, aim,
                                   raw=renders.raw(), ceiling=ceiling)
    assert spans_peak(mixer, spans, gain) > ceiling
    assert renders.limited >= 1
    reached = measure_spans(Renders(mixer, ceiling).rendering(gain), spans, SAMPLE_RATE, 2)
    assert reached == pytest.approx(aim, abs=0.05)
    # What mastering says it reached is a reading at this very gain, or nothing.
    assert math.isnan(said) or said == pytest.approx(reached, abs=1e-6)


def test_one_pass_reading_is_the_speech_alone(write_script: WriteScript, fake_speaker: Speaker) -> None:
    # Silence between the spans must not count: a session measured whole reads differently.
    mixer = make_mixer(write_script, fake_speaker)
    spans = speech_spans(mixer)
    renders = Renders(mixer, 10 ** (-1.5 / 20))
    _, speech, _ = mastering_gain(renders.rendering, spans, mixer.length, SAMPLE_RATE, 2, -24.0,
                               raw=renders.raw(), ceiling=renders.ceiling)
    _, whole, _ = mastering_gain(renders.rendering, [], mixer.length, SAMPLE_RATE, 2, -24.0,
                              raw=renders.raw(), ceiling=renders.ceiling)
    assert abs(speech - whole) > 0.5
    assert np.isfinite(speech)


def test_the_unity_reading_works_out_a_quieter_blocks_inter_sample_peaks() -> None:
    # A plain tone peaking at 0.5, then a block whose samples reach only 0.45 but whose peaks
    # between samples reach 0.45 * sqrt(2) (a tone at a quarter of the rate, sampled at 45
    # degrees): within 4 dB of the loudest so far, it must be worked out, not skipped.
    frames = 16_384
    low = 0.5 * np.sin(2 * np.pi * 100 * np.arange(frames) / SAMPLE_RATE)
    quarter = 0.45 * np.sqrt(2) * np.sin(np.pi / 2 * np.arange(frames) + np.pi / 4)
    signal = np.stack([np.concatenate([low, quarter])] * 2, axis=1).astype(np.float32)

    def raw(start: int, end: int) -> Iterator[Block]:
        for position in range(start, end, frames):
            yield signal[position:min(end, position + frames)]

    _, _, peak = unity_reading(raw, [(0, len(signal))], len(signal), SAMPLE_RATE, 2)
    assert float(np.abs(signal).max()) < 0.51
    assert peak > 0.6  # skipped, it would read 0.5
