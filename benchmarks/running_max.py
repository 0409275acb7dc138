"""The limiter's running maximum (numpy, van Herk and Gil-Werman) against scipy.ndimage's.

Run: python -m benchmarks.running_max [--write]

player.render.limiter.running_max replaced scipy.ndimage.maximum_filter1d so that live play
and the speech levelling need not import scipy.ndimage. It must earn its keep: this times both
on the same peaks (a 20-minute session's worth, at the limiter's and the levelling's reach),
and the import each one costs in a fresh interpreter.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from scipy.ndimage import maximum_filter1d

from benchmarks import load_note, write_section
from player.render.limiter import WINDOW, running_max

FRAMES = 20 * 60 * 48_000
REACHES = {"the limiter (256 frames)": WINDOW, "speech levelling (960 frames)": 960}


def cpu_seconds(work: Callable[[], object], runs: int = 5) -> float:
    """Median CPU seconds of `work()` over `runs`."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return statistics.median(times)


def import_seconds(module: str, runs: int = 5) -> float:
    """Median CPU seconds of a fresh interpreter importing `module`, less the interpreter alone."""
    def timed(code: str) -> float:
        probe = f"{code}\nimport resource\nu = resource.getrusage(resource.RUSAGE_SELF)\nprint(u.ru_utime + u.ru_stime)"
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        return float(done.stdout.strip())
    return statistics.median(timed(f"import {module}") - timed("pass") for _ in range(runs))


def main() -> None:
    """Print (and with --write record) the table."""
    peaks = np.random.default_rng(1).random(FRAMES)
    rows = ["| running maximum over 20 minutes of peaks | scipy.ndimage.maximum_filter1d (baseline) | "
            "running_max (numpy) | same values |", "|---|---:|---:|---|"]
    for label, reach in REACHES.items():
        ours = cpu_seconds(partial(running_max, peaks, reach))
        theirs = cpu_seconds(partial(maximum_filter1d, peaks, 2 * reach + 1, mode="nearest"))
        same = np.array_equal(running_max(peaks, reach), maximum_filter1d(peaks, 2 * reach + 1, mode="nearest"))
        rows.append(f"| {label} | {theirs:.3f} s | {ours:.3f} s | {'yes' if same else 'NO'} |")
    rows.append(f"| import, fresh interpreter | {import_seconds('scipy.ndimage'):.2f} s (scipy.ndimage) | "
                f"{import_seconds('player.render.limiter'):.2f} s (player.render.limiter, numpy included) | |")
    text = "\n".join([f"`python -m benchmarks.running_max`, {load_note()}, CPU seconds (median of 5):", "", *rows])
    print(text)
    if "--write" in sys.argv:
        write_section("running-max", text, "## The limiter's running maximum")


if __name__ == "__main__":
    main()
