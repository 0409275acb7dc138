"""The timeline's layout places sounds without making them: every clip but speech comes from `Sounds`."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player.script.loader import load_script
from player.script.model import AmbientSettings
from player.timeline.layout import Layout
from player.voices.base import SpeechRequest

WriteScript = Callable[..., Path]
Clip = npt.NDArray[np.float32]
TIMELINE = Path(__file__).resolve().parent.parent / "player" / "timeline"
MAKERS = {"load_audio_file", "load_stereo_file", "decode", "match_loudness", "trim_silence", "bed_loop",
          "bed_calibration", "chime", "breath_tone", "ring_frames", "make_bed"}
"""The functions that decode, render or level audio (player/sounds, player/render, player/audio)."""


class StubSounds:
    """Hands out marked clips and records what the layout asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def chime(self, sound: str) -> Clip:
        self.calls.append(("chime", sound))
        return np.full(1000, 0.5, dtype=np.float32)

    def recording(self, path: Path) -> Clip:
        self.calls.append(("recording", path.name))
        return np.full(2000, 0.25, dtype=np.float32)

    def breath_tone(self, inhale: bool, frames: int) -> Clip:
        self.calls.append(("tone", inhale))
        return np.full(frames, 0.125, dtype=np.float32)

    def check_bed(self, sound: str | None) -> None:
        self.calls.append(("bed", sound))

    def ring(self, sound: str, clip: Clip, gain: float, ambient: AmbientSettings, at: int | None = None) -> int:
        self.calls.append(("ring", gain))
        return 300


def test_the_layout_takes_every_sound_but_speech_from_its_sounds(write_script: WriteScript) -> None:
    (write_script("", "clip.wav")).write_bytes(b"not decoded by the layout")
    script = load_script(write_script("""
        title: Pure
        steps:
          - chime: {sound: bell, volume: 0.8}
          - play: clip.wav
          - breathe: {in: 1, out: 1, cycles: 1, cue: tone}
          - ambient: rain
          - say: Hello.
    """))
    sounds = StubSounds()
    layout = Layout(script, lambda request: np.zeros(10, dtype=np.float32), sounds, real_clips=True)
    layout.walk(script.steps)
    assert sounds.calls == [("chime", "bell"), ("ring", 0.8), ("recording", "clip.wav"), ("tone", True),
                            ("tone", False), ("bed", "rain")]
    assert not layout.problems
    assert float(layout.clips["chime:bell"][0]) == 0.5
    assert layout.spans[0].samples == 300  # the next step starts when the stub says the ring has fallen
    assert float(layout.clips[f"file:{script.source.parent / 'clip.wav'}"][0]) == 0.25


def test_no_timeline_module_calls_a_decoder_a_renderer_or_a_leveller() -> None:
    for path in sorted(TIMELINE.glob("*.py")):
        if path.name in ("preview.py", "plot.py"):
            continue  # `show --preview` and `--plot` make sounds and pictures for the listener, after layout
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    for alias in node.names}
        assert not imported & MAKERS, f"{path.name} imports {sorted(imported & MAKERS)}"


def test_speech_requests_are_only_recorded(write_script: WriteScript) -> None:
    script = load_script(write_script("title: Words\nsteps:\n  - say: One. Two.\n"))
    asked: list[SpeechRequest] = []

    def speech(request: SpeechRequest) -> Clip:
        asked.append(request)
        return np.zeros(5, dtype=np.float32)

    layout = Layout(script, speech, StubSounds(), real_clips=False)
    layout.walk(script.steps)
    assert [request.text for request in asked] == ["One.", "Two."]
