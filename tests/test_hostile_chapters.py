"""MP3 and WAV chapters in time order, as an independent reader (ffprobe, or ffmpeg) and mutagen see them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from mutagen.wave import WAVE

from player import SAMPLE_RATE
from player.export.formats import FORMATS
from player.export.tags import Metadata, write_metadata
from player.ffmpeg import ffmpeg_exe
from player.script.model import Chapter

TITLES = ("Arriving", "Sounds", "Contact", "Temperature", "Smell and taste", "One breath", "Returning",
          "A", "Nine", "Ten: a longer title than the rest", "Eleven")


def chapters_read_by_ffmpeg(path: Path) -> list[tuple[float, str]]:
    """(start, title) of each chapter in the order the reader lists them."""
    probe = shutil.which("ffprobe")
    if probe is not None:
        out = subprocess.run([probe, "-v", "error", "-show_chapters", "-of", "csv", str(path)],
                             capture_output=True, text=True, check=True).stdout
        return [(float(row.split(",")[4]), row.split(",", 7)[7]) for row in out.splitlines()]
    err = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                         check=False).stderr
    starts = [float(x) for x in re.findall(r"Chapter #\d+:\d+: start ([\d.]+)", err)]
    titles = re.findall(r"Chapter #.*\n\s+Metadata:\n\s+title\s+: (.*)", err)
    return list(zip(starts, titles, strict=True))


@pytest.mark.real
@pytest.mark.parametrize(("fmt", "codec"), [("mp3", "libmp3lame"), ("wav", "pcm_s16le")])
def test_id3_chapter_frames_are_written_in_time_order(tmp_path: Path, fmt: str, codec: str) -> None:
    path = tmp_path / f"t.{fmt}"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "anullsrc=r=44100:cl=stereo", "-t", "12", "-c:a", codec, str(path)], check=True)
    chapters = tuple(Chapter(title, start=i * SAMPLE_RATE, end=(i + 1) * SAMPLE_RATE) for i, title in enumerate(TITLES))
    write_metadata(path, FORMATS[fmt], Metadata(title="T", chapters=chapters))
    if fmt == "mp3":  # ffmpeg reads ID3 chapters from MP3 only
        assert chapters_read_by_ffmpeg(path) == [(float(i), title) for i, title in enumerate(TITLES)]
    tags = ID3(str(path)) if fmt == "mp3" else WAVE(str(path)).tags
    in_file = [tags[key] for key in tags if key.startswith("CHAP")]  # mutagen keeps file order
    assert [frame.start_time for frame in in_file] == [i * 1000 for i in range(len(TITLES))]
    assert [frame.sub_frames["TIT2"].text[0] for frame in in_file] == list(TITLES)
    assert tags["TIT2"].text == ["T"]
