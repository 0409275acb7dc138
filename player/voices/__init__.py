"""Voices: one small interface over speech engines, plus the cache and clean-up around them."""

from player.voices.base import Engine, RawClip, SpeechRequest
from player.voices.registry import EngineChoice, choose_engine, open_engine
from player.voices.speaker import Speaker

__all__ = ["Engine", "EngineChoice", "RawClip", "Speaker", "SpeechRequest", "choose_engine", "open_engine"]
