"""A hostile corpus through `check` and `export`, each in a subprocess held to 5 s of CPU and 400 MB resident.

Every case must end as a clean error (exit 1 or 2, located where a script line is to blame, no
traceback, nothing raw on the terminal) or as a correct file (finite samples, no DC). The
files are made at test time: sparse files and FIFOs cost no disk and no memory.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile

SINE = (np.sin(np.arange(20_000) * 2 * np.pi * 440 / 44_100) * 8_000).astype("<i2").repeat(2).tobytes()
"""A second of stereo 440 Hz at 16 bits, under a header that claims 2 GB."""
CPU_SECONDS = 5
MEMORY_BYTES = 400 << 20
ADDRESS_SPACE = 2 << 30
Build = Callable[[Path], None]


def wav_header(data_bytes: int, rate: int = 44_100, channels: int = 2) -> bytes:
    """A 16-bit PCM WAV header claiming `data_bytes` of samples."""
    return (b"RIFF" + struct.pack("<I", min(36 + data_bytes, 2**32 - 1)) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
            + b"data" + struct.pack("<I", min(data_bytes, 2**32 - 1)))


def sparse(name: str, head: bytes, size: int) -> Build:
    """A file of `size` bytes that is `head` and then a hole."""
    def build(folder: Path) -> None:
        with (folder / name).open("wb") as stream:
            stream.write(head)
            stream.truncate(size)
    return build


def fifo(name: str) -> Build:
    """A named pipe nobody writes to: reading it would block forever."""
    return lambda folder: os.mkfifo(folder / name)


def nan_wav(folder: Path) -> None:
    """A float WAV whose samples include NaN."""
    samples = np.full((4_410, 1), 0.1, dtype=np.float32)
    samples[100] = np.nan
    soundfile.write(folder / "nan.wav", samples, 44_100, subtype="FLOAT")


def big_script(folder: Path) -> None:
    """A script just under the 1 MB limit."""
    line = "  - say: Notice the feeling of your feet on the floor, and breathe slowly.\n  - pause: 2\n"
    (folder / "script.yaml").write_text("title: Big\nsteps:\n" + line * (990_000 // len(line)), encoding="utf-8")


def binary_script(folder: Path) -> None:
    """Bytes that are not UTF-8 where a script should be."""
    (folder / "script.yaml").write_bytes(b"title: \xff\xfe\x00garbage")


@dataclass(frozen=True)
class Case:
    """A script (and the files it names) and what the checker must say, or None for a good file."""

    name: str
    script: str | None
    expect: str | None
    line: int = 0
    build: tuple[Build, ...] = ()


CASES = [
    Case("nan-bed-level", "ambient: {sound: rain, pause_level: .nan}\nsteps:\n  - pause: 2\n",
         "must be a finite number", 2),
    Case("nan-voice-volume", "voice: {volume: .nan}\nsteps:\n  - pause: 2\n", "must be a finite number", 2),
    Case("nan-chime-volume", "steps:\n  - chime: {sound: bowl, volume: .nan}\n", "must be a finite number", 3),
    Case("inf-pace", "pace: .inf\nsteps:\n  - pause: 2\n", "must be a finite number", 2),
    Case("huge-inline-pause", "steps:\n  - say: Hello. [pause 1e308]\n", "a pause must be at most 1:00:00", 3),
    Case("escape-in-title", 'steps:\n  - chapter: "\\e]52;c;aGVsbG8=\\a"\n  - pause: 1\n', "U+001B", 3),
    Case("c1-in-say", 'steps:\n  - say: "\\x9b2J"\n', "U+009B", 3),
    Case("fifo-clip", "steps:\n  - play: pipe.wav\n", "not a regular file", 3, (fifo("pipe.wav"),)),
    Case("fifo-chime", "steps:\n  - chime: pipe.wav\n", "not a regular file", 3, (fifo("pipe.wav"),)),
    Case("fifo-bed", "ambient: pipe.wav\nsteps:\n  - pause: 2\n", "not a regular file", 2, (fifo("pipe.wav"),)),
    Case("fifo-cover", "cover: pipe.png\nsteps:\n  - pause: 2\n", "not a regular file", 2, (fifo("pipe.png"),)),
    Case("sparse-2gb-wav", "steps:\n  - play: big.wav\n", "the limit is", 3,
         (sparse("big.wav", wav_header(2_000_000_000), 2_000_000_044),)),
    Case("long-wav-header", "steps:\n  - play: long.wav\n", "may last at most 30:00", 3,
         (sparse("long.wav", wav_header(900_000_000), 900_000_044),)),
    Case("huge-mp3", "steps:\n  - play: big.mp3\n", "the limit is", 3,
         (sparse("big.mp3", b"\xff\xfb\x90\x64", 2_000_000_000),)),
    Case("mp3-of-junk", "steps:\n  - play: junk.mp3\n", "cannot read", 3,
         (sparse("junk.mp3", b"this is not audio at all" * 100, 90_000_000),)),
    Case("nan-samples", "steps:\n  - play: nan.wav\n", "not numbers", 3, (nan_wav,)),
    Case("claims-more-than-it-holds", "steps:\n  - play: short.wav\n  - pause: 1\n", None, 0,
         (sparse("short.wav", wav_header(2_000_000_000) + SINE, 44 + len(SINE)),)),
    Case("silent-clip", "steps:\n  - play: quiet.wav\n", "is silent", 3,
         (sparse("quiet.wav", wav_header(40_000) + b"\x01\x00" * 20_000, 40_044),)),
    Case("empty-clip", "steps:\n  - chime: empty.wav\n", "no audio", 3,
         (sparse("empty.wav", wav_header(0), 44),)),
    Case("say-only-punctuation", "steps:\n  - say: '...'\n  - pause: 1\n", "no words to speak", 3),
    Case("punctuation-between-words", "steps:\n  - say: 'Hello... ? ... there.'\n  - pause: 1\n", None),
    Case("variable-bomb", "vars: {a: " + "x" * 4_000 + "}\nsteps:\n" + ("  - say: '" + "{a}" * 1_600 + "'\n") * 3,
         "with its variables filled in", 4),
    Case("deep-nesting", "steps: " + "[" * 5_000 + "\n", "nest", 2),
    Case("alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)) + "steps:\n  - pause: 1\n", "aliases expand", 0),
    Case("long-path", "steps:\n  - play: " + "a" * 300 + ".wav\n", "too long", 3),
    Case("big-script", None, "problem", 0, (big_script,)),
    Case("binary-script", None, "not UTF-8", 1, (binary_script,)),
    # No built-in bed here: rendering one into an empty cache takes about 1 GB today (the loudness
    # profile in export/predict.py), which is #15 and #20's to bring down.
    Case("a-good-one", "steps:\n  - chapter: One\n  - chime: bowl\n  - pause: 3\n", None),
]


# A small launcher runs the CLI and measures it. The child of a large process (pytest, after
# tests that hold beds in memory) counts its parent's pages as its own until it calls exec, so
# wait4 in pytest reported pytest's size; a fresh interpreter of a few MB forks the CLI instead.
LAUNCHER = """
import json, os, resource, subprocess, sys
report, cpu, space = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def limited():
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_AS, (space, space))
child = subprocess.Popen(sys.argv[4:], preexec_fn=limited)
_, status, usage = os.wait4(child.pid, 0)
with open(report, "w") as stream:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss}, stream)
"""


def practice(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a limited child process; fail if it (or anything it ran) held over MEMORY_BYTES.

    The limits: at most CPU_SECONDS of CPU, and address space enough for ffmpeg's threads. The
    400 MB bound is on resident memory, measured afterwards (wait4 gives the largest of the
    child and every process it waited for): address space counts every thread's reserved
    stack, and ffmpeg's threads then fail to start long before memory is really used.
    """
    env = {**os.environ, "PRACTICE_CACHE_DIR": str(folder / "cache")}
    report = folder / ".usage.json"
    command = [sys.executable, "-c", LAUNCHER, str(report), str(CPU_SECONDS), str(ADDRESS_SPACE),
               sys.executable, "-m", "player", *args]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False, timeout=300)
    usage = json.loads(report.read_text(encoding="utf-8"))
    report.unlink()
    done = subprocess.CompletedProcess(command[7:], int(usage["code"]), done.stdout, done.stderr)
    assert usage["maxrss_kb"] * 1024 < MEMORY_BYTES, f"{args[0]} held {usage['maxrss_kb'] // 1024} MB"
    return done


def assert_clean(done: subprocess.CompletedProcess[str], case: Case) -> None:
    """A located error as the case expects, or success; never a crash, never raw control characters."""
    shown = done.stdout + done.stderr
    assert "Traceback" not in shown and "internal error" not in shown, shown[-2000:]
    assert done.returncode not in (-9, -24, 137, 152), f"killed by a limit: {done.returncode}"
    assert not any(ch in shown for ch in "\x1b\x07\x9b"), "a control character reached the terminal"
    if case.expect is None:
        assert done.returncode == 0, shown[-2000:]
        return
    assert done.returncode in (1, 2), shown[-2000:]
    assert case.expect in shown, shown[-2000:]
    if case.line:
        assert f"script.yaml:{case.line}:" in shown, shown[-2000:]


@pytest.mark.real
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_input_is_a_clean_error_or_a_correct_file(case: Case, tmp_path: Path) -> None:
    for build in case.build:
        build(tmp_path)
    if case.script is not None:
        (tmp_path / "script.yaml").write_text("title: Hostile\n" + case.script, encoding="utf-8")
    assert_clean(practice(tmp_path, "check", "script.yaml"), case)
    export = practice(tmp_path, "export", "script.yaml", "-o", "out.wav", "-q", "--engine", "system")
    assert_clean(export, case)
    out = tmp_path / "out.wav"
    if case.expect is not None:
        assert not out.exists()
        assert not [p for p in tmp_path.iterdir() if ".part" in p.name]
        return
    samples, _ = soundfile.read(out, dtype="float32", always_2d=True)
    assert np.isfinite(samples).all()
    assert np.abs(samples.mean(axis=0)).max() < 0.01  # no DC
