"""Practice Studio's routes through Starlette's TestClient: the guards, the library, saving, checking."""

from __future__ import annotations

import io
import json
import textwrap
import wave
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from player.errors import ScriptError
from player.script.authoring import TEMPLATES, template_text
from player.script.library import builtin_folder, builtin_names
from player.script.loader import load_script
from player.studio.app import create_app
from player.studio.document import apply_steps, steps_of
from player.studio.render import Renderer, Speakers
from player.studio.workspace import Workspace
from player.voices import Speaker
from player.voices.cache import ClipCache
from tests.fakes import FakeEngine, fake_seconds

TOKEN = "test-token-123"
BASE = "http://127.0.0.1:8765"

COMMENTED = textwrap.dedent("""\
    # My practice for Sam: keep this note.
    title: Evening calm   # the title shown on phones
    description: A short one.
    vars:
      name: friend
    steps:
      # Arriving
      - chapter: Arriving
      - say: Hello {name}.   # greeting
      - pause: {seconds: 10, flexible: true}  # room to settle
      - chime: bowl
    """)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace folder with one commented script."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "calm.yaml").write_text(COMMENTED, encoding="utf-8")
    return folder


@pytest.fixture
def client(workspace: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The studio app on the workspace, with the fake voice, holding the token as a header."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    speaker = Speaker(FakeEngine(), ClipCache(tmp_path / "cache"))
    app = create_app(Workspace(workspace), Renderer(Workspace(workspace), scratch, lambda script: speaker), TOKEN)
    with TestClient(app, base_url=BASE, headers={"x-studio-token": TOKEN}) as test_client:
        yield test_client


def bare(client: TestClient) -> TestClient:
    """The same app without the token."""
    return TestClient(client.app, base_url=BASE)


def test_token_is_required_and_the_page_sets_a_cookie(client: TestClient) -> None:
    anonymous = bare(client)
    assert anonymous.get("/").status_code == 403
    assert anonymous.get("/api/library").status_code == 403
    assert anonymous.get("/?token=wrong").status_code == 403
    answer = anonymous.get(f"/?token={TOKEN}")
    assert answer.status_code == 200 and "Practice Studio" in answer.text
    assert "HttpOnly" in answer.headers["set-cookie"] and "SameSite=Strict" in answer.headers["set-cookie"]
    assert anonymous.get("/api/library").status_code == 200  # the cookie now carries the token


def test_other_hosts_are_refused(client: TestClient) -> None:
    assert client.get("/api/library", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/library", headers={"host": "localhost:8765"}).status_code == 200


def test_changes_from_another_origin_are_refused(client: TestClient, workspace: Path) -> None:
    body = {"title": "Intruder", "template": "blank"}
    assert client.post("/api/new", json=body, headers={"origin": "http://evil.example"}).status_code == 403
    assert not (workspace / "intruder.yaml").exists()
    assert client.post("/api/new", json=body, headers={"origin": BASE}).status_code == 200
    assert (workspace / "intruder.yaml").exists()


@pytest.mark.parametrize("name", ["../outside.yaml", "/etc/passwd.yaml", "sub/../../outside.yaml", "link.yaml",
                                  "..\\outside.yaml"])
def test_no_path_outside_the_workspace(client: TestClient, workspace: Path, name: str) -> None:
    outside = workspace.parent / "outside.yaml"
    outside.write_text(COMMENTED, encoding="utf-8")
    (workspace / "link.yaml").symlink_to(outside)
    read = client.get("/api/script", params={"name": name})
    assert read.status_code == 400
    assert "workspace" in read.json()["error"] or "not allowed" in read.json()["error"]
    saved = client.put("/api/script", json={"name": name, "text": "title: x\n", "version": None})
    assert saved.status_code == 400
    assert outside.read_text(encoding="utf-8") == COMMENTED


def test_stale_save_is_refused_and_says_so(client: TestClient, workspace: Path) -> None:
    first = client.get("/api/script", params={"name": "calm.yaml"}).json()
    second = client.get("/api/script", params={"name": "calm.yaml"}).json()
    one = client.put("/api/script", json={"name": "calm.yaml", "text": first["text"] + "author: A\n",
                                          "version": first["version"]})
    assert one.status_code == 200
    two = client.put("/api/script", json={"name": "calm.yaml", "text": second["text"] + "author: B\n",
                                          "version": second["version"]})
    assert two.status_code == 409 and "changed elsewhere" in two.json()["error"]
    assert (workspace / "calm.yaml").read_text(encoding="utf-8").endswith("author: A\n")


def test_step_edits_save_round_trip_keeping_comments(client: TestClient, workspace: Path) -> None:
    opened = client.get("/api/script", params={"name": "calm.yaml"}).json()
    steps = opened["checked"]["steps"]
    assert [s["kind"] for s in steps] == ["chapter", "say", "pause", "chime"]
    steps[1]["value"] = "Welcome, {name}."
    steps[2]["value"] = {"seconds": 20, "flexible": True}
    steps.insert(3, {"kind": "breathe", "value": "calm", "origin": None})
    applied = client.post("/api/apply", json={"name": "calm.yaml", "text": opened["text"], "steps": steps}).json()
    assert applied["checked"]["problems"] == []
    saved = client.put("/api/script", json={"name": "calm.yaml", "text": applied["text"],
                                            "version": opened["version"]})
    assert saved.status_code == 200
    written = (workspace / "calm.yaml").read_text(encoding="utf-8")
    expected = COMMENTED.replace("Hello {name}.   #", "Welcome, {name}. #").replace("seconds: 10", "seconds: 20")
    expected = expected.replace("  - chime: bowl", "  - breathe: calm\n  - chime: bowl")
    assert written == expected
    assert load_script(workspace / "calm.yaml").title == "Evening calm"


def test_unchanged_steps_write_back_byte_for_byte(client: TestClient) -> None:
    for name in ("five-senses", "breath-and-touch"):
        opened = client.get("/api/script", params={"name": name, "builtin": "1"}).json()
        applied = client.post("/api/apply", json={"name": name, "text": opened["text"],
                                                  "steps": opened["checked"]["steps"]}).json()
        assert applied["text"] == opened["text"]


@pytest.mark.parametrize("name", builtin_names())
def test_every_built_in_round_trips_through_the_step_list(name: str) -> None:
    text = (builtin_folder() / f"{name}.yaml").read_text(encoding="utf-8")
    steps = steps_of(text)
    assert steps
    assert apply_steps(text, steps) == text


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_template_round_trips_through_the_step_list(template: str) -> None:
    text = template_text(template, "A title")
    steps = steps_of(text)
    assert steps
    assert apply_steps(text, steps) == text


def test_removing_steps_one_by_one_leaves_no_blank_lines_behind() -> None:
    text = template_text("blank", "A title")
    while steps := steps_of(text):
        text = apply_steps(text, steps[1:])
        assert "steps:\n\n" not in text
    assert text.endswith("\nsteps: []\n")


def test_check_reports_what_practice_check_reports(client: TestClient, workspace: Path) -> None:
    text = COMMENTED.replace("- chime: bowl", "- chiem: bowl")
    checked = client.post("/api/check", json={"name": "calm.yaml", "text": text}).json()
    (workspace / "bad.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError) as error:
        load_script(workspace / "bad.yaml")
    expected = [(p.line, p.column, p.message) for p in error.value.problems]
    assert [(p["line"], p["column"], p["message"]) for p in checked["problems"]] == expected
    assert expected[0][:2] == (11, 5) and "did you mean 'chime'" in expected[0][2]
    assert [s["line"] for s in checked["steps"]] == [8, 9, 10, 11]
    assert not list(workspace.glob(".studio-*"))  # the check's scratch file is gone


def test_built_ins_are_read_only_but_can_be_copied(client: TestClient, workspace: Path) -> None:
    assert client.put("/api/script", json={"name": "five-senses", "text": "x", "version": None}).status_code == 400
    copied = client.post("/api/copy", json={"builtin": "five-senses"}).json()
    assert copied["name"] == "five-senses-copy.yaml"
    assert load_script(workspace / copied["name"]).steps
    names = [s["name"] for s in client.get("/api/library").json()["scripts"]]
    assert "five-senses-copy.yaml" in names and "five-senses" in names


def test_new_from_a_template_passes_check(client: TestClient, workspace: Path) -> None:
    made = client.post("/api/new", json={"title": "For Sam", "template": "personal"}).json()
    assert made["name"] == "for-sam.yaml"
    assert load_script(workspace / "for-sam.yaml").title == "For Sam"
    again = client.post("/api/new", json={"title": "For Sam", "template": "personal"}).json()
    assert again["name"] == "for-sam-2.yaml"


def test_errors_reach_the_page_as_messages(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("player.studio.workspace.Workspace.scripts", broken)
    answer = client.get("/api/library")
    assert answer.status_code == 500 and "internal error" in answer.json()["error"]
    assert "Traceback" not in answer.text
    assert client.post("/api/check", content=b"not json").json()["error"] == "the request is not JSON"
    client_fields = {"name": "calm.yaml", "text": COMMENTED, "client": {"pace": "nan"}}
    assert "pace" in client.post("/api/check", json=client_fields).json()["error"]


def test_uploads_are_limited_and_must_be_audio(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                               workspace: Path) -> None:
    monkeypatch.setattr("player.studio.app.MAX_UPLOAD_BYTES", 1000)
    too_big = client.post("/api/clips", params={"label": "x"}, content=b"\0" * 2000)
    assert too_big.status_code == 400 and "larger" in too_big.json()["error"]
    assert client.post("/api/clips", params={"label": "../x"}, content=b"abc").status_code == 400
    assert not (workspace / "clips").exists()


@pytest.mark.real
def test_a_dropped_file_is_decoded_and_kept(client: TestClient, workspace: Path) -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes((np.sin(np.arange(22050) / 5) * 8000).astype("<i2").tobytes())
    kept = client.post("/api/clips", params={"label": "My welcome"}, content=buffer.getvalue()).json()
    assert kept["file"] == "clips/my-welcome.wav"
    with wave.open(str(workspace / kept["file"])) as back:
        assert back.getnframes() == 22050
    refused = client.post("/api/clips", params={"label": "noise"}, content=b"this is not audio" * 10)
    assert refused.status_code == 400 and "not audio" in refused.json()["error"]


@pytest.mark.real
def test_listen_to_one_line_renders_it_at_its_length(client: TestClient) -> None:
    heard = client.post("/api/listen", json={"name": "calm.yaml", "text": COMMENTED, "path": [1],
                                             "client": {"vars": {"name": "Sam"}}})
    assert heard.status_code == 200, heard.text
    audio = client.get(heard.json()["url"])
    with wave.open(io.BytesIO(audio.content)) as back:
        seconds = back.getnframes() / back.getframerate()
    assert seconds == pytest.approx(fake_seconds("Hello Sam."), abs=0.01)
    assert client.post("/api/listen", json={"name": "calm.yaml", "text": COMMENTED, "path": [9]}).status_code == 404


def test_emptying_and_refilling_the_step_list_stays_valid(client: TestClient) -> None:
    opened = client.get("/api/script", params={"name": "calm.yaml"}).json()
    emptied = client.post("/api/apply", json={"name": "calm.yaml", "text": opened["text"], "steps": []}).json()
    assert emptied["checked"]["steps"] == []
    assert "needs at least one step" in emptied["checked"]["problems"][0]["message"]
    refilled = client.post("/api/apply", json={"name": "calm.yaml", "text": emptied["text"], "steps": [
        {"kind": "say", "value": "Hello."}, {"kind": "repeat", "value": 2, "steps": [{"kind": "breathe",
                                                                                      "value": "calm"}]}]}).json()
    assert refilled["checked"]["problems"] == []
    assert refilled["text"].endswith("  - say: Hello.\n  - repeat: 2\n    steps:\n      - breathe: calm\n")


def events_of(client: TestClient, job: str) -> list[dict[str, object]]:
    """Every server-sent event of a job until it ends."""
    with client.stream("GET", f"/api/jobs/{job}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        return [json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")]


@pytest.mark.real
def test_export_reports_progress_then_offers_the_file(client: TestClient) -> None:
    started = client.post("/api/export", json={"name": "calm.yaml", "text": COMMENTED, "format": "wav",
                                               "transcript": True, "picture": True,
                                               "client": {"vars": {"name": "Sam"}}})
    assert started.status_code == 200, started.text
    events = events_of(client, str(started.json()["id"]))
    fractions = [float(str(e["fraction"])) for e in events]
    assert events[-1]["state"] == "done" and fractions[-1] == 1.0
    assert events[-1]["chapters"] == [{"title": "Arriving", "start": 0.0}]
    audio = client.get(f"/api/jobs/{started.json()['id']}/file")
    assert 'filename="calm.wav"' in audio.headers["content-disposition"]
    with wave.open(io.BytesIO(audio.content)) as back:
        seconds = back.getnframes() / back.getframerate()
    assert seconds == pytest.approx(float(str(events[-1]["seconds"])), abs=0.001)
    picture = client.get(f"/api/jobs/{started.json()['id']}/picture")
    assert picture.headers["content-type"] == "image/png" and picture.content.startswith(b"\x89PNG")
    bad = client.post("/api/export", json={"name": "calm.yaml", "text": "title: x\n", "format": "mp3"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["line"] == 1


@pytest.mark.real
def test_a_batch_for_one_client_is_a_zip_with_transcripts(client: TestClient, workspace: Path) -> None:
    (workspace / "second.yaml").write_text("title: Second\nsteps:\n  - say: Hi {name}.\n", encoding="utf-8")
    started = client.post("/api/batch", json={"names": ["calm.yaml", "second.yaml"], "format": "wav",
                                              "reorient": True, "client": {"vars": {"name": "Sam"}}}).json()
    assert events_of(client, started["id"])[-1]["state"] == "done"
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/jobs/{started['id']}/file").content))
    assert sorted(archive.namelist()) == ["calm.vtt", "calm.wav", "reorient.vtt", "reorient.wav", "second.vtt",
                                          "second.wav"]
    assert "Hi Sam." in archive.read("second.vtt").decode("utf-8")
    refused = client.post("/api/batch", json={"names": ["../calm.yaml"], "format": "wav"})
    assert refused.status_code == 400


def test_client_values_change_the_script_only_when_asked(client: TestClient, workspace: Path) -> None:
    values = {"vars": {"name": "Sam"}, "length": "3m", "pace": "1.5", "voice": "en_US-joe-medium"}
    checked = client.post("/api/check", json={"name": "calm.yaml", "text": COMMENTED, "client": values}).json()
    assert checked["problems"] == [] and checked["vars"] == {"name": "Sam"}
    assert (workspace / "calm.yaml").read_text(encoding="utf-8") == COMMENTED
    kept = client.post("/api/keep", json={"name": "calm.yaml", "text": COMMENTED, "client": values}).json()
    assert kept["text"] == COMMENTED.replace("name: friend", "name: Sam").replace(
        "  - chime: bowl\n", "  - chime: bowl\nlength: 3m\npace: 1.5\nvoice:\n  name: en_US-joe-medium\n")
    refused = client.post("/api/keep", json={"name": "calm.yaml", "text": COMMENTED, "client": {"pace": "9"}})
    assert refused.status_code == 400 and "pace" in refused.json()["error"]


def test_the_studio_keeps_one_speaker_per_engine_and_voice(workspace: Path) -> None:
    (workspace / "a.yaml").write_text("title: A\nvoice: {engine: system}\nsteps:\n  - say: Hi.\n", encoding="utf-8")
    (workspace / "b.yaml").write_text("title: B\nvoice: {engine: system, name: other}\nsteps:\n  - say: Hi.\n",
                                      encoding="utf-8")
    speakers = Speakers()
    first, again = speakers(load_script(workspace / "a.yaml")), speakers(load_script(workspace / "a.yaml"))
    assert first is again
    assert speakers(load_script(workspace / "b.yaml")) is not first
    speakers.close()
