"""The system engine for real: pyttsx3 driving eSpeak NG from the espeakng-loader wheel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.audio import TRIM_THRESHOLD
from player.errors import RequestError, VoiceError
from player.voices import Speaker, SpeechRequest, choose_engine, open_engine
from player.voices.cache import ClipCache

pytestmark = pytest.mark.real
LINE = "Notice the weight of your hands resting where they are."


@pytest.fixture
def speaker(tmp_path: Path) -> Speaker:
    """The real system engine with an empty cache of its own."""
    return Speaker(open_engine("system"), ClipCache(tmp_path / "cache"))


def test_speech_is_trimmed_so_it_starts_and_ends_with_sound(speaker: Speaker) -> None:
    (clip,) = speaker.speak([SpeechRequest(LINE)])
    assert clip.dtype == np.float32 and clip.ndim == 1
    assert 1.5 < len(clip) / SAMPLE_RATE < 6
    margin = int(0.003 * SAMPLE_RATE)
    assert np.abs(clip[:margin]).max() > TRIM_THRESHOLD
    assert np.abs(clip[-margin:]).max() > TRIM_THRESHOLD


def test_rate_volume_and_voice_are_honoured(speaker: Speaker) -> None:
    # Upwards from 1.0: eSpeak goes no slower than 80 words a minute, about rate 0.9.
    normal, faster, fastest, quiet, american = speaker.speak([
        SpeechRequest(LINE), SpeechRequest(LINE, rate=1.4), SpeechRequest(LINE, rate=2.0),
        SpeechRequest(LINE, volume=0.3), SpeechRequest(LINE, voice="gmw/en-us"),
    ])
    assert len(normal) > 1.25 * len(faster) > 1.25 * 1.25 * len(fastest) * 0.9
    assert np.sqrt(np.mean(quiet**2)) < 0.5 * np.sqrt(np.mean(normal**2))
    assert len(american) != len(normal) or not np.array_equal(american, normal)


def test_an_unchanged_line_is_never_synthesized_twice(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    first = Speaker(open_engine("system"), cache)
    clips = first.speak([SpeechRequest("One line."), SpeechRequest("Another line."), SpeechRequest("One line.")])
    assert first.synthesized == 2
    again = Speaker(open_engine("system"), ClipCache(tmp_path / "cache"))
    assert all(np.array_equal(a, b) for a, b in zip(again.speak([SpeechRequest("One line."), SpeechRequest(
        "Another line."), SpeechRequest("One line.")]), clips, strict=True))
    assert again.synthesized == 0 and again.cache.hits == 2


def test_a_damaged_cache_entry_is_made_again(tmp_path: Path) -> None:
    speaker = Speaker(open_engine("system"), ClipCache(tmp_path / "cache"))
    (clip,) = speaker.speak([SpeechRequest("Mend me.")])
    (entry,) = (tmp_path / "cache").rglob("*.npz")
    entry.write_bytes(entry.read_bytes()[:100])
    fresh = Speaker(open_engine("system"), ClipCache(tmp_path / "cache"))
    (again,) = fresh.speak([SpeechRequest("Mend me.")])
    assert fresh.synthesized == 1
    assert abs(len(again) - len(clip)) < 0.05 * SAMPLE_RATE


def test_an_unknown_voice_says_how_to_find_one(speaker: Speaker) -> None:
    with pytest.raises(VoiceError, match=r"no voice 'no-such-voice'; try one of: "):
        speaker.speak([SpeechRequest("Hello.", voice="no-such-voice")])


def test_engine_names_are_checked() -> None:
    with pytest.raises(RequestError):
        open_engine("festival")
    assert open_engine("system").name == "system"
    with pytest.raises(RequestError, match="Piper voice file"):
        choose_engine("system", "voices/alba.onnx")
