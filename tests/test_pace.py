"""Pace: rate 1.0 is unhurried guided practice, with a breath at commas, measured on exports."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from player import SAMPLE_RATE
from player.export import export
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.script.text import BREATH_PAUSE, breath_groups
from player.timeline.compile import compile_timeline
from player.voices import Speaker
from player.voices.cache import ClipCache
from player.voices.registry import choose_engine

WriteScript = Callable[..., Path]

PROBE = [
    "Notice the weight of your body resting where you are sitting now.",
    "There is nothing you need to change or fix in this moment.",
    "Let your attention rest on the sounds that reach you from the room.",
    "When a thought arrives, you can let it pass like a cloud.",
    "Take your time, and come back to the breath whenever you like.",
]
SPEECH_SILENCE = 0.35
"""Quiet longer than this is not speech (the issue's measure: words per minute of speech)."""


def reader() -> str:
    """An ffmpeg that is not the project's own when one is installed (Debian's), else the bundled one."""
    from player.ffmpeg import ffmpeg_exe

    return shutil.which("ffmpeg") or ffmpeg_exe()


def speech_seconds(path: Path) -> tuple[float, list[tuple[float, float]]]:
    """Seconds of speech in a file (all but silences over 0.35 s) and those silences, by silencedetect."""
    done = subprocess.run(
        [reader(), "-hide_banner", "-nostdin", "-i", str(path),
         "-af", f"silencedetect=noise=-50dB:d={SPEECH_SILENCE}", "-f", "null", "-"],
        capture_output=True, text=True, check=True)
    found = re.search(r"Duration: (\d+):(\d+):([\d.]+)", done.stderr)
    assert found is not None
    total = int(found[1]) * 3600 + int(found[2]) * 60 + float(found[3])
    starts = [max(float(x), 0.0) for x in re.findall(r"silence_start: ([-\d.]+)", done.stderr)]
    ends = [float(x) for x in re.findall(r"silence_end: ([\d.]+)", done.stderr)]
    ends += [total] * (len(starts) - len(ends))
    quiet = list(zip(starts, ends, strict=True))
    return total - sum(end - start for start, end in quiet), quiet


def test_a_sentence_breathes_at_commas_semicolons_colons_and_dashes() -> None:
    assert breath_groups("Notice your feet, your hands, and your jaw.") == [
        "Notice your feet,", "your hands,", "and your jaw."]
    assert breath_groups("Rest here — just for now; then: open your eyes.") == [
        "Rest here,", "just for now;", "then:", "open your eyes."]


def test_numbers_times_and_hyphens_do_not_break_a_sentence() -> None:
    assert breath_groups("At 10:30 count 1,200 breaths in a well-known room.") == [
        "At 10:30 count 1,200 breaths in a well-known room."]


def test_breath_groups_are_spoken_apart_under_one_cue(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: List
        steps:
          - say: Your feet, your hands, your jaw. Rest.
    """)
    timeline = compile_timeline(load_script(path), fake_speaker)
    speech = [s for s in timeline.sounds if s.kind == "speech"]
    assert len(speech) == 4
    breaths = [b.start - timeline.sound_end(a) for a, b in itertools.pairwise(speech[:3])]
    assert breaths == [round(BREATH_PAUSE * SAMPLE_RATE)] * 2
    # The transcript keeps one cue per sentence, from its first word to its last.
    assert [cue.text for cue in timeline.cues] == ["Your feet, your hands, your jaw.", "Rest."]
    assert (timeline.cues[0].start, timeline.cues[0].end) == (speech[0].start, timeline.sound_end(speech[2]))


def test_explicit_pauses_stay_exact_beside_breaths(write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: Exact
        steps:
          - say: One, two.
          - pause: 3
          - say: Three.
    """)
    timeline = compile_timeline(load_script(path), fake_speaker)
    speech = [s for s in timeline.sounds if s.kind == "speech"]
    assert speech[2].start - timeline.sound_end(speech[1]) == 3 * SAMPLE_RATE


def probe_script(write_script: WriteScript, engine: str) -> Path:
    """Five plain sentences, no ambient, the default voice settings."""
    steps = "\n".join(f"  - say: {sentence}\n  - pause: 2" for sentence in PROBE)
    return write_script(f"title: Pace probe\nvoice: {{engine: {engine}}}\nsteps:\n{steps}\n")


@pytest.mark.real
@pytest.mark.parametrize("engine", ["piper", "system"])
def test_the_default_pace_is_120_to_145_words_a_minute_of_speech(
    engine: str, write_script: WriteScript, tmp_path: Path
) -> None:
    script = load_script(probe_script(write_script, engine))
    choice = choose_engine(script.voice.engine, script.voice.name)
    timeline = compile_timeline(script, Speaker(choice.engine, ClipCache(tmp_path / "cache")))
    out = export(Mixer(timeline), tmp_path / "probe.mp3").path
    speech, _ = speech_seconds(out)
    words = sum(len(sentence.split()) for sentence in PROBE)
    assert 120 <= words / (speech / 60) <= 145


@pytest.mark.real
def test_a_list_is_heard_with_a_breath_after_each_comma(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("""
        title: List
        voice: {engine: piper}
        steps:
          - say: Notice your feet, your hands, your shoulders, and your jaw.
    """)
    timeline = compile_timeline(load_script(path), Speaker(choose_engine("piper", None).engine,
                                                           ClipCache(tmp_path / "cache")))
    out = export(Mixer(timeline), tmp_path / "list.wav").path
    _, quiet = speech_seconds(out)
    inside = [(a, b) for a, b in quiet if a > 0.5 and b < timeline.seconds - 0.5]
    assert len(inside) == 3
    assert all(BREATH_PAUSE - 0.02 <= b - a <= BREATH_PAUSE + 0.1 for a, b in inside)
