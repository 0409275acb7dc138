"""A worker process for the system engine (pyttsx3): `python -m player.voices.system_worker`.

It reads one JSON job on stdin, writes one WAV file per line, and answers with one JSON line.
Synthesis runs in its own process because pyttsx3's eSpeak driver prints "Audio saved to ..."
on stdout, can initialise eSpeak only once per process, and does not reliably apply a rate
change between utterances: a worker sets voice, rate and volume once, then speaks every line
that shares them.
"""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import io
import json
import os
import sys
from typing import Any

ESPEAK_WORDS_PER_MINUTE = 89
"""eSpeak's rate at `rate: 1.0`: unhurried guided practice.

eSpeak's words a minute are nominal: at pyttsx3's 200, plain sentences measured about 275 words
a minute of speech on an export (ffmpeg silencedetect); at 89 they measure about 130 to 137.
eSpeak goes no slower than 80, so on Linux the system voice's `rate` stops at about 0.9.
"""
UNHURRIED = ESPEAK_WORDS_PER_MINUTE / 200
"""The same slowing, relative to another platform's normal rate (SAPI5, NSSpeechSynthesizer)."""
WAV_HEADER_BYTES = 44


def preload_espeak() -> None:
    """Load libespeak-ng from the espeakng-loader wheel so pyttsx3 finds it without a system package."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import espeakng_loader
    except ImportError:
        return  # fall back to a system libespeak-ng, if there is one
    os.environ.setdefault("ESPEAK_DATA_PATH", espeakng_loader.get_data_path())
    # RTLD_GLOBAL under its soname: pyttsx3's later dlopen("libespeak-ng.so.1") gets this copy.
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)


def open_pyttsx3() -> Any:
    """A pyttsx3 engine on this platform's driver."""
    preload_espeak()
    import pyttsx3

    return pyttsx3.init()


def list_voices(engine: Any) -> list[dict[str, object]]:
    """The engine's voices as plain data."""
    return [
        {"id": voice.id, "name": voice.name, "languages": [str(x) for x in (voice.languages or [])]}
        for voice in engine.getProperty("voices")
    ]


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Speak every line of a job into its WAV file."""
    engine = open_pyttsx3()
    if job.get("list"):
        return {"voices": list_voices(engine)}
    voice = job.get("voice")
    if voice:
        voices = list_voices(engine)
        known = {str(v["id"]) for v in voices} | {str(v["name"]) for v in voices}
        if voice not in known:
            close = difflib.get_close_matches(voice, sorted(known), n=3, cutoff=0.5)
            english = [str(v["id"]) for v in voices if str(v["id"]).split("/")[-1].startswith("en")]
            return {"error": f"the system engine has no voice '{voice}'", "unknown_voice": voice,
                    "suggestions": close or english[:6]}
        engine.setProperty("voice", voice)
    # pyttsx3 sets eSpeak to 200 words a minute, far too fast for guided practice; read back,
    # the value may already be the victim of the race described in speak_to_file, so on Linux
    # the unhurried pace is a constant.
    linux = sys.platform.startswith("linux")
    normal = ESPEAK_WORDS_PER_MINUTE if linux else UNHURRIED * float(engine.getProperty("rate"))
    settings = {"rate": round(normal * float(job.get("rate", 1.0))),
                "volume": float(job.get("volume", 1.0))}
    for item in job["items"]:
        speak_to_file(engine, item["text"], item["path"], settings)
    return {"ok": True, "count": len(job["items"])}


def speak_to_file(engine: Any, text: str, path: str, settings: dict[str, float]) -> None:
    """One line into one WAV file, spoken again if eSpeak dropped the audio or the settings."""
    for _attempt in range(4):
        for name, value in settings.items():
            engine.setProperty(name, value)
        engine.save_to_file(text, path)
        engine.runAndWait()
        # pyttsx3 drives eSpeak asynchronously. Measured under load, about one utterance in
        # fifty ran at eSpeak's default rate (175 wpm) instead of the one set, and now and then
        # an utterance ended before any audio arrived (a bare 44-byte WAV header). Both show
        # afterwards: the rate reads back wrong, or the file is empty.
        written = os.path.exists(path) and os.path.getsize(path) > WAV_HEADER_BYTES
        has_audio = written or not any(c.isalnum() for c in text)
        kept = all(abs(float(engine.getProperty(name)) - value) < 0.011 for name, value in settings.items())
        if has_audio and kept:
            return


def main() -> None:
    """Run one job from stdin; only the JSON answer reaches stdout."""
    answer_stream = sys.stdout
    job = json.loads(sys.stdin.read())
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            answer = run_job(job)
        except Exception as error:  # reported to the parent, which raises a VoiceError
            answer = {"error": f"{type(error).__name__}: {error}"}
    answer_stream.write(json.dumps(answer) + "\n")
    answer_stream.flush()


if __name__ == "__main__":
    main()
