"""The saved opening for real: `practice play` run three times into a PulseAudio null sink,
recorded with parec. The second play starts the opening before numpy loads and the session takes
the stream over; what the sink hears must be the first play's sound, sample for sample, handover
included. A changed opening fades and the session starts from the top."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from player.live import prelude
from tests.pulse import PulseServer, sounding, stop_recording
from tests.test_live_real import prepare

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]
SR = 44_100
STREAM_START = int(0.05 * SR)
"""A stream that joins a running sink can lose its first milliseconds to the sink's rewind, in
either recording (5 ms was seen in CI); those frames are the only ones allowed to differ."""

SCRIPT = """
title: Opening heard
ambient: {sound: rain, level: -24}
steps:
  - chime: bowl
  - pause: 2
  - say: Notice your feet on the floor.
  - pause: 1
"""


def play(pulse: PulseServer, script: Path, recording: Path) -> tuple[np.ndarray, str]:
    """`practice --debug play SCRIPT` as a person starts it, the sink recorded; (sound, stderr).

    A stream of zeros keeps the sink running throughout (adding nothing to the sound): an idle
    null sink's monitor records nothing, and woke up to 0.6 s after a play's first sound under
    load, so a recording could miss the start of a play.
    """
    with Path("/dev/zero").open("rb") as zeros:
        keeper = subprocess.Popen(["pacat", "--playback", "--format=float32le", "--rate=44100", "--channels=2"],
                                  stdin=zeros, env=pulse.env)
    recorder = pulse.record(recording)
    time.sleep(1.0)
    done = subprocess.run([sys.executable, "-m", "player", "--debug", "play", str(script)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(pulse.env, PRACTICE_CACHE_DIR=os.environ["PRACTICE_CACHE_DIR"]))
    heard = stop_recording(recorder, recording)
    keeper.terminate()
    keeper.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert "underrun" not in done.stderr
    return heard, done.stderr


def offset_of(reference: np.ndarray, heard: np.ndarray, at: int) -> int:
    """Where heard[at:at + 2 s] lies in the reference (normalised cross-correlation), minus `at`."""
    piece = heard[at:at + 2 * SR, 0].astype(np.float64)
    whole = reference[:, 0].astype(np.float64)
    size = 1 << (len(whole) + len(piece)).bit_length()
    correlation = np.fft.irfft(np.fft.rfft(whole, size) * np.conj(np.fft.rfft(piece, size)), size)
    correlation = correlation[:len(whole) - len(piece)]
    energy = np.concatenate([[0.0], np.cumsum(whole * whole)])
    norm = np.sqrt((energy[len(piece):len(piece) + len(correlation)] - energy[:len(correlation)]) * (piece @ piece))
    return int(np.argmax(correlation / np.maximum(norm, 1e-12))) - at


def differing(reference: np.ndarray, heard: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The frames of `heard` that differ from the reference, aligned on its content 4 s in; how
    many frames were compared; and how many `heard` has before the reference's first frame."""
    offset = offset_of(reference, heard, 4 * SR)
    start = max(0, -offset)
    size = min(len(heard) - start, len(reference) - start - offset)
    diff = np.abs(heard[start:start + size] - reference[start + offset:start + offset + size]).max(axis=1)
    return np.flatnonzero(diff > 1e-6) + start, size, start


def test_a_second_play_starts_from_the_saved_opening_and_sounds_the_same(
        write_script: WriteScript, tmp_path: Path, pulse: PulseServer) -> None:
    script = write_script(SCRIPT)
    spoken = prepare(script)
    first, said = play(pulse, script, tmp_path / "first.raw")
    assert "saved opening: none played" in said
    saved = list(prelude.opening_path("x").parent.glob("*.pcm"))
    key = prelude.key_for([str(script)])
    assert key is not None and prelude.opening_path(key) in saved

    second, said = play(pulse, script, tmp_path / "second.raw")
    assert "saved opening: taken over" in said
    wrong, compared, before = differing(first, second)
    # Everything the second play sounded (the opening, the handover at 0.5 s or more in, the
    # session after it) is the first play's sound exactly, but for a stream's first moment.
    starts = sounding(second)[0]
    assert starts >= before and compared >= spoken * SR
    assert np.all(wrong < starts + STREAM_START)


def test_a_changed_opening_fades_and_the_session_starts_from_the_top(
        write_script: WriteScript, tmp_path: Path, pulse: PulseServer) -> None:
    script = write_script(SCRIPT.replace("bowl", "bell"))
    spoken = prepare(script)
    first, _ = play(pulse, script, tmp_path / "first.raw")
    key = prelude.key_for([str(script)])
    assert key is not None
    path = prelude.opening_path(key)
    good = path.read_bytes()
    changed = bytearray(good)
    changed[prelude.HEADER.size + 40_000:prelude.HEADER.size + 40_400] = bytes(400)
    path.write_bytes(bytes(changed))

    heard, said = play(pulse, script, tmp_path / "changed.raw")
    assert "saved opening: did not match, faded and started from the top" in said
    wrong, compared, before = differing(first, heard)
    # The faded opening comes first; then the whole session, from its first frame, exactly. The
    # session's first frame is where the first recording's sound starts (either recorder may
    # start late under load, 0.26 s was seen), `before` frames later in this one.
    session = before + sounding(first)[0]
    assert 0 < session < prelude.MAX_SECONDS * SR
    assert np.all(wrong < session + STREAM_START) and compared >= (spoken - 0.1) * SR
    assert path.read_bytes() == good  # saved again, as the session sounds


def test_the_early_start_loads_no_numpy() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, player.live.prelude, player.cli.launch; "
                           "print(sorted(m for m in ('numpy', 'click', 'yaml') if m in sys.modules))"],
                          capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
