"""Mastering encodes once, whatever the session holds; parts that will not join fall back to
one encode of the whole session. Loudness is read from the files by pyloudnorm."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyloudnorm
import pytest

from player.export import ExportOptions, export
from player.export import encoder as encoder_module
from player.export import parts as parts_module
from player.export.mp3frames import SpliceError
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]

SESSIONS = {
    "dense": """
title: Dense
voice: {engine: system}
ambient: {sound: white-noise, level: -20}
steps:
  - repeat: 6
    steps:
      - say: Breathe in. Breathe out.
      - pause: 1
""",
    "sparse": """
title: Sparse
voice: {engine: system}
ambient: {sound: ocean}
steps:
  - say: Notice the floor.
  - pause: 45
  - say: And rest.
""",
    "silent": """
title: Bells only
ambient: {sound: rain}
steps:
  - chime: bowl
  - silence: {duration: 30, bells_every: 10}
""",
}


def counted_encodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ffmpeg encode of an export, by the file it wrote."""
    calls: list[str] = []
    original = encoder_module.feed_ffmpeg

    def spy(arguments: list[str], *rest: Any, **named: Any) -> Any:
        calls.append(arguments[-1])
        return original(arguments, *rest, **named)

    monkeypatch.setattr(encoder_module, "feed_ffmpeg", spy)
    return calls


def speech_free_loudness(path: Path) -> float:
    """pyloudnorm's integrated loudness of the decoded file."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-"], capture_output=True,
                         check=True).stdout
    return float(pyloudnorm.Meter(44_100).integrated_loudness(np.frombuffer(raw, "<f4").reshape(-1, 2)))


@pytest.mark.parametrize("kind", sorted(SESSIONS))
@pytest.mark.parametrize("suffix", ["mp3", "m4a"])
def test_every_session_is_encoded_once(write_script: WriteScript, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       kind: str, suffix: str) -> None:
    timeline = compile_timeline(load_script(write_script(SESSIONS[kind])), Speaker(open_engine("system")))
    calls = counted_encodes(monkeypatch)
    out = tmp_path / f"{kind}.{suffix}"
    result = export(Mixer(timeline), out, ExportOptions())
    assert len(calls) == 1
    assert result.final is not None and result.final.true_peak <= -1.0
    if kind == "silent":
        # Without speech the whole session is what reaches the target.
        assert speech_free_loudness(out) == pytest.approx(-16.0, abs=0.3)


def test_parts_that_will_not_join_fall_back_to_one_encode(write_script: WriteScript, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    timeline = compile_timeline(load_script(write_script(SESSIONS["sparse"])), Speaker(open_engine("system")))
    monkeypatch.setattr(parts_module, "MIN_SHARE_SECONDS", 15)
    monkeypatch.setattr(parts_module, "available_cores", lambda: 2)

    def no_join(*args: Any, **named: Any) -> Any:
        raise SpliceError("no frame to join at")

    monkeypatch.setattr(parts_module, "find_splice", no_join)
    calls = counted_encodes(monkeypatch)
    out = tmp_path / "fallback.mp3"
    result = export(Mixer(timeline), out, ExportOptions())
    assert len(calls) == 3  # two parts, then the whole session in one piece
    assert result.final is not None and result.final.speech == pytest.approx(-16.0, abs=0.3)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp3") == ["fallback.mp3"]
