"""An MP3 whose parts cannot be joined is encoded in one piece instead: the export still succeeds,
and Debian's ffmpeg (or the bundled one) decodes it without errors, to the session's exact
length, sample for sample as an export that never tried parts."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from player.export import ExportOptions, export
from player.export import parts as parts_module
from player.export.mp3frames import find_splice
from player.ffmpeg import ffmpeg_exe
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]
SCRIPT = """
title: Fallback
ambient: {sound: rain, level: -18}
steps:
  - chime: bell
  - say: Notice your feet on the floor.
  - pause: 15
  - say: Let one breath come and go.
  - pause: 15
  - say: You are here.
"""


def decoded(path: Path) -> tuple[npt.NDArray[np.float32], str]:
    """The file as an ffmpeg decodes it (float stereo), and any errors it reported."""
    done = subprocess.run([shutil.which("ffmpeg") or ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
                           "-i", str(path), "-f", "f32le", "-"], capture_output=True, check=True)
    return np.frombuffer(done.stdout, dtype="<f4").reshape(-1, 2), done.stderr.decode()


def test_parts_whose_join_search_finds_no_frame_fall_back_to_one_encode(
        write_script: WriteScript, fake_speaker: Speaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mixer = Mixer(compile_timeline(load_script(write_script(SCRIPT)), fake_speaker))
    monkeypatch.setattr(parts_module, "MIN_SHARE_SECONDS", 15)
    monkeypatch.setattr(parts_module, "available_cores", lambda: 2)
    # No frame is far enough from both parts' ends: the real search looks and finds none.
    monkeypatch.setattr(parts_module, "SETTLE_FRAMES", 10**6)
    searched: list[int] = []

    def spy(*args: Any, **named: Any) -> Any:
        searched.append(1)
        return find_splice(*args, **named)

    monkeypatch.setattr(parts_module, "find_splice", spy)
    out = tmp_path / "fallback.mp3"
    result = export(mixer, out, ExportOptions())
    assert searched == [1]  # two parts were encoded and the join was looked for
    samples, errors = decoded(out)
    assert errors == ""
    assert len(samples) == mixer.length
    assert result.final is not None and result.final.speech == pytest.approx(-16.0, abs=0.3)
    monkeypatch.setattr(parts_module, "available_cores", lambda: 1)
    alone = export(mixer, tmp_path / "alone.mp3", ExportOptions())
    assert alone.final is not None
    assert np.array_equal(decoded(tmp_path / "alone.mp3")[0], samples)
    assert sorted(p.name for p in tmp_path.iterdir() if ".mp3" in p.name) == ["alone.mp3", "fallback.mp3"]
