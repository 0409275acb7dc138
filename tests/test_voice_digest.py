"""A voice file's digest (part of every line's cache key) is worked out once and kept in the cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from player.voices import piper


def digest_of(path: Path) -> str:
    """What the engine reports for a voice file, as a new process would (nothing remembered in memory)."""
    piper._file_digest.cache_clear()
    stat = path.stat()
    return piper._file_digest(path, stat.st_size, stat.st_mtime)


def test_a_voice_files_digest_is_kept_and_follows_a_changed_file(tmp_path: Path) -> None:
    voice = tmp_path / "voice.onnx"
    voice.write_bytes(b"first model")
    assert digest_of(voice) == hashlib.sha256(b"first model").hexdigest()
    record = piper._digest_record(voice)
    assert record is not None and record.parent == Path(os.environ["PRACTICE_CACHE_DIR"]) / "piper" / "digests"
    # A kept digest is what a new process reads: rewrite it, and the file is not hashed again.
    record.write_text("ab" * 32, encoding="ascii")
    assert digest_of(voice) == "ab" * 32
    # A changed file (another size) is hashed again.
    voice.write_bytes(b"second, longer model")
    assert digest_of(voice) == hashlib.sha256(b"second, longer model").hexdigest()


def test_a_damaged_record_is_never_trusted(tmp_path: Path) -> None:
    voice = tmp_path / "voice.onnx"
    voice.write_bytes(b"model")
    digest_of(voice)
    record = piper._digest_record(voice)
    assert record is not None and record.is_file()
    for damaged in (b"zz" * 32, b"ab" * 31, b"\xff" * 64):
        record.write_bytes(damaged)
        assert digest_of(voice) == hashlib.sha256(b"model").hexdigest()
