"""The piper engine through the real parts: piper-tts, the bundled joe voice, ffmpeg.

Positions and levels are measured on the exported file with ffmpeg (silencedetect, ebur128),
not taken from our own numbers.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from player import SAMPLE_RATE
from player.errors import ScriptError
from player.export import export
from player.ffmpeg import ffmpeg_exe
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.timeline.model import Timeline
from player.voices import Speaker, choose_engine
from player.voices.cache import ClipCache
from player.voices.piper import PiperEngine, bundled_voice
from tests.conftest import silences

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]

LINES_SCRIPT = """
title: Piper lines
voice: {engine: piper}
steps:
  - say: Notice your feet on the floor.
  - pause: 2
  - say: Let your shoulders soften, just a little.
  - pause: 2.5
  - say: "Breathe in for 4, and out for 6."
  - pause: 2
  - say: You are here, now.
"""


def test_auto_picks_piper_when_it_is_installed() -> None:
    choice = choose_engine("auto")
    assert choice.engine.name == "piper"
    assert choice.notice is None


def test_speech_is_where_the_timeline_says(write_script: WriteScript, tmp_path: Path) -> None:
    timeline = compile_timeline(load_script(write_script(LINES_SCRIPT)), Speaker(PiperEngine()))
    out = export(Mixer(timeline), tmp_path / "lines.wav").path
    cues = timeline.cues
    # Each silence ffmpeg finds ends where the next line starts and starts where a line ends.
    *found, closing = silences(out, noise_db=-50, minimum=1.0)  # then the closing quiet
    assert closing[0] == pytest.approx(cues[-1].end / SAMPLE_RATE, abs=0.05)
    onsets = [start + length for start, length in found]
    ends = [start for start, _ in found]
    assert len(found) == len(cues) - 1, found
    for cue, onset in zip(cues[1:], onsets, strict=True):
        assert onset == pytest.approx(cue.start / SAMPLE_RATE, abs=0.05), cue.text
    for cue, end in zip(cues[:-1], ends, strict=True):
        assert end == pytest.approx(cue.end / SAMPLE_RATE, abs=0.05), cue.text
    # The transcript keeps the digits; the engine said words (a line of speech, not silence).
    assert cues[2].text == "Breathe in for 4, and out for 6."
    assert cues[2].end - cues[2].start > SAMPLE_RATE


def render_all(timeline: Timeline) -> np.ndarray:
    """Every sample of a timeline's mix."""
    return Mixer(timeline).render(0, timeline.length)


def test_cold_synthesis_is_deterministic_and_a_warm_one_synthesizes_nothing(
    write_script: WriteScript, tmp_path: Path
) -> None:
    script = load_script(write_script(LINES_SCRIPT))
    first = Speaker(PiperEngine(), ClipCache(tmp_path / "cache-a"))
    second = Speaker(PiperEngine(), ClipCache(tmp_path / "cache-b"))
    one = render_all(compile_timeline(script, first))
    two = render_all(compile_timeline(script, second))
    # Two empty caches, two separate syntheses: the same samples (the voice's noise is fixed).
    # Four sentences, three with a comma: seven breath groups, each its own line.
    assert first.synthesized == second.synthesized == 7
    assert np.array_equal(one, two)
    again = Speaker(PiperEngine(), ClipCache(tmp_path / "cache-a"))
    three = render_all(compile_timeline(script, again))
    assert again.synthesized == 0
    assert again.cache.hits == 7
    assert np.array_equal(one, three)


def test_rate_maps_to_length_scale(tmp_path: Path) -> None:
    from player.voices.base import SpeechRequest

    speaker = Speaker(PiperEngine(), ClipCache(tmp_path / "cache"))
    text = "Let your breath find its own easy rhythm."
    normal, slow = speaker.speak([SpeechRequest(text, rate=1.0), SpeechRequest(text, rate=0.7)])
    # Slower speech is longer, by a little less than 1 / 0.7: Piper rounds every phoneme's
    # duration up to whole frames, which does not scale.
    assert 1.2 < len(slow) / len(normal) < 1 / 0.7 + 0.05


def test_a_piper_voice_can_be_given_as_a_path(write_script: WriteScript, tmp_path: Path) -> None:
    voice = bundled_voice()
    folder = tmp_path / "voices"
    folder.mkdir()
    (folder / "my-voice.onnx").symlink_to(voice.model)
    (folder / "my-voice.onnx.json").symlink_to(voice.config)
    path = write_script("""
        title: Own voice
        voice: {name: voices/my-voice.onnx}
        steps:
          - say: Hello again.
    """)
    script = load_script(path)
    assert script.voice.name == str(folder / "my-voice.onnx")
    choice = choose_engine(script.voice.engine, script.voice.name)
    assert choice.engine.name == "piper"
    timeline = compile_timeline(script, Speaker(choice.engine, ClipCache(tmp_path / "cache")))
    assert timeline.cues[0].end - timeline.cues[0].start > SAMPLE_RATE // 4


def test_a_missing_voice_file_is_reported_at_its_line(write_script: WriteScript) -> None:
    path = write_script("""
        title: Missing voice
        voice:
          engine: piper
          name: voices/nobody.onnx
        steps:
          - say: Hello.
    """)
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    assert f"{path}:4:9: no such voice file: voices/nobody.onnx" in str(caught.value.problems[0])


HIDE_PIPER = "import sys; sys.modules['piper'] = None; from player.cli.commands import main; main()"


def _practice_without_piper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a process where piper-tts cannot be imported, as on a machine without it."""
    return subprocess.run([sys.executable, "-c", HIDE_PIPER, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, check=False)


def test_without_piper_auto_falls_back_and_says_so(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("title: Fallback\nsteps:\n  - say: Hello there.\n")
    done = _practice_without_piper("export", str(path), "-o", "out.wav", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    notices = [line for line in done.stderr.splitlines() if "system voice" in line]
    assert len(notices) == 1
    assert "piper-tts" in notices[0]
    assert soundfile.info(str(tmp_path / "out.wav")).duration > 0.3


def test_without_piper_engine_piper_names_the_package(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("title: Needs piper\nvoice: {engine: piper}\nsteps:\n  - say: Hello there.\n")
    done = _practice_without_piper("export", str(path), "-o", "out.wav", cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "piper-tts" in done.stderr and "pip install" in done.stderr
    assert not (tmp_path / "out.wav").exists()


def loudness(path: Path, start: float, seconds: float) -> float:
    """Integrated loudness (LUFS) of a stretch of a file, by ffmpeg's ebur128 filter."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-ss", str(start), "-t", str(seconds), "-i", str(path),
         "-af", "ebur128", "-f", "null", "-"], capture_output=True, text=True, check=True)
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", done.stderr)[-1])


def tone_file(path: Path, level_db: float) -> Path:
    """A 1 kHz tone of 2 s with 0.5 s of silence on both sides, encoded by ffmpeg (any format)."""
    rate = 48_000
    t = np.arange(2 * rate) / rate
    tone = 10 ** (level_db / 20) * np.sin(2 * np.pi * 1000 * t)
    samples = np.concatenate([np.zeros(rate // 2), tone, np.zeros(rate // 2)]).astype(np.float32)
    raw = path.with_suffix(".raw.wav")
    soundfile.write(str(raw), samples, rate)
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(raw), str(path)],
                   check=True)
    return path


def tone_span(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """Start and end (seconds) of where a 1 kHz tone dominates, in 10 ms windows."""
    window = rate // 100
    frames = samples[: len(samples) // window * window].reshape(-1, window)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(window), axis=1)) ** 2
    bin_1k = round(1000 * window / rate)
    share = spectrum[:, bin_1k - 1: bin_1k + 2].sum(axis=1) / (spectrum.sum(axis=1) + 1e-20)
    loud = np.flatnonzero((share > 0.9) & (np.sqrt((frames ** 2).mean(axis=1)) > 1e-3))
    return loud[0] * window / rate, (loud[-1] + 1) * window / rate


@pytest.mark.parametrize("clip_level", [-35.0, -6.0])
def test_a_recorded_clip_lands_where_its_step_puts_it_as_loud_as_the_voice(
    write_script: WriteScript, tmp_path: Path, clip_level: float
) -> None:
    (tmp_path / "clips").mkdir()
    tone_file(tmp_path / "clips" / "tone.ogg", clip_level)
    path = write_script("""
        title: Clip
        voice: {engine: piper}
        steps:
          - say: Here is a sound from a file. Listen to it now, and let it go.
          - pause: 1.5
          - play: clips/tone.ogg
          - pause: 1
          - say: That was the sound.
    """)
    timeline = compile_timeline(load_script(path), Speaker(PiperEngine()))
    out = export(Mixer(timeline), tmp_path / "clip.wav").path
    samples, rate = soundfile.read(str(out), dtype="float32")
    start, end = tone_span(samples.mean(axis=1), rate)
    placed = next(s for s in timeline.sounds if s.kind == "recording")
    expected_start = placed.start / SAMPLE_RATE
    # Silence trimmed at both ends: the tone starts at the step and lasts its 2 s.
    assert start == pytest.approx(expected_start, abs=0.02)
    assert end - start == pytest.approx(2.0, abs=0.03)
    first = timeline.cues[0]
    speech = loudness(out, first.start / SAMPLE_RATE, (first.end - first.start) / SAMPLE_RATE)
    clip = loudness(out, start + 0.2, 1.6)
    assert clip == pytest.approx(speech, abs=1.5)
