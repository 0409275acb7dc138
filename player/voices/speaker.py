"""Speech for a timeline: cached clips at the timeline's rate, synthesized in one batch on a miss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.audio import prepare_clip
from player.voices.base import Engine, Progress, RawClip, SpeechRequest
from player.voices.cache import ClipCache, clip_key


class Speaker:
    """An engine behind the clip cache: ask for many lines, synthesize only the new ones."""

    def __init__(self, engine: Engine, cache: ClipCache | None = None) -> None:
        self.engine = engine
        self.cache = cache if cache is not None else ClipCache()
        self.synthesized = 0
        """Lines this speaker had to synthesize (not found in the cache)."""
        self._voice_versions: dict[str | None, str] = {}

    def key(self, request: SpeechRequest) -> str:
        """The cache key of a request's prepared clip."""
        if request.voice not in self._voice_versions:
            self._voice_versions[request.voice] = self.engine.voice_version(request.voice)
        return clip_key(self.engine.name, self.engine.version, request, SAMPLE_RATE,
                        self._voice_versions[request.voice])

    def speak(
        self, requests: Sequence[SpeechRequest], progress: Progress | None = None
    ) -> list[npt.NDArray[np.float32]]:
        """One prepared clip (mono float32 at SAMPLE_RATE, trimmed, levelled) per request.

        `progress` hears only about lines that had to be synthesized.
        """
        unique = list(dict.fromkeys(requests))
        keys = {r: self.key(r) for r in unique}
        clips: dict[SpeechRequest, npt.NDArray[np.float32]] = {}
        missing: list[SpeechRequest] = []
        for request in unique:
            cached = self.cache.get(keys[request])
            if cached is None:
                missing.append(request)
            else:
                clips[request] = cached
        if missing:
            # Engines speak at full volume; the level is set here, the same way for every engine.
            raw = self.engine.synthesize([replace(r, volume=1.0) for r in missing], progress)
            for request, clip in zip(missing, raw, strict=True):
                prepared = np.ascontiguousarray(timeline_clip(clip) * np.float32(request.volume))
                self.cache.put(keys[request], prepared)
                clips[request] = prepared
            self.synthesized += len(missing)
        return [clips[r] for r in requests]

    def count_new(self, requests: Sequence[SpeechRequest]) -> int:
        """How many distinct lines are not cached yet (for a progress bar's length)."""
        return sum(not path.exists() for path in self.cache_paths(requests))

    def cache_paths(self, requests: Sequence[SpeechRequest]) -> list[Path]:
        """Where each distinct line is (or will be) cached."""
        return [self.cache.path(self.key(r)) for r in dict.fromkeys(requests)]


def timeline_clip(clip: RawClip) -> npt.NDArray[np.float32]:
    """An engine's clip at SAMPLE_RATE, trimmed and levelled (unless its worker did that already)."""
    if clip.levelled and clip.sample_rate == SAMPLE_RATE:
        return clip.samples
    from player.voices.level import level_speech  # only when a line is made here

    return level_speech(prepare_clip(clip.samples, clip.sample_rate, SAMPLE_RATE), SAMPLE_RATE)
