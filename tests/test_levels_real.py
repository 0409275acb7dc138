"""How an export sounds, measured on the files as a listener's tools would: the speech's
loudness, the bed under it, the limiter's work and the sentences' evenness.

Every figure comes from independent readers: ffmpeg decodes each file, pyloudnorm measures
BS.1770 loudness over the transcript's cues (the sentences) and the quiet between them, and
ffmpeg's ebur128 reads the true peak. The windows follow the bed's documented movement: back at
`level` 0.3 s before words, risen to `pause_level` 2 s after them, at `long_silence_level`
24 s into a quiet.
"""

from __future__ import annotations

import itertools
import math
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyloudnorm
import pytest
import webvtt

from player.export import ExportOptions, export, metadata_for
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.script.model import Script
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]
RATE = 48_000
"""pyloudnorm reads ffmpeg's decode at 48 kHz (the K-weighting's reference rate)."""

SCRIPT = """
title: Levels check
voice: {engine: piper}
ambient: {sound: rain}
steps:
  - pause: 6
  - say: Notice your feet on the floor. Let them be heavy. Nothing to change here.
  - pause: 7
  - say: Let your attention rest on one easy breath. Then another, at its own pace.
  - pause: 42
  - say: Notice the sounds around you, near and far. You are here, now.
  - pause: 5
"""
LEVEL, PAUSE_LEVEL, LONG_SILENCE_LEVEL = -22.0, -16.0, -14.0
"""The defaults the bed follows (docs/script-format.md)."""

Audio = npt.NDArray[np.float64]


def decoded(path: Path, channels: int = 2) -> Audio:
    """The file as ffmpeg decodes it, float at RATE."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ar", str(RATE), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, "<f4").reshape(-1, channels).astype(np.float64)


def cues(path: Path) -> list[tuple[float, float]]:
    """The transcript's cues in seconds."""
    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)
    return [(seconds(cue.start), seconds(cue.end)) for cue in webvtt.read(str(path)).captions]


def loudness(audio: Audio, windows: list[tuple[float, float]]) -> float:
    """pyloudnorm's integrated loudness over the windows, one after another."""
    parts = [audio[round(a * RATE):round(b * RATE)] for a, b in windows if b > a]
    return float(pyloudnorm.Meter(RATE).integrated_loudness(np.concatenate(parts)))


def ebur128_true_peak(path: Path) -> float:
    """ffmpeg's true-peak reading of the file."""
    printed = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                              "ebur128=peak=true", "-f", "null", "-"],
                             capture_output=True, text=True, check=True).stderr
    summary = printed[printed.rfind("True peak:"):]
    return float(summary.split("Peak:")[1].split("dBFS")[0])


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The script exported in every lossy format, mono, as wav with a transcript and unmastered
    as wav, and mastered so quietly (-30 LUFS) that the limiter has nothing to do (the bed has
    faded in by the first words)."""
    folder = tmp_path_factory.mktemp("levels")
    path = folder / "levels.yaml"
    path.write_text(SCRIPT, encoding="utf-8")
    # A module's fixture runs before the autouse private cache: keep clips and beds in its own.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRACTICE_CACHE_DIR", str(folder / "cache"))
        return export_all(load_script(path), folder)


def export_all(script: Script, folder: Path) -> dict[str, Path]:
    """Every export the tests measure, of one compiled timeline."""
    timeline = compile_timeline(script, Speaker(open_engine("piper")))
    files = {}
    for name, suffix, options in (("wav", "wav", ExportOptions(transcripts=("vtt",))),
                                  ("mp3", "mp3", ExportOptions()), ("m4a", "m4a", ExportOptions()),
                                  ("ogg", "ogg", ExportOptions()), ("mono", "mp3", ExportOptions(mono=True)),
                                  ("quiet", "wav", ExportOptions(loudness=-30.0))):
        out = folder / f"{name}.{suffix}"
        files[name] = export(Mixer(timeline), out, options, metadata_for(script, timeline)).path
    files["vtt"] = folder / "wav.vtt"
    return files


def windows(spoken: list[tuple[float, float]]) -> dict[str, list[tuple[float, float]]]:
    """Speech, the short gaps between sentences, pauses and long silence, in seconds."""
    gaps = [(end, start) for (_, end), (start, _) in itertools.pairwise(spoken)]
    return {
        "speech": spoken,
        "gaps": [(a, b) for a, b in gaps if b - a < 2.5],
        "pauses": [(a + 2.2, min(b - 2.0, a + 20.0)) for a, b in gaps if b - a >= 5],
        "long": [(a + 24.2, b - 6.0) for a, b in gaps if b - a >= 32],
    }


@pytest.mark.parametrize("kind", ["wav", "mp3", "m4a", "ogg", "mono"])
def test_speech_is_mastered_on_its_own_loudness(exported: dict[str, Path], kind: str) -> None:
    audio = decoded(exported[kind], 1 if kind == "mono" else 2)
    spans = windows(cues(exported["vtt"]))
    assert loudness(audio, spans["speech"]) == pytest.approx(-19.0 if kind == "mono" else -16.0, abs=0.3)
    assert ebur128_true_peak(exported[kind]) <= -1.0
    # Pauses are quieter than the target: the whole file is not normalised to it (the probe is
    # mostly speech, and BS.1770's gate leaves out the quietest pauses, so the gap is small).
    assert float(pyloudnorm.Meter(RATE).integrated_loudness(audio)) < loudness(audio, spans["speech"]) - 0.2


@pytest.mark.parametrize("kind", ["wav", "mp3", "m4a", "ogg"])
def test_the_bed_sits_where_the_docs_say(exported: dict[str, Path], kind: str) -> None:
    audio = decoded(exported[kind])
    spans = windows(cues(exported["vtt"]))
    speech = loudness(audio, spans["speech"])
    under = {name: speech - loudness(audio, spans[name]) for name in ("gaps", "pauses", "long")}
    assert under["gaps"] >= 18.0
    assert under["pauses"] >= 12.0 and under["long"] >= 12.0
    # And at the levels the script asks for, within what a bed's own movement allows.
    assert under["gaps"] == pytest.approx(-LEVEL, abs=1.5)
    assert under["pauses"] == pytest.approx(-PAUSE_LEVEL, abs=1.0)
    assert under["long"] == pytest.approx(-LONG_SILENCE_LEVEL, abs=1.0)


@pytest.mark.parametrize("kind", ["mp3", "m4a", "ogg"])
def test_lossy_files_agree_with_the_wav(exported: dict[str, Path], kind: str) -> None:
    spans = windows(cues(exported["vtt"]))
    wav, lossy = decoded(exported["wav"]), decoded(exported[kind])
    # Between sentences AAC's own noise around the words reads up to 0.6 LU over the bed there.
    for name in ("speech", "pauses", "long") if kind == "m4a" else ("speech", "gaps", "pauses", "long"):
        assert loudness(lossy, spans[name]) == pytest.approx(loudness(wav, spans[name]), abs=0.5)


def test_sentences_are_even_and_the_limiter_gentle(exported: dict[str, Path]) -> None:
    mastered, raw = decoded(exported["wav"]), decoded(exported["quiet"])
    spoken = cues(exported["vtt"])
    levels = np.array([loudness(mastered, [cue]) for cue in spoken])
    assert levels.max() - levels.min() < 1.5
    assert levels.std() < 0.7
    # A say's first sentence (here the 1st, 4th and 6th cues) is not quieter than the rest.
    for first in (0, 3, 5):
        assert levels[first] >= np.delete(levels, first).mean() - 0.5
    # What the limiter took off: the quiet mix (which the limiter never touched) raised by the
    # mastering gain, against the file, peak by peak in 5 ms windows, in every sentence.
    gain = 10 ** ((loudness(mastered, spoken) - loudness(raw, spoken)) / 20)
    for start, end in spoken:
        a, b = round(start * RATE), round(end * RATE)
        size = RATE // 200
        frames = (b - a) // size * size
        wanted = np.abs(raw[a:a + frames] * gain).max(axis=1).reshape(-1, size).max(axis=1)
        got = np.abs(mastered[a:a + frames]).max(axis=1).reshape(-1, size).max(axis=1)
        loud = wanted > 10 ** (-6 / 20)
        if loud.any():
            assert 20 * math.log10(float((wanted[loud] / got[loud]).max())) <= 3.0
