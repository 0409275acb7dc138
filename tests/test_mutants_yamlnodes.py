"""Where the YAML reader says a file went wrong: exact FILE:LINE:COL counted by hand in each text.

Mutants that survived the suite are listed in docs/testing.md; each test here reads the
message a user sees, position included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from player.errors import Problem, ScriptError
from player.script.yamlnodes import MAX_FILE_BYTES, compose_file, compose_text, problem_at


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


def test_whole_file_problems_have_no_line_or_column(tmp_path: Path) -> None:
    # The studio shows a problem's line and column as they are: a whole-file problem has 0 and 0.
    with pytest.raises(ScriptError) as missing:
        compose_file(tmp_path / "none.yaml", "none.yaml")
    assert [(p.line, p.column) for p in missing.value.problems] == [(0, 0)]
    assert problem_at("t.yaml", None, "m") == Problem("t.yaml", 0, 0, "m")
    assert str(problem_at("t.yaml", None, "m")) == "t.yaml: m"


def test_a_character_yaml_forbids_is_located_and_named() -> None:
    # "steps: " is 7 characters: the NUL is the 8th of line 2; BEL is the 9th of line 1.
    assert error_of(b"title: ok\nsteps: \x00\n") == "t.yaml:2:8: not a text file: character 0 is not allowed"
    assert error_of(b"title: a\x07b\n") == "t.yaml:1:9: not a text file: character 7 is not allowed"


def test_the_non_specific_tag_is_resolved_as_pyyamls_composer_resolves_it() -> None:
    text = "title: ! 12\nsteps: ! [1]\nvoice: ! {rate: 1}\n"
    ours = compose_text(text.encode(), "t.yaml")
    theirs = yaml.compose(text, Loader=yaml.SafeLoader)
    assert theirs is not None
    assert [(k.value, v.tag) for k, v in ours.value] == [(k.value, v.tag) for k, v in theirs.value]


def test_an_empty_file_is_a_whole_file_problem() -> None:
    with pytest.raises(ScriptError) as error:
        compose_text(b"", "t.yaml")
    assert [(p.line, p.column) for p in error.value.problems] == [(0, 0)]


def alias_document(extra: int) -> bytes:
    """A document of 9,934 + `extra` nodes once its aliases are expanded, counted by hand below."""
    # a: 1 + 9 = 10 nodes; b: 1 + 9 * 10 = 91; c: 1 + 108 * 91 + extra = 9,829 + extra;
    # the root: 1 + 3 keys + 10 + 91 + 9,829 + extra = 9,934 + extra.
    a, b, c = ", ".join(["x"] * 9), ", ".join(["*a"] * 9), ", ".join(["*b"] * 108 + ["x"] * extra)
    return f"a: &a [{a}]\nb: &b [{b}]\nc: [{c}]\n".encode()


def test_aliases_may_expand_to_ten_thousand_nodes_and_not_one_more() -> None:
    compose_text(alias_document(66), "t.yaml")
    assert error_of(alias_document(67)) == (
        "t.yaml:1:1: aliases expand to more than 10,000 nodes (the limit for one script); "
        "is this file built to exhaust memory?")


def test_a_scalar_anchor_is_read_back_by_its_alias() -> None:
    text = "title: &t Calm\ndescription: *t\n"
    ours = compose_text(text.encode(), "t.yaml")
    theirs = yaml.compose(text, Loader=yaml.SafeLoader)
    assert theirs is not None
    assert [(k.value, v.value) for k, v in ours.value] == [(k.value, v.value) for k, v in theirs.value]
    assert [v.value for _, v in ours.value] == ["Calm", "Calm"]


def test_a_recursive_anchor_and_a_control_character_are_located_and_explained() -> None:
    assert error_of(b"a: &a [*a]\n") == "t.yaml:1:4: an alias refers to itself (a recursive anchor)"
    assert error_of(b'title: "a\\eb"\n') == (
        "t.yaml:1:8: this text holds U+001B (a control character) at character 2; scripts hold plain text "
        "(a terminal or a player would obey it)")
