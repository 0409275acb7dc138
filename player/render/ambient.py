"""The ambient plan: which bed plays when, and how loud, as cheap data computed once.

The bed sits at `level` under speech, rises to `pause_level` in pauses and to
`long_silence_level` after 20 s of quiet, with smooth ramps that anticipate the next words
(the timeline is known ahead), and short gaps between sentences do not move it at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.atomic import save_array
from player.render.loudness import SPEECH_LOUDNESS, integrated_loudness
from player.script.model import AmbientSettings
from player.sounds.loops import bed_loop, derived_cache_path
from player.timeline.lengths import END_QUIET
from player.timeline.model import Timeline

SHORT_GAP = 2.5
"""Quiet shorter than this (seconds) between speech keeps the bed at its speech level."""
RISE = 2.0
"""Seconds the bed takes to rise into a pause."""
SETTLE_BEFORE_SPEECH = 1.5
"""Seconds the bed takes to come down before the next words."""
LEAD = 0.3
"""The bed is back at its speech level this long before the words start."""
LONG_SILENCE_AFTER = 20.0
LONG_RISE = 4.0
VOICED = ("speech", "recording")
DB_TO_LOG = math.log(10) / 20
"""dB times this is the natural log of the linear gain."""
BED_REFERENCE = SPEECH_LOUDNESS + 10 * math.log10(2)
"""LUFS of a bed at 0 dB: the loudness of a levelled line in the stereo mix (the same mono
samples in both channels read 3 dB louder than one channel). A bed's `level` is then exactly
how many LU it sits under the voice; in a mono file a bed whose channels differ loses up to
3 dB more, a voice loses nothing, so the bed sits lower still."""


@dataclass(frozen=True)
class BedSegment:
    """One bed between two changes, with its own fade in and fade out (in frames)."""

    sound: str
    start: int
    end: int
    fade_in: int
    fade_out: int


@dataclass(frozen=True)
class AmbientPlan:
    """Segments of beds and the bed's level over time (piecewise linear in dB)."""

    segments: tuple[BedSegment, ...]
    times: npt.NDArray[np.float64]
    levels_db: npt.NDArray[np.float64]

    def gains(self, start: int, frames: int) -> npt.NDArray[np.float32]:
        """The bed's linear gain for each frame of [start, start + frames)."""
        inside = np.searchsorted(self.times, [start, start + frames - 1], side="right")
        ends_db = np.interp([start, start + frames - 1], self.times, self.levels_db)
        if inside[0] == inside[1] and ends_db[0] == ends_db[1]:
            # No keyframe inside and the same level at both ends: one level for the whole block.
            return np.full(frames, 10 ** (ends_db[0] / 20), dtype=np.float32)
        positions = np.arange(start, start + frames, dtype=np.float64)
        # exp rather than 10 ** x: 2.5x quicker, and in single precision the same gains (within
        # 2e-15 in double precision; none of 20 million levels rounded differently).
        return np.exp(np.interp(positions, self.times, self.levels_db) * DB_TO_LOG).astype(np.float32)


def speech_spans(timeline: Timeline) -> list[tuple[int, int]]:
    """Where a voice is heard, with gaps shorter than SHORT_GAP closed up."""
    spans = sorted((s.start, timeline.sound_end(s)) for s in timeline.sounds if s.kind in VOICED)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < SHORT_GAP * SAMPLE_RATE:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def level_keyframes(timeline: Timeline) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(frame, dB) keyframes of the bed's level over the whole session."""
    settings = timeline.ambient
    speech = speech_spans(timeline)
    keys: list[tuple[float, float]] = []
    previous_end = 0
    for start, end in speech:
        _quiet(keys, settings, previous_end, start, after_speech=bool(keys), before_speech=True)
        keys.append((start, settings.level))
        keys.append((end, settings.level))
        previous_end = end
    _quiet(keys, settings, previous_end, max(timeline.length, previous_end + 1),
           after_speech=bool(speech), before_speech=False)
    if not keys:
        keys = [(0, settings.pause_level)]
    times = np.array([k[0] for k in keys], dtype=np.float64)
    levels = np.array([k[1] for k in keys], dtype=np.float64)
    order = np.argsort(times, kind="stable")
    return times[order], levels[order]


def _quiet(keys: list[tuple[float, float]], s: AmbientSettings, a: int, b: int,
           after_speech: bool, before_speech: bool) -> None:
    """Keyframes for quiet from frame a to frame b: rise into the pause, settle before words."""
    sr = SAMPLE_RATE
    keys.append((a, s.level if after_speech else s.pause_level))
    end = b - LEAD * sr if before_speech else b
    if end <= a:
        return
    rise_end = a + RISE * sr if after_speech else a
    fall_start = end - SETTLE_BEFORE_SPEECH * sr if before_speech else float("inf")
    if rise_end >= fall_start:
        # Too short to reach the pause level: rise part of the way and come back down.
        middle = (a + end) / 2
        reach = min(1.0, (middle - a) / (RISE * sr))
        keys.append((middle, s.level + (s.pause_level - s.level) * reach))
    else:
        keys.append((rise_end, s.pause_level))
        long_from = a + LONG_SILENCE_AFTER * sr
        long_to = long_from + LONG_RISE * sr
        long_back = fall_start - LONG_RISE * sr
        if long_to < min(long_back, b):
            keys += [(long_from, s.pause_level), (long_to, s.long_silence_level)]
            if before_speech:
                keys += [(long_back, s.long_silence_level), (fall_start, s.pause_level)]
        elif before_speech:
            keys.append((fall_start, s.pause_level))
    if before_speech:
        keys.append((end, s.level))


def plan_ambient(timeline: Timeline) -> AmbientPlan:
    """The beds and their levels for a timeline."""
    settings = timeline.ambient
    # The bed has faded out before the closing quiet: a session ends in digital silence.
    length = max(timeline.length - round(END_QUIET * SAMPLE_RATE), 0)
    changes = [(0, settings.sound, 0)] + [(c.start, c.sound, c.crossfade) for c in timeline.bed_changes]
    segments: list[BedSegment] = []
    for index, (start, sound, crossfade) in enumerate(changes):
        following = changes[index + 1] if index + 1 < len(changes) else None
        end = min(following[0] + following[2], length) if following else length
        if sound is None or end <= start:
            continue
        fade_in = crossfade if index else int(settings.fade_in * SAMPLE_RATE)
        fade_out = following[2] if following else int(settings.fade_out * SAMPLE_RATE)
        segments.append(BedSegment(sound, start, end, min(fade_in, end - start), min(fade_out, end - start)))
    times, levels = level_keyframes(timeline)
    return AmbientPlan(tuple(segments), times, levels)


@lru_cache(maxsize=16)
def bed_calibration(sound: str) -> float:
    """The linear gain that brings a bed's loop to BED_REFERENCE, measured once (and kept for a built-in bed).

    Loops are made or normalised by their RMS, which says little about loudness: rain's crackle
    reads 5 dB louder than its RMS once K-weighted. Measuring each loop puts every bed, built-in
    or a user's file, exactly where its `level` says.
    """
    path = derived_cache_path(sound, "loudness")
    if path is not None:
        try:
            with np.load(path, allow_pickle=False) as saved:
                cached = float(saved["data"].reshape(-1)[0])
                # A cache file may be damaged or planted: only a finite, plausible gain is used.
                if float(saved["reference"].reshape(-1)[0]) == BED_REFERENCE and _plausible_gain(cached):
                    return cached
        except (OSError, ValueError, KeyError, EOFError):
            pass
    loudness = integrated_loudness(bed_loop(sound), SAMPLE_RATE)  # re-made whenever the cache fails
    gain = 10 ** ((BED_REFERENCE - loudness) / 20) if math.isfinite(loudness) else 1.0
    if path is not None:
        save_array(path, np.array(gain), reference=np.array(BED_REFERENCE))
    return gain


def _plausible_gain(gain: float) -> bool:
    """A calibration gain a real loop could need: finite, positive, within +-80 dB."""
    return math.isfinite(gain) and 1e-4 <= gain <= 1e4
