"""Live play for real: through PortAudio into a PulseAudio null sink, recorded with parec.

Every figure is measured on the recording, never taken from the player's own numbers.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from player.export import ExportOptions, export
from player.render.mixer import Mixer
from player.script.loader import load_script
from player.timeline.compile import compile_timeline
from player.timeline.lengths import END_QUIET
from player.voices import Speaker, open_engine
from tests.pulse import PulseServer, aligned_correlation, envelope, sounding, stop_recording

pytestmark = pytest.mark.real
WriteScript = Callable[..., Path]
SR = 44_100

SHORT = """
title: Live check
steps:
  - chapter: Start
  - say: Notice your feet on the floor.
  - pause: 2
  - chime: bell
  - say: Notice the air around you, and the sounds in the room.
  - pause: 1.5
  - breathe: {pattern: calm, cycles: 1, cue: both}
  - say: You are here, now.
on_exit:
  - say: Coming back to the room now.
"""


def prepare(path: Path) -> float:
    """Synthesize the script's speech into the test cache; returns how long it sounds, in seconds.

    That is its exact length but for the closing second of digital silence.
    """
    timeline = compile_timeline(load_script(path), Speaker(open_engine("auto")))
    return timeline.seconds - END_QUIET


def play_env(pulse: PulseServer) -> dict[str, str]:
    """The environment a play process needs: the private PulseAudio and the test's speech cache."""
    return dict(pulse.env, PRACTICE_CACHE_DIR=os.environ["PRACTICE_CACHE_DIR"])


def run_play(pulse: PulseServer, path: Path, recording: Path, *extra: str) -> tuple[np.ndarray, str]:
    """Play a script with no terminal on stdin, recording the sink; (recording, stderr)."""
    recorder = pulse.record(recording)
    time.sleep(0.3)
    done = subprocess.run([sys.executable, "-m", "player", "play", str(path), *extra],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=play_env(pulse),
                          timeout=900, check=False)
    audio = stop_recording(recorder, recording)
    assert done.returncode == 0, done.stderr
    return audio, done.stderr


def test_what_the_sink_hears_matches_the_export(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer
) -> None:
    path = write_script(SHORT)
    prepare(path)
    # Live play is not mastered (it cannot measure the whole session first): compare the mix.
    exported_path = export(Mixer(compile_timeline(load_script(path), Speaker(open_engine("auto")))),
                           tmp_path / "export.wav", ExportOptions(master=False)).path
    exported, _ = soundfile.read(exported_path, dtype="float32")
    heard, err = run_play(pulse, path, tmp_path / "heard.raw")
    assert "underrun" not in err
    (a0, a1), (b0, b1) = sounding(heard), sounding(exported)
    assert (a1 - a0) / SR == pytest.approx((b1 - b0) / SR, abs=0.3)
    assert aligned_correlation(envelope(heard[a0:a1]), envelope(exported[b0:b1])) >= 0.9


class Terminal:
    """`practice play` in a real terminal (tmux), with keys sent as a person would press them."""

    def __init__(self, pulse: PulseServer, path: Path, folder: Path) -> None:
        self.socket = f"practice-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.rc = folder / "rc"
        self.tty = folder / "tty"
        env = play_env(pulse)
        command = " ".join(
            ["env", *(f"{key}={shlex.quote(env[key])}" for key in ("XDG_RUNTIME_DIR", "PULSE_SINK",
                                                                 "PRACTICE_CACHE_DIR")),
             shlex.quote(sys.executable), "-m", "player", "play", shlex.quote(str(path)),
             ";", "echo", "$?", ">", shlex.quote(str(self.rc) + ".part"),
             # The terminal's settings after play, then the exit status, for the test to read.
             ";", "stty", "-a", ">", shlex.quote(str(self.tty)),
             ";", "mv", shlex.quote(str(self.rc) + ".part"), shlex.quote(str(self.rc)),
             ";", "sleep", "30"]
        )
        subprocess.run(["tmux", "-L", self.socket, "new-session", "-d", "-x", "120", "-y", "20",
                        "-c", str(Path.cwd()), command], check=True)

    def screen(self) -> str:
        """What the terminal shows."""
        return subprocess.run(["tmux", "-L", self.socket, "capture-pane", "-p"],
                              capture_output=True, text=True, check=False).stdout

    def wait_for(self, text: str, timeout: float = 20) -> None:
        """Wait until the screen shows a text."""
        deadline = time.monotonic() + timeout
        while text not in self.screen():
            assert time.monotonic() < deadline, f"never showed {text!r}: {self.screen()}"
            time.sleep(0.05)

    def press(self, key: str) -> None:
        """Send one key (tmux key names: Space, Escape, q, x)."""
        subprocess.run(["tmux", "-L", self.socket, "send-keys", key], check=True)

    def wait_exit(self, timeout: float = 120) -> int:
        """The exit status of `practice play`."""
        deadline = time.monotonic() + timeout
        while not self.rc.exists() or not self.rc.read_text().strip():
            assert time.monotonic() < deadline, f"play did not end: {self.screen()}"
            time.sleep(0.1)
        return int(self.rc.read_text())

    def close(self) -> None:
        """Stop the terminal."""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def terminal_for(pulse: PulseServer, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start `practice play` for a script in a tmux terminal."""
    opened: list[Terminal] = []

    def start(path: Path) -> Terminal:
        terminal = Terminal(pulse, path, tmp_path)
        opened.append(terminal)
        terminal.wait_for("Keys:")
        time.sleep(1.0)  # the stream starts just after the keys line
        return terminal

    yield start
    for terminal in opened:
        terminal.close()


def longest_quiet(samples: np.ndarray, threshold_db: float = -60.0) -> float:
    """The longest stretch in seconds with no sample above the threshold."""
    loud = np.abs(samples).max(axis=1) > 10 ** (threshold_db / 20)
    edges = np.flatnonzero(np.diff(np.concatenate(([1], loud.astype(int), [1]))))
    runs = edges[1::2] - edges[::2] if len(edges) >= 2 else np.array([0])
    return float(runs.max()) / SR if runs.size else 0.0


def test_space_pauses_for_as_long_as_it_is_held_in_silence(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer, terminal_for: Callable[[Path], Terminal]
) -> None:
    path = write_script(SHORT)
    natural = prepare(path)
    recorder = pulse.record(tmp_path / "rec.raw")
    time.sleep(0.3)
    terminal = terminal_for(path)
    time.sleep(2.0)
    terminal.press("Space")
    time.sleep(4.0)
    terminal.press("Space")
    assert terminal.wait_exit() == 0
    heard = stop_recording(recorder, tmp_path / "rec.raw")
    start, end = sounding(heard)
    assert (end - start) / SR - natural == pytest.approx(4.0 - 0.3, abs=0.5)
    # Between the low pause tone and the high resume tone there is nothing at all.
    assert longest_quiet(heard[start:end]) >= 2.5


def test_x_goes_to_the_reorientation_and_q_ends_gently(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer, terminal_for: Callable[[Path], Terminal]
) -> None:
    path = write_script(SHORT.replace("pause: 2\n", "pause: 30\n"))
    natural = prepare(path)
    exit_seconds = compile_timeline(load_script(path), Speaker(open_engine("auto")),
                                    steps=load_script(path).on_exit).seconds - END_QUIET
    recorder = pulse.record(tmp_path / "x.raw")
    time.sleep(0.3)
    terminal = terminal_for(path)
    time.sleep(3.0)
    terminal.press("x")
    assert terminal.wait_exit() == 0
    heard = stop_recording(recorder, tmp_path / "x.raw")
    start, end = sounding(heard)
    assert (end - start) / SR < natural - 20  # it did not play on through the long pause
    # x came during the long pause: after the quiet, the only sound is the exit speech, lasting
    # as long as its timeline says.
    loud = envelope(heard[start:end], window=441) > 10 ** (-50 / 20)  # 10 ms windows
    sound_at = np.flatnonzero(loud)
    long_quiet = np.flatnonzero(np.diff(sound_at) > 50)  # quiet for more than half a second
    last_start = int(sound_at[long_quiet[-1] + 1])
    assert (len(loud) - last_start) * 0.01 == pytest.approx(exit_seconds, abs=0.15)

    (tmp_path / "rc").unlink()
    assert " icanon " in f" {(tmp_path / 'tty').read_text()} " and "-echo " not in (tmp_path / "tty").read_text()
    recorder = pulse.record(tmp_path / "q.raw")
    time.sleep(0.3)
    terminal = terminal_for(path)
    time.sleep(3.0)
    terminal.press("q")
    assert terminal.wait_exit() == 0
    heard = stop_recording(recorder, tmp_path / "q.raw")
    start, end = sounding(heard)
    # Measured in the recording, not by the clock: a few seconds before q (more when the machine
    # is loaded), a short fade and the 14 s closing chime; never the 30 s pause and the rest.
    assert (end - start) / SR < natural - 15, ((end - start) / SR, natural)
    last = heard[end - int(1.0 * SR):end].mean(axis=1)
    spectrum = np.abs(np.fft.rfft(last * np.hanning(len(last))))
    assert np.fft.rfftfreq(len(last), 1 / SR)[spectrum.argmax()] == pytest.approx(196, abs=10)  # the bowl


def test_ten_minutes_play_with_no_underrun_and_no_gap(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer
) -> None:
    tone = tmp_path / "tone.wav"
    t = np.arange(6 * SR) / SR
    soundfile.write(tone, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR)
    path = write_script("""
        title: Ten minutes
        steps:
          - repeat: 100
            steps:
              - play: tone.wav
    """)
    heard, err = run_play(pulse, path, tmp_path / "ten.raw")
    assert "underrun" not in err
    start, end = sounding(heard, threshold_db=-30)
    assert (end - start) / SR == pytest.approx(600, abs=0.5)
    quiet = envelope(heard[start:end], window=441) < 10 ** (-30 / 20)  # 10 ms windows
    assert not quiet.any(), f"{quiet.sum()} silent 10 ms windows in the middle of the session"


def test_ctrl_c_fades_out_exits_130_and_restores_the_terminal(
    write_script: WriteScript, tmp_path: Path, terminal_for: Callable[[Path], Terminal]
) -> None:
    path = write_script(SHORT.replace("pause: 2\n", "pause: 30\n"))
    prepare(path)
    terminal = terminal_for(path)
    time.sleep(1.0)
    terminal.press("C-c")
    assert terminal.wait_exit(timeout=10) == 130
    settings = (tmp_path / "tty").read_text()
    assert " icanon " in f" {settings} " and " echo " in f" {settings} "
    assert "Traceback" not in terminal.screen()


def test_a_sound_server_that_vanishes_mid_session_gives_a_clear_message(
    write_script: WriteScript, tmp_path: Path, pulse: PulseServer
) -> None:
    path = write_script(SHORT.replace("pause: 2\n", "pause: 30\n"))
    prepare(path)
    own = PulseServer(tmp_path / "own-pulse")  # a server of this test's own, to pull away
    own.start()
    env = dict(own.env, PRACTICE_CACHE_DIR=os.environ["PRACTICE_CACHE_DIR"])
    process = subprocess.Popen([sys.executable, "-m", "player", "play", str(path)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    own.wait_until_playing(process)  # mid-session: never before the stream is open, however busy the machine
    time.sleep(1.0)
    own.stop()
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1, err
    assert "Error: the sound device stopped during playback" in err
    assert "Traceback" not in err
