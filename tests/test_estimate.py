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


@pytest.mark.parametrize("exact", [False, True])
def test_a_clip_played_in_a_repeat_is_read_and_levelled_once(
        write_script: WriteScript, monkeypatch: pytest.MonkeyPatch, exact: bool) -> None:
    import soundfile

    from player.sounds import prepare

    folder = write_script("", "unused.yaml").parent
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(44_100) / 44_100)
    padded = np.concatenate([np.zeros(4_410), tone, np.zeros(8_820)]).astype(np.float32)
    soundfile.write(folder / "tone.wav", padded, 44_100)
    script = load_script(write_script("""
        title: Tones
        steps:
          - repeat: 50
            steps:
              - play: tone.wav
          - play: tone.wav
    """))
    reads: list[Path] = []
    levelled: list[int] = []
    from player.render.loudness import match_loudness as real_match
    from player.sounds.files import load_audio_file as real_load

    def load(path: Path) -> Clip:
        reads.append(path)
        return real_load(path)

    def match(clip: Clip, rate: int) -> Clip:
        levelled.append(len(clip))
        return real_match(clip, rate)

    monkeypatch.setattr(prepare, "load_audio_file", load)
    monkeypatch.setattr(prepare, "match_loudness", match)
    timeline = (compile_timeline(script, EstimatedLengthSpeaker()) if exact else estimate_timeline(script))
    assert reads == [folder / "tone.wav"]
    assert len(levelled) == (1 if exact else 0)  # an estimate needs only the trimmed length
    starts = [sound.start for sound in timeline.sounds]
    step = starts[1]
    assert 44_100 <= step < 44_100 + 441  # trimmed to the tone (and the few ms trimming keeps)
    assert starts == [index * step for index in range(51)]  # every use placed
