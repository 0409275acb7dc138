"""Voices: one small interface over speech engines, plus the cache and clean-up around them."""

from player.voices.base import Engine, RawClip, SpeechRequest
from player.voices.registry import open_engine
from player.voices.speaker import Speaker

__all__ = ["Engine", "RawClip", "Speaker", "SpeechRequest", "open_engine"]
