"""What `practice voices` reports: engines, whether they can run, and their voices."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

from player.errors import PlayerError
from player.voices.piper import INSTALL_HINT, bundled_voice, piper_missing

MORE_PIPER_VOICES = (
    "More natural voices: download a Piper voice (its .onnx file and the .onnx.json beside it) from "
    "https://huggingface.co/rhasspy/piper-voices, then give its path: "
    "voice: {engine: piper, name: voices/en_GB-alba-medium.onnx}  (or --voice PATH)."
)


@dataclass(frozen=True)
class EngineStatus:
    """One engine: can it run here, and if not, what would fix it."""

    name: str
    description: str
    version: str | None
    missing: str | None
    fix: str


@dataclass(frozen=True)
class VoiceEntry:
    """One voice of one engine."""

    engine: str
    id: str
    language: str
    quality: str
    default: bool = False


def _version(package: str) -> str | None:
    """An installed package's version, or None."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def engine_statuses() -> list[EngineStatus]:
    """Both engines, the one `auto` picks first."""
    piper_gap = piper_missing()
    system_version = _version("pyttsx3")
    return [
        EngineStatus("piper", "natural neural voice, offline (piper-tts)", _version("piper-tts"), piper_gap,
                     INSTALL_HINT),
        EngineStatus("system", "pyttsx3: eSpeak NG on Linux (clear but robotic), SAPI5 on Windows, "
                     "NSSpeech on macOS", system_version, None if system_version else "pyttsx3",
                     "pip install pyttsx3"),
    ]


def default_engine() -> str:
    """The engine `engine: auto` uses on this machine."""
    return "piper" if piper_missing() is None else "system"


def piper_voices() -> list[VoiceEntry]:
    """The bundled Piper voice (other Piper voices are files named by path)."""
    if piper_missing() is not None:
        return []
    voice = bundled_voice()
    return [VoiceEntry("piper", "joe", voice.language, f"{voice.quality}, natural ({voice.id}, CC0)",
                       default=default_engine() == "piper")]


def system_voices(language: str | None) -> tuple[list[VoiceEntry], int]:
    """System voices whose language starts with `language` (all for None), and how many there are."""
    from player.voices.system import SystemEngine

    try:
        found = SystemEngine().voices()
    except PlayerError:
        return [], 0
    entries = []
    for voice in found:
        listed = voice.get("languages")
        languages = [str(x) for x in listed] if isinstance(listed, list) and listed else ["?"]
        if language is None or any(x.lower().startswith(language.lower()) for x in languages):
            entries.append(VoiceEntry("system", str(voice["id"]), ", ".join(languages), "robotic"
                                      if _is_espeak(str(voice["id"])) else "system"))
    return entries, len(found)


def _is_espeak(voice_id: str) -> bool:
    """eSpeak NG voice ids look like 'gmw/en-us' (a language family, a slash, a language)."""
    return "/" in voice_id and not voice_id.startswith(("HKEY", "com.apple"))
