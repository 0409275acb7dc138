"""More hostile scripts and files, found by trying what the first hostile corpus did not."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile
from click.testing import CliRunner

from player.audio import TRIM_MARGIN_SECONDS, trim_silence
from player.cli.commands import cli
from player.errors import ScriptError
from player.export.images import image_problem
from player.ffmpeg import ffmpeg_exe
from player.render.loudness import integrated_loudness
from player.script.authoring import new_script, title_from_name
from player.script.loader import load_script
from player.sounds.files import load_audio_file, load_stereo_file
from player.sounds.loops import loop_file
from player.sounds.prepare import PreparedSounds
from player.timeline.compile import estimate_timeline
from player.voices.textprep import speakable
from tests.test_hostile_corpus import practice

WriteScript = Callable[..., Path]
NINES = "9" * 400
"""An integer far past a float's range (about 1e308)."""
MORE_DIGITS = "9" * 5_000
"""An integer past the 4,300 digits Python converts from text."""


def problems_of(path: Path) -> list[str]:
    """The problem lines load_script reports for a file."""
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    return [str(problem) for problem in caught.value.problems]


def check_problems(path: Path) -> list[str]:
    """Problems from loading and estimating a script (what `check` does, files included)."""
    with pytest.raises(ScriptError) as caught:
        estimate_timeline(load_script(path))
    return [str(problem) for problem in caught.value.problems]


def sine(seconds: float, rate: int = 44_100, offset: float = 0.0) -> np.ndarray:
    """A 440 Hz tone at -10 dBFS, plus a constant offset."""
    return (0.3 * np.sin(np.arange(int(seconds * rate)) * 2 * np.pi * 440 / rate) + offset).astype(np.float32)


@pytest.mark.parametrize(("setting", "column", "expect"), [
    ("pace: {n}", 7, "'pace' must be "),
    ("length: {n}", 9, "'length': a duration must be a finite number of seconds"),
    ("ambient: {{sound: rain, level: -{n}}}", 31, "'level' must be "),
])
@pytest.mark.parametrize("digits", [NINES, MORE_DIGITS], ids=["400-digits", "5000-digits"])
def test_an_integer_of_hundreds_of_digits_is_a_located_error(write_script: WriteScript, setting: str,
                                                             column: int, expect: str, digits: str) -> None:
    path = write_script(f"title: A\n{setting.format(n=digits)}\nsteps:\n  - pause: 2\n")
    problems = problems_of(path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:2:{column}: {expect}"), problems


@pytest.mark.parametrize("digits", [NINES, MORE_DIGITS], ids=["400-digits", "5000-digits"])
def test_a_pause_or_count_of_hundreds_of_digits_is_a_located_error(write_script: WriteScript, digits: str) -> None:
    path = write_script(f"title: A\nsteps:\n  - pause: {digits}\n  - breathe: {{in: 4, out: 4, cycles: {digits}}}\n")
    problems = problems_of(path)
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:3:12", f"{path}:4:38"], problems
    assert "'pause': a duration must be a finite number of seconds" in problems[0]


def test_a_title_of_many_digits_is_the_digits(write_script: WriteScript) -> None:
    path = write_script(f"title: {MORE_DIGITS[:4_400]}\nsteps:\n  - pause: 2\n")
    assert load_script(path).title == MORE_DIGITS[:4_400]


def test_a_number_of_thousands_of_digits_in_speech_is_left_as_written() -> None:
    number = MORE_DIGITS[:4_400]
    assert speakable(f"I have {number} apples.") == f"I have {number} apples."
    assert speakable("I have 12 apples.") == "I have twelve apples."


@pytest.mark.parametrize(("document", "where"), [
    ("title: A\nsteps: [" + "a," * 495_000 + "]\n", "2:19999"),
    ("title: A\nvars: {" + "a: b," * 195_000 + "}\nsteps: [{pause: 1}]\n", "2:24996"),
    ("title: A\nsteps:\n" + "- a\n" * 245_000, "9998:3"),
], ids=["flow-list", "flow-mapping", "block-list"])
def test_a_megabyte_of_tiny_values_is_refused_where_the_limit_is_passed(write_script: WriteScript,
                                                                        document: str, where: str) -> None:
    # Composing all of a flat 1 MB list before counting took 8.7 s of CPU and 260 MB; the parse
    # now stops at the 10,001st value, which is where the problem is placed.
    path = write_script(document)
    assert problems_of(path) == [f"{path}:{where}: the script holds more than 10,000 values (keys, texts and "
                                 "lists; the limit for one script)"]


def test_a_wav_at_one_sample_a_second_is_refused_before_it_is_resampled(write_script: WriteScript,
                                                                        tmp_path: Path) -> None:
    # 1,000 samples at 1 Hz passed as 16:41 of clip: 1.3 GB and 7 s of CPU to resample for `check`.
    soundfile.write(tmp_path / "slow.wav", sine(1_000 / 44_100), 1, subtype="PCM_16")
    problems = check_problems(write_script("title: T\nsteps:\n  - play: slow.wav\n"))
    assert problems == [f"{tmp_path / 'practice.yaml'}:3:5: cannot read {tmp_path / 'slow.wav'} as audio "
                        "(a sample rate of 1 Hz; recordings use 1,000 to 384,000 Hz)"]


def test_a_telephone_and_a_studio_rate_are_still_read(tmp_path: Path) -> None:
    for rate in (8_000, 192_000):
        soundfile.write(tmp_path / f"{rate}.wav", sine(0.5, rate), rate)
        assert load_audio_file(tmp_path / f"{rate}.wav").shape == (22_050,)


@pytest.mark.parametrize("offset", [0.25, -0.5])
def test_a_recording_s_dc_offset_is_taken_out(tmp_path: Path, offset: float) -> None:
    soundfile.write(tmp_path / "offset.wav", np.stack([sine(1, offset=offset), sine(1)], axis=1), 44_100,
                    subtype="FLOAT")
    mono = load_audio_file(tmp_path / "offset.wav")
    stereo = load_stereo_file(tmp_path / "offset.wav")
    assert abs(float(mono.mean())) < 1e-4 and np.abs(stereo.mean(axis=0)).max() < 1e-4
    assert np.allclose(stereo[:, 0], sine(1), atol=1e-4)  # only the offset is taken, not the tone


def test_a_clip_that_is_only_an_offset_is_silent_not_a_second_of_dc(write_script: WriteScript,
                                                                    tmp_path: Path) -> None:
    soundfile.write(tmp_path / "dc.wav", np.full(44_100, 0.5, dtype=np.float32), 44_100, subtype="FLOAT")
    problems = check_problems(write_script("title: T\nsteps:\n  - play: dc.wav\n"))
    assert problems == [f"{tmp_path / 'practice.yaml'}:3:5: {tmp_path / 'dc.wav'} is silent (nothing above "
                        "-50 dBFS): nothing to play"]


def decoded(path: Path) -> np.ndarray:
    """An audio file's samples as ffmpeg (not the product) decodes them: (frames, 2) float32."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-ac", "2", "-"],
                         capture_output=True, check=True, timeout=60).stdout
    return np.frombuffer(raw, dtype="<f4").reshape(-1, 2)


@pytest.mark.real
def test_an_export_with_an_offset_clip_chime_and_bed_has_no_dc(tmp_path: Path) -> None:
    soundfile.write(tmp_path / "offset.wav", sine(1, offset=0.4), 44_100, subtype="FLOAT")
    soundfile.write(tmp_path / "one.wav", np.full(1, 0.5, dtype=np.float32), 44_100, subtype="FLOAT")
    (tmp_path / "script.yaml").write_text(
        "title: T\nambient: {sound: one.wav}\nsteps:\n  - chime: offset.wav\n  - play: offset.wav\n"
        "  - pause: 2\n  - ambient: offset.wav\n  - pause: 3\n", encoding="utf-8")
    done = practice(tmp_path, "export", "script.yaml", "-o", "out.wav", "-q", "--engine", "system")
    assert done.returncode == 0, done.stderr[-2000:]
    samples = decoded(tmp_path / "out.wav")
    # The DC clip gave a whole-file offset of 0.31 and a 0.84 plateau; a looped 1-sample bed, 0.16.
    windows = samples[: len(samples) // 4_410 * 4_410].reshape(-1, 4_410, 2).mean(axis=1)
    assert np.isfinite(samples).all() and np.abs(windows).max() < 0.01


def test_export_never_writes_over_its_own_script(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("title: T\nsteps:\n  - pause: 1\n")
    before = path.read_bytes()
    (tmp_path / "link.yaml").symlink_to(path)
    for target in (path, tmp_path / "link.yaml"):
        result = CliRunner().invoke(cli, ["export", str(path), "-o", str(target), "--force", "--format", "wav",
                                          "-q", "--engine", "system"])
        assert result.exit_code == 2, result.output
        assert "is the script itself" in result.stderr
        assert path.read_bytes() == before


@pytest.mark.parametrize("name", ["ends-in\\", 'q"x\\u00e9\\n', "a\x1b[2Jb", "tab\there", "\u202eabc", "Café"])
def test_a_new_script_from_any_name_passes_check(tmp_path: Path, name: str) -> None:
    path = new_script(name, folder=tmp_path)
    script = load_script(path)
    assert script.title == title_from_name(name) and "\x1b" not in script.title
    if "\\" in name:
        assert "\\" in script.title  # the backslash is the name's, not an escape


def test_new_with_force_replaces_a_fifo_instead_of_blocking_on_it(tmp_path: Path) -> None:
    def stop(signum: int, frame: object) -> None:
        raise TimeoutError("blocked: the FIFO was opened for writing")

    os.mkfifo(tmp_path / "pipe.yaml")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)  # opening a FIFO for writing blocks until a reader comes: fail, do not hang
    try:
        path = new_script("pipe", folder=tmp_path, force=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert path.is_file() and load_script(path).title == "Pipe"


def test_a_long_recording_is_read_and_levelled_in_about_twice_its_own_memory(tmp_path: Path) -> None:
    # A 20-minute stereo WAV took 1.5 GB for `check`: the whole file in float32 beside its mono
    # mix, the index of every loud sample (int64) to trim it, and pyloudnorm's float64 copies.
    seconds = 90
    soundfile.write(tmp_path / "long.wav", np.stack([sine(seconds), sine(seconds)], axis=1), 44_100,
                    subtype="PCM_16")
    soundfile.write(tmp_path / "warm.wav", sine(61), 44_100)
    sounds = PreparedSounds(exact=True)
    sounds.recording(tmp_path / "warm.wav")  # the decoders and filters import lazily: not counted
    clip_bytes = seconds * 44_100 * 4  # the levelled mono clip the timeline holds
    tracemalloc.start()
    try:
        clip = sounds.recording(tmp_path / "long.wav")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert clip.nbytes == pytest.approx(clip_bytes, rel=0.01)
    assert peak < 2.3 * clip_bytes, f"{peak / clip_bytes:.1f} times the clip"


def test_a_long_clip_is_measured_as_pyloudnorm_measures_it() -> None:
    rng = np.random.default_rng(7)
    frames = 70 * 44_100 + 12_345  # past STREAMED_SECONDS, and not a whole number of 100 ms hops
    envelope = np.repeat(rng.uniform(0.001, 0.5, frames // 4_410 + 1), 4_410)[:frames]
    clip = (rng.standard_normal(frames) * envelope).astype(np.float32)
    assert integrated_loudness(clip, 44_100) == pytest.approx(
        pyloudnorm.Meter(44_100).integrated_loudness(clip.astype(np.float64)), abs=0.01)


def test_trimming_keeps_the_margin_around_the_first_and_last_loud_sample() -> None:
    clip = np.zeros(1_000, dtype=np.float32)
    clip[100], clip[900] = 0.5, -0.5
    margin = int(TRIM_MARGIN_SECONDS * 44_100)
    trimmed = trim_silence(clip, 44_100)
    assert len(trimmed) == 900 - 100 + 1 + 2 * margin and trimmed[margin] == 0.5 and trimmed[-margin - 1] == -0.5
    assert len(trim_silence(clip[:50], 44_100)) == 0 and len(trim_silence(clip[850:], 44_100)) == 50 + margin + 1


def png_head(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR chunk (what a phone player reads to size its buffer)."""
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))


def jpeg_head(width: int, height: int, exif: int = 60_000) -> bytes:
    """A JPEG's start: SOI, a large APP1 (EXIF) segment, a fill byte, then the SOF0 frame header."""
    return (b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", exif + 2) + bytes(exif)
            + b"\xff\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes(9))


@pytest.mark.parametrize(("head", "problem"), [
    (png_head(20_000, 20_000), "is 20,000 by 20,000 pixels; a cover may be at most 8,192 a side"),
    (png_head(0, 10), "is 0 by 10 pixels"),
    (jpeg_head(9_000, 100), "is 9,000 by 100 pixels"),
    (b"\x89PNG\r\n\x1a\n" + bytes(20), None),  # no size to read: nothing claims a huge picture
    (b"GIF89a" + bytes(20), "is not a JPEG or PNG file"),
    (png_head(3_000, 3_000), None),
    (jpeg_head(8_064, 6_048), None),  # a 48-megapixel phone photo
])
def test_a_cover_is_sized_from_its_header(head: bytes, problem: str | None) -> None:
    found = image_problem(head)
    assert found == problem if problem is None else (found is not None and found.startswith(problem)), found


def test_a_decompression_bomb_as_cover_is_a_located_error(write_script: WriteScript, tmp_path: Path) -> None:
    # 20,000 x 20,000 pixels of one colour is about a megabyte of PNG; it was embedded as it was.
    (tmp_path / "bomb.png").write_bytes(png_head(20_000, 20_000) + bytes(1_000))
    path = write_script("title: T\ncover: bomb.png\nsteps:\n  - pause: 1\n")
    assert check_problems(path) == [f"{path}:2:8: the cover image bomb.png is 20,000 by 20,000 pixels; a cover "
                                    "may be at most 8,192 a side (phone players decode it whole)"]


def test_check_tries_each_of_the_lengths_a_script_is_written_for(write_script: WriteScript) -> None:
    path = write_script("title: T\nlengths: [5s, 1m]\nsteps:\n  - say: Hi.\n"
                        "  - pause: {seconds: 2, flexible: true, max: 10}\n")
    result = CliRunner().invoke(cli, ["check", str(path)])
    # `check` said ok; `export --length 1m` then failed: the docs promise each variant is tested.
    assert result.exit_code == 1
    assert f"{path}: 'lengths' has 1:00, but cannot make this session 1:00 long" in result.stderr
    assert "'lengths' has 5.0s" not in result.stderr and "1 problem found" in result.stderr
    fitted = CliRunner().invoke(cli, ["check", str(path), "--length", "5s"])  # one length asked for: that one
    assert fitted.exit_code == 0, fitted.output


@pytest.mark.parametrize("char", ["\u202e", "\u202b", "\u2066", "\u2069"])
def test_bidirectional_overrides_in_a_script_are_located(write_script: WriteScript, char: str) -> None:
    # U+202E in a chapter title reversed the rest of check's line ("ok, about ...") on the terminal.
    path = write_script(f'title: "abc{char}def"\nsteps:\n  - chapter: "x{char}"\n  - say: Hi.\n')
    problems = problems_of(path)
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:1:8", f"{path}:3:14"], problems
    assert f"U+{ord(char):04X} (a bidirectional control: it reorders the text shown after it)" in problems[0]
    assert not any(char in p for p in problems)


def test_right_to_left_text_emoji_and_their_marks_are_still_text(write_script: WriteScript) -> None:
    title = "\u200f\u05e9\u05dc\u05d5\u05dd\u200e \U0001f469\u200d\U0001f467 Caf\u00e9"
    path = write_script(f'title: "{title}"\nsteps:\n  - say: Hi.\n')
    assert load_script(path).title == title


def test_a_file_name_with_an_override_is_printed_escaped(tmp_path: Path) -> None:
    path = tmp_path / "abc\u202etxt.exe.yaml"
    path.write_text("title: T\nsteps:\n  - say: Hi.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0 and "\u202e" not in result.output and "abc\\u202etxt.exe.yaml: ok" in result.output


def test_a_long_bed_file_is_looped_in_about_twice_its_own_memory(tmp_path: Path) -> None:
    # A 5-minute WAV bed took 535 MB to export 6 s: a float64 copy of the whole file for the
    # seam, another for its RMS, and a copy per channel stacked into a third.
    seconds = 90
    soundfile.write(tmp_path / "bed.wav", np.stack([sine(seconds), sine(seconds, offset=0.1)], axis=1), 44_100,
                    subtype="PCM_16")
    soundfile.write(tmp_path / "warm.wav", np.stack([sine(3), sine(3)], axis=1), 44_100)
    loop_file(tmp_path / "warm.wav")  # the decoders import lazily: not counted
    loop_bytes = seconds * 44_100 * 2 * 4
    tracemalloc.start()
    try:
        loop = loop_file(tmp_path / "bed.wav")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert loop.dtype == np.float32 and loop.shape[1] == 2 and np.abs(loop.mean(axis=0)).max() < 1e-3
    assert peak < 2.8 * loop_bytes, f"{peak / loop_bytes:.1f} times the loop"  # it was 4.0
