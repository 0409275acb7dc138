"""A cold start says what is happening before the voice loads, not once the session is ready."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from player.live.start import build_session
from player.script.loader import load_script
from player.voices import Speaker, SpeechRequest
from player.voices.base import Progress
from tests.test_live_catch_up import SCRIPT

WriteScript = Callable[..., Path]
Clip = npt.NDArray[np.float32]


class Recording(Speaker):
    """The fake speaker, noting when it is asked for speech."""

    events: list[str]

    def speak(self, requests: Sequence[SpeechRequest], progress: Progress | None = None) -> list[Clip]:
        self.events.append("speak")
        return super().speak(requests, progress)


@pytest.fixture(autouse=True)
def _short_layers(short_beds: Path) -> None:
    """Rain with short layers: build_session renders the bed in the background, seconds for a whole one."""


def test_a_cold_start_says_it_prepares_the_voice_before_loading_it(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    speaker = Recording(fake_speaker.engine, fake_speaker.cache)
    speaker.events = []
    _, rest = build_session(load_script(write_script(SCRIPT)), speaker,
                            preparing=lambda: speaker.events.append("preparing"))
    assert rest is not None
    rest.join(timeout=30)
    assert speaker.events[0] == "preparing" and speaker.events.count("preparing") == 1


def test_a_warm_start_says_nothing_of_the_kind(write_script: WriteScript, fake_speaker: Speaker) -> None:
    script = load_script(write_script(SCRIPT))
    _, rest = build_session(script, fake_speaker)
    assert rest is not None
    rest.join(timeout=30)
    said: list[str] = []
    build_session(script, fake_speaker, preparing=lambda: said.append("preparing"))
    assert said == []
