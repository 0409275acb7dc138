"""The practice library and the authoring tools: built-ins, templates, the schema, the timer."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from player.cli.commands import cli
from player.errors import ScriptError
from player.script.authoring import TEMPLATES, new_script, timer_script
from player.script.jsonschema import schema_text, script_schema, shipped_schema_path
from player.script.library import builtin_folder, builtin_names
from player.script.loader import Overrides, load_script
from player.sounds import chime
from player.timeline.compile import compile_timeline
from player.timeline.lengths import END_QUIET
from player.voices import Speaker, open_engine
from tests.fakes import FakeEngine

WriteScript = Callable[..., Path]
REQUIRED = ["five-senses", "breath-and-touch", "name-what-is-here", "sensory-anchors", "gentle-movement",
            "micro-moments", "listening-to-music", "mindful-walk", "letting-go-of-fixing", "body-check-in",
            "evening-noticing", "daily-anchor", "reorient"]
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> tuple[int, str, str]:
    """The CLI in-process."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_practice_in_the_brief_is_built_in() -> None:
    assert set(REQUIRED) <= set(builtin_names())


@pytest.mark.parametrize("name", REQUIRED)
def test_each_built_in_declares_eyes_and_lengths_that_load(name: str) -> None:
    script = load_script(builtin_folder() / f"{name}.yaml")
    assert script.eyes in ("closed", "open", "partly")
    if name == "mindful-walk":
        assert script.eyes == "open" and "eyes open" in script.description.lower()
    if name != "reorient":
        assert script.length is not None and script.length in script.lengths
        for length in script.lengths:  # each variant is reachable (by the estimate)
            load_script(builtin_folder() / f"{name}.yaml", Overrides(length=length))


def test_list_shows_length_eyes_and_the_safety_note_and_json() -> None:
    code, out, _ = run("list")
    assert code == 0
    walk = next(line for line in out.splitlines() if line.startswith("mindful-walk"))
    assert "eyes open" in walk and ":" in walk
    assert "do not replace, care from a professional" in out
    code, out, _ = run("list", "--json")
    data = json.loads(out)
    names = {p["name"] for p in data["practices"]}
    assert set(REQUIRED) <= names
    five = next(p for p in data["practices"] if p["name"] == "five-senses")
    assert five["eyes"] == "closed" and five["seconds"] == 540 and five["lengths"]
    assert "professional" in data["safety_note"]


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_each_template_passes_check_at_each_of_its_lengths(template: str, tmp_path: Path) -> None:
    path = new_script("from-template", template, folder=tmp_path)
    assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=file://")
    script = load_script(path)
    for length in script.lengths:
        load_script(path, Overrides(length=length))
    code, out, err = run("check", str(path))
    assert code == 0, err
    assert "ok" in out
    with pytest.raises(Exception, match="already exists"):
        new_script("from-template", template, folder=tmp_path)


def test_the_personal_template_uses_vars_for_a_name_and_a_safe_place(tmp_path: Path) -> None:
    path = new_script("for-sam", "personal", folder=tmp_path)
    script = load_script(path, Overrides(vars={"name": "Sam", "safe_place": "the beach at dawn"}))
    texts = " ".join(getattr(step, "text", "") for step in script.steps)
    assert "Sam" in texts and "the beach at dawn" in texts
    assert script.collection == "Practices for Sam"


def test_the_shipped_schema_is_the_generated_one() -> None:
    # One source of truth: the file in the package is schema.py's definitions, generated.
    assert shipped_schema_path().read_text(encoding="utf-8") == schema_text()
    jsonschema.Draft202012Validator.check_schema(script_schema())


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(shipped_schema_path().read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", sorted(builtin_folder().glob("*.yaml")), ids=lambda p: p.stem)
def test_the_schema_accepts_every_built_in(path: Path) -> None:
    errors = list(_validator().iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_the_schema_accepts_every_template(template: str, tmp_path: Path) -> None:
    data = yaml.safe_load(new_script("t", template, folder=tmp_path).read_text(encoding="utf-8"))
    assert not list(_validator().iter_errors(data))


@pytest.mark.parametrize("body", [
    "steps:\n  - say: hi\n",
    "title: x\n",
    "title: x\nsteps: []\n",
    "title: x\nsteps: {say: hi}\n",
    "title: x\nsteps:\n  - say\n",
    "title: x\nsteps:\n  - say: hi\n    pause: 2\n",
    "title: x\nsteps:\n  - puase: 4\n",
    "title: x\nsteps:\n  - pause: -3\n",
    "title: x\nvoice: {rate: 3}\nsteps:\n  - say: hi\n",
    "title: x\nvoice: {engine: espeak}\nsteps:\n  - say: hi\n",
    "title: x\nsteps:\n  - pause: {seconds: 3, flexible: maybe}\n",
    "title: x\nsteps:\n  - repeat: 2.5\n    steps: [{say: hi}]\n",
    "title: x\nsteps:\n  - say: [a, b]\n",
    "title: x\nvars: [a]\nsteps:\n  - say: hi\n",
    "title: x\neyes: shut\nsteps:\n  - say: hi\n",
    "title: x\nsurprise: 1\nsteps:\n  - say: hi\n",
    "- just\n- a list\n",
])
def test_the_schema_rejects_the_bad_input_fixtures(body: str, write_script: WriteScript) -> None:
    assert list(_validator().iter_errors(yaml.safe_load(body)))
    with pytest.raises(ScriptError):  # and the validator agrees
        load_script(write_script(body))


def test_length_on_a_script_without_flexible_pauses_says_so(write_script: WriteScript) -> None:
    path = write_script("title: Fixed\nsteps:\n  - say: Hello.\n  - pause: 5\n")
    code, _, err = run("check", str(path), "--length", "2m")
    assert code == 1
    assert "a target length needs flexible pauses" in err and "this script has none" in err


def test_the_timer_rings_at_the_start_every_interval_and_the_end(tmp_path: Path) -> None:
    script = timer_script(140.0, bells_every=30.0, ambient="rain")
    timeline = compile_timeline(script, Speaker(FakeEngine()))
    # The opening chime until it falls under the bed, the sit, the closing chime rung out in
    # full, the closing quiet.
    opening = timeline.steps[1].start / timeline.sample_rate
    ringing_out = len(chime("bowl")) / timeline.sample_rate
    assert timeline.seconds == pytest.approx(opening + 140.0 + ringing_out + END_QUIET, abs=0.01)
    chimes = [s.start / timeline.sample_rate for s in timeline.sounds if s.kind == "chime"]
    assert len(chimes) == 1 + 4 + 1  # opening, at 30/60/90/120 s, closing
    assert not [s for s in timeline.sounds if s.kind == "speech"]


@pytest.mark.real
def test_the_timer_command_exports_and_refuses_bad_names(tmp_path: Path) -> None:
    out = tmp_path / "timer.mp3"
    code, stdout, err = run("timer", "1m", "--bells-every", "20s", "--ambient", "rain", "-o", str(out))
    assert code == 0, err
    assert out.stat().st_size > 10_000 and "Wrote" in stdout
    code, _, err = run("timer", "1m", "--ambient", "rian", "-o", str(tmp_path / "x.mp3"))
    assert code == 2 and "unknown bed 'rian'" in err


@pytest.mark.real
def test_show_plot_draws_a_png(tmp_path: Path) -> None:
    out = tmp_path / "timeline.png"
    code, stdout, err = run("show", "daily-anchor", "--plot", str(out))
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert "Drew" in stdout


@pytest.mark.real
@pytest.mark.parametrize("name", REQUIRED)
def test_each_built_in_renders_at_its_length_and_every_variant(name: str) -> None:
    path = builtin_folder() / f"{name}.yaml"
    base = load_script(path)
    speaker = Speaker(open_engine(base.voice.engine))
    for length in base.lengths or ((base.length,) if base.length else ()):
        timeline = compile_timeline(load_script(path, Overrides(length=length)), speaker)
        assert timeline.seconds == pytest.approx(length, abs=0.5), length


@pytest.mark.real
def test_built_ins_are_found_after_a_normal_install(tmp_path: Path) -> None:
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(ROOT)], check=True, capture_output=True, timeout=600)
    site = sysconfig.get_paths()["purelib"]
    # -S: no .pth files, so the editable install of this checkout is out of the way; the
    # dependencies still come from this environment's site-packages.
    env = {"PYTHONPATH": f"{target}{':'}{site}", "PATH": "/usr/bin:/bin",
           "PRACTICE_CACHE_DIR": str(tmp_path / "cache")}
    where = subprocess.run([sys.executable, "-S", "-c", "import player.script.library as l; print(l.builtin_folder())"],
                           env=env, capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert where.startswith(str(target)), where
    done = subprocess.run([sys.executable, "-S", "-m", "player", "check", *REQUIRED], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok, about") == len(REQUIRED)
    assert (target / "player" / "script" / "data" / "script.schema.json").exists()
    assert (target / "player" / "script" / "templates" / "personal.yaml").exists()
