"""BS.1770's K-weighting and gated loudness of a whole clip in numpy alone (no scipy.signal).

Every line a voice makes is levelled, and levelling measures its loudness. scipy.signal, which
pyloudnorm runs its filters with, takes about 0.86 s to import on a 2-core machine: in a cold
live start that import, in Piper's worker, was what the first word waited for once the model
had loaded. Here the two filters' coefficients are designed as pyloudnorm designs them (the RBJ
cookbook's high shelf and high pass), and a clip is filtered by convolving it (by FFT) with the
cascade's impulse response, run until it has decayed below 1e-20 of its peak: lfilter's output
to rounding. The gating is pyloudnorm's, block for block. tests/test_kweighting.py checks the
coefficients, the filtered samples and the loudness against pyloudnorm and scipy.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

BLOCK_SECONDS = 0.4
"""BS.1770's gating block (a clip shorter than this is measured as a loop of itself); blocks
start every quarter of one (pyloudnorm's overlap of 0.75)."""
BLOCK_STEP = 0.25
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
"""BS.1770's gates in LUFS and LU: blocks below either do not count."""
DECAYED = 1e-20
"""The impulse response stops once it and the filters' state are below this share of its peak."""
RESPONSE_BOUND_SECONDS = 2.0
"""A bound on the response's length whatever the rate (at 44.1 kHz it decays within 0.2 s)."""
FFT_FRAMES = 1 << 18
"""Frames filtered per FFT at most: long clips are convolved a piece at a time (overlap-add)."""
STREAM_FRAMES = 1 << 16
"""Frames a stream is filtered in at once: smaller pieces cost more per frame (the response is
8,155 taps long at 44.1 kHz), larger ones no less."""


def _biquad(gain_db: float, q: float, fc: float, rate: int, shelf: bool) -> list[float]:
    """One section [b0, b1, b2, 1, a1, a2], computed as pyloudnorm computes it (same expressions,
    so the same floating-point values)."""
    big_a = 10 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * (fc / rate)
    alpha = np.sin(w0) / (2.0 * q)
    if shelf:
        b0 = big_a * ((big_a + 1) + (big_a - 1) * np.cos(w0) + 2 * np.sqrt(big_a) * alpha)
        b1 = -2 * big_a * ((big_a - 1) + (big_a + 1) * np.cos(w0))
        b2 = big_a * ((big_a + 1) + (big_a - 1) * np.cos(w0) - 2 * np.sqrt(big_a) * alpha)
        a0 = (big_a + 1) - (big_a - 1) * np.cos(w0) + 2 * np.sqrt(big_a) * alpha
        a1 = 2 * ((big_a - 1) - (big_a + 1) * np.cos(w0))
        a2 = (big_a + 1) - (big_a - 1) * np.cos(w0) - 2 * np.sqrt(big_a) * alpha
    else:
        b0 = (1 + np.cos(w0)) / 2
        b1 = -(1 + np.cos(w0))
        b2 = (1 + np.cos(w0)) / 2
        a0 = 1 + alpha
        a1 = -2 * np.cos(w0)
        a2 = 1 - alpha
    return [float(value) for value in (np.array([b0, b1, b2, a0, a1, a2]) / a0)]


@lru_cache(maxsize=4)
def k_weighting_sos(rate: int) -> npt.NDArray[np.float64]:
    """BS.1770's K-weighting at `rate` as second-order sections (a0 = 1): the head's high shelf
    (+4 dB above 1.5 kHz), then the high pass at 38 Hz."""
    sections = np.array([_biquad(4.0, 1 / np.sqrt(2), 1500.0, rate, shelf=True),
                         _biquad(0.0, 0.5, 38.0, rate, shelf=False)])
    sections.setflags(write=False)
    return sections


@lru_cache(maxsize=4)
def impulse_response(rate: int) -> npt.NDArray[np.float64]:
    """The K-weighting cascade's response to a unit impulse, until it has died away."""
    sections = [tuple(float(value) for value in row) for row in k_weighting_sos(rate)]
    states = [[0.0, 0.0] for _ in sections]
    response: list[float] = []
    peak, value = 0.0, 1.0
    for _ in range(int(RESPONSE_BOUND_SECONDS * rate)):
        for (b0, b1, b2, _, a1, a2), state in zip(sections, states, strict=True):
            out = b0 * value + state[0]  # direct form II transposed, as lfilter runs it
            state[0] = b1 * value - a1 * out + state[1]
            state[1] = b2 * value - a2 * out
            value = out
        response.append(value)
        peak = max(peak, abs(value))
        limit = DECAYED * peak
        if abs(value) < limit and all(abs(held) < limit for state in states for held in state):
            break
        value = 0.0
    taps = np.array(response)
    taps.setflags(write=False)
    return taps


def k_weighted(samples: npt.NDArray[np.floating], rate: int) -> npt.NDArray[np.float64]:
    """The clip (frames, channels) through the K-weighting filters from silence, in float64."""
    data = np.asarray(samples, dtype=np.float64).reshape(samples.shape[0], -1)
    taps = impulse_response(rate)
    frames = data.shape[0]
    piece = min(FFT_FRAMES, frames)
    size = _fast_length(piece + len(taps) - 1)
    spectrum = np.fft.rfft(taps, size)[:, np.newaxis]
    filtered = np.zeros_like(data)
    for start in range(0, frames, piece):
        part = data[start:start + piece]
        out = np.fft.irfft(np.fft.rfft(part, size, axis=0) * spectrum, size, axis=0)
        end = min(frames, start + len(part) + len(taps) - 1)
        filtered[start:end] += out[:end - start]
    return filtered


class KWeightingStream:
    """K-weighting of a stream of (frames, channels) blocks, its state carried from one block to
    the next: overlap-add FFT convolution with the impulse response, in float32.

    Mastering's pass over the speech and the sampled check of an MP3 filter with this: scipy's
    sosfilt is about 2.3x faster per frame but costs 1.1 s of CPU to import, more than filtering
    the speech of a 20-minute session takes here (benchmarks/kweighting_stream.py); a whole
    file's meter still uses sosfilt. float32 moves a loudness by about 1e-7 LU
    (tests/test_sampled_check.py).
    """

    def __init__(self, rate: int, channels: int) -> None:
        self._rate = rate
        self._reach = len(impulse_response(rate)) - 1
        self._tail: npt.NDArray[np.floating] = np.zeros((channels, self._reach), dtype=np.float32)
        """What earlier frames still add to the frames to come."""

    def energy(self, block: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
        """The next block's K-weighted energy per frame, summed over its channels."""
        # Channels as rows, each contiguous: the FFT of a strided view costs a third more.
        data = np.ascontiguousarray(np.asarray(block, dtype=np.float32).reshape(len(block), -1).T)
        frames = data.shape[1]
        energy = np.zeros(frames)
        for start in range(0, frames, STREAM_FRAMES):
            piece = data[:, start:start + STREAM_FRAMES]
            filtered = self._filter(piece)
            for channel in filtered:
                energy[start:start + piece.shape[1]] += np.square(channel, dtype=np.float64)
        return energy

    def _filter(self, piece: npt.NDArray[np.float32]) -> npt.NDArray[np.floating]:
        """One piece (channels, frames) filtered, the tail of those before it added (float32 in,
        float32 out: numpy's FFT keeps single precision)."""
        frames = piece.shape[1]
        size = _fast_length(frames + self._reach)
        out: npt.NDArray[np.floating] = np.fft.irfft(np.fft.rfft(piece, size) * _response_spectrum(self._rate, size),
                                                   size)
        out[:, :self._reach] += self._tail
        self._tail = out[:, frames:frames + self._reach].copy()
        return out[:, :frames]


@lru_cache(maxsize=8)
def _response_spectrum(rate: int, size: int) -> npt.NDArray[np.complexfloating]:
    """The impulse response's spectrum at an FFT size, in single precision."""
    spectrum = np.fft.rfft(impulse_response(rate).astype(np.float32), size)
    spectrum.setflags(write=False)
    return spectrum


def _fast_length(least: int) -> int:
    """The smallest size from `least` on whose only prime factors are 2, 3 and 5 (quick for the FFT;
    the next power of two alone can almost double the work)."""
    best = 1 << (least - 1).bit_length()
    fives = 1
    while fives < best:
        threes = fives
        while threes < best:
            size = threes << max(0, (least - 1) // threes).bit_length()  # threes * the power of 2 reaching least
            best = min(best, size)
            threes *= 3
        fives *= 5
    return best


def gated_loudness(filtered: npt.NDArray[np.float64], rate: int) -> float:
    """Integrated loudness in LUFS of K-weighted (frames, channels) samples, gated as pyloudnorm
    gates (its blocks, bounds and thresholds); -inf for silence."""
    frames = filtered.shape[0]
    count = int(np.round((frames / rate - BLOCK_SECONDS) / (BLOCK_SECONDS * BLOCK_STEP))) + 1
    if count < 1:
        return -math.inf
    index = np.arange(count)
    # pyloudnorm's bounds, worked out with the same floating-point expressions.
    lower = np.minimum((BLOCK_SECONDS * (index * BLOCK_STEP) * rate).astype(np.int64), frames)
    upper = np.minimum((BLOCK_SECONDS * (index * BLOCK_STEP + 1) * rate).astype(np.int64), frames)
    energy = np.square(filtered).sum(axis=1)  # every channel weighs 1 (left, right, centre)
    running = np.concatenate([[0.0], np.cumsum(energy)])
    power = (running[upper] - running[lower]) * (1.0 / (BLOCK_SECONDS * rate))
    with np.errstate(divide="ignore", invalid="ignore"):
        loudness = -0.691 + 10.0 * np.log10(power)
    audible = power[loudness >= ABSOLUTE_GATE]
    if audible.size == 0:
        return -math.inf
    relative = -0.691 + 10.0 * math.log10(float(audible.mean())) + RELATIVE_GATE
    gated = power[(loudness > relative) & (loudness > ABSOLUTE_GATE)]
    if gated.size == 0 or float(gated.mean()) <= 0:
        return -math.inf
    return -0.691 + 10.0 * math.log10(float(gated.mean()))
