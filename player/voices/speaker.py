"""Speech for a timeline: cached clips at the timeline's rate, synthesized in one batch on a miss."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.voices.audio import prepare_clip
from player.voices.base import Engine, Progress, SpeechRequest
from player.voices.cache import ClipCache, clip_key


class Speaker:
    """An engine behind the clip cache: ask for many lines, synthesize only the new ones."""

    def __init__(self, engine: Engine, cache: ClipCache | None = None) -> None:
        self.engine = engine
        self.cache = cache if cache is not None else ClipCache()
        self.synthesized = 0
        """Lines this speaker had to synthesize (not found in the cache)."""

    def speak(
        self, requests: Sequence[SpeechRequest], progress: Progress | None = None
    ) -> list[npt.NDArray[np.float32]]:
        """One prepared clip (mono float32 at SAMPLE_RATE, silence trimmed) per request.

        `progress` hears only about lines that had to be synthesized.
        """
        unique = list(dict.fromkeys(requests))
        keys = {r: clip_key(self.engine.name, self.engine.version, r, SAMPLE_RATE) for r in unique}
        clips: dict[SpeechRequest, npt.NDArray[np.float32]] = {}
        missing: list[SpeechRequest] = []
        for request in unique:
            cached = self.cache.get(keys[request])
            if cached is None:
                missing.append(request)
            else:
                clips[request] = cached
        if missing:
            raw = self.engine.synthesize(missing, progress)
            for request, clip in zip(missing, raw, strict=True):
                prepared = prepare_clip(clip.samples, clip.sample_rate, SAMPLE_RATE)
                self.cache.put(keys[request], prepared)
                clips[request] = prepared
            self.synthesized += len(missing)
        return [clips[r] for r in requests]

    def count_new(self, requests: Sequence[SpeechRequest]) -> int:
        """How many distinct lines are not cached yet (for a progress bar's length)."""
        unique = dict.fromkeys(requests)
        return sum(
            not self.cache.path(clip_key(self.engine.name, self.engine.version, r, SAMPLE_RATE)).exists()
            for r in unique
        )
