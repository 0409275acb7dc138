"""CHAP frames put in time order in tags built byte by byte here, not by mutagen (docs/testing.md).

The tags follow the ID3v2.4 layout (10-byte header, synchsafe sizes, frames, padding); sizes
over 127 make a wrong synchsafe decoding show.
"""

from __future__ import annotations

import struct
from pathlib import Path

from player.export.chaporder import order_chapters, wave_tag_offset


def synchsafe(number: int) -> bytes:
    """Seven bits a byte, most significant first."""
    return bytes([(number >> 21) & 0x7F, (number >> 14) & 0x7F, (number >> 7) & 0x7F, number & 0x7F])


def frame(name: bytes, body: bytes) -> bytes:
    """One ID3v2.4 frame."""
    return name + synchsafe(len(body)) + b"\0\0" + body


def chap(element: bytes, start: int, end: int) -> bytes:
    """A CHAP frame without sub-frames."""
    return frame(b"CHAP", element + b"\0" + struct.pack(">IIII", start, end, 0xFFFFFFFF, 0xFFFFFFFF))


TITLE = frame(b"TIT2", b"\x03" + b"t" * 200 + b"\0")  # 202 bytes: a two-byte synchsafe size
LATE = chap(b"late", 70_000, 80_000)
EARLY = chap(b"early-with-a-long-id", 0, 70_000)
MIDDLE = chap(b"mid", 65_536, 70_000)
PADDING = b"\0" * 30


def tag(frames: bytes, version: int = 4, flags: int = 0) -> bytes:
    """A whole tag with padding."""
    return b"ID3" + bytes([version, 0, flags]) + synchsafe(len(frames) + len(PADDING)) + frames + PADDING


def test_chapters_are_put_in_time_order_in_their_own_places(tmp_path: Path) -> None:
    path = tmp_path / "t.mp3"
    path.write_bytes(tag(LATE + TITLE + MIDDLE + EARLY) + b"audio")
    order_chapters(path)
    assert path.read_bytes() == tag(EARLY + TITLE + MIDDLE + LATE) + b"audio"


def test_frames_and_tags_past_two_megabytes_are_walked(tmp_path: Path) -> None:
    # A large cover: over 2 MiB, so all four bytes of a synchsafe size are in use.
    cover = frame(b"APIC", bytes(2_200_000 - 10))
    path = tmp_path / "t.mp3"
    path.write_bytes(tag(LATE + cover + EARLY) + b"audio")
    order_chapters(path)
    assert path.read_bytes() == tag(EARLY + cover + LATE) + b"audio"


def test_tags_it_cannot_walk_safely_are_left_as_they_are(tmp_path: Path) -> None:
    for raw in (tag(LATE + EARLY, version=3), tag(LATE + EARLY, flags=0x40), tag(LATE + EARLY, flags=0x80),
                b"RIFF" + tag(LATE + EARLY)[4:], tag(LATE + EARLY)[:9]):
        path = tmp_path / "t.mp3"
        path.write_bytes(raw)
        order_chapters(path)
        assert path.read_bytes() == raw


def wav(chunks: bytes) -> bytes:
    """A RIFF/WAVE file around the given chunks."""
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def chunk(name: bytes, body: bytes) -> bytes:
    """One RIFF chunk, padded to an even length."""
    return name + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def test_the_tag_inside_a_wav_is_found_after_odd_sized_chunks(tmp_path: Path) -> None:
    path = tmp_path / "t.wav"
    id3 = tag(LATE + TITLE + EARLY)
    path.write_bytes(wav(chunk(b"fmt ", bytes(16)) + chunk(b"data", b"abc") + chunk(b"id3 ", id3)))
    assert wave_tag_offset(path) == 12 + (8 + 16) + (8 + 3 + 1) + 8
    order_chapters(path, 56)
    assert path.read_bytes().endswith(tag(EARLY + TITLE + LATE))
    path.write_bytes(wav(chunk(b"data", b"ab") + chunk(b"ID3 ", id3)))
    assert wave_tag_offset(path) == 12 + (8 + 2) + 8
    path.write_bytes(wav(chunk(b"data", b"ab")))
    assert wave_tag_offset(path) is None
    path.write_bytes(b"RIFF" + bytes(4) + b"AVI " + chunk(b"id3 ", id3))
    assert wave_tag_offset(path) is None
