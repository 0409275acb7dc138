"""What a phone shows: album, artist and cover in every format; M4A chapter tables that agree."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mutagen
import pytest
from click.testing import CliRunner
from mutagen.flac import FLAC, Picture
from mutagen.mp4 import MP4

from player import SAMPLE_RATE
from player.cli.commands import cli
from player.export import metadata_for
from player.export.tags import DEFAULT_ALBUM, default_cover, ffmetadata_chapters
from player.script.loader import load_script
from player.timeline.compile import estimate_timeline
from player.voices.registry import voice_credit

WriteScript = Callable[..., Path]

CHAPTERED = """
title: Chaptered
steps:
  - chime: wood
  - pause: 3
  - chapter: Arriving
  - pause: 2
  - chapter: Resting
  - pause: 2
"""


def test_the_cover_ships_with_the_package() -> None:
    cover = default_cover()
    assert cover.is_file()
    assert cover.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_without_collection_or_author_the_tags_are_not_empty(write_script: WriteScript) -> None:
    script = load_script(write_script(CHAPTERED))
    metadata = metadata_for(script, estimate_timeline(script), voice="Joe (Piper voice)")
    assert (metadata.album, metadata.artist, metadata.cover) == (DEFAULT_ALBUM, "Joe (Piper voice)",
                                                                  default_cover())


def test_collection_author_and_cover_of_the_script_come_first(write_script: WriteScript) -> None:
    path = write_script("title: T\nauthor: Dana Reyes\ncollection: For {name}\nvars: {name: Sam}\n"
                        "cover: art.png\nsteps:\n  - pause: 1\n")
    (path.parent / "art.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(16))
    script = load_script(path)
    metadata = metadata_for(script, estimate_timeline(script), voice="Joe (Piper voice)")
    assert (metadata.album, metadata.artist, metadata.cover) == ("For Sam", "Dana Reyes", path.parent / "art.png")


def test_the_voice_is_credited_by_engine_and_name() -> None:
    assert voice_credit("piper", None) == "Joe (Piper voice)"
    assert voice_credit("auto", "voices/en_GB-alba-medium.onnx") == "en_GB-alba-medium (Piper voice)"
    assert voice_credit("system", None) == "System voice"
    assert voice_credit("system", "gmw/en-US") == "gmw/en-US (system voice)"


def test_m4a_chapters_start_with_a_lead_in_when_the_first_chapter_is_late() -> None:
    from player.script.model import Chapter

    text = ffmetadata_chapters((Chapter("Arriving", start=4 * SAMPLE_RATE, end=9 * SAMPLE_RATE),), "Five Senses")
    assert "START=0\nEND=4000\ntitle=Five Senses" in text
    assert ffmetadata_chapters((Chapter("Arriving", end=9 * SAMPLE_RATE),), "Five Senses").count("[CHAPTER]") == 1


def reader(tool: str) -> str:
    """Debian's ffprobe (an independent reader); skipped where it is not installed."""
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed (apt-get install ffmpeg)")
    return found


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's view: tags (format and stream), streams, chapters."""
    done = subprocess.run([reader("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
                           "-show_streams", "-show_chapters", str(path)], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def probed_tags(info: dict[str, Any]) -> dict[str, str]:
    """Every tag ffprobe found, keys lower-cased (Opus keeps its comments on the stream)."""
    tags = {key.lower(): value for key, value in info["format"].get("tags", {}).items()}
    for stream in info["streams"]:
        tags.update({key.lower(): value for key, value in stream.get("tags", {}).items()})
    return tags


def mutagen_cover(path: Path) -> bytes:
    """The cover picture's bytes as mutagen reads them, whatever the format."""
    audio = mutagen.File(path)
    if isinstance(audio, MP4):
        return bytes(audio.tags["covr"][0])
    if isinstance(audio, FLAC):
        return bytes(audio.pictures[0].data)
    if path.suffix == ".ogg":
        block = base64.b64decode(audio.tags["METADATA_BLOCK_PICTURE"][0])
        return bytes(Picture(block).data)
    return bytes(audio.tags.getall("APIC")[0].data)


def mutagen_text(path: Path, field: str) -> str:
    """album or artist, as mutagen's easy interface reads it."""
    audio = mutagen.File(path, easy=True) if path.suffix != ".wav" else None
    if audio is not None:
        return str(audio[field][0])
    tags = mutagen.File(path).tags
    return str(tags["TALB" if field == "album" else "TPE1"].text[0])


@pytest.mark.real
@pytest.mark.parametrize("suffix", ["mp3", "m4a", "ogg", "flac", "wav"])
def test_every_format_carries_album_artist_and_cover(suffix: str, write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script(CHAPTERED)
    out = tmp_path / f"chaptered.{suffix}"
    result = CliRunner().invoke(cli, ["export", str(path), "-o", str(out), "--engine", "system"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    cover = default_cover().read_bytes()
    assert mutagen_text(out, "album") == DEFAULT_ALBUM
    assert mutagen_text(out, "artist") == "System voice"
    assert mutagen_cover(out) == cover
    info = probe(out)
    tags = probed_tags(info)
    assert (tags["album"], tags["artist"]) == (DEFAULT_ALBUM, "System voice")
    pictures = [s for s in info["streams"] if s.get("disposition", {}).get("attached_pic") == 1]
    assert [s["codec_name"] for s in pictures] == ["png"]
    assert (pictures[0]["width"], pictures[0]["height"]) == (512, 512)


@pytest.mark.real
def test_both_m4a_chapter_tables_agree_on_every_start(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script(CHAPTERED)
    out = tmp_path / "chaptered.m4a"
    result = CliRunner().invoke(cli, ["export", str(path), "-o", str(out), "--engine", "system"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    nero = [(round(chapter.start, 3), chapter.title) for chapter in MP4(out).chapters]  # the chpl atom
    quicktime = [(round(float(chapter["start_time"]), 3), chapter["tags"]["title"])  # the chapter track
                 for chapter in probe(out)["chapters"]]
    assert nero == quicktime
    assert [title for _, title in nero] == ["Chaptered", "Arriving", "Resting"]
    assert nero[1][0] == pytest.approx(3.1, abs=0.001)
