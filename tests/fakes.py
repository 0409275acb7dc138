"""A fake speech engine for fast tests: a tone whose length is known from the text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from player.voices.base import Progress, RawClip, SpeechRequest

FAKE_RATE = 22_050
SECONDS_PER_CHARACTER = 0.05


def fake_seconds(text: str, rate: float = 1.0) -> float:
    """How long the fake engine speaks a text."""
    return round(len(text) * SECONDS_PER_CHARACTER / rate * FAKE_RATE) / FAKE_RATE


class FakeEngine:
    """Speaks every text as a 220 Hz tone lasting 50 ms per character (divided by the rate)."""

    name = "fake"
    version = "1"

    def __init__(self) -> None:
        self.calls: list[list[SpeechRequest]] = []

    def voice_version(self, voice: str | None) -> str:
        """The fake voice never changes."""
        return ""

    def synthesize(self, requests: Sequence[SpeechRequest], progress: Progress | None = None) -> list[RawClip]:
        """One tone per request."""
        self.calls.append(list(requests))
        clips = []
        for request in requests:
            frames = round(fake_seconds(request.text, request.rate) * FAKE_RATE)
            t = np.arange(frames) / FAKE_RATE
            tone = 0.5 * request.volume * np.sin(2 * np.pi * 220 * t)
            tone[0] = tone[-1] = 0.5  # loud first and last samples: trimming must keep them
            clips.append(RawClip(tone.astype(np.float32), FAKE_RATE))
        if progress is not None:
            progress(len(requests))
        return clips
