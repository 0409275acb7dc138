"""The sampled check of a written MP3, held to what ffmpeg reads when it decodes the whole file.

Each test encodes with the real encoder and reads the result with ffmpeg decoding all of it
(player.export.meter.measure_file, or plain ffmpeg): the places the check decodes must be the
file's own samples, and what it reports must be what the whole file reads, within its margin.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.export import ExportOptions, export
from player.export import master as master_module
from player.export.encoder import encode
from player.export.formats import FORMATS, encoding_for
from player.export.master import speech_spans
from player.export.meter import STEP_FRAMES, PeakFollower, measure_file
from player.export.mp3frames import SAMPLES_PER_FRAME, frame_offsets
from player.export.sampled import (
    STREAM_DELAY,
    UNSETTLED_FRAMES,
    MixFacts,
    check_sampled,
    decode_frames,
    frame_ranges,
    speech_places,
)
from player.ffmpeg import ffmpeg_exe
from player.render.mixer import Block, Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine

pytestmark = pytest.mark.real

MP3 = encoding_for(FORMATS["mp3"], False, None, None)
SECONDS = 60


def speechlike(seconds: int = SECONDS) -> tuple[Block, list[tuple[int, int]]]:
    """Bursts of modulated noise ("speech") every few seconds over a quiet hiss, and where the bursts are."""
    rng = np.random.default_rng(3)
    length = seconds * SAMPLE_RATE
    signal = rng.normal(0, 0.003, size=(length, 2))
    spans = []
    for start in range(SAMPLE_RATE, length - 3 * SAMPLE_RATE, 4 * SAMPLE_RATE):
        frames = int(rng.integers(SAMPLE_RATE, 5 * SAMPLE_RATE // 2))
        time = np.arange(frames) / SAMPLE_RATE
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * time) ** 2
        burst = rng.normal(0, 0.08, size=(frames, 2)) * envelope[:, np.newaxis]
        signal[start:start + frames] += burst + 0.1 * np.sin(2 * np.pi * 180 * time)[:, np.newaxis]
        spans.append((start, start + frames))
    return np.clip(signal, -0.9, 0.9).astype(np.float32), spans


def render_of(signal: Block) -> master_module.Render:
    """Blocks of `signal` from any start."""
    def render(start: int, end: int) -> Iterator[Block]:
        for position in range(start, end, 16_384):
            yield signal[position:min(end, position + 16_384)]
    return render


def whole_decode(path: Path) -> Block:
    """The whole file as ffmpeg decodes it (the session's frames, its gapless padding dropped)."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                           "-f", "f32le", "-"], capture_output=True, check=True)
    return np.frombuffer(done.stdout, dtype="<f4").reshape(-1, 2)


def step_peaks(signal: Block) -> np.ndarray:
    """The signal's true peak in each 100 ms step, as the export follows it."""
    follower = PeakFollower(STEP_FRAMES, bound_quiet=True)
    for block in render_of(signal)(0, len(signal)):
        follower.add(block)
    follower.finish()
    return follower.step_peaks()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Block, list[tuple[int, int]], Path]:
    """The speech-like signal, its spans, and the signal encoded as the export encodes a part."""
    signal, spans = speechlike()
    path = tmp_path_factory.mktemp("sampled") / "file.mp3"
    encode(iter([signal]), path, MP3)
    return signal, spans, path


Written = tuple[Block, list[tuple[int, int]], Path]


def facts_for(signal: Block, spans: list[tuple[int, int]], loudness: float) -> MixFacts:
    """The facts an export would hand the check for this signal."""
    return MixFacts(render_of(signal), spans, True, loudness, 0.2, 2, len(signal))


def test_frames_decoded_from_a_cut_are_the_files_own_samples(written: Written) -> None:
    _, spans, path = written
    whole = whole_decode(path)
    offsets = frame_offsets(path)
    ranges = frame_ranges(speech_places(spans), len(offsets) - 2)
    assert len(ranges) >= 10
    for frames, samples in zip(ranges, decode_frames(path, offsets, ranges, 2), strict=True):
        origin = frames.first * SAMPLES_PER_FRAME - STREAM_DELAY
        settled = max(0, origin + UNSETTLED_FRAMES * SAMPLES_PER_FRAME)
        ours = samples[settled - origin:]
        assert np.array_equal(ours, whole[settled:settled + len(ours)])


def test_the_check_reads_what_the_whole_file_reads(written: Written) -> None:
    signal, spans, path = written
    mix = measure_spans_of(signal, spans)
    reading = check_sampled(path, None, facts_for(signal, spans, mix), step_peaks(signal), STEP_FRAMES)
    whole = measure_file(path, 2, spans)
    assert 0 < reading.margin < 0.1
    assert reading.speech == pytest.approx(whole.speech, abs=reading.margin + 0.01)
    assert math.isnan(reading.integrated)
    # The true peak is the file's own, or a bound a little above it: never under it.
    assert whole.true_peak - 0.02 <= reading.true_peak <= whole.true_peak + 0.25


def test_the_check_reads_the_file_not_the_mix(written: Written, tmp_path: Path) -> None:
    # The same mix facts, but a file encoded 1 dB quieter: the check must hear the difference.
    signal, spans, _ = written
    quieter = tmp_path / "quieter.mp3"
    encode(iter([signal * np.float32(10 ** (-1 / 20))]), quieter, MP3)
    mix = measure_spans_of(signal, spans)
    reading = check_sampled(quieter, None, facts_for(signal, spans, mix), step_peaks(signal), STEP_FRAMES)
    assert reading.speech == pytest.approx(measure_file(quieter, 2, spans).speech, abs=reading.margin + 0.01)
    assert reading.speech < mix - 0.9


def measure_spans_of(signal: Block, spans: list[tuple[int, int]]) -> float:
    """The spans' loudness in the signal (the mix side, as mastering reads it)."""
    return master_module.measure_spans(render_of(signal), spans, SAMPLE_RATE, 2)


SCRIPT = """
title: Sampled
voice: {engine: system}
ambient: {sound: rain, level: -18}
steps:
  - chime: bowl
  - say: Notice your feet on the floor.
  - pause: 10
  - say: Let one breath come and go, at its own pace.
  - pause: 10
  - say: Notice the sounds around you, near and far.
  - pause: 10
  - say: You are here, now.
  - chime: bowl
"""


@pytest.fixture(scope="module")
def mixer(tmp_path_factory: pytest.TempPathFactory) -> Mixer:
    path = tmp_path_factory.mktemp("script") / "sampled.yaml"
    path.write_text(SCRIPT, encoding="utf-8")
    return Mixer(compile_timeline(load_script(path), Speaker(open_engine("system"))))


@pytest.mark.parametrize("mono", [False, True])
def test_an_export_in_parts_reports_what_the_file_holds(mixer: Mixer, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, mono: bool) -> None:
    monkeypatch.setattr("player.export.parts.MIN_SHARE_SECONDS", 10)
    monkeypatch.setattr("player.export.parts.available_cores", lambda: 2)
    out = tmp_path / "parts.mp3"
    result = export(mixer, out, ExportOptions(mono=mono))
    assert result.final is not None and result.final.margin > 0  # checked at places
    channels = 1 if mono else 2
    whole = measure_file(out, channels, speech_spans(mixer))
    assert result.final.speech == pytest.approx(whole.speech, abs=result.final.margin + 0.02)
    assert whole.true_peak - 0.02 <= result.final.true_peak <= whole.true_peak + 0.25
    assert whole.speech == pytest.approx(-19.0 if mono else -16.0, abs=0.3)


def test_a_check_too_loose_for_the_tolerance_decodes_the_whole_file(mixer: Mixer, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("player.export.parts.MIN_SHARE_SECONDS", 10)
    monkeypatch.setattr("player.export.parts.available_cores", lambda: 2)
    monkeypatch.setattr(master_module, "TOLERANCE_LU", 1e-6)  # no sampled margin can settle it
    out = tmp_path / "whole.mp3"
    result = export(mixer, out, ExportOptions())
    assert result.final is not None and result.final.margin == 0.0
    whole = measure_file(out, 2, speech_spans(mixer))
    assert result.final.speech == pytest.approx(whole.speech, abs=1e-6)
    assert result.final.integrated == pytest.approx(whole.integrated, abs=1e-6)


def test_a_mastered_export_in_parts_never_imports_scipy(tmp_path: Path) -> None:
    # scipy.signal takes 1.1 s of CPU to import: the speech pass and the sampled check filter in
    # numpy, so a mastered MP3 in parts (the usual export) never waits for it.
    script = tmp_path / "sampled.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\nimport player.export.parts as parts\n"
            "parts.MIN_SHARE_SECONDS = 10\nparts.available_cores = lambda: 2\n"
            "from player.export import ExportOptions, export\nfrom player.render.mixer import Mixer\n"
            "from player.script.loader import load_script\nfrom player.timeline.compile import compile_timeline\n"
            "from player.voices import Speaker, open_engine\n"
            "mixer = Mixer(compile_timeline(load_script(Path(sys.argv[1])), Speaker(open_engine('system'))))\n"
            "result = export(mixer, Path(sys.argv[2]), ExportOptions())\n"
            "print(result.final.margin > 0, sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n")
    done = subprocess.run([sys.executable, "-c", code, str(script), str(tmp_path / "out.mp3")],
                          capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.split() == ["True", "[]"]
