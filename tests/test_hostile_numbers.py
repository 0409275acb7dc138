"""Numbers from a script or the command line: finite and in range, checked in one place.

Comparisons with NaN are all false, so a NaN passed every range check and reached the audio
as full-scale DC. Every number is now checked by schema.number_problem; the mixer and the
encoder refuse any sample that is not finite, whatever made it.
"""

from __future__ import annotations

import io
import threading
import time
import types
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from player.cli.commands import cli
from player.errors import FormatError, LengthError, ScriptError
from player.export.encoder import _write_blocks
from player.export.formats import FORMATS, encoding_for
from player.render.mixer import Mixer, NonFiniteAudio
from player.script.loader import Overrides, load_script
from player.timeline.compile import estimate_timeline
from player.timeline.model import Timeline

WriteScript = Callable[..., Path]


def problems_of(path: Path, overrides: Overrides | None = None) -> list[str]:
    """The problem lines load_script reports for a file."""
    with pytest.raises(ScriptError) as caught:
        load_script(path, overrides)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(("setting", "column"), [
    ("ambient: {sound: rain, pause_level: .nan}", 37),
    ("ambient: {sound: rain, level: .nan}", 31),
    ("ambient: {sound: rain, long_silence_level: -.inf}", 44),
    ("voice: {volume: .nan}", 17),
    ("voice: {rate: .nan}", 15),
    ("pace: .nan", 7),
    ("pace: .inf", 7),
])
def test_nan_and_infinity_in_a_script_are_located_errors(write_script: WriteScript, setting: str,
                                                         column: int) -> None:
    path = write_script(f"title: T\n{setting}\nsteps:\n  - say: Hi.\n")
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:2:{column}: ")
    assert "must be a finite number" in problems[0]


def test_a_chime_volume_of_nan_is_a_located_error(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - chime: {sound: bowl, volume: .nan}\n  - say: {text: Hi., rate: .inf}\n")
    assert [p.split(": ", 1)[0] for p in problems_of(path)] == [f"{path}:3:34", f"{path}:4:28"]


def test_an_inline_pause_past_the_limit_is_located_not_an_overflow(write_script: WriteScript) -> None:
    path = write_script("title: T\nsteps:\n  - say: Hello. [pause 1e308] Again.\n")
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:3:10: inline [pause 1e308]: a pause must be at most 1:00:00")


@pytest.mark.parametrize(("overrides", "message"), [
    (Overrides(length=1e308), "the length must be at most 4:00:00"),
    (Overrides(length=float("nan")), "the length must be a finite number"),
    (Overrides(pace=float("nan")), "the pace must be a finite number"),
    (Overrides(rate=float("inf")), "the rate must be a finite number"),
    (Overrides(rate=9.0), "the rate must be at most 2.0"),
])
def test_overrides_are_checked_by_the_loader(write_script: WriteScript, overrides: Overrides,
                                             message: str) -> None:
    path = write_script("title: T\nsteps:\n  - say: Hi.\n  - pause: {seconds: 5, flexible: true}\n")
    with pytest.raises(LengthError, match=message):
        load_script(path, overrides)


@pytest.mark.parametrize(("args", "message"), [
    (["--pace", "nan"], "Invalid value for '--pace': must be a finite number, not nan"),
    (["--rate", "inf"], "Invalid value for '--rate': must be a finite number, not inf"),
    (["--length", "1e308"], "Invalid value for '--length': must be at most 4:00:00"),
    (["--pace", "5"], "Invalid value for '--pace': must be at most 4.0, not 5.0"),
])
def test_command_line_numbers_are_finite_and_in_range(write_script: WriteScript, args: list[str],
                                                      message: str) -> None:
    path = write_script("title: T\nsteps:\n  - say: Hi.\n")
    result = CliRunner().invoke(cli, ["check", str(path), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--loudness", "nan"], "Invalid value for '--loudness': must be a finite number, not nan"),
    (["--sample-rate", "0"], "wav cannot be written at 0 Hz"),
])
def test_export_options_are_finite_and_in_range(write_script: WriteScript, tmp_path: Path, args: list[str],
                                                message: str) -> None:
    path = write_script("title: T\nsteps:\n  - say: Hi.\n")
    result = CliRunner().invoke(cli, ["export", str(path), "-o", str(tmp_path / "out.wav"), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "out.wav").exists()


def test_a_sample_rate_of_zero_is_refused_not_the_default() -> None:
    with pytest.raises(FormatError, match="at 0 Hz"):
        encoding_for(FORMATS["mp3"], sample_rate=0)
    assert encoding_for(FORMATS["mp3"]).sample_rate == 44_100


def _timeline(write_script: WriteScript) -> Timeline:
    """A short session without a bed, estimated (no engine)."""
    return estimate_timeline(load_script(write_script("title: T\nsteps:\n  - say: Hello there.\n  - pause: 2\n")))


def test_the_mixer_refuses_to_send_on_a_nan_sample(write_script: WriteScript) -> None:
    timeline = _timeline(write_script)
    key, clip = next(iter(timeline.clips.items()))
    poisoned = np.array(clip)  # an estimate's clips are read-only views
    poisoned[len(poisoned) // 2] = np.nan  # a bug anywhere upstream
    mixer = Mixer(replace(timeline, clips={**timeline.clips, key: poisoned}))
    with pytest.raises(NonFiniteAudio, match="not finite"):
        list(mixer.blocks())


def test_the_encoder_input_refuses_a_nan_block() -> None:
    good = np.zeros((4, 2), dtype=np.float32)
    bad = good.copy()
    bad[1, 0] = np.inf
    sink = io.BytesIO()
    with pytest.raises(NonFiniteAudio):
        _write_blocks(sink, [good, bad])
    assert len(sink.getvalue()) == good.nbytes  # the good block went on, the bad one did not


class _FakeStream:
    """A sound card stand-in: calls the callback from its own thread, like PortAudio."""

    def __init__(self, callback: Any, finished_callback: Any, **_: object) -> None:
        self.callback, self.finished_callback = callback, finished_callback
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        out = np.zeros((1024, 2), dtype=np.float32)
        status = types.SimpleNamespace(output_underflow=False)
        try:
            for _ in range(2_000):  # about 46 s of sound: far more than the test needs
                self.callback(out, 1024, None, status)
                time.sleep(0.001)
        except _Stop:
            pass
        self.finished_callback()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.thread.join(5)

    abort = close = stop


class _Stop(Exception):
    """sounddevice.CallbackStop."""


@pytest.mark.real  # the player's start-up (priority, ALSA's messages) runs a process
def test_live_play_stops_with_the_error_when_the_mixer_refuses_a_block(write_script: WriteScript,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from player.live import device as live
    from player.live.transport import LiveSession

    timeline = _timeline(write_script)
    key, clip = next(iter(timeline.clips.items()))
    poisoned = np.array(clip)  # an estimate's clips are read-only views
    poisoned[10] = np.nan
    timeline = replace(timeline, clips={**timeline.clips, key: poisoned})
    fake = types.SimpleNamespace(OutputStream=_FakeStream, CallbackStop=_Stop, PortAudioError=OSError)
    monkeypatch.setattr(live, "load_sounddevice", lambda: fake)
    with pytest.raises(NonFiniteAudio):  # before: the mixer thread died and play waited on silence forever
        live.LivePlayer(LiveSession(timeline)).play()
