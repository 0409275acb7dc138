"""Where the YAML reader says a file went wrong: exact FILE:LINE:COL counted by hand in each text.

Mutants that survived the suite are listed in docs/testing.md; each test here reads the
message a user sees, position included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from player.errors import ScriptError
from player.script.yamlnodes import MAX_FILE_BYTES, compose_file, compose_text


def error_of(raw: bytes) -> str:
    """The message compose_text raises for these bytes."""
    with pytest.raises(ScriptError) as error:
        compose_text(raw, "t.yaml")
    return str(error.value)


def test_bytes_that_are_not_utf8_are_located_at_the_first_bad_byte() -> None:
    assert error_of(b"title: ok\nsteps:\n  - say: caf\xe9\n") == (
        "t.yaml:3:13: not UTF-8 text (is this a script, or a binary file?)")
    assert error_of(b"\xff") == "t.yaml:1:1: not UTF-8 text (is this a script, or a binary file?)"


def test_an_empty_file_says_what_a_script_needs() -> None:
    assert error_of(b"# only a comment\n") == "t.yaml: the file is empty; a script needs a title and steps"


def test_a_second_document_is_located_at_its_marker() -> None:
    assert error_of(b"title: a\n---\ntitle: b\n") == (
        "t.yaml:2:1: a script is one YAML document: remove the second '---'")


def test_an_alias_without_an_anchor_is_located() -> None:
    assert error_of(b"title: ok\nsteps: *nothing\n") == "t.yaml:2:8: the alias *nothing names no anchor"


def test_nesting_is_refused_at_the_fiftieth_level_and_not_before() -> None:
    compose_text(b"title: " + b"[" * 49 + b"]" * 49, "t.yaml")
    assert error_of(b"title: " + b"[" * 50 + b"]" * 50) == (
        "t.yaml:1:57: lists and mappings nest more than 50 deep here; a script needs only a few levels")


def test_invalid_yaml_is_located_where_the_parser_stopped() -> None:
    assert error_of(b"title: ok\nsteps:\n  - say: [a, b\n") .startswith("t.yaml:4:1: not valid YAML: ")
    assert error_of(b"title: 'never closed\nsteps: []\n") == "t.yaml:1:8: not valid YAML: this quote is never closed"


def test_a_foreign_tag_is_refused_where_it_stands() -> None:
    assert error_of(b"title: ok\nsteps: !!set {a: null}\n") == (
        "t.yaml:2:8: the tag '!!set' is not allowed: scripts hold plain text, numbers and lists")
    assert error_of(b"title: !custom x\n") == (
        "t.yaml:1:8: the tag '!custom' is not allowed: scripts hold plain text, numbers and lists")


def test_a_missing_file_and_a_file_over_the_limit(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as missing:
        compose_file(tmp_path / "none.yaml", "none.yaml")
    assert str(missing.value) == "none.yaml: no such file"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ScriptError) as large:
        compose_file(big, "big.yaml")
    assert str(large.value) == "big.yaml: file is 1,000,001 bytes; a script may be at most 1,000,000 bytes (1 MB)"
    exact = tmp_path / "exact.yaml"
    exact.write_bytes(b"title: x\n" + b"#" * (MAX_FILE_BYTES - 9))
    assert compose_file(exact, "exact.yaml") is not None
