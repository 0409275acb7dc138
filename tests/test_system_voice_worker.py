"""The system voice's worker waits for each line to be written, even when the engine returns early.

pyttsx3's eSpeak driver synthesizes on eSpeak's own thread; its runAndWait can return before
the WAV file exists (always for the first line after start-up, and under load for others).
The fast tests drive the worker with a scripted engine that does exactly that; the real test
runs the real engine while busy processes hold every core.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from player.voices import SpeechRequest
from player.voices.system import SystemEngine
from player.voices.system_worker import SpeechFailed, speak_to_file

SETTINGS = {"rate": 200.0, "volume": 1.0}


class LateEngine:
    """A pyttsx3 engine whose runAndWait returns at once; the file appears later, then the callback.

    `outcomes` says what each utterance does in turn: "ok" (written after a delay), "cancel"
    (the callback reports completed=False and nothing is written) or "silent" (a bare header).
    """

    def __init__(self, outcomes: list[str], delay: float = 0.2) -> None:
        self.outcomes = list(outcomes)
        self.delay = delay
        self.callbacks: list[Callable[..., None]] = []
        self.pending: tuple[str, str] | None = None
        self.properties: dict[str, float] = {}
        self.proxy = self  # the worker looks at engine.proxy._driver to recognise eSpeak
        self._driver = self
        self.threads: list[threading.Thread] = []

    def connect(self, topic: str, callback: Callable[..., None]) -> dict[str, Any]:
        assert topic == "finished-utterance"
        self.callbacks.append(callback)
        return {"topic": topic, "cb": callback}

    def disconnect(self, token: dict[str, Any]) -> None:
        self.callbacks.remove(token["cb"])

    def setProperty(self, name: str, value: float) -> None:
        self.properties[name] = value

    def getProperty(self, name: str) -> float:
        return self.properties[name]

    def save_to_file(self, text: str, path: str) -> None:
        self.pending = (text, path)

    def runAndWait(self) -> None:
        assert self.pending is not None
        _, path = self.pending
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        thread = threading.Thread(target=self._finish, args=(path, outcome))
        thread.start()
        self.threads.append(thread)

    def _finish(self, path: str, outcome: str) -> None:
        time.sleep(self.delay)
        if outcome != "cancel":
            with wave.open(path, "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(22_050)
                if outcome == "ok":
                    out.writeframes(np.full(2_205, 1000, dtype=np.int16).tobytes())
        for callback in list(self.callbacks):
            callback(name=None, completed=outcome != "cancel")


@pytest.fixture
def engine() -> Iterator[Callable[..., LateEngine]]:
    """Scripted engines, with their threads joined afterwards."""
    made: list[LateEngine] = []

    def make(outcomes: list[str], delay: float = 0.2) -> LateEngine:
        made.append(LateEngine(outcomes, delay))
        return made[-1]

    yield make
    for each in made:
        for thread in each.threads:
            thread.join(timeout=5)


def test_a_line_is_kept_when_the_file_appears_after_run_and_wait(engine: Callable[..., LateEngine],
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "line-0.wav"
    speak_to_file(engine(["ok"]), "Feet on the floor.", str(path), SETTINGS)
    with wave.open(str(path)) as written:
        assert written.getnframes() == 2_205


def test_a_cancelled_or_empty_line_is_spoken_again(engine: Callable[..., LateEngine], tmp_path: Path) -> None:
    late = engine(["cancel", "silent", "ok"])
    path = tmp_path / "line-0.wav"
    speak_to_file(late, "Feet on the floor.", str(path), SETTINGS)
    assert len(late.threads) == 3
    with wave.open(str(path)) as written:
        assert written.getnframes() == 2_205


def test_a_line_that_never_comes_is_a_clear_error(engine: Callable[..., LateEngine], tmp_path: Path) -> None:
    with pytest.raises(SpeechFailed, match=r"no usable audio for 'Feet on the floor\.' in 4 tries "
                                           r"\(the last time, it was cancelled\)"):
        speak_to_file(engine(["cancel"] * 4, delay=0.01), "Feet on the floor.", str(tmp_path / "x.wav"), SETTINGS)


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """Two spinning processes per core for the length of a test (each stops itself after 120 s)."""
    spin = "import time\nend = time.monotonic() + 120\nwhile time.monotonic() < end:\n    pass\n"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2 * (os.cpu_count() or 1))]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


@pytest.mark.real
def test_the_system_voice_speaks_every_line_while_the_cpu_is_contended(busy_cores: None) -> None:
    # Before the fix, about two runs in three of this failed with FileNotFoundError on line-0.wav.
    texts = ["Resting where you are, notice the floor."] * 30
    for _ in range(2):
        clips = SystemEngine().synthesize([SpeechRequest(text) for text in texts])
        assert len(clips) == len(texts)
        seconds = [len(clip.samples) / clip.sample_rate for clip in clips]
        # Every line has its audio, at the rate asked for (eSpeak's default rate is 14 % slower).
        assert min(seconds) > 1.0 and max(seconds) < 1.05 * min(seconds), seconds
        assert all(np.abs(clip.samples).max() > 0.05 for clip in clips)
