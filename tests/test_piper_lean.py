"""Piper's lean cold path: one worker process speaking on threads, its fixed-noise model cached."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest

from player import SAMPLE_RATE
from player.audio import prepare_clip
from player.render.loudness import SPEECH_LOUDNESS
from player.voices import SpeechRequest
from player.voices.level import level_speech
from player.voices.piper import UNHURRIED_LENGTH_SCALE, PiperEngine, bundled_voice, piper_missing

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


def test_the_worker_levels_each_line_as_the_player_would_and_the_player_imports_no_meter() -> None:
    # The worker returns timeline clips, so a cold live start never imports scipy.signal (over a
    # second of CPU holding the interpreter lock) while its opening plays.
    engine = PiperEngine(threads=1)
    (made,) = engine.synthesize(LINES[:1])
    engine.close()
    assert made.levelled and made.sample_rate == SAMPLE_RATE
    from player.voices import piper_worker

    piper_worker.load(str(bundled_voice().model), str(bundled_voice().config), 1, str(prepared_models()[0]))
    raw, rate = piper_worker.speak(LINES[0].text, bundled_voice().length_scale * UNHURRIED_LENGTH_SCALE)
    here = level_speech(prepare_clip(raw, rate, SAMPLE_RATE), SAMPLE_RATE)
    assert np.array_equal(made.samples, here)
    # Loudness by an independent meter: the line sits at the speech level.
    meter = pyloudnorm.Meter(SAMPLE_RATE)
    assert meter.integrated_loudness(made.samples.astype(np.float64)) == pytest.approx(SPEECH_LOUDNESS, abs=0.3)


def test_the_prepared_model_speaks_as_the_model_optimized_as_it_loads() -> None:
    # The cache keeps the model as ONNX Runtime optimizes it and loads it without optimizing:
    # the samples must be those of the noise-fixed model given to ONNX Runtime's defaults.
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    from player.voices import piper_worker

    engine = PiperEngine(threads=1)
    (made,) = engine.synthesize(LINES[1:2])
    engine.close()
    assert [model.name.endswith("-optimized.onnx") for model in prepared_models()] == [True]
    voice = bundled_voice()
    reference = onnxruntime.InferenceSession(piper_worker.deterministic_model(voice.model),
                                             providers=["CPUExecutionProvider"])
    config = PiperConfig.from_dict(json.loads(voice.config.read_text(encoding="utf-8")))
    piper_worker._voice = PiperVoice(config=config, session=reference)
    raw, rate = piper_worker.speak(LINES[1].text, voice.length_scale * UNHURRIED_LENGTH_SCALE)
    assert np.array_equal(made.samples, level_speech(prepare_clip(raw, rate, SAMPLE_RATE), SAMPLE_RATE))


def test_a_cold_piper_line_leaves_the_players_process_without_scipy(tmp_path: Path) -> None:
    # A fresh speech cache (the prepared model is shared), so the line is really made.
    cache = tmp_path / "cache"
    (cache / "piper").mkdir(parents=True)
    for model in prepared_models():
        shutil.copyfile(model, cache / "piper" / model.name)
    code = ("import sys\nfrom player.voices import Speaker, SpeechRequest\n"
            "from player.voices.piper import PiperEngine\n"
            "speaker = Speaker(PiperEngine(threads=1))\n(clip,) = speaker.speak([SpeechRequest('Breathe out.')])\n"
            "speaker.engine.close()\nassert clip.size > 10000 and speaker.synthesized == 1\n"
            "print(sorted(m for m in sys.modules if m.startswith('scipy')))")
    env = dict(os.environ, PRACTICE_CACHE_DIR=str(cache))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


PLAYER_THAT_HANGS = """
import sys, time
from player.voices import SpeechRequest
from player.voices.level import level_speech
from player.voices.piper import PiperEngine
engine = PiperEngine(threads=1)
engine.synthesize([SpeechRequest("Hello.")])
print("spoke", flush=True)
time.sleep(600)
"""


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    """Whether a process has ended (an unreaped zombie counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_a_worker_ends_when_the_player_is_killed_outright() -> None:
    # A closed terminal or a SIGKILL gives the pool no chance to stop its workers: each would
    # wait forever for work, holding its voice model.
    player = subprocess.Popen([sys.executable, "-c", PLAYER_THAT_HANGS], stdout=subprocess.PIPE, text=True)
    try:
        assert player.stdout is not None and player.stdout.readline().strip() == "spoke"
        workers = _children(player.pid)
        assert workers, "the engine started no worker process"
    finally:
        player.kill()
        player.wait()
    for _ in range(100):  # a wait of up to 10 s, not a timing: the worker goes at once
        if all(_gone(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert all(_gone(pid) for pid in workers), "a worker outlived its player"
