"""Speech levelling: every line at one loudness, its loudest peaks eased down gently.

Piper's sentences peak 15 to 22 dB above their loudness (measured over the 51 sentences of
five-senses: median 19.3 dB). Mastered speech sits at -16 LUFS stereo (-19 LUFS in each
channel), so those peaks would reach +3 dBTP and the limiter would cut them by up to 5 dB.
A look-ahead compressor on each line instead lowers only what stands more than COMPRESS_ABOVE
over the line's loudness (plosives and stressed syllables, a few milliseconds each), at
RATIO, smoothly, and holds any peak at PEAKS_ABOVE, so lines leave here with peaks at most
16 dB above their loudness and the limiter has little or nothing left to do.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from player.render.limiter import running_max, true_peaks
from player.render.loudness import SPEECH_LOUDNESS, integrated_loudness

COMPRESS_ABOVE = 12.0
"""LU over the line's loudness where compression starts."""
RATIO = 3.0
PEAKS_ABOVE = 16.0
"""LU over the line's loudness that no peak passes (some voices peak 22 LU over: what RATIO
leaves of those is held here). Mastered speech is at -19 LUFS in each channel, so peaks stay
near -3 dBTP, under every format's limiter ceiling."""
ROUNDS = 2
REACH_SECONDS = 0.02
"""The gain at a frame answers the highest peak this close on either side (look-ahead and hold)."""
SMOOTH_SECONDS = 0.01
"""The gain is averaged over this much either side: it glides, it never steps."""


def level_speech(samples: npt.NDArray[np.float32], rate: int,
                 target: float = SPEECH_LOUDNESS) -> npt.NDArray[np.float32]:
    """A line at `target` LUFS with its peaks more than COMPRESS_ABOVE over that eased down at
    RATIO, none past PEAKS_ABOVE."""
    data = np.asarray(samples, dtype=np.float32)
    loudness = integrated_loudness(data, rate)
    if not math.isfinite(loudness):
        return np.ascontiguousarray(data)
    compressed = data * np.float32(10 ** ((target - loudness) / 20))
    # Easing the peaks lowers the line's loudness a little (more for a short line with sharp
    # peaks), and levelling it back raises the peaks again: a second round settles both.
    for _ in range(ROUNDS):
        compressed = compressed * compression_gain(compressed, rate, target + COMPRESS_ABOVE).astype(np.float32)
        after = integrated_loudness(compressed, rate)
        if math.isfinite(after):
            compressed *= np.float32(10 ** ((target - after) / 20))
    return np.ascontiguousarray(compressed, dtype=np.float32)


def compression_gain(samples: npt.NDArray[np.float32], rate: int, threshold_db: float) -> npt.NDArray[np.float64]:
    """Each frame's gain: the highest true peak within REACH over `threshold_db`, divided down by
    RATIO, and held at PEAKS_ABOVE - COMPRESS_ABOVE over the threshold.

    Every gain averaged at a peak already answers that peak (it is within reach of all of them),
    so each peak is lowered at least as far as asked.
    """
    peaks = true_peaks(samples.reshape(len(samples), 1), screen=10 ** (threshold_db / 20))
    nearby = running_max(peaks, round(REACH_SECONDS * rate))
    with np.errstate(divide="ignore"):
        over = np.maximum(0.0, 20 * np.log10(np.maximum(nearby, 1e-12)) - threshold_db)
    wanted = 10 ** (-np.maximum((1 - 1 / RATIO) * over, over - (PEAKS_ABOVE - COMPRESS_ABOVE)) / 20)
    half = round(SMOOTH_SECONDS * rate)
    kernel = np.full(2 * half + 1, 1 / (2 * half + 1))
    gain: npt.NDArray[np.float64] = np.convolve(np.pad(wanted, half, mode="edge"), kernel, mode="valid")
    return gain
