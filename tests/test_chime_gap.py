"""No chime rings over the words: speech waits until a chime has fallen under the bed."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from player import SAMPLE_RATE
from player.export import ExportOptions, export
from player.render.limiter import CEILING
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.timeline.model import Timeline
from player.voices import Speaker

WriteScript = Callable[..., Path]
SR = SAMPLE_RATE
WINDOW = SR // 10

OPENING = """
title: Opening
ambient: {{sound: rain, level: {level}}}
steps:
  - chime: {chime}
  - say: Hello, Sam.
  - say: Welcome.
  - chime: {{sound: bell, volume: 0.8}}
  - say: Let us begin.
  - pause: 20
"""


class BedOnly(Mixer):
    """The mix with everything but the bed silenced."""

    def render(self, start: int, frames: int, voice_gain: float = 1.0, ambient_gain: float = 1.0,
               ceiling: float = CEILING) -> npt.NDArray[np.float32]:
        return super().render(start, frames, 0.0, ambient_gain, ceiling)


class Unlimited(Mixer):
    """The mix without the bed (the timeline decides what is in it)."""

    def render(self, start: int, frames: int, voice_gain: float = 1.0, ambient_gain: float = 1.0,
               ceiling: float = CEILING) -> npt.NDArray[np.float32]:
        return super().render(start, frames, voice_gain, 0.0, ceiling)


def windows_rms(samples: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """RMS of each whole 100 ms window."""
    whole = samples[: samples.size // WINDOW * WINDOW].reshape(-1, WINDOW)
    return np.asarray(np.sqrt(np.mean(whole**2, axis=1)))


def chimes_only(timeline: Timeline) -> Timeline:
    """The timeline with only its chimes (no speech), for measuring them on their own."""
    return replace(timeline, sounds=tuple(s for s in timeline.sounds if s.kind == "chime"))


@pytest.mark.parametrize(("chime", "level"), [("bowl", -20), ("bowl", -26), ("bell", -20), ("soft", -14)])
def test_words_start_once_the_chime_is_under_the_bed(
    chime: str, level: int, write_script: WriteScript, fake_speaker: Speaker, short_beds: Path
) -> None:
    # Rain with short layers: the same sound and level as the whole bed, at a tenth of the CPU.
    timeline = compile_timeline(load_script(write_script(OPENING.format(chime=chime, level=level))), fake_speaker)
    chimes = Unlimited(chimes_only(timeline))
    bed = BedOnly(timeline)
    for cue in timeline.cues:
        ring = windows_rms(chimes.render(cue.start, cue.end - cue.start)[:, 0].astype(np.float64))
        under = windows_rms(bed.render(cue.start, cue.end - cue.start)[:, 0].astype(np.float64))
        assert (ring < under * 1.12).all(), cue.text  # 1 dB for the bed's own ripple
    # And no later than needed: 100 ms earlier, the opening chime is still above the bed.
    first = timeline.cues[0].start
    ring = windows_rms(chimes.render(first - WINDOW, WINDOW)[:, 0].astype(np.float64))
    bed_rms = windows_rms(bed.render(first, SR)[:, 0].astype(np.float64)).mean()
    assert ring[0] > bed_rms * 0.85


def test_a_quieter_bed_makes_the_words_wait_longer(write_script: WriteScript, fake_speaker: Speaker) -> None:
    starts = []
    for level in (-14, -20, -26):
        path = write_script(OPENING.format(chime="bowl", level=level))
        starts.append(compile_timeline(load_script(path), fake_speaker).cues[0].start)
    assert starts[0] < starts[1] < starts[2]


def test_a_bell_that_would_ring_into_the_words_after_a_sit_is_left_out(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    path = write_script("""
        title: Sit
        steps:
          - silence: {duration: 60, bells_every: 20}
          - say: Welcome back.
          - silence: {duration: 60, bells_every: 29}
          - say: Welcome back again.
    """)
    timeline = compile_timeline(load_script(path), fake_speaker)
    bells = [s.start / SR for s in timeline.sounds if s.kind == "chime"]
    speech = timeline.cues[0].end / SR
    assert bells == pytest.approx([20, 40, speech + 29], abs=0.01)  # not speech + 58: 2 s before words


def reader() -> str:
    """Debian's ffmpeg when installed (independent of the bundled one), else the bundled one."""
    from player.ffmpeg import ffmpeg_exe

    return shutil.which("ffmpeg") or ffmpeg_exe()


def decoded(path: Path) -> npt.NDArray[np.float64]:
    """A file's left channel as ffmpeg decodes it."""
    pcm = subprocess.run([reader(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                          "-f", "f32le", "-ac", "2", "-ar", str(SR), "-"], capture_output=True, check=True).stdout
    return np.frombuffer(pcm, dtype="<f4").reshape(-1, 2)[:, 0].astype(np.float64)


@pytest.mark.real
def test_in_an_export_the_opening_chime_is_under_the_bed_when_words_begin(
    write_script: WriteScript, fake_speaker: Speaker, tmp_path: Path
) -> None:
    timeline = compile_timeline(load_script(write_script(OPENING.format(chime="bowl", level=-20))), fake_speaker)
    options = ExportOptions(master=False)
    ring = decoded(export(Unlimited(chimes_only(timeline)), tmp_path / "chimes.wav", options).path)
    bed = decoded(export(BedOnly(timeline), tmp_path / "bed.wav", options).path)
    for cue in timeline.cues:
        assert (windows_rms(ring[cue.start:cue.end]) < windows_rms(bed[cue.start:cue.end]) * 1.12).all()
