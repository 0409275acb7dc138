"""Live play on a busy machine: gaps heard in a null sink while every core is kept busy.

Run: python -m benchmarks.live_load [--minutes 10] [--load N] [--write]

A private PulseAudio server with a null sink (tests/pulse.py) records what a listener would
hear (parec) while `practice play` plays a steady 440 Hz tone, looped from a 6 s clip, for the
given minutes; N busy processes (default 2 x cores, like `stress --cpu N`) run meanwhile. Every
10 ms window of the recording between the first and last sound that falls below -30 dBFS is a
gap (the tone never dips that low); runs of them are counted as dropouts. The player's own
count of underruns (PortAudio's status flags and an empty queue) and any ALSA message on its
stderr are reported beside them. Target: no gap, no underrun, no message.
`--write` puts the figures into docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

from benchmarks import write_section

SR = 44_100
WINDOW = 441
"""10 ms analysis windows."""
BUSY = "while True: pass"


def tone_script(folder: Path, minutes: float) -> Path:
    """A script that plays a 6 s tone back to back for about `minutes`."""
    tone = folder / "tone.wav"
    t = np.arange(6 * SR) / SR
    soundfile.write(tone, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR)
    repeats = max(1, round(minutes * 10))
    path = folder / "tone.yaml"
    path.write_text(f"title: Load test\nsteps:\n  - repeat: {repeats}\n    steps:\n      - play: tone.wav\n",
                    encoding="utf-8")
    return path


def gaps(heard: np.ndarray) -> tuple[int, float, float]:
    """(dropouts, seconds of gap, seconds sounding) in a recording of the steady tone."""
    loud = np.flatnonzero(np.abs(heard).max(axis=1) > 10 ** (-30 / 20))
    if loud.size == 0:
        return 0, 0.0, 0.0
    middle = heard[loud[0]:loud[-1] + 1].mean(axis=1)
    windows = len(middle) // WINDOW
    rms = np.sqrt((middle[: windows * WINDOW].reshape(windows, WINDOW) ** 2).mean(axis=1))
    quiet = rms < 10 ** (-30 / 20)
    starts = np.flatnonzero(np.diff(np.concatenate(([0], quiet.astype(int)))) == 1)
    return int(starts.size), float(quiet.sum()) * WINDOW / SR, len(middle) / SR


def run(minutes: float, load: int) -> dict[str, float | int | str]:
    """Play under load once; the figures."""
    from tests.pulse import PulseServer, stop_recording

    with tempfile.TemporaryDirectory(prefix="live-load-") as name:
        folder = Path(name)
        server = PulseServer(folder / "pulse")
        server.start()
        busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(load)]
        try:
            script = tone_script(folder, minutes)
            env = dict(server.env, PRACTICE_CACHE_DIR=str(folder / "cache"))
            recorder = server.record(folder / "heard.raw")
            time.sleep(0.3)
            load_before = os.getloadavg()[0]
            done = subprocess.run([sys.executable, "-m", "player", "play", str(script)], env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=minutes * 60 + 300, check=False)
            load_after = os.getloadavg()[0]
            heard = stop_recording(recorder, folder / "heard.raw")
        finally:
            for process in busy:
                process.kill()
                process.wait()
            server.stop()
    dropouts, gap_seconds, sounding = gaps(heard)
    reported = re.search(r"Note: (\d+) audio underruns", done.stderr)
    return {
        "exit": done.returncode, "minutes": sounding / 60, "dropouts": dropouts, "gap_seconds": gap_seconds,
        "underruns": int(reported.group(1)) if reported else 0,
        "alsa_lines": sum("ALSA lib" in line for line in done.stderr.splitlines()),
        "load": f"{load_before:.1f} to {load_after:.1f}", "busy": load, "cores": os.cpu_count() or 1,
    }


def main() -> None:
    """Measure once and print (and with --write, record) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--load", type=int, default=2 * (os.cpu_count() or 1), help="busy processes")
    parser.add_argument("--write", action="store_true", help="record the figures in docs/PERFORMANCE.md")
    options = parser.parse_args()
    figures = run(options.minutes, options.load)
    line = (f"{figures['minutes']:.1f} minutes of live play with {figures['busy']} busy processes on "
            f"{figures['cores']} cores (load average {figures['load']}): {figures['dropouts']} dropouts, "
            f"{figures['gap_seconds']:.2f} s of gap in the recording, {figures['underruns']} underruns "
            f"reported by the stream, {figures['alsa_lines']} ALSA lines on the terminal "
            f"(exit {figures['exit']}).")
    print(line)
    if options.write:
        write_section("live-load", line, "## Live play on a busy machine")


if __name__ == "__main__":
    main()
