"""The streaming K-weighting (numpy FFT overlap-add, float32) against scipy.signal's sosfilt.

Run: python -m benchmarks.kweighting_stream [--write]

player.render.kweighting.KWeightingStream replaced scipy.signal.sosfilt in the export's meters,
so that a mastered export need not import scipy.signal. It must earn its keep: this times both
on the speech of a 20-minute session (200 s of stereo, as mastering reads it) and on a whole
20-minute file, the import each costs in a fresh interpreter, and how far the loudness moves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
from scipy.signal import sosfilt, sosfilt_zi

from benchmarks import load_note, write_section
from benchmarks.running_max import cpu_seconds, import_seconds
from player import SAMPLE_RATE
from player.render.kweighting import k_weighting_sos
from player.render.loudness import StreamMeter, block_powers, gated_integrated

BLOCK = 16_384
"""The mixer's block: both meters are fed the same blocks."""
CASES = {"the speech of a 20-minute session (200 s)": 200, "a whole 20-minute file": 1200}


def sosfilt_loudness(signal: np.ndarray) -> Callable[[], float]:
    """The baseline: sosfilt with its state carried block to block, hop energies, the same gating."""
    def run() -> float:
        sos = np.array(k_weighting_sos(SAMPLE_RATE))
        state = np.repeat(np.zeros_like(sosfilt_zi(sos))[:, np.newaxis, :], 2, axis=1)
        energies = []
        for start in range(0, len(signal), BLOCK):
            filtered, state = sosfilt(sos, signal[start:start + BLOCK].T, axis=-1, zi=state)
            energies.append((filtered * filtered).sum(axis=0))
        energy = np.concatenate(energies)
        hop = SAMPLE_RATE // 10
        hops = energy[:len(energy) // hop * hop].reshape(-1, hop).sum(axis=1)
        return gated_integrated(block_powers(hops, hop))
    return run


def numpy_loudness(signal: np.ndarray) -> Callable[[], float]:
    """The player's StreamMeter, fed the same blocks."""
    def run() -> float:
        meter = StreamMeter(SAMPLE_RATE, 2)
        for start in range(0, len(signal), BLOCK):
            meter.add(signal[start:start + BLOCK])
        return meter.integrated()
    return run


def main() -> None:
    """Print (and with --write record) the table."""
    rng = np.random.default_rng(1)
    rows = ["| K-weighting, stereo, in 16,384-frame blocks | scipy.signal.sosfilt (baseline) | "
            "KWeightingStream (numpy) | loudness apart |", "|---|---:|---:|---:|"]
    for label, seconds in CASES.items():
        signal = (rng.normal(0, 0.1, size=(seconds * SAMPLE_RATE, 2))).astype(np.float32)
        theirs, ours = sosfilt_loudness(signal), numpy_loudness(signal)
        apart = abs(theirs() - ours())
        rows.append(f"| {label} | {cpu_seconds(theirs, 3):.2f} s | {cpu_seconds(ours, 3):.2f} s | "
                    f"{apart:.1e} LU |")
    scipy_import, ours_import = import_seconds("scipy.signal"), import_seconds("player.render.loudness")
    rows.append(f"| import, fresh interpreter | {scipy_import:.2f} s (scipy.signal) | "
                f"{ours_import:.2f} s (player.render.loudness, numpy included) | |")
    text = "\n".join([f"`python -m benchmarks.kweighting_stream`, {load_note()}, CPU seconds (median of 3):",
                      "", *rows])
    print(text)
    if "--write" in sys.argv:
        write_section("kweighting-stream", text, "## The meters' K-weighting")


if __name__ == "__main__":
    main()
