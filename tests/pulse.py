"""A real PulseAudio server with a null sink, and recordings of what reaches it (parec)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

SINK = "virt"


class PulseServer:
    """A private PulseAudio daemon; its null sink's monitor is what a listener would hear."""

    def __init__(self, runtime: Path) -> None:
        self.runtime = runtime
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), PULSE_SINK=SINK)
        self.env.pop("PULSE_SERVER", None)

    def start(self) -> None:
        """Start the daemon and wait until it answers."""
        self.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        subprocess.run(
            ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n", "--system=false",
             f"--load=module-null-sink sink_name={SINK} rate=44100 channels=2",
             "--load=module-native-protocol-unix", "--log-target=stderr"],
            env=self.env, check=True, capture_output=True, timeout=30,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                subprocess.run(["pactl", "set-default-sink", SINK], env=self.env, capture_output=True)
                return
            time.sleep(0.1)
        raise RuntimeError("PulseAudio did not answer within 10 s")

    def pid(self) -> int:
        """The daemon's process id (from the pid file it writes in its runtime folder)."""
        return int((self.runtime / "pulse" / "pid").read_text().split()[0])

    def playing(self) -> bool:
        """Whether some stream is playing into the server."""
        listed = subprocess.run(["pactl", "list", "short", "sink-inputs"], env=self.env,
                                capture_output=True, text=True, check=False)
        return bool(listed.stdout.strip())

    def wait_until_playing(self, process: subprocess.Popen[str], timeout: float = 120.0) -> None:
        """Wait until `process` has a stream open in the server (it may take long on a busy machine)."""
        deadline = time.monotonic() + timeout
        while not self.playing():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "play never started"
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the daemon."""
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, timeout=10)

    def record(self, path: Path) -> subprocess.Popen[bytes]:
        """Start recording the sink's monitor as raw float32 stereo at 44.1 kHz."""
        handle = path.open("wb")
        return subprocess.Popen(
            ["parec", "-d", f"{SINK}.monitor", "--format=float32le", "--rate=44100", "--channels=2",
             "--latency-msec=20"],
            stdout=handle, env=self.env,
        )


def available() -> bool:
    """Whether the PulseAudio programs are installed."""
    return all(shutil.which(tool) for tool in ("pulseaudio", "parec", "pactl"))


def stop_recording(process: subprocess.Popen[bytes], path: Path) -> np.ndarray:
    """Stop parec and read what it recorded as (frames, 2) float32."""
    time.sleep(0.5)  # let the last blocks drain through the server
    process.terminate()
    process.wait(timeout=10)
    data = np.fromfile(path, dtype="<f4")
    return data[: len(data) // 2 * 2].reshape(-1, 2)


def sounding(samples: np.ndarray, threshold_db: float = -50.0) -> tuple[int, int]:
    """First and one-past-last frame louder than the threshold."""
    loud = np.flatnonzero(np.abs(samples).max(axis=1) > 10 ** (threshold_db / 20))
    if loud.size == 0:
        return 0, 0
    return int(loud[0]), int(loud[-1]) + 1


def envelope(samples: np.ndarray, window: int = 2205) -> np.ndarray:
    """RMS loudness in 50 ms windows."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    frames = len(mono) // window
    levels: np.ndarray = np.sqrt((mono[: frames * window].reshape(frames, window) ** 2).mean(axis=1))
    return levels


def aligned_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 20) -> float:
    """The best correlation of two envelopes over lags of up to `max_lag` windows either way.

    A recording's first moments depend on when the monitor stream starts delivering, so the
    two envelopes are aligned before they are compared.
    """
    best = -1.0
    for lag in range(-max_lag, max_lag + 1):
        x, y = (a[lag:], b) if lag >= 0 else (a, b[-lag:])
        size = min(len(x), len(y))
        if size > 10:
            best = max(best, float(np.corrcoef(x[:size], y[:size])[0, 1]))
    return best
