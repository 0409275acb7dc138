"""Encoding an MP3 in parts on several cores and joining the frames: checked by decoding with ffmpeg.

A joined file must decode to exactly the session's length, without decoder errors, as close
to the source as a single encode is, and measure what the parts' meters said it would.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import mutagen.mp3
import numpy as np
import pytest

from player import SAMPLE_RATE
from player.errors import ExportError
from player.export import ExportOptions, export
from player.export import parts as parts_module
from player.export.encoder import encode
from player.export.formats import FORMATS, encoding_for
from player.export.master import Loudness, speech_spans
from player.export.meter import STEP_FRAMES, PeakFollower, Reading, measure_file
from player.export.mp3frames import (
    SAMPLES_PER_FRAME,
    EncodedPart,
    SpliceError,
    find_splice,
    frame_offsets,
    joined_offsets,
    write_joined,
)
from player.export.parts import (
    LEAD_IN,
    PART_GRID,
    RUN_ON,
    encode_in_parts,
    joined_reading,
    plan_parts,
    plans_between,
)
from player.ffmpeg import ffmpeg_exe
from player.render.limiter import true_peaks
from player.render.mixer import Block
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine

MP3 = encoding_for(FORMATS["mp3"], False, None, None)
LENGTH = 3 * PART_GRID + 12_345  # about 19.5 s, not on any grid


def source(length: int = LENGTH) -> Block:
    """A test signal with what makes an encoder work: tones, bursts of noise and quiet stretches."""
    rng = np.random.default_rng(11)
    time = np.arange(length) / SAMPLE_RATE
    left = 0.2 * np.sin(2 * np.pi * 220 * time) * (np.sin(2 * np.pi * 0.3 * time) > -0.3)
    right = 0.15 * np.sin(2 * np.pi * 330 * time + 1.0)
    signal = np.stack([left, right], axis=1) + rng.normal(0, 0.01, size=(length, 2))
    for start in rng.integers(0, length - 5000, size=40):  # transients, for short windows
        signal[start:start + 2000] += rng.normal(0, 0.3, size=(2000, 2))
    return np.clip(signal, -0.95, 0.95).astype(np.float32)


def render_of(signal: Block, fail_at: int | None = None) -> Callable[[int, int], Iterator[Block]]:
    """Blocks of `signal` from any start; `fail_at`: raise once a block would pass that frame."""
    def render(start: int, end: int) -> Iterator[Block]:
        for position in range(start, end, 8192):
            if fail_at is not None and position + 8192 > fail_at:
                raise ExportError("the disk is full")
            yield signal[position:min(end, position + 8192)]
    return render


def decoded(path: Path) -> tuple[Block, str]:
    """The file as ffmpeg decodes it (float stereo), and any errors it reported."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                           "-f", "f32le", "-"], capture_output=True, check=True)
    return np.frombuffer(done.stdout, dtype="<f4").reshape(-1, 2), done.stderr.decode()


def snr_db(reference: Block, other: Block) -> float:
    """How far `other` is from `reference`, as signal-to-error in dB."""
    return float(10 * np.log10(np.sum(reference.astype(np.float64) ** 2) / np.sum((other - reference) ** 2.0)))


@pytest.fixture(scope="module")
def signal() -> Block:
    return source()


@pytest.fixture(scope="module")
def single(signal: Block, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same signal encoded in one piece, as export does without parts."""
    path = tmp_path_factory.mktemp("single") / "single.mp3"
    encode(iter([signal]), path, MP3)
    return path


@pytest.mark.real
@pytest.mark.parametrize("bounds", [[PART_GRID], [PART_GRID, 2 * PART_GRID]])
def test_parts_join_into_a_file_that_decodes_like_one_encode(signal: Block, single: Path, tmp_path: Path,
                                                             bounds: list[int]) -> None:
    out = tmp_path / "joined.mp3"
    out.touch()
    plans = plans_between(len(signal), bounds)
    reading = encode_in_parts(render_of(signal), plans, out, MP3, "joined.mp3", lambda n: None)
    joined, errors = decoded(out)
    alone, _ = decoded(single)
    assert errors == ""
    assert len(joined) == len(signal)  # the Info frame's delay and padding are right
    # What a phone's player reads (mutagen counts the encoder's delay and padding in, as for one encode).
    assert mutagen.mp3.MP3(out).info.length == pytest.approx(mutagen.mp3.MP3(single).info.length, abs=1e-6)
    # As faithful as one encode (LAME's own error is about 30 dB under the signal here), and
    # nothing extra at the joins.
    assert snr_db(signal, joined) == pytest.approx(snr_db(signal, alone), abs=1.0)
    for bound in bounds:
        near = slice(bound - 20 * SAMPLES_PER_FRAME, bound + 20 * SAMPLES_PER_FRAME)
        assert snr_db(signal[near], joined[near]) > snr_db(signal[near], alone[near]) - 3.0
    assert len(frame_offsets(out)) - 2 == -(-(len(signal) + 1105) // SAMPLES_PER_FRAME)  # Info + frames
    measured = measure_file(out, 2)
    assert reading.integrated == pytest.approx(measured.integrated, abs=0.1)
    assert reading.true_peak == pytest.approx(measured.true_peak, abs=0.15)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.mp3"]  # the parts are gone


@pytest.mark.real
def test_a_failing_part_stops_the_others_and_leaves_no_parts(signal: Block, tmp_path: Path) -> None:
    out = tmp_path / "joined.mp3"
    out.touch()
    with pytest.raises(ExportError, match="disk is full"):
        encode_in_parts(render_of(signal, fail_at=int(1.5 * PART_GRID)), plans_between(len(signal), [PART_GRID]),
                        out, MP3, "joined.mp3", lambda n: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.mp3"]


@pytest.mark.real
def test_no_splice_where_the_parts_do_not_overlap(signal: Block, tmp_path: Path) -> None:
    paths = [tmp_path / "a.mp3", tmp_path / "b.mp3"]
    encode(iter([signal[:PART_GRID]]), paths[0], MP3)
    encode(iter([signal[2 * PART_GRID:]]), paths[1], MP3)
    before = EncodedPart(paths[0], 0)
    after = EncodedPart(paths[1], 2 * PART_GRID // SAMPLES_PER_FRAME)
    with pytest.raises(SpliceError):
        find_splice(before, after, PART_GRID // SAMPLES_PER_FRAME, 0, 10_000)


@pytest.mark.real
@pytest.mark.parametrize("bounds", [[PART_GRID], [PART_GRID, 2 * PART_GRID]])
def test_the_joined_streams_frames_are_where_a_reader_finds_them(signal: Block, tmp_path: Path,
                                                                 bounds: list[int]) -> None:
    plans = plans_between(len(signal), bounds)
    parts = []
    for index, plan in enumerate(plans):
        path = tmp_path / f"part{index}.mp3"
        encode(iter([signal[plan.start:plan.end]]), path, MP3)
        parts.append(EncodedPart(path, plan.start // SAMPLES_PER_FRAME))
    splices = [find_splice(parts[i - 1], parts[i], plans[i].share_start // SAMPLES_PER_FRAME,
                           lowest=plans[i].start // SAMPLES_PER_FRAME + 8,
                           highest=plans[i - 1].end // SAMPLES_PER_FRAME - 8)
               for i in range(1, len(parts))]
    joined = tmp_path / "joined.mp3"
    with open(joined, "wb") as stream:
        write_joined(parts, splices, stream)
    assert np.array_equal(joined_offsets(parts, splices), frame_offsets(joined))


def test_plans_cut_long_mp3_sessions_on_the_grid() -> None:
    length = 20 * 60 * SAMPLE_RATE + 777
    plans = plan_parts(length, MP3, cores=2)
    assert len(plans) == 2
    assert plans[0].share_start == 0 and plans[-1].share_end == length
    assert plans[0].share_end == plans[1].share_start and plans[1].share_start % PART_GRID == 0
    assert plans[1].start == plans[1].share_start - LEAD_IN and plans[0].end == plans[0].share_end + RUN_ON
    assert len(plan_parts(length, MP3, cores=4)) == 4
    assert len(plan_parts(length, MP3, cores=1)) == 1
    assert len(plan_parts(3 * 60 * SAMPLE_RATE, MP3, cores=2)) == 1  # too short to pay
    assert len(plan_parts(length, encoding_for(FORMATS["ogg"]), cores=2)) == 1
    assert len(plan_parts(length, encoding_for(FORMATS["mp3"], sample_rate=48_000), cores=2)) == 1


# Odd and tiny blocks cut the 16-frame interpolation reach every way; the signal is short so
# that a block of 3 frames (2,667 calls) stays cheap.
@pytest.mark.parametrize("block", [3, 7, 16, 1000, 4096])
def test_following_the_true_peak_block_by_block_reads_the_whole(block: int) -> None:
    rng = np.random.default_rng(3)
    signal = (rng.normal(0, 0.05, size=(8_000, 2)) * np.linspace(0.2, 1, 8_000)[:, None]).astype(np.float32)
    signal[4_937] = [0.9, -0.9]  # one sharp peak, whose neighbours may fall in another block
    follower = PeakFollower(step=400)
    for start in range(0, len(signal), block):
        follower.add(signal[start:start + block])
    exact = true_peaks(signal, screen=0.0)
    assert follower.finish() == pytest.approx(20 * math.log10(float(exact.max())), abs=1e-9)
    steps = follower.step_peaks()
    assert len(steps) == 20 and int(np.argmax(steps)) == 12
    # Each step holds at least its loudest sample and never more than its true peak.
    assert np.all(steps >= np.abs(signal).max(axis=1).reshape(20, 400).max(axis=1))
    assert np.all(steps <= exact.reshape(20, 400).max(axis=1) + 1e-9)


def test_joined_reading_takes_each_part_only_within_its_share() -> None:
    plans = plans_between(3 * PART_GRID, [PART_GRID])
    readings = []
    quiet = 10 ** ((-20.0 + 0.691) / 10) * STEP_FRAMES  # a step's energy at -20 LUFS
    for index, plan in enumerate(plans):
        steps = (plan.end - plan.start) // STEP_FRAMES
        hops = np.full(steps, quiet)
        peaks = np.full(steps, 0.5)
        # What only a part holds (the later part's cold start, the earlier part's cut-off end)
        # is loud, and must not count.
        if index:
            hops[:5], peaks[:5] = quiet * 30, 1.5
        else:
            assert RUN_ON // STEP_FRAMES == 4
            hops[-4:], peaks[-4:] = quiet * 30, 1.5
        readings.append(Reading(Loudness(-20.0, 0.0), hops, np.full(10, quiet), peaks))
    reading = joined_reading(readings, plans, speech=True)
    assert reading.integrated == pytest.approx(-20.0, abs=0.01)
    assert reading.speech == pytest.approx(-20.0, abs=0.01)
    assert reading.true_peak == pytest.approx(20 * math.log10(0.5))


SCRIPT = """
title: Parts check
voice: {engine: system}
ambient: {sound: rain, level: -18}
steps:
  - chime: bowl
  - say: Notice your feet on the floor.
  - pause: 12
  - say: Let one breath come and go, at its own pace.
  - pause: 12
  - say: Notice the sounds around you.
  - pause: 12
  - say: You are here, now.
  - chime: bowl
"""


@pytest.mark.real
def test_export_uses_parts_and_masters_the_joined_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "parts.yaml"
    path.write_text(SCRIPT, encoding="utf-8")
    from player.render.mixer import Mixer

    mixer = Mixer(compile_timeline(load_script(path), Speaker(open_engine("system"))))
    monkeypatch.setattr(parts_module, "MIN_SHARE_SECONDS", 15)
    used: list[int] = []
    original = parts_module.encode_in_parts

    def spy(render, plans, *args, **kwargs):  # type: ignore[no-untyped-def]
        used.append(len(plans))
        return original(render, plans, *args, **kwargs)

    monkeypatch.setattr("player.export.parts.encode_in_parts", spy)
    monkeypatch.setattr("player.export.parts.available_cores", lambda: 2)
    out = tmp_path / "parts.mp3"
    result = export(mixer, out, ExportOptions())
    assert used == [2]  # one encode, in two parts
    samples, errors = decoded(out)
    assert errors == "" and len(samples) == mixer.length
    measured = measure_file(out, 2, speech_spans(mixer))
    assert result.final is not None
    # Checked at places, not decoded whole: the speech alone is read, within its margin, and the
    # true peak is a bound that the file's own does not pass.
    assert math.isnan(result.final.integrated) and 0 < result.final.margin < 0.3
    assert result.final.speech == pytest.approx(measured.speech, abs=result.final.margin + 0.02)
    assert measured.true_peak - 0.02 <= result.final.true_peak <= measured.true_peak + 0.3
    assert measured.speech == pytest.approx(-16.0, abs=0.3)
    assert measured.true_peak <= -1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts.mp3", "parts.yaml"]
