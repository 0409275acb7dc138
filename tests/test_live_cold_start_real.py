"""A cold start heard for real: PortAudio into a PulseAudio null sink, recorded with parec.

The speech cache is empty, so the voice is made while the session plays. What the sink hears
must begin with the opening (chime and bed), never with silence, and the first word must come
after it with the bed going on meanwhile, however long the voice took. No timing is asserted.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from player.script.loader import load_script
from player.timeline.compile import speech_requests
from player.voices import Speaker, choose_engine
from player.voices.cache import ClipCache
from tests.pulse import PulseServer, sounding, stop_recording

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]
SR = 44_100

SCRIPT = """
title: Cold start
ambient: {sound: rain, level: -24, fade_in: 1}
steps:
  - chime: bell
  - say: Notice your feet resting on the floor.
  - pause: 1
  - say: That is all for now.
"""


def longest_quiet(samples: np.ndarray, threshold_db: float = -60.0) -> float:
    """The longest stretch in seconds with no sample above the threshold."""
    loud = np.abs(samples).max(axis=1) > 10 ** (threshold_db / 20)
    edges = np.flatnonzero(np.diff(np.concatenate(([1], loud.astype(int), [1]))))
    runs = edges[1::2] - edges[::2]
    return float(runs.max()) / SR if runs.size else 0.0


def onset_of(clip: np.ndarray, recording: np.ndarray) -> tuple[int, float]:
    """Where a clip best matches the recording (FFT cross-correlation), and how well (0 to 1)."""
    mono = recording.mean(axis=1)
    size = 1 << int(np.ceil(np.log2(len(mono) + len(clip))))
    correlation = np.fft.irfft(np.fft.rfft(mono, size) * np.conj(np.fft.rfft(clip, size)), size)[: len(mono)]
    lag = int(np.argmax(correlation))
    window = mono[lag:lag + len(clip)]
    score = float(correlation[lag] / (np.linalg.norm(window) * np.linalg.norm(clip[: len(window)]) + 1e-12))
    return lag, score


def test_a_cold_start_sounds_at_once_and_the_bed_fills_the_wait_for_the_first_word(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer
) -> None:
    path = write_script(SCRIPT)
    cache = tmp_path / "empty-cache"
    recording = tmp_path / "cold.raw"
    recorder = pulse.record(recording)
    time.sleep(0.3)
    done = subprocess.run([sys.executable, "-m", "player", "play", str(path)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=dict(pulse.env, PRACTICE_CACHE_DIR=str(cache)),
                          timeout=600, check=False)
    audio = stop_recording(recorder, recording)
    assert done.returncode == 0, done.stderr
    assert "Preparing the voice" in done.stdout
    script = load_script(path)
    speaker = Speaker(choose_engine(script.voice.engine).engine, ClipCache(cache))
    first = speaker.cache.get(speaker.key(speech_requests(script)[0]))
    assert first is not None  # made by the play process
    start, _ = sounding(audio)
    word, match = onset_of(first, audio)
    assert match > 0.5  # the first line is really in the recording
    assert start < word - SR // 10  # the opening was heard before the first word
    assert longest_quiet(audio[start:word]) < 0.3  # and the bed never left a silence while waiting
