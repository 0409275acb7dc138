"""The `system` engine: pyttsx3 (SAPI5 on Windows, NSSpeechSynthesizer on macOS, eSpeak NG on Linux)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from player.errors import MissingDependency, VoiceError
from player.voices.base import Progress, RawClip, SpeechRequest

LINES_PER_WORKER = 24
"""Lines one worker speaks before another is worth starting (a worker starts in about 0.2 s)."""


class SystemEngine:
    """Speech through pyttsx3, run in worker processes (see system_worker for why)."""

    name = "system"

    @cached_property
    def version(self) -> str:
        """pyttsx3's version, the eSpeak NG build it drives and the unhurried pace."""
        parts = []
        for package in ("pyttsx3", "espeakng-loader"):
            try:
                parts.append(f"{package}={metadata.version(package)}")
            except metadata.PackageNotFoundError:
                parts.append(f"{package}=none")
        from player.voices.system_worker import ESPEAK_WORDS_PER_MINUTE

        return f"{sys.platform};" + ";".join([*parts, f"pace={ESPEAK_WORDS_PER_MINUTE}"])

    def voice_version(self, voice: str | None) -> str:
        """System voices change only with the engine itself, which `version` covers."""
        return ""

    def synthesize(
        self, requests: Sequence[SpeechRequest], progress: Progress | None = None
    ) -> list[RawClip]:
        """Speak every request; lines that share voice, rate and volume share a worker."""
        _require_pyttsx3()
        groups: dict[tuple[str | None, float, float], list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault((request.voice, request.rate, request.volume), []).append(index)
        jobs: list[tuple[tuple[str | None, float, float], list[int]]] = []
        for settings, indices in groups.items():
            for start in range(0, len(indices), LINES_PER_WORKER):
                jobs.append((settings, indices[start:start + LINES_PER_WORKER]))
        clips: list[RawClip | None] = [None] * len(requests)
        with tempfile.TemporaryDirectory(prefix="practice-speech-") as folder:
            def run(job: tuple[tuple[str | None, float, float], list[int]]) -> None:
                (voice, rate, volume), indices = job
                paths = [Path(folder) / f"line-{index}.wav" for index in indices]
                _run_worker({
                    "voice": voice, "rate": rate, "volume": volume,
                    "items": [{"text": requests[i].text, "path": str(p)} for i, p in zip(indices, paths, strict=True)],
                })
                for index, path in zip(indices, paths, strict=True):
                    clips[index] = _read_clip(path, requests[index].text)
                if progress is not None:
                    progress(len(indices))

            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                for future in [pool.submit(run, job) for job in jobs]:
                    future.result()
        return [clip for clip in clips if clip is not None]

    def voices(self) -> list[dict[str, object]]:
        """The voices this machine's system engine offers."""
        _require_pyttsx3()
        return list(_run_worker({"list": True})["voices"])


def _require_pyttsx3() -> None:
    """Fail early, with the fix, when pyttsx3 is missing."""
    try:
        metadata.version("pyttsx3")
    except metadata.PackageNotFoundError:
        raise MissingDependency("The system voice needs pyttsx3.", "pip install pyttsx3") from None


def _run_worker(job: dict[str, Any]) -> dict[str, Any]:
    """Run one worker process and return its answer, or raise a VoiceError saying what failed."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "player.voices.system_worker"],
            input=json.dumps(job), capture_output=True, text=True, timeout=600, check=False,
        )
    except subprocess.TimeoutExpired:
        raise VoiceError("the system voice did not finish within 10 minutes") from None
    lines = done.stdout.strip().splitlines()
    try:
        answer: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if "error" in answer:
        if "unknown_voice" in answer:
            suggestions = ", ".join(answer.get("suggestions") or [])
            raise VoiceError(f"{answer['error']}; try one of: {suggestions}" if suggestions else answer["error"])
        raise VoiceError(f"the system voice failed: {answer['error']}")
    if done.returncode != 0 or not answer:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        if "eSpeak" in done.stderr or "libespeak" in done.stderr:
            raise MissingDependency(
                "The system voice could not load eSpeak NG.",
                "pip install espeakng-loader (or install your system's espeak-ng package)",
            )
        raise VoiceError(f"the system voice failed (exit {done.returncode}): {detail}")
    return answer


def _read_clip(path: Path, text: str) -> RawClip:
    """A worker's WAV file as float32 samples."""
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
        raise VoiceError(f"the system voice wrote no audio for {text[:60]!r}: {error}") from None
    return RawClip(samples=np.ascontiguousarray(samples.mean(axis=1), dtype=np.float32), sample_rate=int(rate))
