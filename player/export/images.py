"""Telling the cover image formats that every phone player shows (JPEG, PNG) from a file's bytes."""

from __future__ import annotations


def image_mime(head: bytes) -> str | None:
    """image/jpeg or image/png from a file's first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None
