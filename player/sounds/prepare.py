"""Sounds made ready for a timeline: chimes rendered, files decoded, recordings levelled, beds checked.

The timeline's layout asks for every non-speech clip through this (see `Sounds` in
player/timeline/layout.py), so that laying out time never decodes a file, renders a bed or
levels a recording itself. An estimate (`exact=False`) needs only lengths: built-in chimes are
silence of the right length, beds are neither decoded nor measured.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.audio import trim_silence
from player.render.loudness import match_loudness
from player.script.model import AmbientSettings
from player.sounds.beds import BED_CALIBRATION_DB, BED_RMS
from player.sounds.catalog import is_builtin_bed, is_builtin_chime
from player.sounds.chimes import cached_chime
from player.sounds.files import AudioFileError, load_audio_file
from player.sounds.loops import bed_loop
from player.sounds.tones import breath_tone, chime_envelope, chime_samples, envelope, frames_until_under

Clip = npt.NDArray[np.float32]
_SILENT = np.zeros(1, dtype=np.float32)


def silence(frames: int) -> Clip:
    """`frames` of silence as a read-only view of one zero: for what only needs a clip's length."""
    return np.broadcast_to(_SILENT, frames)


class PreparedSounds:
    """Every clip a script's steps play besides speech, ready to place; AudioFileError says what is wrong."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        # A file played in a repeat (or used twice) is decoded and levelled once per layout,
        # not once a use: a 6 s clip repeated 100 times took 3.4 s of CPU to check.
        self._recordings: dict[Path, Clip] = {}
        self._files: dict[str, Clip] = {}

    def chime(self, sound: str) -> Clip:
        """A built-in chime or a chime file (the script loader has checked the name)."""
        if is_builtin_chime(sound) and not self.exact:
            return silence(chime_samples(sound))  # an estimate needs only its length
        return cached_chime(sound) if is_builtin_chime(sound) else self._file(sound)

    def recording(self, path: Path) -> Clip:
        """A recorded clip, trimmed of silence at both ends and as loud as the synthesized voice.

        An estimate needs only the trimmed length, so it skips levelling.
        """
        if path not in self._recordings:
            clip = self._decoded(str(path))  # not kept: only the trimmed, levelled clip is
            trimmed = trim_silence(clip, SAMPLE_RATE)
            if not len(trimmed):
                raise AudioFileError(f"{path} is silent (nothing above -50 dBFS): nothing to play")
            prepared = match_loudness(trimmed, SAMPLE_RATE) if self.exact else trimmed
            prepared.flags.writeable = False  # shared by every use
            self._recordings[path] = prepared
        return self._recordings[path]

    def breath_tone(self, inhale: bool, frames: int) -> Clip:
        """The rising (in) or falling (out) tone that fills a breathing phase."""
        return breath_tone(inhale, frames)

    def check_bed(self, sound: str | None) -> None:
        """A bed file that decodes (and is then cached); the loader has checked names and files."""
        if sound is None or is_builtin_bed(sound) or not self.exact:
            return
        bed_loop(sound)

    def ring(self, sound: str, clip: Clip, gain: float, ambient: AmbientSettings, at: int | None = None) -> int:
        """Frames until a chime at `gain`, starting `at`, is quieter than the bed under speech, and stays so.

        The bed's level is its `level` (where a bed would sit when there is none), lower while
        it fades in at the start of the session (`at` None: assume it has faded in). A built-in
        chime is measured from its own envelope even in an estimate, whose clip is only silence
        of the right length: the words after it start where they will in the export.
        """
        if gain <= 0:
            return 0
        levels = chime_envelope(sound) if is_builtin_chime(sound) else envelope(clip)
        level = BED_RMS * self._bed_gain(ambient.sound) * 10 ** (ambient.level / 20) / gain
        fade_in = ambient.fade_in * SAMPLE_RATE
        if at is None or ambient.sound is None or at >= fade_in:
            return frames_until_under(levels, len(clip), lambda ends: np.full(ends.size, level))
        start = at

        def faded(ends: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return level * np.sin(0.5 * np.pi * np.clip((start + ends) / fade_in, 0.0, 1.0))

        return frames_until_under(levels, len(clip), faded)

    def _bed_gain(self, sound: str | None) -> float:
        """The mixer's loudness calibration of a bed (linear): a table for built-ins, measured for a file."""
        if sound is None:
            return 1.0  # no bed: a chime still falls to where a typical bed would sit
        if is_builtin_bed(sound):
            return float(10 ** (BED_CALIBRATION_DB.get(sound, 0.0) / 20))
        if not self.exact:
            return 1.0
        from player.render.ambient import bed_calibration  # here: the ambient plan imports the timeline

        return bed_calibration(sound)

    def _file(self, path: str) -> Clip:
        """Audio from a file that holds some (decoded once per layout)."""
        if path not in self._files:
            clip = self._decoded(path)
            clip.flags.writeable = False  # shared by every use
            self._files[path] = clip
        return self._files[path]

    def _decoded(self, path: str) -> Clip:
        """Audio from a file that holds some."""
        clip = load_audio_file(Path(path))
        if not len(clip):
            raise AudioFileError(f"{path} holds no audio")
        return clip
