"""Shared fixtures: a private speech cache, script files, fake and real speakers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from player.ffmpeg import ffmpeg_exe
from player.voices import Speaker
from player.voices.cache import ClipCache
from tests.fakes import FakeEngine

# A shell starts a background job (`make test &`, nohup) with SIGINT ignored, and every child
# inherits that: the tests that press Ctrl-C on a command would then see it ignored, as the
# product rightly does for an ignored signal. The suite is not such a job: give SIGINT back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def fast_tests_start_no_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked `real` may start no process: no ffmpeg, no speech engine, no worker.

    That keeps `pytest -m "not real"` honest (fast, and free of the real parts); a test that
    needs one says so with @pytest.mark.real.
    """
    if request.node.get_closest_marker("real") is not None:
        return

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError(f"{request.node.nodeid} starts a process but is not marked @pytest.mark.real")

    # Every way the code starts a program: subprocess (run, Popen, check_output), os.system and
    # posix_spawn, and multiprocessing's spawn, which forks through _posixsubprocess.
    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(os, "posix_spawn", refuse)
    monkeypatch.setattr(os, "fork", refuse)


@pytest.fixture(scope="session")
def shared_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the whole run, so real-engine tests synthesize each line once."""
    return tmp_path_factory.mktemp("speech-cache")


@pytest.fixture(autouse=True)
def private_cache(shared_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the user's own cache from tests."""
    monkeypatch.setenv("PRACTICE_CACHE_DIR", str(shared_cache_dir))
    return shared_cache_dir


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a script (dedented) into tmp_path and return its path."""

    def write(text: str, name: str = "practice.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def fake_speaker(tmp_path: Path) -> Speaker:
    """A Speaker on the fake engine with its own empty cache."""
    return Speaker(FakeEngine(), ClipCache(tmp_path / "fake-cache"))


def silences(path: Path, noise_db: float = -50.0, minimum: float = 1.0) -> list[tuple[float, float]]:
    """(start, duration) of each silence ffmpeg's silencedetect finds: an independent measurement."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path),
         "-af", f"silencedetect=noise={noise_db}dB:d={minimum}", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    starts = [float(x) for x in re.findall(r"silence_start: ([-\d.]+)", done.stderr)]
    durations = [float(x) for x in re.findall(r"silence_duration: ([\d.]+)", done.stderr)]
    return list(zip(starts, durations, strict=True))


def decode(path: Path) -> bytes:
    """The decoded PCM of any audio file, through ffmpeg (16-bit stereo at 44.1 kHz)."""
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
         "-f", "s16le", "-ac", "2", "-ar", "44100", "-"],
        capture_output=True, check=True,
    ).stdout


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A running PulseAudio server with a null sink; in CI it must start, never skip."""
    from tests import pulse as pulse_module

    if not pulse_module.available():
        if os.environ.get("CI"):
            pytest.fail("PulseAudio is not installed; .ci/run installs pulseaudio and pulseaudio-utils")
        pytest.skip("PulseAudio is not installed (apt-get install pulseaudio pulseaudio-utils)")
    server = pulse_module.PulseServer(tmp_path_factory.mktemp("pulse-runtime"))
    try:
        server.start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"PulseAudio could not start: {error}")
        pytest.skip(f"PulseAudio could not start: {error}")
    yield server
    server.stop()


SHORT_LAYER_SECONDS = (2, 3, 5)
"""Layer lengths of the short built-in beds that `short_beds` renders (the real ones last 31, 37, 43 s)."""


@pytest.fixture
def short_beds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Built-in beds rendered with 2, 3 and 5 s layers, in a cache of their own; yields that cache.

    For tests of how beds are cached, checked and made again, which hold for any layer length:
    a whole bed costs seconds of CPU, a short one a tenth of that. The beds' own character
    (spectra, repetition, loudness) is measured on the real lengths elsewhere. The private
    cache keeps short layers from ever meeting the shared cache's full-length ones, and the
    in-process caches are emptied on both sides so neither length leaks into another test.
    """
    from player.render import ambient
    from player.sounds import beds, loops

    monkeypatch.setattr(beds, "LAYER_SECONDS", SHORT_LAYER_SECONDS)
    monkeypatch.setattr(loops, "LAYER_SECONDS", SHORT_LAYER_SECONDS)
    cache = tmp_path / "short-bed-cache"
    monkeypatch.setenv("PRACTICE_CACHE_DIR", str(cache))
    loops._load.cache_clear()
    ambient.bed_calibration.cache_clear()
    yield cache
    # A bed live play started warming on its own thread finishes first: short layers loaded
    # after the caches are emptied would be what the next test hears.
    for thread in threading.enumerate():
        if thread.name == "bed":
            thread.join(timeout=120)
    loops._load.cache_clear()
    ambient.bed_calibration.cache_clear()
