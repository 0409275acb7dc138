"""CHAP frames in time order inside an ID3v2.4 tag that mutagen wrote.

mutagen sorts frames by importance, then by their size, then by name, so chapters came out in
the order of their titles' lengths (ffmpeg listed Sounds, Contact, Arriving, ...). Players that
read CHAP frames in file order showed them so. The tag's frames are reordered in place: the
same bytes, the same size, each CHAP frame where one was, in order of start time.
"""

from __future__ import annotations

import struct
from pathlib import Path

_HEADER = 10


def _synchsafe(data: bytes) -> int:
    """A 28-bit synchsafe integer (ID3v2.4 sizes)."""
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _chapter_start(frame: bytes) -> int:
    """A CHAP frame's start time in ms (after its null-terminated element id)."""
    body = frame[_HEADER:]
    end = body.index(b"\0")
    return int(struct.unpack(">I", body[end + 1:end + 5])[0])


def wave_tag_offset(path: Path) -> int | None:
    """Where the ID3 tag inside a WAV file's `id3 ` chunk starts, or None."""
    with path.open("rb") as stream:
        if stream.read(12)[8:12] != b"WAVE":
            return None
        while len(chunk := stream.read(8)) == 8:
            size = int(struct.unpack("<I", chunk[4:])[0])
            if chunk[:4] in (b"id3 ", b"ID3 "):
                return stream.tell()
            stream.seek(size + (size & 1), 1)
    return None


def order_chapters(path: Path, offset: int = 0) -> None:
    """Rewrite the ID3v2.4 tag at `offset` in `path` with its CHAP frames in time order."""
    with path.open("r+b") as stream:
        stream.seek(offset)
        header = stream.read(_HEADER)
        if len(header) < _HEADER or header[:3] != b"ID3" or header[3] != 4 or header[5] & 0xC0:
            return  # not a plain v2.4 tag (unsynchronised or with an extended header): leave it
        tag = stream.read(_synchsafe(header[6:10]))
        frames: list[bytes] = []
        position = 0
        while position + _HEADER <= len(tag) and tag[position:position + 4] != b"\0\0\0\0":
            size = _HEADER + _synchsafe(tag[position + 4:position + 8])
            frames.append(tag[position:position + size])
            position += size
        chapters = [frame for frame in frames if frame[:4] == b"CHAP"]
        if len(chapters) < 2:
            return
        in_order = iter(sorted(chapters, key=_chapter_start))
        reordered = b"".join(next(in_order) if frame[:4] == b"CHAP" else frame for frame in frames)
        stream.seek(offset + _HEADER)
        stream.write(reordered)
