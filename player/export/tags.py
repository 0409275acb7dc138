"""Tags, cover art and chapters written into an encoded file with mutagen.

MP3 (and WAV) get ID3v2.4: text frames, APIC, and one CHAP per chapter with a TIT2 title under
a CTOC table of contents (players ignore chapters without both). Ogg Opus and FLAC get Vorbis
comments with CHAPTERnnn / CHAPTERnnnNAME. M4A gets iTunes atoms; its chapter track is written
by ffmpeg while encoding (see ffmetadata_chapters), which mutagen leaves in place.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

from mutagen import MutagenError
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TCON, TDRC, TIT2, TPE1, CTOCFlags
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.wave import WAVE

from player.errors import ExportError
from player.export.chaporder import order_chapters, wave_tag_offset
from player.export.formats import Format
from player.export.images import HEAD_BYTES, image_mime, image_problem
from player.script.model import Chapter
from player.userfiles import MAX_COVER_BYTES, UserFileError, read_regular

GENRE = "Meditation"
"""How phone players file a guided practice."""
DEFAULT_ALBUM = "Practice Player"
"""The album (and the artist of a session with no voice) when a script names no collection."""
COVER_FILE = "cover.png"
"""The cover every export carries unless the script names its own (audio/README.md says how it was made)."""


def default_cover() -> Path:
    """The cover image that ships with the package."""
    from player.script.library import package_data

    return package_data("player.builtin_audio", "audio") / COVER_FILE


@dataclass(frozen=True)
class Metadata:
    """Everything the file says about itself."""

    title: str = ""
    artist: str = ""
    album: str = ""
    date: str = ""
    comment: str = ""
    genre: str = GENRE
    cover: Path | None = None
    chapters: tuple[Chapter, ...] = field(default_factory=tuple)


def write_metadata(path: Path, fmt: Format, metadata: Metadata) -> None:
    """Write tags, cover and chapters into an encoded file of the given format."""
    writers = {"id3": _write_id3, "wave": _write_wave, "mp4": _write_mp4, "opus": _write_opus, "flac": _write_flac}
    try:
        writers[fmt.tags](path, metadata)
    except (MutagenError, OSError) as error:
        raise ExportError(f"cannot write the tags of {path.name}: {error}") from None


def ffmetadata_chapters(chapters: tuple[Chapter, ...], lead_in: str = "") -> str:
    """Chapters in ffmpeg's metadata file format (for the m4a chapter track and Nero chpl atom).

    A QuickTime chapter track has no gaps: its first sample starts at 0 whatever its time, so
    it put the first chapter at 0 while the chpl atom said 4 s. When the first chapter starts
    later, a chapter titled `lead_in` covers the opening, and both tables agree on every start.
    """
    lines = [";FFMETADATA1"]
    if chapters and chapters[0].start_ms > 0:
        chapters = (Chapter(lead_in or "Opening", start=0, end=chapters[0].start), *chapters)
    for chapter in chapters:
        title = chapter.title.replace("\\", "\\\\")
        for special in "=;#\n":
            title = title.replace(special, "\\" + special)
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={chapter.start_ms}", f"END={chapter.end_ms}",
                  f"title={title}"]
    return "\n".join(lines) + "\n"


def _cover(metadata: Metadata) -> tuple[bytes, str] | None:
    """The cover image's bytes and MIME type."""
    if metadata.cover is None:
        return None
    try:
        data = read_regular(metadata.cover, MAX_COVER_BYTES)  # never a FIFO: it would hang the export
    except UserFileError as error:
        raise ExportError(f"cannot use the cover image: {error}") from None
    problem = image_problem(data[:HEAD_BYTES])
    mime = image_mime(data[:8])
    if problem is not None or mime is None:
        raise ExportError(f"the cover image {metadata.cover} {problem or 'is not a JPEG or PNG file'}")
    return data, mime


def _id3_frames(tags: ID3, metadata: Metadata) -> None:
    """Fill an ID3 tag: text frames, cover, CTOC and CHAP frames."""
    texts = ((TIT2, metadata.title), (TPE1, metadata.artist), (TALB, metadata.album),
             (TDRC, metadata.date), (TCON, metadata.genre))
    for frame, value in texts:
        if value:
            tags.add(frame(encoding=3, text=[value]))
    if metadata.comment:
        tags.add(COMM(encoding=3, lang="eng", desc="", text=[metadata.comment]))
    cover = _cover(metadata)
    if cover is not None:
        tags.add(APIC(encoding=3, mime=cover[1], type=3, desc="Cover", data=cover[0]))
    if metadata.chapters:
        ids = [f"chp{index}" for index in range(1, len(metadata.chapters) + 1)]
        tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                      sub_frames=[TIT2(encoding=3, text=["Chapters"])]))
        for element_id, chapter in zip(ids, metadata.chapters, strict=True):
            tags.add(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                          start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                          sub_frames=[TIT2(encoding=3, text=[chapter.title])]))


def _write_id3(path: Path, metadata: Metadata) -> None:
    """ID3v2.4 at the start of an MP3."""
    tags = ID3()
    _id3_frames(tags, metadata)
    tags.save(str(path), v2_version=4)
    order_chapters(path)  # mutagen orders frames by size: chapters go back in time order


def _write_wave(path: Path, metadata: Metadata) -> None:
    """ID3v2.4 in the WAV's id3 chunk (what players that read WAV tags look for)."""
    audio = WAVE(str(path))
    audio.add_tags()
    assert audio.tags is not None
    _id3_frames(audio.tags, metadata)
    audio.save(v2_version=4)
    offset = wave_tag_offset(path)
    if offset is not None:
        order_chapters(path, offset)


def _write_mp4(path: Path, metadata: Metadata) -> None:
    """iTunes-style atoms (the chapters are already in the file)."""
    audio = MP4(str(path))
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    atoms = {"\xa9nam": metadata.title, "\xa9ART": metadata.artist, "\xa9alb": metadata.album,
             "\xa9day": metadata.date, "\xa9cmt": metadata.comment, "\xa9gen": metadata.genre}
    for atom, value in atoms.items():
        if value:
            audio.tags[atom] = [value]
    cover = _cover(metadata)
    if cover is not None:
        kind = MP4Cover.FORMAT_PNG if cover[1] == "image/png" else MP4Cover.FORMAT_JPEG
        audio.tags["covr"] = [MP4Cover(cover[0], imageformat=kind)]
    audio.save()


def _vorbis_comments(metadata: Metadata) -> dict[str, list[str]]:
    """Vorbis comments, with chapters as CHAPTERnnn=HH:MM:SS.mmm and CHAPTERnnnNAME."""
    comments = {"TITLE": metadata.title, "ARTIST": metadata.artist, "ALBUM": metadata.album,
                "DATE": metadata.date, "COMMENT": metadata.comment, "DESCRIPTION": metadata.comment,
                "GENRE": metadata.genre}
    result = {key: [value] for key, value in comments.items() if value}
    for index, chapter in enumerate(metadata.chapters, start=1):
        result[f"CHAPTER{index:03d}"] = [_clock(chapter.start_ms)]
        result[f"CHAPTER{index:03d}NAME"] = [chapter.title]
    return result


def _picture(metadata: Metadata) -> Picture | None:
    """The cover as a FLAC picture block."""
    cover = _cover(metadata)
    if cover is None:
        return None
    picture = Picture()
    picture.type = 3
    picture.mime = cover[1]
    picture.desc = "Cover"
    picture.data = cover[0]
    return picture


def _write_opus(path: Path, metadata: Metadata) -> None:
    """Vorbis comments in an Ogg Opus file; the cover as METADATA_BLOCK_PICTURE."""
    audio = OggOpus(str(path))
    assert audio.tags is not None
    for key, values in _vorbis_comments(metadata).items():
        audio.tags[key] = values
    picture = _picture(metadata)
    if picture is not None:
        audio.tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode("ascii")]
    audio.save()


def _write_flac(path: Path, metadata: Metadata) -> None:
    """Vorbis comments and a picture block in a FLAC file."""
    audio = FLAC(str(path))
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    for key, values in _vorbis_comments(metadata).items():
        audio.tags[key] = values
    picture = _picture(metadata)
    if picture is not None:
        audio.add_picture(picture)
    audio.save()


def _clock(milliseconds: int) -> str:
    """HH:MM:SS.mmm, as the chapter comment convention writes times."""
    seconds, ms = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"
