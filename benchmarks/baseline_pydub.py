"""The baseline: a session built the way typical TTS meditation generators build it, with pydub.

Run: python -m benchmarks.baseline_pydub SCRIPT OUT.mp3   (speech must already be cached)

Each spoken line and chime becomes an AudioSegment appended with `+`, each pause an
AudioSegment.silent appended with `+`, the ambient bed is overlaid with `loop=True`, and the
whole is exported to MP3 with the same encoder and bitrate as practice-player. The timing of
every sound comes from practice-player's own Timeline, so both build the same session.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from player import SAMPLE_RATE
from player.ffmpeg import ffmpeg_exe
from player.script.library import resolve_script
from player.script.loader import load_script
from player.sounds.loops import bed_loop
from player.timeline.compile import compile_timeline
from player.voices import Speaker, choose_engine

BITRATE = "128k"


def pydub() -> Any:
    """pydub's AudioSegment, pointed at the bundled ffmpeg (it looks on PATH and warns at import)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Couldn't find ffmpeg")
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    return AudioSegment


def segment(samples: np.ndarray) -> Any:
    """Float samples (mono or stereo) as a 16-bit AudioSegment, as a generator would load a WAV."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    return pydub()(pcm.tobytes(), frame_rate=SAMPLE_RATE, sample_width=2, channels=channels)


def build(script_name: str) -> Any:
    """The session: clips and silences appended in order, then the bed overlaid in a loop."""
    script = load_script(resolve_script(script_name))
    timeline = compile_timeline(script, Speaker(choose_engine(script.voice.engine, script.voice.name).engine))
    AudioSegment = pydub()
    audio = AudioSegment.empty()
    position = 0
    for sound in sorted(timeline.sounds, key=lambda s: s.start):
        if sound.start < position:
            continue  # overlapping sounds (a chime's tail): the append-only style cannot do them
        gap_ms = (sound.start - position) * 1000 / SAMPLE_RATE
        audio += AudioSegment.silent(duration=gap_ms, frame_rate=SAMPLE_RATE)
        clip = timeline.clips[sound.clip]
        audio += segment(np.asarray(clip) * sound.gain)
        position = sound.start + len(clip)
    audio += AudioSegment.silent(duration=(timeline.length - position) * 1000 / SAMPLE_RATE,
                                 frame_rate=SAMPLE_RATE)
    audio = audio.set_channels(2)
    if timeline.ambient.sound is not None:
        bed = segment(bed_loop(timeline.ambient.sound))
        audio = audio.overlay(bed + timeline.ambient.level, loop=True)
    return audio


def main() -> None:
    """Build and export."""
    script_name, output = sys.argv[1], Path(sys.argv[2])
    build(script_name).export(str(output), format="mp3", bitrate=BITRATE)


if __name__ == "__main__":
    main()
