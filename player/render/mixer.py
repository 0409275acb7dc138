"""Renders any span of a Timeline to float32 sample blocks, in memory independent of its length.

Random access (render any start) is what lets live play pause, skip and go back, and lets
export stream blocks straight into the encoder.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from player.render.ambient import bed_calibration, plan_ambient
from player.render.limiter import CEILING, LOOKAROUND, limit
from player.sounds.loops import bed_samples
from player.timeline.model import Timeline

BLOCK_FRAMES = 16_384
"""Frames per block when streaming (about 0.37 s at 44.1 kHz)."""
CHANNELS = 2

Block = npt.NDArray[np.float32]


class NonFiniteAudio(RuntimeError):
    """A bug, not a user error: a NaN or infinite sample, stopped before a listener hears it."""


def assert_finite(block: Block, where: str) -> Block:
    """The block itself, or NonFiniteAudio: NaN becomes full-scale noise or DC in a player."""
    if not np.isfinite(block).all():
        bad = int(np.size(block) - np.count_nonzero(np.isfinite(block)))
        raise NonFiniteAudio(f"{where} made {bad} samples that are not finite numbers (NaN or infinite)")
    return block


class Mixer:
    """Mixes a Timeline's placed sounds and its ambient beds into stereo blocks."""

    def __init__(self, timeline: Timeline, channels: int = CHANNELS) -> None:
        self.timeline = timeline
        self.channels = channels
        sounds = timeline.sounds
        self._starts = np.array([sound.start for sound in sounds], dtype=np.int64)
        self._ends = np.array([timeline.sound_end(sound) for sound in sounds], dtype=np.int64)
        # The longest sound bounds how far back a block must look for sounds still playing.
        self._longest = int((self._ends - self._starts).max()) if sounds else 0
        self.ambient = plan_ambient(timeline)

    @property
    def length(self) -> int:
        """Frames in the whole session."""
        return self.timeline.length

    def render(self, start: int, frames: int, voice_gain: float = 1.0, ambient_gain: float = 1.0,
               ceiling: float = CEILING) -> Block:
        """Frames [start, start + frames) as a (frames, channels) float32 array.

        `voice_gain` scales everything placed on the timeline (speech, chimes, tones, clips);
        `ambient_gain` scales the bed (live play turns each up or down on its own). The limiter
        needs a little context either side, so that much more is mixed and then cut away.
        """
        context = LOOKAROUND
        raw = self._mix(start - context, frames + 2 * context, voice_gain, ambient_gain)
        return assert_finite(limit(raw, context, ceiling), "the mixer")

    def _mix(self, start: int, frames: int, voice_gain: float, ambient_gain: float) -> Block:
        """Voice and bed summed, before the limiter."""
        block = np.zeros((frames, self.channels), dtype=np.float32)
        end = start + frames
        first = int(np.searchsorted(self._starts, start - self._longest, side="left"))
        last = int(np.searchsorted(self._starts, end, side="left"))
        mono = np.zeros(frames, dtype=np.float32)
        for index in range(first, last):
            sound_start, sound_end = int(self._starts[index]), int(self._ends[index])
            if sound_end <= start:
                continue
            sound = self.timeline.sounds[index]
            clip = self.timeline.clips[sound.clip]
            lo, hi = max(start, sound_start), min(end, sound_end)
            segment = clip[lo - sound_start:hi - sound_start]
            if sound.gain == 1.0:
                mono[lo - start:hi - start] += segment
            else:
                mono[lo - start:hi - start] += segment * np.float32(sound.gain)
        if voice_gain != 1.0:
            mono *= np.float32(voice_gain)
        for channel in block.T:  # channel by channel: broadcasting over 2 channels is 3x slower
            channel += mono
        if ambient_gain > 0:
            self._add_beds(block, start, ambient_gain)
        return block

    def _add_beds(self, block: Block, start: int, ambient_gain: float) -> None:
        """Every bed segment that overlaps the block, looped, faded and at its planned level."""
        end = start + len(block)
        for segment in self.ambient.segments:
            lo, hi = max(start, segment.start, 0), min(end, segment.end)
            if lo >= hi:
                continue
            samples = bed_samples(segment.sound, lo - segment.start, hi - lo)
            weight = self.ambient.gains(lo, hi - lo) * np.float32(ambient_gain * bed_calibration(segment.sound))
            # Fades touch only their own frames: elsewhere their weight is exactly 1.
            if segment.fade_in and lo - segment.start < segment.fade_in:
                positions = np.arange(lo, hi)
                rising = np.clip((positions - segment.start) / segment.fade_in, 0.0, 1.0)
                weight *= np.sin(0.5 * np.pi * rising).astype(np.float32)
            if segment.fade_out and segment.end - hi < segment.fade_out:
                positions = np.arange(lo, hi)
                falling = np.clip((segment.end - positions) / segment.fade_out, 0.0, 1.0)
                weight *= np.sin(0.5 * np.pi * falling).astype(np.float32)
            for channel, layer in zip(block[lo - start:hi - start].T, samples.T, strict=True):
                channel += layer * weight

    def blocks(self, start: int = 0, end: int | None = None, frames: int = BLOCK_FRAMES,
               gain: float = 1.0, ceiling: float = CEILING, voice_trim: float = 1.0) -> Iterator[Block]:
        """Consecutive blocks from `start` to `end` (the session's end by default); the last may be short.

        `gain` (mastering) scales voice and bed alike, before the limiter, and `voice_trim` the
        voice alone (to make up what an encoder takes from speech but not from a bed); `ceiling`
        is the limiter's linear true-peak ceiling (lower for lossy encoders, which add overshoot).
        """
        stop = self.length if end is None else min(end, self.length)
        position = start
        while position < stop:
            size = min(frames, stop - position)
            yield self.render(position, size, gain * voice_trim, gain, ceiling)
            position += size
