"""Renders any span of a Timeline to float32 sample blocks, in memory independent of its length.

Random access (render any start) is what lets live play pause, skip and go back, and lets
export stream blocks straight into the encoder.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from player.timeline import Timeline

BLOCK_FRAMES = 16_384
"""Frames per block when streaming (about 0.37 s at 44.1 kHz)."""
CHANNELS = 2

Block = npt.NDArray[np.float32]


class Mixer:
    """Mixes a Timeline's placed sounds (and, later, its ambient bed) into stereo blocks."""

    def __init__(self, timeline: Timeline, channels: int = CHANNELS) -> None:
        self.timeline = timeline
        self.channels = channels
        sounds = timeline.sounds
        self._starts = np.array([sound.start for sound in sounds], dtype=np.int64)
        self._ends = np.array([timeline.sound_end(sound) for sound in sounds], dtype=np.int64)
        # The longest sound bounds how far back a block must look for sounds still playing.
        self._longest = int((self._ends - self._starts).max()) if sounds else 0

    @property
    def length(self) -> int:
        """Frames in the whole session."""
        return self.timeline.length

    def render(self, start: int, frames: int, voice_gain: float = 1.0, ambient_gain: float = 1.0) -> Block:
        """Frames [start, start + frames) as a (frames, channels) float32 array.

        `voice_gain` scales everything placed on the timeline (speech, chimes, tones, clips);
        `ambient_gain` scales the bed (live play turns each up or down on its own).
        """
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
        block += mono[:, np.newaxis]
        # A hard ceiling: levels are set so nothing reaches it, but overlapping sounds must
        # never wrap around or clip in the encoder.
        np.clip(block, -1.0, 1.0, out=block)
        return block

    def blocks(self, start: int = 0, end: int | None = None, frames: int = BLOCK_FRAMES) -> Iterator[Block]:
        """Consecutive blocks from `start` to `end` (the session's end by default); the last may be short."""
        stop = self.length if end is None else min(end, self.length)
        position = start
        while position < stop:
            size = min(frames, stop - position)
            yield self.render(position, size)
            position += size
