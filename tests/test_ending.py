"""How a session ends: every sound rung out, the bed faded, then digital silence."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.export import ExportOptions, export
from player.render.ambient import plan_ambient
from player.render.mixer import Mixer
from player.script.authoring import timer_script
from player.script.loader import Overrides, load_script
from player.sounds import CHIMES, chime
from player.timeline.compile import compile_timeline
from player.timeline.lengths import END_QUIET
from player.timeline.model import Timeline
from player.voices import Speaker
from tests.fakes import FakeEngine

WriteScript = Callable[..., Path]
SR = SAMPLE_RATE
QUIET = round(END_QUIET * SR)

ENDS_ON_A_CHIME = """
title: Ends on a chime
ambient: {sound: rain, fade_out: 3}
steps:
  - say: Rest here.
  - pause: {seconds: 4, flexible: true, min: 1}
  - chime: bowl
"""


def last_sound_end(timeline: Timeline) -> int:
    """Where the last placed sound stops."""
    return max(timeline.sound_end(sound) for sound in timeline.sounds)


def test_a_closing_chime_rings_out_in_full_then_quiet(write_script: WriteScript, fake_speaker: Speaker) -> None:
    timeline = compile_timeline(load_script(write_script(ENDS_ON_A_CHIME)), fake_speaker)
    closing = timeline.sounds[-1]
    assert closing.kind == "chime"
    assert timeline.sound_end(closing) - closing.start == len(chime("bowl"))  # nothing cut away
    assert timeline.length == timeline.sound_end(closing) + QUIET
    # The bed has faded out before the closing quiet.
    assert max(segment.end for segment in plan_ambient(timeline).segments) == timeline.length - QUIET


def test_a_chime_fades_to_exact_zero() -> None:
    for name in CHIMES:
        ring = chime(name)
        assert ring[-1] == 0.0
        assert np.abs(ring[-SR // 100:]).max() < 10 ** (-60 / 20)  # its last 10 ms under -60 dBFS


def test_a_session_ending_on_speech_gets_the_closing_quiet(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("title: T\nsteps:\n  - say: Goodbye.\n")
    timeline = compile_timeline(load_script(path), fake_speaker)
    assert timeline.length == last_sound_end(timeline) + QUIET


def test_a_session_ending_in_a_long_pause_is_not_lengthened(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("title: T\nsteps:\n  - say: Goodbye.\n  - pause: 5\n")
    timeline = compile_timeline(load_script(path), fake_speaker)
    assert timeline.length == last_sound_end(timeline) + 5 * SR


def test_a_target_length_is_still_exact_and_leaves_room_for_the_ring(
    write_script: WriteScript, fake_speaker: Speaker
) -> None:
    path = write_script(ENDS_ON_A_CHIME)
    for target in (20.0, 31.5):
        timeline = compile_timeline(load_script(path, Overrides(length=target)), fake_speaker)
        assert timeline.length == round(target * SR)
        assert last_sound_end(timeline) <= timeline.length - QUIET


def test_the_timer_ends_with_its_closing_chime_rung_out() -> None:
    timeline = compile_timeline(timer_script(60.0, bells_every=20.0, ambient="rain"), Speaker(FakeEngine()))
    assert timeline.length == last_sound_end(timeline) + QUIET
    assert timeline.sound_end(timeline.sounds[-1]) - timeline.sounds[-1].start == len(chime("bowl"))


def reader() -> str:
    """Debian's ffmpeg when installed (independent of the bundled one), else the bundled one."""
    from player.ffmpeg import ffmpeg_exe

    return shutil.which("ffmpeg") or ffmpeg_exe()


def last_peak_db(path: Path, seconds: float) -> float:
    """The peak of a file's last `seconds`, decoded by ffmpeg, in dBFS."""
    pcm = subprocess.run(
        [reader(), "-hide_banner", "-nostdin", "-loglevel", "error", "-sseof", f"-{seconds + 0.5}",
         "-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(SR), "-"],
        capture_output=True, check=True).stdout
    samples = np.frombuffer(pcm, dtype="<f4")[-round(seconds * SR):]
    assert samples.size == round(seconds * SR)
    return float(20 * np.log10(max(float(np.abs(samples).max()), 1e-12)))


@pytest.mark.real
@pytest.mark.parametrize("suffix", ["mp3", "wav"])
def test_an_export_ends_in_digital_silence(suffix: str, write_script: WriteScript, tmp_path: Path) -> None:
    timeline = compile_timeline(load_script(write_script(ENDS_ON_A_CHIME)), Speaker(FakeEngine()))
    out = export(Mixer(timeline), tmp_path / f"end.{suffix}", ExportOptions()).path
    assert last_peak_db(out, 0.1) < -60
    # The chime is heard ringing out, not cut: a few seconds before the end it still sounds.
    assert last_peak_db(out, 8.0) > -40


@pytest.mark.real
def test_the_timer_export_ends_in_digital_silence(tmp_path: Path) -> None:
    timeline = compile_timeline(timer_script(20.0, ambient="ocean"), Speaker(FakeEngine()))
    out = export(Mixer(timeline), tmp_path / "timer.mp3", ExportOptions()).path
    assert last_peak_db(out, 0.1) < -60
