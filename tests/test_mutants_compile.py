"""How the timeline is compiled: which lines are asked for, the closing quiet, the target
length and the 4 h limit (survivors of the run over player/timeline/compile.py: docs/testing.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from player import SAMPLE_RATE
from player.errors import ScriptError
from player.script.loader import load_script
from player.timeline.compile import compile_timeline, estimate_timeline, speech_requests
from player.voices import Speaker

WriteScript = Callable[..., Path]


def test_the_opening_asks_only_for_its_own_lines(write_script: WriteScript) -> None:
    # A cold start synthesizes the opening's lines first: the rest must not hold it up.
    script = load_script(write_script("title: T\nsteps:\n  - say: One.\n  - say: Two.\n"))
    assert [request.text for request in speech_requests(script, script.steps[:1])] == ["One."]


def test_without_a_length_a_flexible_pause_closes_like_a_fixed_one(write_script: WriteScript) -> None:
    # The bowl rings on beneath the pause; with no length to solve, the pause keeps its 4 s
    # and the quiet after it is the same as after a fixed 4 s pause.
    body = "title: T\nsteps:\n  - chime: bowl\n  - pause: {}\n"
    flexible = estimate_timeline(load_script(write_script(body.format("{seconds: 4, flexible: true, min: 0.5}"))))
    fixed = estimate_timeline(load_script(write_script(body.format(4), "fixed.yaml")))
    assert flexible.length == fixed.length


def test_the_opening_of_a_script_with_a_length_keeps_its_written_pauses(
        write_script: WriteScript, fake_speaker: Speaker) -> None:
    path = write_script("""
        title: T
        length: 60
        steps:
          - say: Hi.
          - pause: {seconds: 10, flexible: true}
          - say: Bye.
    """)
    script = load_script(path)
    opening = compile_timeline(script, fake_speaker, steps=script.steps[:2], ending=False)
    pause = opening.steps[1]
    assert pause.length == 10 * SAMPLE_RATE


def test_a_session_of_exactly_four_hours_is_allowed(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n" + "  - pause: 3600\n" * 4)
    assert estimate_timeline(load_script(path)).length == 4 * 3600 * SAMPLE_RATE


def test_speech_that_takes_a_session_past_four_hours_is_refused_with_its_length(write_script: WriteScript) -> None:
    # 14,399 s of pauses, then 39 characters guessed at 9.4 a second (4.15 s) and 1 s of closing quiet.
    path = write_script("title: T\nsteps:\n" + "  - pause: 3600\n" * 3 + "  - pause: 3599\n"
                        "  - say: Hello there, this is a longer sentence.\n")
    with pytest.raises(ScriptError) as error:
        estimate_timeline(load_script(path))
    assert [str(p) for p in error.value.problems] == [f"{path}: the session lasts 4:00:04; the limit is 4:00:00"]
    assert [(p.line, p.column) for p in error.value.problems] == [(0, 0)]


@pytest.mark.real  # the bed file is decoded with ffmpeg
def test_a_bed_file_that_is_not_audio_is_located_at_its_name(write_script: WriteScript, fake_speaker: Speaker) -> None:
    # "ambient: {level: -20, " is 22 characters and "sound: " 7 more: the file name starts at column 30.
    path = write_script("title: T\nambient: {level: -20, sound: bad.wav}\nsteps:\n  - say: hi\n")
    (path.parent / "bad.wav").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ScriptError) as error:
        compile_timeline(load_script(path), fake_speaker)
    assert str(error.value) == f"{path}:2:30: cannot read {path.parent / 'bad.wav'} as audio (no audio stream in it)"
