"""A look-ahead peak limiter that gives the same samples however a session is cut into blocks.

The gain at a frame depends only on the signal within LOOKAROUND frames of it, so a caller
that renders that much context on each side gets identical output for any block size or start.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

CEILING_DB = -1.5
"""True peaks (4x oversampled) stop here, leaving room under -1 dBTP for the encoder."""
CEILING = 10 ** (CEILING_DB / 20)
WINDOW = 256
"""Frames (about 6 ms) over which the gain reaches down to meet a peak."""
LOOKAROUND = 2 * WINDOW
"""Context a caller must render on each side of the frames it wants."""


OVERSAMPLING = 4
TAPS = 16
"""Taps of each interpolation phase: enough to find inter-sample peaks within a fraction of a dB."""


def _phase_kernels() -> list[npt.NDArray[np.float64]]:
    """Windowed-sinc kernels that interpolate a signal 1/4, 2/4 and 3/4 of the way between frames."""
    kernels = []
    offsets = np.arange(-TAPS // 2 + 1, TAPS // 2 + 1, dtype=np.float64)
    for phase in range(1, OVERSAMPLING):
        shift = phase / OVERSAMPLING
        kernel = np.sinc(offsets - shift) * np.kaiser(TAPS, 8.0)
        kernels.append(kernel / kernel.sum())
    return kernels


_KERNELS = _phase_kernels()
_PHASES = np.stack(_KERNELS, axis=1)
"""The kernels as columns: (TAPS, 3), applied to each frame's 16 neighbours at once."""
SCREEN = 10 ** (-4.0 / 20) * CEILING
"""Below this sample peak, no inter-sample peak can reach the ceiling: skip the work."""


def true_peaks(block: npt.NDArray[np.float32], screen: float = SCREEN) -> npt.NDArray[np.float64]:
    """Each frame's peak over both channels, including the peaks between it and the next frame.

    Peaks between frames are worked out only within reach of a sample above `screen` (below
    it, none can reach the ceiling), which at mastering levels skips most of a session. Each
    is a sum over the same 16 neighbours in the same order wherever the frame sits, so a
    frame's result does not depend on where a block starts.
    """
    # Channel by channel: a max over an axis of length 2 is several times slower in numpy.
    sample_peaks = np.abs(block[:, 0])
    for channel in range(1, block.shape[1]):
        np.maximum(sample_peaks, np.abs(block[:, channel]), out=sample_peaks)
    peaks: npt.NDArray[np.float64] = sample_peaks.astype(np.float64)
    if peaks.max(initial=0.0) <= screen:
        return peaks
    reach = TAPS // 2
    loud = sample_peaks > screen
    near_mask = loud.copy()
    for shift in range(1, reach + 1):  # every frame within reach of a loud one
        near_mask[shift:] |= loud[:-shift]
        near_mask[:-shift] |= loud[shift:]
    near = np.flatnonzero(near_mask)
    if near.size == 0:  # a NaN passes no comparison: nothing is near, and the mixer refuses it
        return peaks
    # Frame i's values between it and i + 1 come from frames i - 7 .. i + 8; past the block's
    # edges they are zeros. Each channel is copied once into float64 with that many zeros either
    # side, so a near frame's 16 neighbours are one row of a sliding view (gathering them by a
    # (frames, 16) index, clipped at the edges, cost a third more).
    padded = np.zeros(len(block) + TAPS, dtype=np.float64)
    # Row i: frame i's neighbours, whatever padded holds (as sliding_window_view gives, without
    # its checks, which cost a tenth of this function).
    step = padded.strides[0]
    neighbours = as_strided(padded[1:], shape=(len(block), TAPS), strides=(step, step), writeable=False)
    loudest = peaks[near]
    for channel in range(block.shape[1]):
        padded[reach:reach + len(block)] = block[:, channel]
        between = neighbours[near] @ _PHASES  # (frames, phases)
        # Phase by phase: numpy's max over an axis of length 3 took ten times as long, and most
        # of this function's time in loud music.
        for phase in range(OVERSAMPLING - 1):
            np.maximum(loudest, np.abs(between[:, phase]), out=loudest)
    peaks[near] = loudest
    return peaks


SPAN_PIECE = 512
"""Frames per piece when finding where the limiter has work: few spans, little wasted work."""


def _spans_near(values: npt.NDArray[np.float64], threshold: float, reach: int) -> list[tuple[int, int]]:
    """Spans of frames that cover every frame within `reach` of a value above `threshold`."""
    pieces = -(-len(values) // SPAN_PIECE)
    padded = np.zeros(pieces * SPAN_PIECE)
    padded[:len(values)] = values
    hot = padded.reshape(pieces, SPAN_PIECE).max(axis=1) > threshold
    if not hot.any():
        return []
    grow = -(-reach // SPAN_PIECE)
    hot = np.convolve(hot.astype(np.int32), np.ones(2 * grow + 1, dtype=np.int32), mode="same") > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], hot.astype(np.int8), [0]])))
    return [(int(a) * SPAN_PIECE, min(int(b) * SPAN_PIECE, len(values))) for a, b in edges.reshape(-1, 2)]


def limit(block: npt.NDArray[np.float32], context: int, ceiling: float = CEILING) -> npt.NDArray[np.float32]:
    """The frames of `block` between `context` and len - `context`, peaks held under `ceiling`.

    A frame's gain is the mean, over WINDOW/2 either side, of min(1, CEILING / nearby peak),
    where "nearby" reaches WINDOW either side: every gain averaged at a peak was already low
    enough for it, so the mean is too, and the gain moves smoothly (no clicks, no distortion).
    The work is done only around peaks above the ceiling; elsewhere the gain is exactly 1.
    """
    inner = block[context:len(block) - context]
    peaks = true_peaks(block, SCREEN * ceiling / CEILING)
    if peaks.max(initial=0.0) <= ceiling:
        return inner
    half = WINDOW // 2
    kernel = np.full(2 * half + 1, 1.0 / (2 * half + 1))
    gain = np.ones(len(block))
    reach = WINDOW + half
    for start, end in _spans_near(peaks, ceiling, reach):
        # Enough peaks either side for the running maximum and the smoothing to be exact here.
        lo, hi = max(0, start - reach), min(len(block), end + reach)
        cut = _cut(nearby_peaks(peaks[lo:hi]), ceiling)
        # At the block's own edges the cut carries on as it is (as np.pad's "edge" would).
        before, after = half if lo == 0 else 0, half if hi == len(block) else 0
        padded = np.pad(cut, (before, after), mode="edge")
        first = start - half - (lo - before)
        # np.convolve computes each frame from a fixed window, so any block gives the same bits.
        gain[start:end] -= np.convolve(padded[first:first + end - start + 2 * half], kernel, mode="valid")
    limited: npt.NDArray[np.float32] = (inner * gain[context:len(block) - context, np.newaxis]).astype(np.float32)
    return limited


def _cut(nearby: npt.NDArray[np.float64], ceiling: float) -> npt.NDArray[np.float64]:
    """What the gain takes off at each frame before smoothing: 1 - min(1, ceiling / nearby peak)."""
    cut: npt.NDArray[np.float64] = np.maximum(0.0, 1.0 - ceiling / np.maximum(nearby, 1e-12))
    return cut


def nearby_peaks(peaks: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The highest peak within WINDOW frames either side of each frame."""
    return running_max(peaks, WINDOW)


def running_max(values: npt.NDArray[np.float64], reach: int) -> npt.NDArray[np.float64]:
    """The highest value within `reach` either side of each one (the ends extended with their own value).

    The same values as scipy.ndimage.maximum_filter1d(values, 2 * reach + 1, mode="nearest"),
    in O(n) with numpy alone (van Herk and Gil-Werman: running maxima forwards and backwards
    within blocks of one window), so live play need not import scipy.ndimage (0.4 s of CPU) before
    its first sound. benchmarks/running_max.py times the two.
    """
    if reach <= 0 or len(values) == 0:
        return np.array(values, dtype=np.float64)
    width = 2 * reach + 1
    blocks = -(-(len(values) + 2 * reach) // width)
    padded = np.empty(blocks * width + width)
    padded[:reach] = values[0]
    padded[reach:reach + len(values)] = values
    padded[reach + len(values):] = values[-1]
    grid = padded.reshape(-1, width)
    # forward[i]: the highest from the start of i's block to i; backward[i]: from i to its block's end.
    forward = np.maximum.accumulate(grid, axis=1).ravel()
    backward = np.maximum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    # The window [i, i + width) spans the end of one block and the start of the next.
    result: npt.NDArray[np.float64] = np.maximum(backward[:len(values)], forward[width - 1:width - 1 + len(values)])
    return result


def estimated_gain(nearby: npt.NDArray[np.float64], ceiling: float, step: int = 1) -> npt.NDArray[np.float64]:
    """What limit's gain would be for each frame (or each group of `step` frames, from each
    group's highest nearby peak), by running sums.

    With step 1, equal to limit's to rounding error and much faster over long stretches, but
    not the same bits for every block start: for estimates (predicting loudness), not rendering.
    """
    cut = _cut(nearby, ceiling)
    half = max(1, WINDOW // 2 // step)
    running = np.concatenate([[0.0], np.cumsum(np.pad(cut, half, mode="edge"))])
    gain: npt.NDArray[np.float64] = 1.0 - (running[2 * half + 1:] - running[:-2 * half - 1]) / (2 * half + 1)
    return gain
