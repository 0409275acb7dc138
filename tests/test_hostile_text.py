"""Text from a script or --set: no control characters, no multiplying variables, no silent misspellings."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from player.cli.commands import cli
from player.errors import ScriptError, VariableError
from player.export.formats import FORMATS, format_for
from player.script.library import builtin_folder, resolve_script
from player.script.loader import Overrides, load_script, parse_set_options

WriteScript = Callable[..., Path]


def problems_of(path: Path, overrides: Overrides | None = None) -> list[str]:
    """The problem lines load_script reports for a file."""
    with pytest.raises(ScriptError) as caught:
        load_script(path, overrides)
    return [str(problem) for problem in caught.value.problems]


def test_escape_sequences_in_titles_say_and_chapters_are_located(write_script: WriteScript) -> None:
    # YAML's double-quoted escapes are how a control character gets past the reader.
    path = write_script('title: "Evil \\e]52;c;aGk=\\a"\nsteps:\n  - say: "Hi \\e[2J there"\n'
                        '  - chapter: "\\x9b31m red"\n')
    problems = problems_of(path)
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:1:8", f"{path}:3:10", f"{path}:4:14"]
    assert "U+001B (a control character) at character 6" in problems[0]
    assert "U+009B" in problems[2]
    assert not any(re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", p) for p in problems)


def test_a_lone_surrogate_in_a_title_is_a_located_error(write_script: WriteScript) -> None:
    path = write_script('title: "\\ud800"\nsteps:\n  - say: Hi.\n')
    problems = problems_of(path)
    # libyaml refuses the escape itself; PyYAML's own parser lets it through to the text check.
    assert len(problems) == 1 and problems[0].startswith(f"{path}:1:")
    assert "invalid Unicode character escape" in problems[0] or "U+D800 (a lone surrogate" in problems[0]
    assert not re.search(r"[\ud800-\udfff]", problems[0])


def test_check_prints_nothing_raw_to_the_terminal(write_script: WriteScript) -> None:
    path = write_script('title: "\\e]52;c;aGk=\\a"\nsteps:\n  - chapter: "\\e[2J"\n  - say: Hi.\n')
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output + result.stderr
    assert "2 problems found" in result.stderr


@pytest.mark.parametrize("value", ["Sam\x1b[2J", "Sam\x07", "\ud800"])
def test_set_values_with_control_characters_are_refused(value: str) -> None:
    with pytest.raises(VariableError, match="the value given for name holds U\\+"):
        parse_set_options([f"name={value}"])


def test_set_values_are_capped() -> None:
    with pytest.raises(VariableError, match="1,001 characters; the limit is 1,000"):
        parse_set_options(["name=" + "x" * 1001])
    assert parse_set_options(["name=" + "x" * 1000])["name"] == "x" * 1000


def test_variables_cannot_multiply_a_small_script_into_gigabytes(write_script: WriteScript) -> None:
    value = "x" * 4_000
    say = "{a}" * 1_600
    path = write_script(f"title: T\nvars: {{a: {value}}}\nsteps:\n" + f"  - say: \"{say}\"\n" * 2)
    started = time.process_time()
    problems = problems_of(path)
    assert time.process_time() - started < 5  # a resource bound, not a speed claim: it used to need GiB
    assert len(problems) == 2
    assert "'say' is 6,400,000 characters with its variables filled in; the limit for one text is 5,000" \
        in problems[0]


def test_the_text_limit_applies_after_filling(write_script: WriteScript) -> None:
    path = write_script("title: T\nvars: {a: " + "y" * 3000 + "}\nsteps:\n  - say: '{a} {a}'\n")
    assert "6,001 characters with its variables filled in" in problems_of(path)[0]
    write_script("title: T\nvars: {a: " + "y" * 2000 + "}\nsteps:\n  - say: '{a} {a}'\n", "ok.yaml")
    assert len(load_script(path.parent / "ok.yaml").steps) == 1


def test_a_misspelt_set_name_is_an_error_with_a_suggestion(write_script: WriteScript) -> None:
    path = write_script("title: Hello {name}\nvars: {name: friend}\nsteps:\n  - say: Hi {name}.\n")
    problems = problems_of(path, Overrides(vars={"nmae": "Sam"}))
    assert problems == [f"{path}: a value is given for nmae, but this script has no variable 'nmae' "
                        "(did you mean 'name'?); "
                        "its variables: name"]
    assert load_script(path, Overrides(vars={"name": "Sam"})).title == "Hello Sam"


def test_a_set_name_used_only_in_text_is_known(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - say: Hi {who}.\n")
    assert load_script(path, Overrides(vars={"who": "Sam"})).steps[0].text == "Hi Sam."  # type: ignore[union-attr]


def test_a_batch_refuses_a_set_name_no_script_knows(write_script: WriteScript, tmp_path: Path) -> None:
    first = write_script("title: A\nvars: {name: friend}\nsteps:\n  - say: Hi {name}.\n", "a.yaml")
    second = write_script("title: B\nsteps:\n  - say: Hi.\n", "b.yaml")
    result = CliRunner().invoke(cli, ["export", str(first), str(second), "-d", str(tmp_path / "out"),
                                      "--set", "nmae=Sam"])
    assert result.exit_code == 2
    assert "--set nmae: none of these scripts has a variable 'nmae' (did you mean 'name'?)" in result.stderr
    assert not list((tmp_path / "out").iterdir())


def test_an_unclosed_quote_is_reported_where_it_opens(write_script: WriteScript) -> None:
    path = write_script('title: T\nsteps:\n  - say: "Hello\n  - pause: 2\n  - say: ok\n')
    assert problems_of(path) == [f"{path}:3:10: not valid YAML: this quote is never closed"]


def test_check_and_show_count_one_chapter_in_the_singular(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - chapter: Only\n  - pause: 2\n")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert "about 2.0s, 1 chapter (Only)" in result.output


def test_builtin_names_with_yaml_resolve() -> None:
    assert resolve_script("five-senses.yaml") == builtin_folder() / "five-senses.yaml"
    assert resolve_script("five-senses") == builtin_folder() / "five-senses.yaml"
    assert resolve_script("elsewhere/five-senses.yaml") == Path("elsewhere/five-senses.yaml")
    assert resolve_script("not-built-in.yaml") == Path("not-built-in.yaml")


def test_an_opus_file_name_means_opus_in_ogg() -> None:
    assert format_for(Path("x.opus")) is FORMATS["ogg"]
    assert format_for(Path("x.OPUS")) is FORMATS["ogg"]


def test_sounds_help_names_no_option_export_lacks() -> None:
    sounds = CliRunner().invoke(cli, ["sounds", "--help"]).output
    export = CliRunner().invoke(cli, ["export", "--help"]).output
    for option in re.findall(r"(?<![\w-])--[a-z][a-z-]+", sounds):
        own = re.search(rf"^\s+(-\w, )?{option}\b", sounds, re.MULTILINE)
        assert own or option in export or f"practice timer {option}" in sounds, option


def test_one_parse_gives_the_same_graph_as_pyyamls_composer() -> None:
    import yaml
    from yaml.nodes import Node

    from player.script.yamlnodes import _compose

    def shape(node: Node) -> object:
        mark = (node.start_mark.line, node.start_mark.column)
        if isinstance(node.value, str):
            return (node.tag, node.value, mark)
        if node.tag.endswith(":map"):
            return (node.tag, mark, [(shape(k), shape(v)) for k, v in node.value])
        return (node.tag, mark, [shape(child) for child in node.value])

    for path in sorted(builtin_folder().glob("*.yaml")) + sorted(Path("tests/bad_scripts").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            expected = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            continue
        if expected is not None and path.name not in ("nested-too-deep.yaml", "recursive-alias.yaml"):
            got = _compose(text, str(path))
            assert got is not None and shape(got) == shape(expected), path


def test_nesting_a_hundred_thousand_deep_is_refused_without_recursion(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps: " + "[" * 60 + "\n")
    assert problems_of(path) == [f"{path}:2:57: lists and mappings nest more than 50 deep here; "
                                 "a script needs only a few levels"]
    path = write_script("title: T\nsteps: " + "[" * 100_000 + "\n")
    problems = problems_of(path)  # libyaml stops at its own limit (1,000) before ours sees the events
    assert len(problems) == 1 and problems[0].startswith(f"{path}:2:")
    assert "nest" in problems[0] or "nesting" in problems[0]


def test_an_album_with_control_characters_is_refused(write_script: WriteScript, tmp_path: Path) -> None:
    path = write_script("title: T\nsteps:\n  - pause: 1\n")
    result = CliRunner().invoke(cli, ["export", str(path), "-o", str(tmp_path / "x.wav"),
                                      "--album", "Sam\x1b]52;c;aGk=\x07"])
    assert result.exit_code == 2
    assert "--album holds U+001B (a control character)" in result.stderr
    assert "\x1b" not in result.stderr and not (tmp_path / "x.wav").exists()


def test_a_script_file_name_with_an_escape_is_printed_escaped(tmp_path: Path) -> None:
    path = tmp_path / "a\x1b[2Jb.yaml"
    path.write_text("title: T\nsteps:\n  - pause: 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "a\\x1b[2Jb.yaml: ok" in result.output


def test_override_values_from_the_api_are_checked_by_the_loader(write_script: WriteScript) -> None:
    path = write_script("title: Hi {name}\nsteps:\n  - pause: 1\n")
    problems = problems_of(path, Overrides(vars={"name": "\x1b[2J"}))
    assert problems[0] == (f"{path}: the value given for name holds U+001B (a control character) at character 1; "
                           "scripts hold plain text (a terminal or a player would obey it)")
    assert not any("\x1b" in problem for problem in problems)
