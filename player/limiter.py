"""A look-ahead peak limiter that gives the same samples however a session is cut into blocks.

The gain at a frame depends only on the signal within LOOKAROUND frames of it, so a caller
that renders that much context on each side gets identical output for any block size or start.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.ndimage import maximum_filter1d

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
SCREEN = 10 ** (-4.0 / 20) * CEILING
"""Below this sample peak, no inter-sample peak can reach the ceiling: skip the work."""


def true_peaks(block: npt.NDArray[np.float32], screen: float = SCREEN) -> npt.NDArray[np.float64]:
    """Each frame's peak over both channels, including the peaks between it and the next frame.

    np.convolve computes each output from a fixed window, so the result for a frame does not
    depend on where a block starts.
    """
    # Channel by channel: a max over an axis of length 2 is several times slower in numpy.
    sample_peaks = np.abs(block[:, 0])
    for channel in range(1, block.shape[1]):
        np.maximum(sample_peaks, np.abs(block[:, channel]), out=sample_peaks)
    peaks: npt.NDArray[np.float64] = sample_peaks.astype(np.float64)
    if peaks.max(initial=0.0) <= screen:
        return peaks
    for channel in range(block.shape[1]):
        signal = block[:, channel].astype(np.float64)
        for kernel in _KERNELS:
            between = np.convolve(signal, kernel[::-1], mode="full")[TAPS // 2 - 1:][: len(signal)]
            np.maximum(peaks, np.abs(between), out=peaks)
    return peaks


def limit(block: npt.NDArray[np.float32], context: int, ceiling: float = CEILING) -> npt.NDArray[np.float32]:
    """The frames of `block` between `context` and len - `context`, peaks held under `ceiling`.

    A frame's gain is the mean, over WINDOW/2 either side, of min(1, CEILING / nearby peak),
    where "nearby" reaches WINDOW either side: every gain averaged at a peak was already low
    enough for it, so the mean is too, and the gain moves smoothly (no clicks, no distortion).
    """
    inner = block[context:len(block) - context]
    peaks = true_peaks(block, SCREEN * ceiling / CEILING)
    if peaks.max(initial=0.0) <= ceiling:
        return inner
    # A running maximum in O(n) (van Herk), the same values as a max over each window.
    nearby = maximum_filter1d(peaks, size=2 * WINDOW + 1, mode="nearest")
    gain = np.minimum(1.0, ceiling / np.maximum(nearby, 1e-12))
    half = WINDOW // 2
    kernel = np.full(2 * half + 1, 1.0 / (2 * half + 1))
    # np.convolve computes each frame from a fixed window, so any block gives the same bits.
    smooth = np.convolve(np.pad(gain, half, mode="edge"), kernel, mode="valid")
    limited: npt.NDArray[np.float32] = (inner * smooth[context:len(block) - context, np.newaxis]).astype(np.float32)
    return limited
