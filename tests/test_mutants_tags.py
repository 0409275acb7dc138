"""Tags, cover and chapters as mutagen reads them back (mutants that survived: docs/testing.md).

Files are made without a process: an MP3 here is an ID3 tag in front of a few bytes (mutagen
needs no audio to read ID3), WAV, FLAC and Ogg Opus come from libsndfile. The M4A test needs
ffmpeg to make the file and is marked real. Chapter order is read from the file's bytes: the
position of each element id, in time order.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.wave import WAVE

from player import SAMPLE_RATE
from player.errors import ExportError
from player.export.formats import FORMATS
from player.export.tags import Metadata, ffmetadata_chapters, write_metadata
from player.ffmpeg import ffmpeg_exe
from player.script.model import Chapter

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(40))
# Titles longest first: mutagen, which orders frames by size, would list them backwards.

def chapter(start_ms: int, end_ms: int, title: str) -> Chapter:
    """A placed chapter from milliseconds, as the tags hold it."""
    return Chapter(title, start=round(start_ms * SAMPLE_RATE / 1000), end=round(end_ms * SAMPLE_RATE / 1000))

CHAPTERS = (chapter(0, 65_000, "A much longer first title"), chapter(65_000, 3_723_456, "Middle one"),
            chapter(3_723_456, 3_800_000, "End"))


def metadata(tmp_path: Path, cover: bytes = PNG, **changes: object) -> Metadata:
    """Every field set, with a cover file."""
    path = tmp_path / "cover.img"
    path.write_bytes(cover)
    values: dict[str, object] = {"title": "The Title", "artist": "The Artist", "album": "The Album",
                                 "date": "2026", "comment": "Call 555", "genre": "Meditation",
                                 "cover": path, "chapters": CHAPTERS}
    values.update(changes)
    return Metadata(**values)  # type: ignore[arg-type]


def sound_file(path: Path, fmt: str, subtype: str, rate: int = 48_000) -> Path:
    """A short quiet file written by libsndfile."""
    soundfile.write(str(path), np.zeros((rate // 10, 2), dtype=np.float32), rate, format=fmt, subtype=subtype)
    return path


def check_id3(tags: ID3) -> None:
    """Every frame with its exact value."""
    assert [tags[key].text[0] for key in ("TIT2", "TPE1", "TALB", "TCON")] == [
        "The Title", "The Artist", "The Album", "Meditation"]
    assert str(tags["TDRC"].text[0]) == "2026"
    comment = tags.getall("COMM")[0]
    assert (comment.lang, comment.desc, comment.text) == ("eng", "", ["Call 555"])
    picture = tags.getall("APIC")[0]
    assert (picture.mime, picture.type, picture.desc, picture.data) == ("image/png", 3, "Cover", PNG)
    toc = tags.getall("CTOC")[0]
    assert toc.element_id == "toc"
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp1", "chp2", "chp3"]
    assert toc.sub_frames["TIT2"].text == ["Chapters"]
    chaps = sorted(tags.getall("CHAP"), key=lambda frame: frame.element_id)
    assert [(c.element_id, c.start_time, c.end_time, c.start_offset, c.end_offset, c.sub_frames["TIT2"].text[0])
            for c in chaps] == [
        ("chp1", 0, 65_000, 0xFFFFFFFF, 0xFFFFFFFF, "A much longer first title"),
        ("chp2", 65_000, 3_723_456, 0xFFFFFFFF, 0xFFFFFFFF, "Middle one"),
        ("chp3", 3_723_456, 3_800_000, 0xFFFFFFFF, 0xFFFFFFFF, "End")]


def chapters_in_file_order(path: Path) -> list[bytes]:
    """The element id of each CHAP frame, in the order the frames sit in the file's bytes."""
    data = path.read_bytes()
    found = []
    at = data.find(b"CHAP")
    while at >= 0:
        found.append(data[at + 10:at + 14])  # after the frame's id, size and flags
        at = data.find(b"CHAP", at + 1)
    return found


def test_mp3_id3_frames_and_chapters_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "t.mp3"
    path.write_bytes(b"\xff\xfb\x90\x00" * 8)
    write_metadata(path, FORMATS["mp3"], metadata(tmp_path))
    tags = ID3(str(path))
    assert tags.version == (2, 4, 0)
    check_id3(tags)
    # chp1 (0 ms) first, though its frame is the largest
    assert chapters_in_file_order(path) == [b"chp1", b"chp2", b"chp3"]


def test_wav_id3_chunk_and_chapters_in_time_order(tmp_path: Path) -> None:
    path = sound_file(tmp_path / "t.wav", "WAV", "PCM_16", 44_100)
    write_metadata(path, FORMATS["wav"], metadata(tmp_path))
    tags = WAVE(str(path)).tags
    assert tags is not None
    check_id3(tags)
    assert chapters_in_file_order(path) == [b"chp1", b"chp2", b"chp3"]
    assert soundfile.info(str(path)).frames == 4_410  # the audio is untouched


def test_empty_fields_write_no_frame_and_no_chapter_table(tmp_path: Path) -> None:
    path = tmp_path / "t.mp3"
    path.write_bytes(b"\xff\xfb\x90\x00" * 8)
    write_metadata(path, FORMATS["mp3"], Metadata(title="Only"))
    tags = ID3(str(path))
    assert sorted(tags.keys()) == ["TCON", "TIT2"]
    write_metadata(path, FORMATS["mp3"], Metadata())
    tags = ID3(str(path))
    assert sorted(tags.keys()) == ["TCON"]  # the genre is never empty: how phones file a practice
    assert tags["TCON"].text == ["Meditation"]


def test_flac_vorbis_comments_chapters_and_picture(tmp_path: Path) -> None:
    path = sound_file(tmp_path / "t.flac", "FLAC", "PCM_16")
    write_metadata(path, FORMATS["flac"], metadata(tmp_path, cover=JPEG))
    audio = FLAC(str(path))
    assert audio.tags is not None
    expected = {
        "TITLE": ["The Title"], "ARTIST": ["The Artist"], "ALBUM": ["The Album"], "DATE": ["2026"],
        "COMMENT": ["Call 555"], "DESCRIPTION": ["Call 555"], "GENRE": ["Meditation"],
        "CHAPTER001": ["00:00:00.000"], "CHAPTER001NAME": ["A much longer first title"],
        "CHAPTER002": ["00:01:05.000"], "CHAPTER002NAME": ["Middle one"],
        "CHAPTER003": ["01:02:03.456"], "CHAPTER003NAME": ["End"],
    }
    assert {key: audio.tags[key] for key in expected} == expected
    assert "CHAPTER004" not in audio.tags
    picture = audio.pictures[0]
    assert (picture.type, picture.mime, picture.desc, picture.data) == (3, "image/jpeg", "Cover", JPEG)


def test_opus_vorbis_comments_and_picture_block(tmp_path: Path) -> None:
    path = sound_file(tmp_path / "t.ogg", "OGG", "OPUS")
    write_metadata(path, FORMATS["ogg"], metadata(tmp_path, chapters=CHAPTERS[2:]))
    audio = OggOpus(str(path))
    assert audio.tags is not None
    assert [audio.tags[key] for key in ("TITLE", "ARTIST", "ALBUM", "DATE", "COMMENT", "DESCRIPTION", "GENRE",
                                        "CHAPTER001", "CHAPTER001NAME")] == [
        ["The Title"], ["The Artist"], ["The Album"], ["2026"], ["Call 555"], ["Call 555"], ["Meditation"],
        ["01:02:03.456"], ["End"]]
    picture = Picture(base64.b64decode(audio.tags["METADATA_BLOCK_PICTURE"][0]))
    assert (picture.type, picture.mime, picture.desc, picture.data) == (3, "image/png", "Cover", PNG)


def test_a_cover_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.mp3"
    path.write_bytes(b"\xff\xfb\x90\x00" * 8)
    bad = metadata(tmp_path, cover=b"GIF89a" + bytes(40))
    with pytest.raises(ExportError) as error:
        write_metadata(path, FORMATS["mp3"], bad)
    assert str(error.value) == f"the cover image {tmp_path / 'cover.img'} is not a JPEG or PNG file"
    missing = Metadata(cover=tmp_path / "none.png")
    with pytest.raises(ExportError, match=r"^cannot use the cover image: "):
        write_metadata(path, FORMATS["mp3"], missing)


def test_a_file_mutagen_cannot_read_is_an_export_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.flac"
    path.write_bytes(b"not a flac file at all")
    with pytest.raises(ExportError, match=r"^cannot write the tags of broken\.flac: "):
        write_metadata(path, FORMATS["flac"], Metadata(title="T"))


def test_ffmetadata_escapes_and_a_lead_in_chapter() -> None:
    text = ffmetadata_chapters((chapter(1500, 2000, "a=b;c#d\\e\nf"), chapter(2000, 3000, "Two")), "Intro")
    assert text == (";FFMETADATA1\n"
                    "[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Intro\n"
                    "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=2000\ntitle=a\\=b\\;c\\#d\\\\e\\\nf\n"
                    "[CHAPTER]\nTIMEBASE=1/1000\nSTART=2000\nEND=3000\ntitle=Two\n")
    assert ffmetadata_chapters((chapter(1, 2, "X"),)).split("\n")[5] == "title=Opening"
    assert ffmetadata_chapters(()) == ";FFMETADATA1\n"


@pytest.mark.real
def test_m4a_atoms_and_cover(tmp_path: Path) -> None:
    path = tmp_path / "t.m4a"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "anullsrc=r=44100:cl=mono", "-t", "0.2", "-c:a", "aac", str(path)], check=True)
    write_metadata(path, FORMATS["m4a"], metadata(tmp_path, cover=JPEG))
    tags = MP4(str(path)).tags
    assert tags is not None
    assert [tags[key] for key in ("\xa9nam", "\xa9ART", "\xa9alb", "\xa9day", "\xa9cmt", "\xa9gen")] == [
        ["The Title"], ["The Artist"], ["The Album"], ["2026"], ["Call 555"], ["Meditation"]]
    cover = tags["covr"][0]
    assert (bytes(cover), cover.imageformat) == (JPEG, MP4Cover.FORMAT_JPEG)
    write_metadata(path, FORMATS["m4a"], metadata(tmp_path, cover=PNG))
    assert MP4(str(path)).tags["covr"][0].imageformat == MP4Cover.FORMAT_PNG
