"""Piper's lean cold path: one worker process speaking on threads, its fixed-noise model cached."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from player.voices import SpeechRequest
from player.voices.piper import PiperEngine, piper_missing

pytestmark = [pytest.mark.real, pytest.mark.skipif(piper_missing() is not None, reason="piper is not installed")]

LINES = [SpeechRequest(text) for text in (
    "Notice five things you can see.", "Let your shoulders drop.", "Feel the floor under your feet.",
    "Breathe out slowly.", "Listen to the sounds around you.")]


def prepared_models() -> list[Path]:
    """The cached fixed-noise models in this test's cache folder."""
    return sorted((Path(os.environ["PRACTICE_CACHE_DIR"]) / "piper").glob("*.onnx"))


def test_one_process_on_threads_speaks_as_processes_do_and_a_damaged_cache_is_rebuilt() -> None:
    threaded = PiperEngine()
    assert threaded.workers == 1 and threaded.threads == (os.cpu_count() or 1)
    one = threaded.synthesize(LINES)
    threaded.close()
    (prepared,) = prepared_models()
    processes = PiperEngine(workers=2, threads=1)
    two = processes.synthesize(LINES)
    processes.close()
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(one, two, strict=True))
    prepared.write_bytes(b"not a model")
    rebuilt = PiperEngine(threads=1)
    three = rebuilt.synthesize(LINES[:1])
    rebuilt.close()
    assert np.array_equal(three[0].samples, one[0].samples)
    assert prepared.stat().st_size > 1_000_000
