"""Exports through the real parts: the system voice (pyttsx3 + eSpeak NG) and ffmpeg.

Every measurement comes from ffmpeg (silencedetect, decoding), not from our own numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from player.export import ExportOptions, export
from player.render.limiter import CEILING
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.timeline.lengths import END_QUIET
from player.voices import Speaker, open_engine
from tests.conftest import decode, silences

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]

PAUSES = [3.0, 5.5, 60.0, 2.0]
PAUSE_SCRIPT = """
title: Pause check
voice: {engine: system}
steps:
  - say: Notice your feet on the floor.
  - pause: 3
  - say: Notice the air on your skin.
  - pause: 5.5
  - say: Notice the sounds around you.
  - pause: 60
  - say: Notice one easy breath.
  - pause: 2
  - say: You are here, now.
"""


def export_script(path: Path, out: Path) -> Path:
    """Load, compile with the real system voice, and export."""
    script = load_script(path)
    timeline = compile_timeline(script, Speaker(open_engine("system")))
    return export(Mixer(timeline), out).path


@pytest.mark.parametrize("suffix", ["wav", "mp3"])
def test_pauses_measure_exactly_in_the_export(write_script: WriteScript, tmp_path: Path, suffix: str) -> None:
    out = export_script(write_script(PAUSE_SCRIPT), tmp_path / f"pauses.{suffix}")
    *found, closing = silences(out, noise_db=-50, minimum=1.0)
    assert closing[1] == pytest.approx(END_QUIET, abs=0.05)  # the closing quiet after the last word
    assert len(found) == len(PAUSES), found
    for (_, measured), written in zip(found, PAUSES, strict=True):
        assert measured == pytest.approx(written, abs=0.05)


def test_the_same_script_exported_twice_gives_identical_samples(
    write_script: WriteScript, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_script(PAUSE_SCRIPT)
    outputs = []
    for name in ("one", "two"):
        # Each export with its own empty cache: the speech itself must be synthesized the same.
        cache = tmp_path / f"cache-{name}"
        monkeypatch.setenv("PRACTICE_CACHE_DIR", str(cache))
        outputs.append((export_script(path, tmp_path / f"{name}.mp3"), export_script(path, tmp_path / f"{name}.wav")))
        assert len(list(cache.rglob("*.npz"))) == 6  # five lines, the last in two breath groups
    (mp3_a, wav_a), (mp3_b, wav_b) = outputs
    assert decode(mp3_a) == decode(mp3_b)
    assert np.array_equal(soundfile.read(wav_a)[0], soundfile.read(wav_b)[0])


def test_an_export_that_fails_midway_leaves_the_old_file_and_no_stray_files(
    write_script: WriteScript, tmp_path: Path
) -> None:
    out = tmp_path / "keep.mp3"
    out.write_bytes(b"the good old export")
    script = load_script(write_script(PAUSE_SCRIPT))
    timeline = compile_timeline(script, Speaker(open_engine("system")))

    class Failing(Mixer):
        def render(self, start: int, frames: int, voice_gain: float = 1.0, ambient_gain: float = 1.0,
                   ceiling: float = CEILING) -> np.ndarray:
            if start > 10 * 44_100:
                raise KeyboardInterrupt  # as if the user pressed Ctrl-C while the encoder writes
            return super().render(start, frames, voice_gain, ambient_gain, ceiling)

    with pytest.raises(KeyboardInterrupt):
        # Without mastering the only pass is the one that writes, so the encoder is mid-file.
        export(Failing(timeline), out, ExportOptions(master=False, overwrite=True))
    assert out.read_bytes() == b"the good old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp3", "practice.yaml"]


def test_the_mp3_is_a_stereo_mp3_of_the_session_length(write_script: WriteScript, tmp_path: Path) -> None:
    script = load_script(write_script(PAUSE_SCRIPT))
    timeline = compile_timeline(script, Speaker(open_engine("system")))
    out = export(Mixer(timeline), tmp_path / "s.mp3").path
    pcm = np.frombuffer(decode(out), dtype="<i2").reshape(-1, 2)
    assert len(pcm) / 44_100 == pytest.approx(timeline.seconds, abs=0.06)
