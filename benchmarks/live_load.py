"""Live play on a busy machine: gaps heard in a null sink while every core is kept busy.

Run: python -m benchmarks.live_load [--minutes 10] [--load N] [--write]

A private PulseAudio server with a null sink (tests/pulse.py) records what a listener would
hear (parec) while `practice play` plays a steady 440 Hz tone, looped from a 6 s clip, for the
given minutes; N busy processes (default 2 x cores, like `stress --cpu N`) run meanwhile. Every
10 ms window of the recording between the first and last sound that falls below -30 dBFS is a
gap (the tone never dips that low); runs of them are counted as dropouts. The player's own
count of underruns (PortAudio's status flags and an empty queue), the longest wait between two
device calls, the scheduling its threads and the sound server's got, and any ALSA message on
its stderr are reported beside them. Target: no gap, no underrun, no message.
`--write` adds the figures as a row of the table in docs/PERFORMANCE.md (the last ten are kept).
"""

from __future__ import annotations

import argparse
import datetime
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
ROWS_KEPT = 10
HEADER = ("| run (UTC) | minutes | busy / cores, load average | settings | dropouts heard | seconds of gap "
          "| underruns (stream) | longest wait between device calls | ALSA lines |\n"
          "|---|---:|---|---|---:|---:|---:|---:|---:|")
INTRO = """`python -m benchmarks.live_load` plays a steady 440 Hz tone into a PulseAudio null sink while
2 x cores busy processes (`while True: pass`) run, records the sink with parec, and counts every
10 ms window below -30 dBFS between the first and last sound as a gap; a run of them is one
dropout heard. Underruns are the player's own count (PortAudio's underflow flag, or an empty
queue); the longest wait is between two calls of the stream callback. Settings name what the
player's audio threads got (its `--debug` line) and the sound server's threads (read from /proc),
`n-11` a nice value, `RR5` real-time round-robin at priority 5. On the shared 2-core development
machine (other work running too), newest last:"""


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


def scheduling(pid: int) -> str:
    """How a process's threads are scheduled, by name: "name RR5" or "name n-10", alike ones once."""
    seen: dict[str, int] = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return "gone"
    for tid in tasks:
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        nice, rt_priority, policy = int(fields[16]), int(fields[37]), int(fields[38])
        how = {1: f"FIFO{rt_priority}", 2: f"RR{rt_priority}"}.get(policy, f"n{nice}")
        key = f"{name} {how}"
        seen[key] = seen.get(key, 0) + 1
    return ", ".join(f"{key}{f' x{count}' if count > 1 else ''}" for key, count in sorted(seen.items()))


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
            player = subprocess.Popen([sys.executable, "-m", "player", "--debug", "play", str(script)],
                                      env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            time.sleep(min(60.0, minutes * 30))  # well into play (start-up is slow under load)
            threads = scheduling(player.pid)
            server_threads = scheduling(server.pid())
            _, stderr = player.communicate(timeout=minutes * 60 + 1200)  # start-up takes minutes under load
            load_after = os.getloadavg()[0]
            heard = stop_recording(recorder, folder / "heard.raw")
        finally:
            for process in busy:
                process.kill()
                process.wait()
            server.stop()
    dropouts, gap_seconds, sounding = gaps(heard)
    if player.returncode != 0:
        print(stderr, file=sys.stderr)
    reported = re.search(r"Note: (\d+) audio underruns", stderr)
    debug = re.search(r"Debug: audio threads at (.*); longest wait between device calls (\d+) ms; "
                      r"device latency (\d+) ms", stderr)
    return {
        "exit": player.returncode, "minutes": sounding / 60, "dropouts": dropouts, "gap_seconds": gap_seconds,
        "underruns": int(reported.group(1)) if reported else 0,
        "alsa_lines": sum("ALSA lib" in line for line in stderr.splitlines()),
        "priority": debug.group(1) if debug else "?", "longest_wait_ms": int(debug.group(2)) if debug else -1,
        "latency_ms": int(debug.group(3)) if debug else -1,
        "player_threads": threads, "server_threads": server_threads,
        "load": f"{load_before:.1f} to {load_after:.1f}", "busy": load, "cores": os.cpu_count() or 1,
    }


def row(figures: dict[str, float | int | str], label: str) -> str:
    """One table row for docs/PERFORMANCE.md."""
    from player.live.device import AHEAD_SECONDS, LATENCIES

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    latency = " growing to ".join(f"{seconds:g}" for seconds in LATENCIES)
    settings = (f"{label + '; ' if label else ''}{AHEAD_SECONDS:g} s ahead, device latency {latency} s "
                f"(last reported {figures['latency_ms']} ms), "
                f"audio threads {figures['priority']}; server: {figures['server_threads']}")
    return (f"| {when} | {figures['minutes']:.1f} | {figures['busy']} / {figures['cores']}, "
            f"{figures['load']} | {settings} | {figures['dropouts']} | {figures['gap_seconds']:.2f} | "
            f"{figures['underruns']} | {figures['longest_wait_ms']} ms | {figures['alsa_lines']} |")


def write(new_row: str) -> None:
    """Add a row to the table in docs/PERFORMANCE.md, keeping the last ten."""
    from benchmarks import DOC

    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    section = text.split("<!-- live-load:begin -->", 1)[-1].split("<!-- live-load:end -->", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| 20")]
    table = "\n".join([HEADER, *rows[-(ROWS_KEPT - 1):], new_row])
    write_section("live-load", f"{INTRO}\n\n{table}", "## Live play on a busy machine")


def main() -> None:
    """Measure once and print (and with --write, record) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--load", type=int, default=2 * (os.cpu_count() or 1), help="busy processes")
    parser.add_argument("--label", default="", help="a note for the settings column (what was changed)")
    parser.add_argument("--write", action="store_true", help="record the figures in docs/PERFORMANCE.md")
    options = parser.parse_args()
    figures = run(options.minutes, options.load)
    print(f"{figures['minutes']:.1f} minutes of live play with {figures['busy']} busy processes on "
          f"{figures['cores']} cores (load average {figures['load']}): {figures['dropouts']} dropouts, "
          f"{figures['gap_seconds']:.2f} s of gap in the recording, {figures['underruns']} underruns "
          f"reported by the stream, longest wait between device calls {figures['longest_wait_ms']} ms, "
          f"{figures['alsa_lines']} ALSA lines on the terminal (exit {figures['exit']}).\n"
          f"Player threads: {figures['player_threads']}\nServer threads: {figures['server_threads']}")
    new_row = row(figures, options.label)
    print(new_row)
    if options.write:
        write(new_row)


if __name__ == "__main__":
    main()
