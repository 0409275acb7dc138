"""Loudness mastering: the speech reaches its target, measured on the mix itself, before one encode.

Mastering is dialogue-gated, as broadcast loudness practice is: the loudness that matters is
the voice's, so the mix is measured over the speech alone (the spans where a line or a
recording plays, concatenated, as a meter reading those stretches of the file would) and one
gain brings that to the target. Pauses keep the bed's level under the voice and are quieter
than the target, as they should be. The mixer renders any span exactly, so measuring is a
pass over the speech spans, at the gain found, through the limiter; no encode is repeated.

What the encoder itself does to loudness and peaks was measured once per format and bitrate
(ENCODER_MARGINS, `python -m benchmarks.encoder_margins`), so the mix is made for the file:
aimed past the target by the encoder's loudness shift, limited under -1 dBTP less its
overshoot. The written file is still decoded and metered as it is written (FollowingMeter),
so the export reports what the file holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt

from player.export.formats import Encoding
from player.render.limiter import LOOKAROUND, TAPS, true_peaks
from player.render.loudness import HOPS_PER_SECOND, BackgroundMeter, block_powers, gated_integrated
from player.render.mixer import Block, Mixer

if TYPE_CHECKING:
    from player.timeline.model import Timeline

Span = tuple[int, int]

STEREO_TARGET = -16.0
"""LUFS over the speech: what podcast apps and phone players expect for stereo speech."""
MONO_TARGET = -19.0
"""LUFS for mono: the same perceived level as -16 in stereo on headphones."""
MAX_GAIN_DB = 30.0
"""Never raise a nearly silent session by more than this (it would only raise noise)."""
TRUE_PEAK_LIMIT = -1.0
"""dBTP no file may pass."""
LIMITER_REACH = LOOKAROUND
"""Frames either side of a frame whose true peaks can move the limiter's gain there (its window,
its smoothing and the peaks' own neighbours, rounded up)."""
PEAK_SCREEN = 10 ** (-4.0 / 20)
"""Inter-sample peaks are worked out near samples within 4 dB of a window's loudest, as the
limiter and the file's meter do."""
TOLERANCE_LU = 0.3
"""How far a file's speech loudness may be from the target."""
PEAK_SAFETY_DB = 0.5
"""Room kept under the limit beyond the encoder's measured overshoot."""
VOICED = ("speech", "recording")


@dataclass(frozen=True)
class EncoderMargin:
    """What one encoder did to speech over a bed, measured (benchmarks/encoder_margins.py)."""

    loudness_shift: float
    """LU the file's speech reads above the mix's (negative: quieter)."""
    overshoot: float
    """dB the file's true peak rose above the mix's, at most, over the sessions measured."""


ENCODER_MARGINS: dict[str, tuple[tuple[int, EncoderMargin], ...]] = {
    # (lowest bitrate in kbit/s, margin), highest first: a bitrate takes the first row it reaches.
    # Measured on five-senses with the piper voice, stereo and mono (the table in docs/design.md):
    # LAME up to 192 kbit/s reads 0.4 LU quieter on speech, peaks never rose; AAC and Opus
    # raise peaks by up to 0.7 dB at their lowest rates.
    "mp3": ((256, EncoderMargin(0.0, 0.2)), (192, EncoderMargin(-0.26, 0.2)), (0, EncoderMargin(-0.43, 0.2))),
    "m4a": ((96, EncoderMargin(-0.04, 0.3)), (0, EncoderMargin(0.0, 0.8))),
    "ogg": ((64, EncoderMargin(0.0, 0.35)), (48, EncoderMargin(-0.2, 0.55)), (0, EncoderMargin(-0.32, 0.55))),
}
LOSSLESS = EncoderMargin(0.0, 0.0)


@dataclass(frozen=True)
class Loudness:
    """What a meter read."""

    integrated: float
    """LUFS over the whole file; -inf for silence (NaN: not measured, as by a sampled check of a
    session with speech, which reads the speech alone)."""
    true_peak: float
    """dBTP."""
    speech: float = math.nan
    """LUFS over the speech alone (NaN: not measured, or no speech)."""
    margin: float = 0.0
    """LU either side of the mastered figure within which a sampled check places it (0: the
    whole file was measured; player.export.sampled)."""

    @property
    def mastered(self) -> float:
        """The figure mastering aims at: the speech's loudness, or the whole file's without speech."""
        return self.speech if math.isfinite(self.speech) else self.integrated


UNMEASURED = Loudness(-math.inf, -math.inf)
"""What a meter that did not run (or read nothing) reports."""


def sampled_enough(reading: Loudness, target: float) -> bool:
    """Whether a reading settles the file: measured whole, or sampled closely enough that even at
    its margin's far end the speech is within TOLERANCE_LU of `target` and the peak under the limit."""
    if reading.margin == 0.0:
        return True
    return (math.isfinite(reading.mastered) and reading.margin < math.inf
            and abs(reading.mastered - target) + reading.margin <= TOLERANCE_LU
            and reading.true_peak <= TRUE_PEAK_LIMIT)


def default_target(channels: int) -> float:
    """-16 LUFS for stereo, -19 LUFS for mono."""
    return MONO_TARGET if channels == 1 else STEREO_TARGET


def encoder_margin(encoding: Encoding) -> EncoderMargin:
    """The measured loudness shift and peak overshoot of the encoder at this format and bitrate."""
    for lowest, margin in ENCODER_MARGINS.get(encoding.format.name, ()):
        if (encoding.bitrate or 0) >= lowest:
            return margin
    return LOSSLESS


def limiter_ceiling(encoding: Encoding) -> float:
    """The limiter's true-peak ceiling in dB: under -1 dBTP by the encoder's overshoot and a little more."""
    return TRUE_PEAK_LIMIT - encoder_margin(encoding).overshoot - PEAK_SAFETY_DB


def speech_spans(mixer: Mixer) -> list[Span]:
    """Where a line or a recording plays (the transcript's cues), in frames, in order, overlaps merged."""
    return speech_of(mixer.timeline)


def speech_of(timeline: Timeline) -> list[Span]:
    """The timeline's speech spans (see speech_spans)."""
    spans = sorted((s.start, timeline.sound_end(s)) for s in timeline.sounds if s.kind in VOICED)
    merged: list[Span] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


Render = Callable[[int, int], Iterator[Block]]
"""Frames [start, end) of the mastered session, as the file holds them."""


def measure_spans(render: Render, spans: Iterable[Span], rate: int, channels: int) -> float:
    """Integrated loudness of the spans, one after another, as one meter reading them in a row would."""
    meter = BackgroundMeter(rate, channels)
    for start, end in spans:
        for block in render(start, end):
            meter.add(block)
    return meter.finish().integrated()


class Mastered(NamedTuple):
    """What mastering found."""

    gain: float
    """dB that brings the speech (or a session without speech) to the aim."""
    before: float
    """Its loudness in LUFS at unity, before the gain."""
    reached: float
    """Its loudness in the mastered mix, as measured (NaN where the last pass was not a reading at
    this gain)."""


def mastering_gain(rendering: Callable[[float], Render], spans: list[Span], length: int, rate: int,
                   channels: int, aim: float, raw: Render | None = None,
                   ceiling: float = math.inf) -> Mastered:
    """The gain in dB that brings the speech (or, without speech, the whole session) to `aim`,
    through the limiter, with the loudness measured before it and reached with it.

    Given `raw` (the unity mix without the limiter) and the limiter's linear `ceiling`, the
    first pass reads it and the true peak around the speech: where the gain it asks for keeps
    every true peak there under the ceiling, the limiter will not touch the speech, so the
    reading scaled by that gain is exact and one pass is enough. Otherwise, two passes over the
    speech: at unity, then at the gain that measured; the second reading takes out what the
    limiter took (a fraction of a dB), and a third confirms where that is not small.
    """
    measured = spans or [(0, length)]
    if raw is None:
        before = measure_spans(rendering(0.0), measured, rate, channels)
        if not math.isfinite(before):
            return Mastered(0.0, before, before)
        gain = min(MAX_GAIN_DB, aim - before)
    else:
        before, hops, peak = unity_reading(raw, measured, length, rate, channels)
        if not math.isfinite(before):
            return Mastered(0.0, before, before)
        gain, reached = scaled_gain(hops, rate // HOPS_PER_SECOND, before, aim)
        # A sliver under the ceiling: the limiter works out the same peaks on the scaled samples,
        # to rounding.
        if peak * 10 ** (gain / 20) <= ceiling * (1 - 1e-6):
            return Mastered(gain, before, reached)
    reached = math.nan
    for _ in range(2):
        reached = measure_spans(rendering(gain), measured, rate, channels)
        if not math.isfinite(reached) or abs(reached - aim) <= 0.02:
            return Mastered(gain, before, reached)
        gain = min(MAX_GAIN_DB, gain + aim - reached)
    return Mastered(gain, before, math.nan)


def scaled_gain(hops: npt.NDArray[np.float64], hop: int, before: float, aim: float) -> tuple[float, float]:
    """The gain that brings hops measured at `before` LUFS to `aim`, as a meter would read them
    scaled by it (the absolute gate may take in more blocks as the gain rises), and what they read
    at that gain."""
    gain = min(MAX_GAIN_DB, aim - before)
    for _ in range(3):
        reached = gated_integrated(block_powers(hops * 10 ** (gain / 10), hop))
        if not math.isfinite(reached) or abs(reached - aim) <= 0.005:
            return gain, reached
        gain = min(MAX_GAIN_DB, gain + aim - reached)
    return gain, gated_integrated(block_powers(hops * 10 ** (gain / 10), hop))


def unity_reading(raw: Render, spans: list[Span], length: int, rate: int,
                  channels: int) -> tuple[float, npt.NDArray[np.float64], float]:
    """The loudness of the spans in a row (and their 100 ms hops' energies) in the unity mix, and
    the highest true peak within the limiter's reach of them (linear).

    The limiter's gain at a frame depends on the true peaks within LIMITER_REACH of it, so each
    span is rendered that much wider for the peak; its frames alone are metered.
    """
    meter = BackgroundMeter(rate, channels)
    peak = 0.0
    for start, end in spans:
        lo, hi = max(0, start - LIMITER_REACH), min(length, end + LIMITER_REACH)
        held = np.zeros((0, channels), dtype=np.float32)
        position = lo
        for block in raw(lo, hi):
            inside = block[max(0, start - position):max(0, end - position)]
            if len(inside):
                meter.add(inside)
            # Each block's peaks are worked out with the last frames of the one before, so every
            # frame has its neighbours in some window; frames at a window's edges may read
            # differently, and only ever add to the maximum.
            joined = np.concatenate([held, block]) if len(held) else block
            loudest = float(np.abs(joined).max(initial=0.0))
            # Nothing more than 4 dB under the loudest peak so far can pass it (the screen's own
            # rule), so such a block needs no inter-sample work.
            if loudest >= peak * PEAK_SCREEN:
                peak = max(peak, float(true_peaks(joined, loudest * PEAK_SCREEN).max(initial=0.0)))
            held = joined[-TAPS:]
            position += len(block)
    done = meter.finish()
    return done.integrated(), done.hop_energies(), peak


def speech_mask(spans: Iterable[Span], start: int, end: int) -> npt.NDArray[np.bool_]:
    """Which frames of [start, end) are speech."""
    mask = np.zeros(max(0, end - start), dtype=bool)
    for lo, hi in spans:
        if hi > start and lo < end:
            mask[max(lo, start) - start:min(hi, end) - start] = True
    return mask
