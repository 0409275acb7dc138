"""The estimate (`check`, `show`, length solving, a cold live start) places every sound where a
compiled session does, given the same speech lengths: only the voice's lengths are guessed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from player.script.loader import load_script
from player.timeline.compile import compile_timeline, estimate_timeline
from player.timeline.lengths import estimated_speech
from player.voices.base import Progress, SpeechRequest

WriteScript = Callable[..., Path]
Clip = npt.NDArray[np.float32]


class EstimatedLengthSpeaker:
    """Speaks each request as silence exactly as long as the estimate guesses."""

    def speak(self, requests: Sequence[SpeechRequest], progress: Progress | None = None) -> list[Clip]:
        """Silence of the estimated length per request."""
        return [np.zeros(estimated_speech(request.text, request.rate), dtype=np.float32) for request in requests]


@pytest.mark.parametrize("ambient", ["", "ambient: rain", "ambient: {sound: night, fade_in: 20s}"])
def test_the_estimate_lets_words_wait_for_a_chime_to_ring_down_as_the_session_does(
        write_script: WriteScript, ambient: str) -> None:
    script = load_script(write_script(f"""
        title: Chimes
        {ambient}
        steps:
          - chime: bowl
          - say: Hello there.
          - chime: {{sound: bell, volume: 0.4}}
          - say: And again.
          - chime: soft
          - say: Once more.
          - chime: wood
          - say: The last line.
          - silence: {{duration: 60s, chime: bowl, bells_every: 25s}}
          - say: Done.
    """))
    estimate = estimate_timeline(script)
    compiled = compile_timeline(script, EstimatedLengthSpeaker())
    # The bowl rings for seconds under the bed: an estimate that ignored it put "Hello" at 0 s.
    assert [sound.start for sound in estimate.sounds] == [sound.start for sound in compiled.sounds]
    assert [sound.clip for sound in estimate.sounds] == [sound.clip for sound in compiled.sounds]
    assert estimate.length == compiled.length
    speech_starts = [sound.start for sound in compiled.sounds if sound.clip.startswith("speech:")]
    assert speech_starts[0] > 4 * 44_100


def test_the_chime_ring_table_is_what_the_chimes_measure() -> None:
    import player.sounds.chime_rings as table
    from player.sounds.tones import chime, chime_envelope, chime_rings_source, envelope

    # Regenerate with the command in chime_rings.py's docstring when a chime's recipe changes.
    assert Path(table.__file__).read_text(encoding="utf-8") == chime_rings_source()
    for name in table.CHIME_ENVELOPES:
        measured = envelope(chime(name))
        assert np.allclose(chime_envelope(name), measured, rtol=1e-5, atol=0), name
