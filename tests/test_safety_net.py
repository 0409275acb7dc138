"""The safety net of exported files: the support line and the reorient file a folder carries.

Fast tests check the loaded steps with the fake voice; the real ones export through the real
encoders and read the result back with independent readers (mutagen, webvtt-py, ffprobe).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import webvtt
from click.testing import CliRunner
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from player.cli.commands import cli
from player.errors import ScriptError, VariableError
from player.export import metadata_for
from player.ffmpeg import ffmpeg_exe
from player.live.start import exit_script
from player.script.loader import Overrides, load_script, parse_set_options
from player.script.model import Chime, Say
from player.script.support import INTRODUCTION, MAX_SUPPORT_CHARS
from player.timeline.compile import compile_timeline
from player.voices import Speaker
from tests.conftest import silences

WriteScript = Callable[..., Path]
SUPPORT = "Dr. Amy Lee, 5 5 5 0 1 0 0"
SHORT = """
title: Short {name}
description: A short test practice.
vars: {name: friend}
voice: {engine: system}
steps:
  - say: Hello {name}.
  - pause: 1
  - chime: wood
"""


def run(*args: str) -> tuple[int, str, str]:
    """The CLI in-process."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def texts(steps: tuple[object, ...]) -> list[str]:
    """The say texts, in order."""
    return [step.text for step in steps if isinstance(step, Say)]


def test_a_support_line_is_spoken_after_the_last_words_before_the_chime(write_script: WriteScript) -> None:
    script = load_script(write_script(SHORT), Overrides(vars={"support": SUPPORT}))
    assert texts(script.steps) == ["Hello friend.", INTRODUCTION, f"{SUPPORT}.", f"Once more. {SUPPORT}."]
    assert isinstance(script.steps[-1], Chime)  # the closing chime still closes


def test_the_support_key_in_a_script_works_and_set_wins(write_script: WriteScript) -> None:
    path = write_script(SHORT + 'support: "the crisis line, 9 8 8"\n')
    assert "the crisis line, 9 8 8." in texts(load_script(path).steps)
    overridden = texts(load_script(path, Overrides(vars={"support": SUPPORT})).steps)
    assert f"{SUPPORT}." in overridden and "the crisis line, 9 8 8." not in overridden


def test_without_a_support_line_nothing_is_added(write_script: WriteScript) -> None:
    script = load_script(write_script(SHORT))
    assert INTRODUCTION not in texts(script.steps)
    assert "Support" not in metadata_for(script, compile_timeline(script, _fake())).comment


def test_the_safe_exit_speaks_the_support_line_too(write_script: WriteScript) -> None:
    # The built-in reorientation, used when a script has no on_exit of its own.
    script = load_script(write_script(SHORT), Overrides(vars={"support": SUPPORT}))
    source, steps = exit_script(script)
    timeline = compile_timeline(source, _fake(), steps=steps)
    cues = [cue.text for cue in timeline.cues]
    assert "You are here, now." in cues and f"{SUPPORT}." in cues
    assert cues.index(f"{SUPPORT}.") > cues.index("You are here, now.")
    # A script's own on_exit gets it as well.
    own = write_script(SHORT + "on_exit:\n  - say: Put the mug down.\n", "own.yaml")
    script = load_script(own, Overrides(vars={"support": SUPPORT}))
    assert texts(script.on_exit) == ["Put the mug down.", INTRODUCTION, f"{SUPPORT}.", f"Once more. {SUPPORT}."]


def test_the_comment_tag_carries_the_support_line(write_script: WriteScript) -> None:
    script = load_script(write_script(SHORT), Overrides(vars={"support": SUPPORT}))
    comment = metadata_for(script, compile_timeline(script, _fake())).comment
    assert comment == f"A short test practice. Support: {SUPPORT}"


@pytest.mark.parametrize("bad", ["call\x1b[31m 988", "line one\nline two", "988\u202e", "x" * (MAX_SUPPORT_CHARS + 1),
                                 "wait [pause 1h] here", "...", "a\u2028b"])
def test_a_support_line_that_is_not_plain_bounded_text_is_refused(bad: str, write_script: WriteScript) -> None:
    with pytest.raises(VariableError, match="the value given for support"):
        parse_set_options([f"support={bad}"])
    # The loader's own check of every text may speak first (control characters): either way located.
    with pytest.raises(ScriptError, match=r"support line|control character|bidirectional control") as raised:
        load_script(write_script(SHORT + f"support: {json.dumps(bad)}\n"))
    assert raised.value.problems[0].line == 9  # at the key, with its line
    with pytest.raises(ScriptError, match=r"given from outside the script|control character|bidirectional control"):
        load_script(write_script(SHORT), Overrides(vars={"support": bad}))


def _fake() -> Speaker:
    from tests.fakes import FakeEngine

    return Speaker(FakeEngine())


def _seconds(stamp: str) -> float:
    """HH:MM:SS.mmm in seconds."""
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _ffprobe_seconds(path: Path) -> float:
    """The duration ffmpeg reads from the file (an independent reader)."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True, check=True)
    stamp = [line for line in done.stderr.splitlines() if "time=" in line][-1].split("time=")[1].split()[0]
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@pytest.mark.real
def test_a_batch_of_two_writes_three_files_with_the_support_line(write_script: WriteScript, tmp_path: Path) -> None:
    one = write_script(SHORT, "one.yaml")
    two = write_script(SHORT.replace("Hello", "Goodbye"), "two.yaml")
    out = tmp_path / "for-sam"
    code, stdout, err = run("export", str(one), str(two), "-d", str(out), "--set", "name=Sam",
                            "--set", f"support={SUPPORT}", "--transcript", "vtt", "--engine", "system")
    assert code == 0, err
    assert sorted(p.name for p in out.glob("*.mp3")) == ["one.mp3", "reorient.mp3", "two.mp3"]
    assert "Exported 3 of 3" in stdout
    for name in ("one", "two", "reorient"):
        cues = [cue.text for cue in webvtt.read(str(out / f"{name}.vtt")).captions]
        assert cues[-4:] == [INTRODUCTION, f"{SUPPORT}.", "Once more.", f"{SUPPORT}."], (name, cues)
        comments = ID3(out / f"{name}.mp3").getall("COMM")
        assert any(f"Support: {SUPPORT}" in text for frame in comments for text in frame.text), name
    # The support line is really in the audio: ffmpeg finds no silence over its last cue (the
    # 0.45 s breaths at its commas are shorter than the 0.6 s looked for).
    last = webvtt.read(str(out / "one.vtt")).captions[-1]
    start, end = _seconds(last.start), _seconds(last.end)
    quiet = silences(out / "one.mp3", noise_db=-45, minimum=0.6)
    assert not any(q_start < end - 0.2 and q_start + q_length > start + 0.2 for q_start, q_length in quiet), quiet
    reorient = [cue.text for cue in webvtt.read(str(out / "reorient.vtt")).captions]
    assert "You are here, now." in reorient
    assert 30 <= _ffprobe_seconds(out / "reorient.mp3") <= 90  # the short way back, with the support line
    # Asked not to, a folder gets only the practices.
    bare = tmp_path / "bare"
    code, _, err = run("export", str(one), str(two), "-d", str(bare), "--no-reorient", "--engine", "system")
    assert code == 0, err
    assert sorted(p.name for p in bare.iterdir()) == ["one.mp3", "two.mp3"]


@pytest.mark.real
@pytest.mark.parametrize("suffix", ["m4a", "ogg"])
def test_the_support_line_is_in_the_m4a_and_ogg_comment(suffix: str, write_script: WriteScript,
                                                        tmp_path: Path) -> None:
    out = tmp_path / f"short.{suffix}"
    code, _, err = run("export", str(write_script(SHORT)), "-o", str(out), "--set", f"support={SUPPORT}",
                       "--no-master")
    assert code == 0, err
    if suffix == "m4a":
        assert MP4(out).tags["\xa9cmt"] == [f"A short test practice. Support: {SUPPORT}"]
    else:
        tags = OggOpus(out).tags
        assert tags is not None and tags["COMMENT"] == [f"A short test practice. Support: {SUPPORT}"]
