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
import threading
import time
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
ATTEMPTS = 4
"""Tries per line before the worker gives up on it with a clear error."""
UTTERANCE_WAIT_SECONDS = 120.0
"""The longest wait for one line (5,000 characters at a slow rate on a loaded machine)."""
IDLE_WAIT_SECONDS = 10.0


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


class SpeechFailed(Exception):
    """eSpeak (or the platform's engine) gave no usable audio for a line, even when asked again."""


class _Finished:
    """pyttsx3's 'finished-utterance' callback: set once an utterance has ended, and how."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.completed = True

    def reset(self) -> None:
        """Before the next utterance."""
        self.completed = True
        self.event.clear()

    def __call__(self, name: object = None, completed: bool = False, **_: object) -> None:
        # A cancelled line reports False on the main thread and may still report True later
        # from eSpeak's thread: once cancelled, the attempt counts as cancelled.
        self.completed = self.completed and bool(completed)
        self.event.set()


def _wait_until_idle(engine: Any) -> None:
    """On eSpeak, wait (bounded) until eSpeak's own thread has nothing left to do.

    pyttsx3's espeak driver cancels "the current utterance" when a run loop starts while eSpeak
    still reports playing, and that cancelled the line just queued.
    """
    if not _is_espeak(engine):
        return
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + IDLE_WAIT_SECONDS
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.005)


def _setting(engine: Any, name: str) -> float:
    """The rate or volume eSpeak will use now (on other platforms, what the engine reports).

    pyttsx3 declares espeak_GetParameter with one argument while it takes two (parameter,
    current), so through pyttsx3 the second is whatever the register held: sometimes the
    default (175 wpm, volume 100) comes back instead of the value set. Ask with current=1.
    """
    if not _is_espeak(engine):
        return float(engine.getProperty(name))
    from pyttsx3.drivers import _espeak

    read = _espeak.dll.espeak_GetParameter
    read.argtypes, read.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    value = read(_espeak.RATE if name == "rate" else _espeak.VOLUME, 1)
    return float(value) if name == "rate" else value / 100.0


def _is_espeak(engine: Any) -> bool:
    """Whether pyttsx3 drives eSpeak NG here (Linux)."""
    return type(engine.proxy._driver).__module__.endswith(".espeak")


def speak_to_file(engine: Any, text: str, path: str, settings: dict[str, float]) -> None:
    """One line into one WAV file, spoken again if eSpeak dropped the audio or the settings.

    pyttsx3's runAndWait is not a wait on eSpeak: its driver synthesizes on eSpeak's own thread,
    and right after the engine starts (the proxy begins busy, so the loop's end is queued with
    the line) the loop ends as soon as synthesis starts. Under CPU contention the file did not
    exist yet when runAndWait returned. So the line's end is taken from the engine's
    'finished-utterance' callback, which the driver sends only after writing the file.
    """
    finished = _Finished()
    reason = ""
    token = engine.connect("finished-utterance", finished)
    try:
        for _attempt in range(ATTEMPTS):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            for name, value in settings.items():
                engine.setProperty(name, value)
            # eSpeak queues setting changes on its own thread and reports them as "playing":
            # wait until they (and any earlier line) are done, or the run loop cancels the line.
            _wait_until_idle(engine)
            finished.reset()
            engine.save_to_file(text, path)
            engine.runAndWait()
            if not finished.event.wait(UTTERANCE_WAIT_SECONDS):
                raise SpeechFailed(f"it did not finish {text[:60]!r} within "
                                   f"{UTTERANCE_WAIT_SECONDS:.0f} s")
            if not finished.completed or not os.path.exists(path):
                reason = "it was cancelled" if not finished.completed else "no file was written"
                continue  # speak it again
            # Measured under load, about one utterance in fifty ran at eSpeak's default rate
            # (175 wpm) instead of the one set, and now and then an utterance ended before any
            # audio arrived (a bare 44-byte WAV header). Both show afterwards: the rate reads
            # back wrong, or the file is empty.
            has_audio = os.path.getsize(path) > WAV_HEADER_BYTES or not any(c.isalnum() for c in text)
            kept = all(abs(_setting(engine, name) - value) < 0.011 for name, value in settings.items())
            if has_audio and kept:
                return
            reason = "the file held no audio" if not has_audio else "the rate or volume was not applied"
    finally:
        engine.disconnect(token)
    raise SpeechFailed(f"no usable audio for {text[:60]!r} in {ATTEMPTS} tries "
                      f"(the last time, {reason})")


def main() -> None:
    """Run one job from stdin; only the JSON answer reaches stdout."""
    answer_stream = sys.stdout
    job = json.loads(sys.stdin.read())
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            answer = run_job(job)
        except SpeechFailed as error:
            answer = {"error": str(error)}
        except Exception as error:  # reported to the parent, which raises a VoiceError
            answer = {"error": f"{type(error).__name__}: {error}"}
    answer_stream.write(json.dumps(answer) + "\n")
    answer_stream.flush()


if __name__ == "__main__":
    main()
