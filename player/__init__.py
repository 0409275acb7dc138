"""practice-player: voice-guided practice audio from YAML scripts."""

__version__ = "0.1.0"

SAMPLE_RATE = 44_100
"""The one internal sample rate: every clip, pause and block is counted in these samples."""
