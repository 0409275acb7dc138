"""Files that would hang or flood memory, and caches that lie: each a located error or made again."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from player import SAMPLE_RATE
from player.errors import ScriptError
from player.script.loader import load_script
from player.sounds.loops import BED_VERSION, _cache_path, _layer_path, _load
from player.timeline.compile import estimate_timeline
from player.timeline.lengths import END_QUIET
from player.voices.cache import CacheError, ClipCache, save_entry
from tests.conftest import SHORT_LAYER_SECONDS

WriteScript = Callable[..., Path]


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A test that blocks on a FIFO fails after 120 s instead of hanging (a loaded machine is slow, not stuck)."""
    def stop(signum: int, frame: object) -> None:
        raise TimeoutError("blocked: a FIFO or device was opened for reading")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def wav_header(data_bytes: int, rate: int = 44_100, channels: int = 2) -> bytes:
    """A 16-bit PCM WAV header claiming `data_bytes` of samples."""
    return (b"RIFF" + struct.pack("<I", min(36 + data_bytes, 2**32 - 1)) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
            + b"data" + struct.pack("<I", min(data_bytes, 2**32 - 1)))


def problems_of(path: Path) -> list[str]:
    """Problems from loading and estimating a script (what `check` does)."""
    with pytest.raises(ScriptError) as caught:
        estimate_timeline(load_script(path))
    return [str(problem) for problem in caught.value.problems]


def test_fifos_as_clip_chime_bed_and_cover_are_located_errors(write_script: WriteScript, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.wav")
    os.mkfifo(tmp_path / "pipe.png")
    path = write_script("title: T\ncover: pipe.png\nambient: pipe.wav\nsteps:\n  - chime: pipe.wav\n"
                        "  - play: pipe.wav\n  - ambient: pipe.wav\n")
    problems = problems_of(path)
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{line}" for line in ("2:8", "3:10", "5:5", "6:5",
                                                                                       "7:5")]
    assert all("is not a regular file (a pipe or a device)" in p for p in problems)


def test_a_fifo_or_device_as_the_script_is_an_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "script.yaml")
    for path in (tmp_path / "script.yaml", Path("/dev/zero")):
        with pytest.raises(ScriptError, match="not a regular file"):
            load_script(path)


def test_a_sparse_two_gigabyte_wav_is_refused_by_its_size(write_script: WriteScript, tmp_path: Path) -> None:
    with (tmp_path / "big.wav").open("wb") as stream:
        stream.write(wav_header(2_000_000_000))
        stream.truncate(2_000_000_044)  # sparse: no disk used, no memory either
    problems = problems_of(write_script("title: T\nsteps:\n  - play: big.wav\n"))
    assert problems == [f"{tmp_path / 'practice.yaml'}:3:5: {tmp_path / 'big.wav'} is 2,000,000,044 bytes; "
                        "the limit is 1,073,741,824"]


def test_a_wav_longer_than_thirty_minutes_is_refused_from_its_header(write_script: WriteScript,
                                                                      tmp_path: Path) -> None:
    with (tmp_path / "long.wav").open("wb") as stream:
        stream.write(wav_header(600_000_000))
        stream.truncate(600_000_044)
    problems = problems_of(write_script("title: T\nsteps:\n  - play: long.wav\n"))
    assert len(problems) == 1 and "long.wav lasts 56:41; a clip, chime or bed may last at most 30:00" in problems[0]


def test_a_header_claiming_more_than_the_file_holds_decodes_what_is_there(write_script: WriteScript,
                                                                           tmp_path: Path) -> None:
    sine = (np.sin(np.arange(2_000) * 0.06) * 8_000).astype("<i2").repeat(2).tobytes()
    (tmp_path / "claims.wav").write_bytes(wav_header(2_000_000_000) + sine)
    timeline = estimate_timeline(load_script(write_script("title: T\nsteps:\n  - play: claims.wav\n")))
    assert timeline.seconds < 1 + END_QUIET  # what the file holds (0.05 s), then the closing quiet


def test_a_huge_file_named_mp3_is_refused_before_decoding(write_script: WriteScript, tmp_path: Path) -> None:
    with (tmp_path / "huge.mp3").open("wb") as stream:
        stream.write(b"\xff\xfb\x90\x64")
        stream.truncate(200_000_000)
    problems = problems_of(write_script("title: T\nsteps:\n  - play: huge.mp3\n"))
    assert len(problems) == 1 and "huge.mp3 is 200,000,000 bytes; a compressed clip" in problems[0]


def test_a_path_over_255_characters_is_a_located_error(write_script: WriteScript) -> None:
    name = "a" * 300 + ".wav"
    problems = problems_of(write_script(f"title: T\nsteps:\n  - play: {name}\n"))
    assert len(problems) == 1 and "the file name is too long for this system" in problems[0]
    assert problems[0].split(": ", 1)[0].endswith("practice.yaml:3:5")


def test_a_speech_entry_copied_over_another_is_never_played(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    hello, goodbye = np.full(100, 0.1, np.float32), np.full(200, -0.1, np.float32)
    cache.put("a" * 64, hello)
    cache.put("b" * 64, goodbye)
    shutil.copyfile(cache.path("b" * 64), cache.path("a" * 64))
    assert cache.get("a" * 64) is None
    assert cache.damaged == 1 and not cache.path("a" * 64).exists()
    got = cache.get("b" * 64)
    assert got is not None and np.array_equal(got, goodbye)


@pytest.mark.parametrize("samples", [np.array([0.1, np.nan], np.float32), np.array([0.1, 1e30], np.float32)])
def test_a_speech_entry_with_nan_or_huge_samples_is_made_again(tmp_path: Path, samples: np.ndarray) -> None:
    cache = ClipCache(tmp_path)
    save_entry(cache.path("c" * 64), "c" * 64, samples)  # a valid checksum over bad samples
    assert cache.get("c" * 64) is None and cache.damaged == 1


def test_a_speech_entry_that_is_a_folder_is_removed(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.path("d" * 64).mkdir(parents=True)
    assert cache.get("d" * 64) is None
    cache.put("d" * 64, np.zeros(10, np.float32))
    assert cache.get("d" * 64) is not None


def test_a_cache_folder_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(CacheError, match="is a file, not a folder"):
        ClipCache(tmp_path / "file")


@pytest.mark.parametrize("layer", [0, 2])
@pytest.mark.parametrize("bad", ["nan", "huge", "zero-frames", "other-bed", "folder"])
def test_a_damaged_bed_in_the_cache_is_made_again(short_beds: Path, bad: str, layer: int) -> None:
    _load.cache_clear()
    path = _layer_path(_cache_path("white-noise"), layer)
    good = tuple(part.copy() for part in _load("white-noise"))
    _load.cache_clear()
    key = f"bed:white-noise:v{BED_VERSION}:layer{layer}"
    if bad == "nan":
        broken = good[layer].copy()
        broken[1000] = np.nan
        save_entry(path, key, broken)
    elif bad == "huge":
        save_entry(path, key, good[layer] * np.float32(1e6))
    elif bad == "zero-frames":
        save_entry(path, key, np.zeros((0, 2), np.float32))
    elif bad == "other-bed":
        _load("pink-noise")
        shutil.copyfile(_layer_path(_cache_path("pink-noise"), layer), path)
    else:
        path.unlink()
        path.mkdir()
    layers = _load("white-noise")
    _load.cache_clear()
    assert [part.shape for part in layers] == [(seconds * SAMPLE_RATE, 2) for seconds in SHORT_LAYER_SECONDS]
    assert all(np.isfinite(part).all() for part in layers)
    assert all(np.array_equal(a, b) for a, b in zip(layers, good, strict=True))
    again = _load("white-noise")  # and the cache holds the good ones again
    assert all(np.array_equal(a, b) for a, b in zip(again, good, strict=True))
    _load.cache_clear()


def test_a_name_too_long_is_named_in_one_line() -> None:
    from player.userfiles import describe_os_error

    error = OSError(errno.ENAMETOOLONG, "File name too long", "x" * 300)
    assert describe_os_error(error) == "File name too long: " + "x" * 60 + "... (300 characters)"


def test_check_lists_every_file_used_from_outside_the_script_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from player.cli.commands import cli

    clips, here = tmp_path / "clips", tmp_path / "scripts"
    clips.mkdir()
    here.mkdir()
    sine = (np.sin(np.arange(2_000) * 0.06) * 8_000).astype("<i2").repeat(2).tobytes()
    for path in (clips / "a.wav", clips / "b.wav", here / "in.wav"):
        path.write_bytes(wav_header(len(sine)) + sine)
    (clips / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    script = here / "s.yaml"
    script.write_text(f"title: T\ncover: ../clips/cover.png\nambient: {clips / 'b.wav'}\nsteps:\n"
                      "  - play: ../clips/a.wav\n  - play: in.wav\n  - repeat: 2\n    steps:\n"
                      "      - chime: ../clips/a.wav\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(script)])
    assert result.exit_code == 0, result.output
    listed = [line.split(": ", 1)[1] for line in result.output.splitlines() if "outside its folder" in line]
    assert listed == [str(clips / "b.wav"), str(clips / "a.wav"), str(clips / "cover.png")]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -1.0, 1e30])
def test_a_damaged_bed_calibration_in_the_cache_is_made_again(short_beds: Path, bad: float) -> None:
    from player.atomic import save_array
    from player.render import ambient
    from player.sounds.loops import derived_cache_path

    ambient.bed_calibration.cache_clear()
    good = ambient.bed_calibration("white-noise")
    path = derived_cache_path("white-noise", "loudness")
    assert path is not None and path.exists()
    save_array(path, np.array(bad), reference=np.array(ambient.BED_REFERENCE))
    ambient.bed_calibration.cache_clear()
    again = ambient.bed_calibration("white-noise")
    ambient.bed_calibration.cache_clear()
    assert again == pytest.approx(good, rel=1e-9)
    with np.load(path, allow_pickle=False) as saved:  # and the cache holds the good value again
        assert float(saved["data"].reshape(-1)[0]) == pytest.approx(good, rel=1e-9)
