"""Phone-ready exports through the real parts, checked by independent readers.

Tags and chapters are read back with mutagen and with ffmpeg; loudness and true peak with
ffmpeg's ebur128 filter; transcripts with webvtt-py and srt; speech onsets with silencedetect.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import srt
import webvtt
from click.testing import CliRunner
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from player.cli.commands import cli
from player.ffmpeg import ffmpeg_exe
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.voices import Speaker, open_engine
from tests.conftest import silences

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]

CHAPTERED = """
title: Three Rooms
author: Dana Reyes, LMFT
collection: Practices for {name}
description: A short test practice with three chapters.
cover: cover.png
vars: {name: Sam}
voice: {engine: system, sentence_gap: 1.0}
steps:
  - chapter: Arriving
  - say: Hello {name}. Notice your feet on the floor.
  - pause: 2
  - chapter: Breath
  - say: Breathe in for 4. And out for 6.
  - pause: 2.5
  - chapter: Leaving
  - say: You are here, now.
  - pause: 1.5
"""
TITLES = ["Arriving", "Breath", "Leaving"]


def tiny_png() -> bytes:
    """A real 4x4 PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([200, 120, 80]) * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def run(*args: str) -> tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def ffmpeg_info(path: Path) -> str:
    """What ffmpeg prints about a file (format, streams, chapters, tags)."""
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr


def ffmpeg_chapters(path: Path) -> list[tuple[float, str]]:
    """(start seconds, title) of each chapter ffmpeg finds, by start time."""
    found = re.findall(r"Chapter #\d+:\d+: start ([\d.]+), end [\d.]+\s*\n\s*Metadata:\s*\n\s*title\s*: (.*)",
                       ffmpeg_info(path))
    return sorted((float(start), title.strip()) for start, title in found)


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) by ffmpeg's ebur128 filter."""
    printed = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-af",
                              "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True).stderr
    summary = printed[printed.rfind("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


@pytest.fixture
def chaptered(write_script: WriteScript, tmp_path: Path) -> Path:
    """The three-chapter script, with its cover image beside it."""
    (tmp_path / "cover.png").write_bytes(tiny_png())
    return write_script(CHAPTERED)


def expected_starts(path: Path) -> list[float]:
    """Chapter starts from the Timeline, in seconds."""
    timeline = compile_timeline(load_script(path), Speaker(open_engine("system")))
    return [mark.start / timeline.sample_rate for mark in timeline.chapters]


def test_mp3_has_id3_tags_cover_ctoc_and_one_chap_per_chapter(chaptered: Path, tmp_path: Path) -> None:
    out = tmp_path / "three.mp3"
    code, _, err = run("export", str(chaptered), "-o", str(out))
    assert code == 0, err
    tags = ID3(out)
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == "Three Rooms"
    assert str(tags["TPE1"]) == "Dana Reyes, LMFT"
    assert str(tags["TALB"]) == "Practices for Sam"
    assert str(tags["TCON"]) == "Meditation"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(tags["TDRC"]))
    assert tags.getall("COMM")[0].text == ["A short test practice with three chapters."]
    assert tags.getall("APIC")[0].data == tiny_png()
    (toc,) = tags.getall("CTOC")
    chapters = {frame.element_id: frame for frame in tags.getall("CHAP")}
    assert len(chapters) == 3
    ordered = [chapters[element] for element in toc.child_element_ids]
    assert [str(c.sub_frames["TIT2"]) for c in ordered] == TITLES
    starts = expected_starts(chaptered)
    for chapter, start in zip(ordered, starts, strict=True):
        assert chapter.start_time / 1000 == pytest.approx(start, abs=0.002)
    assert ordered[-1].end_time / 1000 == pytest.approx(float(re.search(
        r"Duration: (\d+):(\d+):([\d.]+)", ffmpeg_info(out)).group(3)), abs=0.1)  # type: ignore[union-attr]
    # ffmpeg, a second reader, sees the same chapters at the same times.
    assert [title for _, title in ffmpeg_chapters(out)] == TITLES
    assert [start for start, _ in ffmpeg_chapters(out)] == pytest.approx(starts, abs=0.002)


def test_m4a_has_mp4_chapters_and_itunes_tags(chaptered: Path, tmp_path: Path) -> None:
    out = tmp_path / "three.m4a"
    code, _, err = run("export", str(chaptered), "-o", str(out))
    assert code == 0, err
    chapters = ffmpeg_chapters(out)
    assert [title for _, title in chapters] == TITLES
    assert [start for start, _ in chapters] == pytest.approx(expected_starts(chaptered), abs=0.03)
    tags = MP4(out).tags
    assert tags is not None
    assert tags["\xa9nam"] == ["Three Rooms"] and tags["\xa9ART"] == ["Dana Reyes, LMFT"]
    assert tags["\xa9alb"] == ["Practices for Sam"]
    assert bytes(tags["covr"][0]) == tiny_png()
    assert "aac" in ffmpeg_info(out).lower()


@pytest.mark.parametrize("suffix", ["ogg", "flac"])
def test_ogg_and_flac_have_vorbis_chapter_comments(chaptered: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"three.{suffix}"
    code, _, err = run("export", str(chaptered), "-o", str(out))
    assert code == 0, err
    audio = OggOpus(out) if suffix == "ogg" else FLAC(out)
    tags = audio.tags
    assert tags is not None
    assert tags["TITLE"] == ["Three Rooms"] and tags["ARTIST"] == ["Dana Reyes, LMFT"]
    assert [tags[f"CHAPTER{i:03d}NAME"][0] for i in (1, 2, 3)] == TITLES
    assert [start for start, _ in ffmpeg_chapters(out)] == pytest.approx(expected_starts(chaptered), abs=0.002)
    if suffix == "flac":
        assert audio.pictures[0].data == tiny_png()
    else:
        assert "METADATA_BLOCK_PICTURE" in tags
        assert "opus" in ffmpeg_info(out)


QUIET = """
title: Quiet
voice: {engine: system, volume: 0.08}
steps:
  - say: A very soft voice. Notice the quiet around it.
  - pause: 2
  - say: Breathe in, and slowly breathe out.
  - pause: 1
"""
LOUD = """
title: Loud
voice: {engine: system}
ambient: {sound: white-noise, level: 0, pause_level: 0, long_silence_level: 0, fade_in: 0.5, fade_out: 0.5}
steps:
  - say: A voice over loud noise. Notice the sound all around.
  - pause: 3
  - say: Breathe in, and slowly breathe out.
  - pause: 2
"""


@pytest.mark.parametrize("text", [QUIET, LOUD], ids=["quiet", "loud"])
@pytest.mark.parametrize(("options", "target"), [((), -16.0), (("--mono",), -19.0), (("--loudness", "-23"), -23.0)],
                         ids=["stereo", "mono", "custom"])
def test_exports_are_mastered_to_the_target_under_minus_one_dbtp(
    write_script: WriteScript, tmp_path: Path, text: str, options: tuple[str, ...], target: float
) -> None:
    out = tmp_path / "mastered.mp3"
    code, _, err = run("export", str(write_script(text)), "-o", str(out), *options)
    assert code == 0, err
    integrated, peak = ebur128(out)
    if text == QUIET:  # almost all speech: the whole file reads what the speech does
        assert integrated == pytest.approx(target, abs=1.0)
    else:  # mastering is on the speech: pauses of a bed alone read lower than the target
        assert target - 3.5 < integrated < target
    assert peak <= -1.0


def test_no_master_leaves_the_mix_as_it_is(write_script: WriteScript, tmp_path: Path) -> None:
    out = tmp_path / "raw.wav"
    code, _, err = run("export", str(write_script(QUIET)), "-o", str(out), "--no-master")
    assert code == 0, err
    integrated, _ = ebur128(out)
    assert integrated < -35  # the soft voice stays soft


def test_format_options_reach_the_file(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script(QUIET)
    code, _, err = run("export", str(path), "-o", str(tmp_path / "small.mp3"), "--mono", "--bitrate", "64",
                       "--sample-rate", "22050")
    assert code == 0, err
    info = ffmpeg_info(tmp_path / "small.mp3")
    assert "22050 Hz, mono" in info and "64 kb/s" in info
    code, _, err = run("export", str(path), "-o", str(tmp_path / "x.ogg"), "--sample-rate", "44100")
    assert code == 2 and "ogg cannot be written at 44100 Hz" in err
    code, _, err = run("export", str(path), "-o", str(tmp_path / "x.flac"), "--bitrate", "96")
    assert code == 2 and "lossless" in err
    assert not (tmp_path / "x.ogg").exists() and not (tmp_path / "x.flac").exists()


TRANSCRIBED = """
title: Words
voice: {engine: system, sentence_gap: 1.2}
vars: {name: friend}
steps:
  - say: Welcome, {name}. Notice your breath.
  - pause: 2
  - say: "Feel your feet. [pause 1.5s] Feel your hands."
  - pause: 2
  - say: Rest here.
"""


def test_transcripts_are_timed_to_the_speech(write_script: WriteScript, tmp_path: Path) -> None:
    out = tmp_path / "words.wav"
    code, _, err = run("export", str(write_script(TRANSCRIBED)), "-o", str(out), "--set", "name=Sam",
                       "--transcript", "vtt", "--transcript", "srt", "--transcript", "lrc")
    assert code == 0, err
    found = silences(out, noise_db=-50, minimum=0.9)
    # The closing second of silence runs to the end of the file: no words start after it.
    onsets = [0.0] + [start + length for start, length in found[:-1]]
    vtt_cues = webvtt.read(str(tmp_path / "words.vtt")).captions
    srt_cues = list(srt.parse((tmp_path / "words.srt").read_text(encoding="utf-8")))
    texts = ["Welcome, Sam.", "Notice your breath.", "Feel your feet.", "Feel your hands.", "Rest here."]
    assert [c.text for c in vtt_cues] == texts
    assert [c.content for c in srt_cues] == texts
    assert len(onsets) == len(texts)
    for cue, subtitle, onset in zip(vtt_cues, srt_cues, onsets, strict=True):
        assert cue.start_in_seconds + int(cue.start.split(".")[1]) / 1000 == pytest.approx(onset, abs=0.05)
        assert subtitle.start.total_seconds() == pytest.approx(onset, abs=0.05)
    lines = (tmp_path / "words.lrc").read_text(encoding="utf-8").splitlines()
    timed = [re.match(r"\[(\d\d):(\d\d\.\d\d)\](.*)", line) for line in lines]
    timed_lines = [(int(m.group(1)) * 60 + float(m.group(2)), m.group(3)) for m in timed if m]
    assert [text for _, text in timed_lines] == texts
    assert [t for t, _ in timed_lines] == pytest.approx(onsets, abs=0.05)


def test_a_batch_exports_the_good_scripts_and_reports_the_bad_one(write_script: WriteScript, tmp_path: Path) -> None:
    one = write_script("title: One\nvoice: {engine: system}\nsteps:\n  - say: Hello {name}.\n", "one.yaml")
    two = write_script("title: Two\nvoice: {engine: system}\nsteps:\n  - say: Goodbye {name}.\n", "two.yaml")
    bad = write_script("title: Bad\nsteps:\n  - puase: 3\n", "bad.yaml")
    out = tmp_path / "for-sam"
    code, stdout, err = run("export", str(one), str(bad), str(two), "-d", str(out), "--set", "name=Sam",
                            "--transcript", "vtt", "--no-reorient")
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["one.mp3", "one.vtt", "two.mp3", "two.vtt"]
    assert "Exported 2 of 3" in stdout
    assert f"{bad}:3:5: unknown step 'puase'" in err
    assert "Failed (1)" in err and "Traceback" not in stdout + err
    assert "Hello Sam." in (out / "one.vtt").read_text(encoding="utf-8")


def test_an_existing_file_is_kept_unless_force(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script(QUIET)
    out = tmp_path / "keep.mp3"
    out.write_bytes(b"an earlier export")
    code, _, err = run("export", str(path), "-o", str(out))
    assert code == 1 and "already exists" in err and "--force" in err
    assert out.read_bytes() == b"an earlier export"
    code, _, err = run("export", str(path), "-o", str(out), "--force")
    assert code == 0, err
    assert out.read_bytes() != b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp3", "practice.yaml"]
