"""Loudness as people hear it (ITU-R BS.1770, gated as pyloudnorm gates), and gains to reach a target.

A clip is measured in numpy alone (player.render.kweighting), and so is a stream (mastering's pass
over the speech, a recording past STREAMED_SECONDS) by StreamMeter; a whole written file's
meter filters with scipy.signal, whose import pays for itself only over many minutes.
"""

from __future__ import annotations

import math
import queue
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

# BS.1770's block and gates are kweighting's: one definition for the clip and the stream meters.
from player.render.kweighting import (
    ABSOLUTE_GATE,
    BLOCK_SECONDS,
    RELATIVE_GATE,
    STREAM_FRAMES,
    KWeightingStream,
    gated_loudness,
    k_weighted,
    k_weighting_sos,
)

SPEECH_LOUDNESS = -20.0
"""LUFS every speech line and recorded clip is brought to, so lines, engines and a therapist's
own recordings sound equally loud; -20 leaves speech peaks (about 18 dB above its loudness)
below full scale, and mastering sets the final loudness of an export."""
PEAK_CEILING = 10 ** (-1 / 20)
"""A clip is never raised so far that its peak passes -1 dBFS."""


def integrated_loudness(samples: npt.NDArray[np.float32], rate: int) -> float:
    """Gated integrated loudness in LUFS of mono or (frames, channels) audio; -inf for silence."""
    if samples.shape[0] > STREAMED_SECONDS * rate:
        return _streamed_loudness(samples, rate)
    data = np.asarray(samples, dtype=np.float64)
    frames = data.shape[0]
    if frames == 0 or not np.any(data):
        return -math.inf
    needed = int(BLOCK_SECONDS * rate) + 1
    if frames < needed:
        # Repeating a short clip keeps its loudness and gives the meter a whole block.
        data = np.tile(data, (math.ceil(needed / frames),) + (1,) * (data.ndim - 1))
    return gated_loudness(k_weighted(data, rate), rate)


STREAMED_SECONDS = 60
"""Clips longer than this are measured in pieces: a whole clip is filtered in float64, several
copies at once, and levelling a 5-minute recording took 460 MB (a 20-minute one, 1.5 GB)."""


def _streamed_loudness(samples: npt.NDArray[np.float32], rate: int) -> float:
    """integrated_loudness through StreamMeter (the same filters and gates), ten seconds at a time."""
    frames = samples.reshape(samples.shape[0], -1)
    meter = StreamMeter(rate, frames.shape[1])
    step = 10 * rate
    for start in range(0, frames.shape[0], step):
        meter.add(frames[start:start + step])
    return meter.integrated()


def gain_to_loudness(samples: npt.NDArray[np.float32], rate: int, target: float = SPEECH_LOUDNESS) -> float:
    """The linear gain that brings a clip to `target` LUFS without its peak passing -1 dBFS."""
    loudness = integrated_loudness(samples, rate)
    if not math.isfinite(loudness):
        return 1.0
    gain = 10 ** ((target - loudness) / 20)
    peak = max(float(samples.max()), -float(samples.min()))  # no copy of a long clip to take its peak
    if peak * gain > PEAK_CEILING:
        gain = PEAK_CEILING / peak
    return gain


def match_loudness(
    samples: npt.NDArray[np.float32], rate: int, target: float = SPEECH_LOUDNESS
) -> npt.NDArray[np.float32]:
    """The clip at `target` LUFS (see gain_to_loudness), as contiguous float32."""
    gain = gain_to_loudness(samples, rate, target)
    return np.ascontiguousarray(np.asarray(samples, dtype=np.float32) * np.float32(gain))


HOPS_PER_SECOND = 10
"""BS.1770's 400 ms gating blocks start every 100 ms: four hops each."""
HOPS_PER_BLOCK = 4


class StreamMeter:
    """BS.1770 loudness of a stream of blocks, in constant memory: the same K-weighting as
    integrated_loudness, its state carried from block to block, and the K-weighted energy of every
    100 ms hop kept, so loudness can be gated over any set of blocks.

    The filters run in numpy (kweighting.KWeightingStream), or for a `whole_file` in
    scipy.signal's sosfilt, whose 1.1 s import pays for itself only over many minutes
    (benchmarks/kweighting_stream.py). Feed it with `add` (blocks gathered into pieces big
    enough to filter cheaply) or with `weigh` (each block filtered at once, its energies
    returned), not both.
    """

    def __init__(self, rate: int, channels: int, whole_file: bool = False) -> None:
        self._filter: KWeightingStream | SosfiltStream = (SosfiltStream(rate, channels) if whole_file
                                                          else KWeightingStream(rate, channels))
        self.hop = rate // HOPS_PER_SECOND
        self._open = 0.0
        self._open_frames = 0
        self._hops: list[npt.NDArray[np.float64]] = []
        self._gathered: list[npt.NDArray[np.float32]] = []
        self._gathered_frames = 0

    def add(self, block: npt.NDArray[np.floating[Any]]) -> None:
        """Take the next (frames, channels) block (filtered once enough frames have gathered)."""
        self._gathered.append(np.asarray(block, dtype=np.float32))
        self._gathered_frames += len(block)
        if self._gathered_frames >= STREAM_FRAMES:
            self._weigh_gathered()

    def weigh(self, block: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
        """Take the next (frames, channels) block and return each frame's K-weighted energy
        (summed over channels), for a meter of some of these frames to take (add_energy)."""
        energy = self._filter.energy(block)
        self.add_energy(energy)
        return energy

    def _weigh_gathered(self) -> None:
        """Filter the blocks gathered so far."""
        if self._gathered:
            gathered = self._gathered[0] if len(self._gathered) == 1 else np.concatenate(self._gathered)
            self._gathered, self._gathered_frames = [], 0
            self.weigh(gathered)

    def add_energy(self, energy: npt.NDArray[np.float64]) -> None:
        """Take the next frames as their K-weighted energies (from another meter's add)."""
        taken = 0
        if self._open_frames:
            taken = min(len(energy), self.hop - self._open_frames)
            self._open += float(energy[:taken].sum())
            self._open_frames += taken
            if self._open_frames < self.hop:
                return
            self._hops.append(np.array([self._open]))
            self._open, self._open_frames = 0.0, 0
        whole = (len(energy) - taken) // self.hop * self.hop
        self._hops.append(energy[taken:taken + whole].reshape(-1, self.hop).sum(axis=1))
        rest = energy[taken + whole:]
        self._open, self._open_frames = float(rest.sum()), len(rest)

    def hop_energies(self) -> npt.NDArray[np.float64]:
        """The K-weighted energy (summed over channels) of each whole 100 ms hop so far."""
        self._weigh_gathered()
        return np.concatenate(self._hops) if self._hops else np.zeros(0)

    def integrated(self) -> float:
        """Gated integrated loudness in LUFS of everything taken so far; -inf for silence."""
        return gated_integrated(block_powers(self.hop_energies(), self.hop))


class SosfiltStream:
    """K-weighting of a stream of blocks by scipy.signal's sosfilt, its state carried along."""

    def __init__(self, rate: int, channels: int) -> None:
        from scipy.signal import sosfilt, sosfilt_zi  # late: scipy.signal takes a second to load

        self._sosfilt = sosfilt
        self._sos = np.array(k_weighting_sos(rate))  # a copy: sosfilt wants one it may write to
        # One state per channel, all filtered in one call: (sections, channels, 2).
        self._state = np.repeat(np.zeros_like(sosfilt_zi(self._sos))[:, np.newaxis, :], channels, axis=1)

    def energy(self, block: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
        """The next block's K-weighted energy per frame, summed over its channels."""
        filtered, self._state = self._sosfilt(self._sos, np.asarray(block).T, axis=-1, zi=self._state)
        energy: npt.NDArray[np.float64] = filtered[0] * filtered[0]
        for channel in range(1, len(filtered)):
            energy += filtered[channel] * filtered[channel]
        return energy


class BackgroundMeter:
    """A StreamMeter fed from another thread: the caller renders the next blocks while this one
    filters the last (numpy's FFTs let go of the interpreter), so a pass over the speech takes
    about the longer of the two instead of both."""

    QUEUED = 8

    def __init__(self, rate: int, channels: int) -> None:
        self.meter = StreamMeter(rate, channels)
        self._blocks: queue.Queue[npt.NDArray[np.float32] | None] = queue.Queue(self.QUEUED)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._take, name="meter", daemon=True)
        self._thread.start()

    def add(self, block: npt.NDArray[np.float32]) -> None:
        """Hand over the next block (kept as it is: the caller must not write to it afterwards)."""
        if self._failure is None:
            self._blocks.put(block)

    def finish(self) -> StreamMeter:
        """Wait for every block handed over, and return the meter that took them."""
        self._blocks.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self.meter

    def _take(self) -> None:
        """The meter's thread: take blocks until the end is handed over."""
        while (block := self._blocks.get()) is not None:
            if self._failure is None:
                try:
                    self.meter.add(block)
                except BaseException as error:  # handed to the caller at finish()
                    self._failure = error


def block_powers(hops: npt.NDArray[np.float64], hop: int,
                 counted: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.float64]:
    """Each 400 ms block's mean K-weighted power from hop energies (only blocks whose hops are all
    `counted`, if given)."""
    if len(hops) < HOPS_PER_BLOCK:
        return np.zeros(0)
    sums = np.convolve(hops, np.ones(HOPS_PER_BLOCK), mode="valid")
    if counted is not None:
        whole = np.convolve(counted.astype(np.int64), np.ones(HOPS_PER_BLOCK, dtype=np.int64), mode="valid")
        sums = sums[whole == HOPS_PER_BLOCK]
    powers: npt.NDArray[np.float64] = sums / (HOPS_PER_BLOCK * hop)
    return powers


def gated_integrated(block_power: npt.NDArray[np.float64]) -> float:
    """BS.1770 integrated loudness from each 400 ms block's K-weighted power (summed over channels)."""
    if len(block_power) == 0:
        return -math.inf
    with np.errstate(divide="ignore"):
        block_loudness = -0.691 + 10 * np.log10(block_power)
    gated = block_power[block_loudness > ABSOLUTE_GATE]
    if len(gated) == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(gated.mean())) + RELATIVE_GATE
    gated = block_power[block_loudness > max(relative, ABSOLUTE_GATE)]
    return -0.691 + 10 * math.log10(float(gated.mean()))
