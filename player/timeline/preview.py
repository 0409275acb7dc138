"""Ten seconds of a bed, or one strike of a chime, as a Timeline to play or export."""

from __future__ import annotations

from pathlib import Path

from player import SAMPLE_RATE
from player.errors import RequestError
from player.script.model import AmbientSettings
from player.script.suggest import did_you_mean
from player.sounds import BEDS, CHIMES, chime, is_builtin_bed, is_builtin_chime
from player.timeline.model import Sound, Timeline

PREVIEW_SECONDS = 10.0


def preview_timeline(name: str) -> Timeline:
    """A short session of just one sound: a bed faded in and out, or a chime ringing out."""
    if is_builtin_chime(name):
        clip = chime(name)
        return Timeline(title=f"{name} (chime)", length=len(clip),
                        sounds=(Sound(0, f"chime:{name}", 1.0, "chime"),), clips={f"chime:{name}": clip},
                        steps=(), chapters=(), cues=(), ambient=AmbientSettings(), bed_changes=())
    if is_builtin_bed(name) or Path(name).is_file():
        # With no speech the bed sits at pause_level: 0 dB plays it at the voice's loudness.
        ambient = AmbientSettings(sound=name, pause_level=-6.0, long_silence_level=-6.0,
                                  fade_in=1.0, fade_out=1.5)
        return Timeline(title=f"{name} (bed)", length=int(PREVIEW_SECONDS * SAMPLE_RATE), sounds=(),
                        clips={}, steps=(), chapters=(), cues=(), ambient=ambient, bed_changes=())
    known = (*BEDS, *CHIMES)
    raise RequestError(f"no bed or chime called '{name}'{did_you_mean(name, known)}; "
                     "`practice sounds` lists them, or give an audio file's path")
