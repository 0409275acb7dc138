"""The loudness of a whole mix, predicted from its parts without rendering it.

BS.1770 loudness is K-weighted energy in 400 ms blocks, gated. The voice track (speech,
chimes, clips) and the beds are independent signals, so the energy of their sum in a block is
close to the sum of their energies (the cross term averages out). Each clip's K-weighted
energy is computed once, in 10 ms bins, and placed wherever the timeline plays it; each bed's
comes from its loop, its planned level and its fades. The limiter is modelled too: it runs
over each clip at the level it will play at, and over each bed from its loop's peaks. All of
that costs a small fraction of a mixing pass, which is what lets an export go straight to the
encoder with its mastering gain (the encoded file is still measured afterwards).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from player.ambient import AmbientPlan, BedSegment
from player.atomic import save_array
from player.limiter import estimated_gain, nearby_peaks, true_peaks
from player.loudness import gated_integrated, k_weighting_filters
from player.mixer import Mixer
from player.sounds.loops import bed_loop, derived_cache_path

HOPS_PER_SECOND = 10
"""BS.1770's gating blocks (400 ms) start every 100 ms."""
HOPS_PER_BLOCK = 4
BINS_PER_HOP = 10
"""The model's resolution: 10 ms bins."""
GROUP = 9
"""Frames a clip's energy and peaks are kept in groups of (a 10 ms bin at 44.1 kHz is 49 of
them; at a rate whose bin it does not divide, frames are kept one by one)."""
SEARCH_STEPS = 10
SEARCH_TOLERANCE_LU = 0.02

Energies = npt.NDArray[np.float64]


class LoudnessModel:
    """Predicts a mix's loudness at any mastering gain, through the limiter, from its parts."""

    def __init__(self, mixer: Mixer, channels: int, ceiling: float) -> None:
        """`channels` is what the file holds (1: the mean of left and right); `ceiling` the limiter's."""
        self.ceiling = ceiling
        rate = mixer.timeline.sample_rate
        self.hop = rate // HOPS_PER_SECOND
        self.bin = self.hop // BINS_PER_HOP
        self.hops = -(-mixer.length // self.hop)
        self._channels = channels
        self._sounds = mixer.timeline.sounds
        group = GROUP if self.bin % GROUP == 0 else 1
        self._clips = {sound.clip: _ClipParts(mixer.timeline.clips[sound.clip], rate, group)
                       for sound in self._sounds}
        self._beds = [_bed_bins(mixer.ambient, segment, self.bin, rate, channels)
                      for segment in mixer.ambient.segments]

    def loudness(self, gain_db: float = 0.0, limited: bool = True) -> float:
        """Integrated LUFS of the mix with `gain_db` applied before the limiter (or without it)."""
        gain = 10 ** (gain_db / 20)
        ceiling = self.ceiling if limited else math.inf
        voice = np.zeros(self.hops, dtype=np.float64)
        kept = np.ones(self.hops, dtype=np.float64)  # the power the limiter leaves of each hop
        levels: dict[tuple[str, float], tuple[Energies, Energies]] = {}
        for sound in self._sounds:
            level = gain * sound.gain
            if (sound.clip, level) not in levels:
                energy, held = self._clips[sound.clip].limited(self.bin, ceiling / level)
                levels[sound.clip, level] = energy * (level ** 2 * self._channels), held
            energy, held = levels[sound.clip, level]
            hops = (sound.start + self.bin * np.arange(len(energy)) + self.bin // 2) // self.hop
            heard = hops < self.hops  # a tail past the session's end is cut off
            np.add.at(voice, hops[heard], energy[heard])
            # The limiter turns down everything at once: what it takes off the voice, it takes off the bed.
            np.add.at(kept, hops[heard], (held[heard] - 1) / BINS_PER_HOP)
        total = voice
        for bed in self._beds:
            limited_power = np.minimum(1.0, (ceiling / (gain * bed.peak)) ** 2)
            hops = bed.bins // BINS_PER_HOP
            total += np.bincount(hops, bed.energy * limited_power * gain ** 2, minlength=self.hops)[:self.hops] \
                * np.clip(kept, 0.0, 1.0)
        return gated_loudness(total, self.hop)

    def gain_for(self, target: float, max_gain_db: float) -> float:
        """The mastering gain in dB that reaches `target` LUFS through the limiter, by the model.

        A raised mix loses some of the gain to the limiter, so loudness grows by less than the
        gain: each step follows the slope between the last two predictions (a secant search).
        """
        unlimited = self.loudness(0.0, limited=False)
        if not math.isfinite(unlimited):
            return 0.0
        gain = min(target - unlimited, max_gain_db)
        points: list[tuple[float, float]] = []
        for _ in range(SEARCH_STEPS):
            reached = self.loudness(gain)
            if abs(reached - target) < SEARCH_TOLERANCE_LU or not math.isfinite(reached):
                break
            points.append((gain, reached))
            slope = 1.0
            if len(points) >= 2:
                (g0, l0), (g1, l1) = points[-2], points[-1]
                if abs(g1 - g0) > 1e-6:
                    slope = min(max((l1 - l0) / (g1 - g0), 0.1), 1.0)
            gain = min(gain + (target - reached) / slope, max_gain_db)
        return gain


def gated_loudness(hop_energy: Energies, hop: int) -> float:
    """Integrated loudness from K-weighted energy summed over channels in each 100 ms hop."""
    if len(hop_energy) < HOPS_PER_BLOCK:
        return -math.inf
    window = np.lib.stride_tricks.sliding_window_view(hop_energy, HOPS_PER_BLOCK)
    return gated_integrated(window.sum(axis=1) / (HOPS_PER_BLOCK * hop))


class _ClipParts:
    """What the model needs of one clip: its K-weighted energy and the peaks the limiter sees."""

    def __init__(self, clip: npt.NDArray[np.float32], rate: int, group: int) -> None:
        self._group = group
        # Kept in groups of GROUP frames: a ninth of the memory for a long session's clips, and
        # the limiter's peaks reach 256 frames either side, so a group's maximum loses little.
        self._energy = _binned(k_weighted_energy(clip, rate), group)
        # Sample peaks: speech comes up from 22.05 kHz, so its peaks between samples add next to nothing.
        peaks = np.abs(np.asarray(clip, dtype=np.float32).reshape(len(clip), -1)).max(axis=1)
        self._nearby = _binned_max(nearby_peaks(peaks), group)
        self._loudest = float(self._nearby.max(initial=0.0))

    def limited(self, size: int, ceiling: float) -> tuple[Energies, Energies]:
        """Energy in bins of `size` frames after a limiter with this ceiling (relative to the
        clip as it is), and the share of power the limiter keeps in each bin."""
        groups = size // self._group
        if self._loudest <= ceiling:
            energy = _binned(self._energy, groups)
            return energy, np.ones_like(energy)
        power = estimated_gain(self._nearby, ceiling, step=self._group) ** 2
        return _binned(self._energy * power, groups), _binned(power, groups) / groups


@dataclass(frozen=True)
class _BedBins:
    """A bed segment in the session's 10 ms bins: energy at unity gain and the loudest peak."""

    bins: npt.NDArray[np.int64]
    energy: Energies
    peak: Energies


def _bed_bins(plan: AmbientPlan, segment: BedSegment, size: int, rate: int, channels: int) -> _BedBins:
    """Where a bed segment plays, and its energy and peaks there, with its level and fades."""
    energy, peaks = _loop_bins(segment.sound, size, rate, channels)
    bins = np.arange(segment.start // size, -(-segment.end // size), dtype=np.int64)
    centres = (bins * size + size // 2).astype(np.float64)
    # The loop restarts at the segment's start; its bins wrap with it (to within one bin).
    into_loop = ((bins * size - segment.start) % (len(energy) * size)) // size
    level = 10 ** (np.interp(centres, plan.times, plan.levels_db) / 20)
    if segment.fade_in:
        level *= np.sin(0.5 * np.pi * np.clip((centres - segment.start) / segment.fade_in, 0, 1))
    if segment.fade_out:
        level *= np.sin(0.5 * np.pi * np.clip((segment.end - centres) / segment.fade_out, 0, 1))
    # Bins the segment only partly covers count for the part it covers.
    covered = (np.minimum(bins * size + size, segment.end) - np.maximum(bins * size, segment.start)) / size
    return _BedBins(bins, energy[into_loop] * level ** 2 * covered, np.maximum(peaks[into_loop] * level, 1e-12))


@lru_cache(maxsize=8)
def _loop_bins(sound: str, size: int, rate: int, channels: int) -> tuple[Energies, Energies]:
    """A bed loop's K-weighted energy (over the file's channels) and its limiter peaks, per bin.

    Worked out once for a built-in bed and kept beside its cached render: the peaks between
    samples (rain is full of them) take a 4x-oversampled pass over the whole loop.
    """
    path = derived_cache_path(sound, f"profile-{rate}-{size}-{channels}")
    if path is not None:
        try:
            with np.load(path, allow_pickle=False) as saved:
                energy, peaks = np.asarray(saved["data"]), np.asarray(saved["peaks"])
            # A damaged or hostile entry (NaN, negative, empty) would become a NaN gain: make it again.
            if energy.size and energy.shape == peaks.shape and all(
                    np.isfinite(a).all() and (a >= 0).all() for a in (energy, peaks)):
                return energy, peaks
        except (OSError, ValueError, KeyError, EOFError):
            pass
    energy, peaks = _profile(sound, size, rate, channels)
    if path is not None:
        save_array(path, energy, peaks=peaks)
    return energy, peaks


def _profile(sound: str, size: int, rate: int, channels: int) -> tuple[Energies, Energies]:
    """A bed loop's energy and limiter peaks per bin, computed."""
    loop = bed_loop(sound)
    stereo = loop.reshape(len(loop), -1)
    measured = stereo.mean(axis=1) if channels == 1 else stereo
    energy = k_weighted_energy(measured, rate, looped=True)
    # The limiter works on the stereo mix, whatever the file holds.
    peaks = nearby_peaks(true_peaks(np.concatenate([stereo[-size:], stereo, stereo[:size]]), screen=0.0))[size:-size]
    return _binned(energy, size), _binned_max(peaks, size)


def k_weighted_energy(samples: npt.NDArray[np.float32], rate: int, looped: bool = False) -> Energies:
    """Each frame's K-weighted energy (BS.1770's pre-filter and high-pass), summed over channels.

    Filtered in the frequency domain (numpy's FFT, no scipy.signal to import): with room for the
    filters' ringing after the end, or, for a loop, wrapping round as the loop does.
    """
    data = np.asarray(samples, dtype=np.float64)
    size = len(data) if looped else 1 << int(len(data) + rate // 2 - 1).bit_length()
    spectrum = np.fft.rfft(data, n=size, axis=0)
    spectrum *= _k_response(rate, size).reshape(-1, *([1] * (data.ndim - 1)))
    filtered = np.fft.irfft(spectrum, n=size, axis=0)[:len(data)]
    squared: Energies = filtered * filtered
    return squared.sum(axis=1) if squared.ndim == 2 else squared


@lru_cache(maxsize=32)
def _k_response(rate: int, size: int) -> npt.NDArray[np.complex128]:
    """The K-weighting filters' complex response at the bins of a `size`-point real FFT."""
    z = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)
    response = np.ones(size // 2 + 1, dtype=np.complex128)
    for b, a in k_weighting_filters(rate):
        response *= np.polyval(b[::-1], z) / np.polyval(a[::-1], z)
    return response


def _binned(values: npt.NDArray[np.floating[Any]], size: int) -> Energies:
    """Sums over consecutive bins of `size` frames."""
    sums: Energies = _in_bins(values, size).sum(axis=1)
    return sums


def _binned_max(values: npt.NDArray[np.floating[Any]], size: int) -> Energies:
    """Maxima over consecutive bins of `size` frames."""
    maxima: Energies = _in_bins(values, size).max(axis=1)
    return maxima


def _in_bins(values: npt.NDArray[np.floating[Any]], size: int) -> Energies:
    """The values as rows of `size` (the last row padded with zeros)."""
    padded = np.zeros(-(-len(values) // size) * size)
    padded[:len(values)] = values
    return padded.reshape(-1, size)
