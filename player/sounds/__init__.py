"""Sounds other than speech: chimes, breath tones, ambient beds and the user's own files."""

from player.sounds.catalog import BEDS, CHIMES, is_builtin_bed, is_builtin_chime, is_path
from player.sounds.files import load_audio_file
from player.sounds.tones import breath_tone, chime, ring_frames

__all__ = [
    "BEDS", "CHIMES", "breath_tone", "chime", "is_builtin_bed", "is_builtin_chime", "is_path",
    "load_audio_file", "ring_frames",
]
