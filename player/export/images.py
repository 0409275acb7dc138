"""Telling the cover image formats that every phone player shows (JPEG, PNG) from a file's bytes."""

from __future__ import annotations

import struct

from player.script.limits import MAX_COVER_SIDE

HEAD_BYTES = 1 << 18
"""How much of a cover is read to find its size: a JPEG's frame header follows its EXIF (at most 64 KB a segment)."""
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
"""JPEG's start-of-frame markers (the others in C0 to CF are tables)."""


def image_mime(head: bytes) -> str | None:
    """image/jpeg or image/png from a file's first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def image_problem(head: bytes) -> str | None:
    """Why a cover cannot be used (not a JPEG or PNG, or more pixels than a player should decode), from its head."""
    mime = image_mime(head)
    if mime is None:
        return "is not a JPEG or PNG file"
    size = _png_size(head) if mime == "image/png" else _jpeg_size(head)
    if size is None:
        return None  # no size in the first bytes: nothing claims a huge picture (players cope with damage)
    width, height = size
    if not (0 < width <= MAX_COVER_SIDE and 0 < height <= MAX_COVER_SIDE):
        return (f"is {width:,} by {height:,} pixels; a cover may be at most {MAX_COVER_SIDE:,} a side "
                "(phone players decode it whole)")
    return None


def _png_size(head: bytes) -> tuple[int, int] | None:
    """A PNG's width and height from its IHDR chunk, which must come first."""
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    """A JPEG's width and height from its first start-of-frame segment."""
    at = 2
    while at + 9 <= len(head):
        if head[at] != 0xFF:
            return None
        marker = head[at + 1]
        if marker == 0xFF:  # fill bytes before a marker
            at += 1
            continue
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", head[at + 5:at + 9])
            return int(width), int(height)
        at += 2 + struct.unpack(">H", head[at + 2:at + 4])[0]
    return None
