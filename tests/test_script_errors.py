"""Every kind of script problem is reported as FILE:LINE:COL, all at once, never as a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player.errors import ScriptError
from player.script.loader import Overrides, load_script

WriteScript = Callable[..., Path]


def problems_of(path: Path, overrides: Overrides | None = None) -> list[str]:
    """The problem lines load_script reports for a file."""
    with pytest.raises(ScriptError) as caught:
        load_script(path, overrides)
    return [str(problem) for problem in caught.value.problems]


def test_a_valid_script_loads_with_vars_filled(write_script: WriteScript) -> None:
    path = write_script("""
        title: Hello {name}
        vars: {name: friend}
        steps:
          - say: Hi {name}. Braces stay with {{double}} ones.
          - pause: 1m30s
    """)
    script = load_script(path, Overrides(vars={"name": "Sam"}))
    assert script.title == "Hello Sam"
    assert script.steps[0].text == "Hi Sam. Braces stay with {double} ones."  # type: ignore[union-attr]
    assert script.steps[1].seconds == 90.0  # type: ignore[union-attr]


def test_a_misspelt_step_is_located_with_a_suggestion(write_script: WriteScript) -> None:
    path = write_script("""
        title: Typo
        steps:
          - say: Hello.
          - puase: 4
    """)
    assert problems_of(path) == [f"{path}:4:5: unknown step 'puase' (did you mean 'pause'?)"]


def test_unknown_keys_are_errors_with_a_suggestion(write_script: WriteScript) -> None:
    path = write_script("""
        title: Keys
        voice: {rat: 0.9}
        stepz: []
        steps:
          - pause: {seconds: 3, flexibel: true}
    """)
    found = problems_of(path)
    assert any(":2:9: unknown key 'rat' in 'voice' (did you mean 'rate'?)" in p for p in found)
    assert any(":3:1: unknown key 'stepz' in the script (did you mean 'steps'?)" in p for p in found)
    assert any(":5:25: unknown key 'flexibel' in 'pause' (did you mean 'flexible'?)" in p for p in found)


def test_all_problems_of_a_file_are_reported_at_once(write_script: WriteScript) -> None:
    path = write_script("""
        title: Many
        pace: fast
        steps:
          - say: Hello {nobody}.
          - pause: soon
          - breathe: squre
          - repeat: 500
            steps: [{pause: 1}]
          - chime: {volume: 2}
    """)
    found = problems_of(path)
    assert len(found) == 7, found
    assert f"{path}:2:7: 'pace' must be a number, not 'fast'" in found
    assert any(":4:10:" in p and "unknown variable '{nobody}'" in p for p in found)
    assert any(":5:12:" in p and "'soon' is not a duration" in p for p in found)
    # 'squre' is near no pattern: the list, and no guess (a guess here would be a wrong one).
    assert f"{path}:6:14: 'breathe' must be one of box, 4-7-8, resonance, calm, not 'squre'" in found
    assert any(":7:13:" in p and "at most 100" in p for p in found)
    assert any(":9:12:" in p and "'chime' needs 'sound'" in p for p in found)
    assert any(":9:21:" in p and "'volume' must be at most 1.0, not 2" in p for p in found)


def test_a_near_miss_of_a_choice_gets_the_right_suggestion(write_script: WriteScript) -> None:
    path = write_script("title: x\nsteps:\n  - breathe: resonanse\n  - chime: bel\n")
    assert problems_of(path) == [
        f"{path}:3:14: 'breathe' must be one of box, 4-7-8, resonance, calm, not 'resonanse' "
        "(did you mean 'resonance'?)",
        f"{path}:4:5: unknown chime 'bel' (did you mean 'bell'?); built-in chimes: bowl, bell, soft, wood, "
        "or give a file path",
    ]


@pytest.mark.parametrize(("body", "expected"), [
    ("steps:\n  - say: hi\n", "the script needs 'title'"),
    ("title: x\n", "the script needs 'steps'"),
    ("title: x\nsteps: []\n", "'steps' is empty"),
    ("title: x\nsteps: {say: hi}\n", "'steps' must be a list of steps"),
    ("title: x\nsteps:\n  - say\n", "a step is written as '- name: value'"),
    ("title: x\nsteps:\n  - say: hi\n    pause: 2\n", "each step holds one action"),
    ("title: x\nsteps:\n  - pause: {seconds: 3, min: 1}\n", "only apply to a flexible pause"),
    ("title: x\nsteps:\n  - pause: {seconds: 3, flexible: true, max: 1}\n", "is shorter than the pause"),
    ("title: x\nsteps:\n  - pause: 2h\n", "the limit for a single pause is 1 h"),
    ("title: x\nsteps:\n  - pause: -3\n", "cannot be negative"),
    ("title: x\nvoice: {rate: 3}\nsteps:\n  - say: hi\n", "'rate' must be at most 2.0"),
    ("title: x\nvoice: {engine: espeak}\nsteps:\n  - say: hi\n", "must be one of auto, piper, system"),
    ("title: x\nsteps:\n  - pause: {seconds: 3, flexible: maybe}\n", "must be true or false"),
    ("title: x\nsteps:\n  - breathe: {cycles: 2}\n", "'breathe' needs a pattern"),
    ("title: x\nsteps:\n  - repeat: 2.5\n    steps: [{say: hi}]\n", "must be a whole number"),
    ("title: x\nsteps:\n  - say: [a, b]\n", "must be a single value"),
    ("title: x\nsteps:\n  - say: 'a [pause soon] b'\n", "inline [pause soon]"),
    ("title: x\nsteps:\n  - say: 'a { b'\n", "stray '{'"),
    ("title: x\nvars: [a]\nsteps:\n  - say: hi\n", "'vars' must be a mapping"),
    ("title: [x\n", "not valid YAML"),
    ("- just\n- a list\n", "the script must be a mapping"),
])
def test_each_error_class_is_located(write_script: WriteScript, body: str, expected: str) -> None:
    path = write_script(body)
    found = problems_of(path)
    assert any(expected in p for p in found), found
    assert all(p.startswith(f"{path}:") for p in found)


def test_python_tags_are_refused_without_running_anything(write_script: WriteScript, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write_script(f"""
        title: !!python/object/apply:os.system ["touch {marker}"]
        steps:
          - say: hi
    """)
    found = problems_of(path)
    assert found == [f"{path}:1:8: the tag '!!python/object/apply:os.system' is not allowed: "
                     "scripts hold plain text, numbers and lists"]
    assert not marker.exists()


def test_a_billion_laughs_file_fails_fast_with_a_location(write_script: WriteScript) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level, name in enumerate("bcdefghij"):
        previous = "abcdefghij"[level]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = write_script("\n".join(lines) + "\n")
    found = problems_of(path)
    assert len(found) == 1
    assert "aliases expand to more than 10,000 nodes" in found[0]
    assert found[0].startswith(f"{path}:")


def test_a_recursive_alias_is_refused(write_script: WriteScript) -> None:
    path = write_script("title: &t [x, *t]\nsteps: [{say: hi}]\n")
    assert "refers to itself" in problems_of(path)[0]


def test_a_file_over_one_megabyte_is_refused_before_parsing(write_script: WriteScript) -> None:
    path = write_script("title: big\n# " + "x" * 1_000_001 + "\nsteps: [{say: hi}]\n")
    found = problems_of(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}: file is 1,000,0")
    assert found[0].endswith("bytes; a script may be at most 1,000,000 bytes (1 MB)")


def test_binary_bytes_are_reported_as_not_text(tmp_path: Path) -> None:
    path = tmp_path / "noise.yaml"
    path.write_bytes(b"title: x\nsteps:\n  - say: \xff\xfe\x00\x01\n")
    found = problems_of(path)
    assert found == [f"{path}:3:10: not UTF-8 text (is this a script, or a binary file?)"]


def test_a_session_over_four_hours_is_refused_before_any_work(write_script: WriteScript) -> None:
    path = write_script("""
        title: Long
        steps:
          - repeat: 5
            steps:
              - pause: 1h
    """)
    assert any("a session may last at most 4:00:00" in p for p in problems_of(path))


def test_nested_repeats_cannot_multiply_without_bound(write_script: WriteScript) -> None:
    path = write_script("""
        title: Many
        steps:
          - repeat: 100
            steps:
              - repeat: 100
                steps:
                  - repeat: 100
                    steps: [{chapter: x}]
    """)
    assert any("the limit is 20,000" in p for p in problems_of(path))


def test_a_missing_file_reports_no_such_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: no such file"]
