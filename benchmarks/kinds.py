"""Export on every kind of session: seconds, peak RSS, and how many times ffmpeg encoded the mix.

Run: python -m benchmarks.kinds [--quick] [--write]

Each export runs in its own process under a prelude that logs every ffmpeg it launches, so
the encodes per export are counted from what really ran: an encoder is an ffmpeg reading raw
samples from the mixer (`-f f32le -i pipe:0`) into a codec; a part encoded on each core counts
once per part, so one encode of a session cut in two parts is 2 launches in 1 pass. Meters
(ebur128 decoders) and remuxes (`-c:a copy`) are counted apart.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks import load_note, write_section
from benchmarks.__main__ import ROOT, ROUNDS, cores_floor_command, measured, practice, speech_seconds, turns
from benchmarks.sessions import KINDS, write

PRELUDE = """
import json, os, subprocess, sys, threading
_log, _lock = open(os.environ["BENCH_FFMPEG_LOG"], "a"), threading.Lock()
_original = subprocess.Popen.__init__
def _logged(self, args, *more, **named):
    if isinstance(args, (list, tuple)) and args and "ffmpeg" in os.path.basename(str(args[0])):
        with _lock:
            _log.write(json.dumps([str(a) for a in args]) + "\\n")
            _log.flush()
    _original(self, args, *more, **named)
subprocess.Popen.__init__ = _logged
sys.argv = ["practice", *sys.argv[1:]]
from player.cli.commands import main
main()
"""


@dataclass
class Launches:
    """ffmpeg processes one export started, by what they did."""

    encoders: int
    meters: int
    other: int


def classify(log: Path) -> Launches:
    """Count encoder, meter and other ffmpeg launches in a prelude's log."""
    encoders = meters = other = 0
    for line in log.read_text(encoding="utf-8").splitlines() if log.exists() else []:
        args = json.loads(line)
        joined = " ".join(args)
        codec = args[args.index("-c:a") + 1] if "-c:a" in args else None
        if "f32le" in args and "pipe:0" in args and codec not in (None, "copy"):
            encoders += 1
        elif "ebur128" in joined:
            meters += 1
        else:
            other += 1
    return Launches(encoders, meters, other)


def export_counted(script: Path, out: Path, env: dict[str, str], *extra: str) -> tuple[float, float, Launches]:
    """Seconds, peak MB and ffmpeg launches of one `practice export`."""
    log = out.with_suffix(".ffmpeg.log")
    log.unlink(missing_ok=True)
    run = measured([sys.executable, "-c", PRELUDE, "export", str(script), "-o", str(out), "-q", "--force", *extra],
                   dict(env, BENCH_FFMPEG_LOG=str(log)))
    return run.seconds, run.peak_mb, classify(log)


@dataclass
class Baselines:
    """What one kind and layout is measured against: the encoder alone on all cores, and pydub."""

    floor: float
    pydub: float | None


def floor_wav(script: Path, mono: bool, folder: Path, env: dict[str, str]) -> Path:
    """The session's own mix as a WAV, for the encoder floor."""
    wav = folder / f"{script.stem}-{'mono' if mono else 'stereo'}.wav"
    measured(practice("export", str(script), "-o", str(wav), "-q", "--force", "--no-master",
                      *(("--mono",) if mono else ())), env)
    return wav


def pydub_seconds(script: Path, folder: Path, env: dict[str, str]) -> float:
    """The pydub baseline building and encoding the session (stereo)."""
    return measured([sys.executable, "-m", "benchmarks.baseline_pydub", str(script), str(folder / "baseline.mp3")],
                    dict(env, PYTHONPATH=str(ROOT))).seconds


@dataclass
class Export:
    """One export's median seconds over its turns, its highest peak RSS and its ffmpeg launches."""

    seconds: float
    peak: float
    launches: Launches


def in_turns(script: Path, flags: tuple[str, ...], wav: Path, minutes: int, folder: Path, env: dict[str, str],
             rounds: int) -> tuple[float, Export, Export]:
    """The all-cores floor, the mastered export and the unmastered one, run in turns `rounds` times
    (so a machine that slows meanwhile slows all three); each one's median."""
    mp3 = folder / f"{script.stem}.mp3"
    exports = turns({"floor": lambda: (measured(cores_floor_command(wav, minutes, folder), env).seconds, 0.0,
                                       Launches(0, 0, 0)),
                     "master": lambda: export_counted(script, mp3, env, *flags),
                     "raw": lambda: export_counted(script, mp3, env, *flags, "--no-master")}, rounds)

    def median(runs: list[tuple[float, float, Launches]]) -> Export:
        return Export(statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2])

    return median(exports["floor"]).seconds, median(exports["master"]), median(exports["raw"])


def row(kind: str, minutes: int, layout: str, master: bool, export: Export, floor: float,
        pydub: float | None) -> str:
    """One table row, with the export's time against the floor and the baseline."""
    against = f"{pydub:.1f} s | {pydub / export.seconds:.1f}x" if pydub else "- | -"
    return (f"| {kind} {minutes} min | {layout} | {'yes' if master else 'no'} | {export.seconds:.1f} s "
            f"| {floor:.1f} s | {export.seconds / floor:.2f}x | {against} "
            f"| {export.launches.encoders} | {export.launches.meters} | {export.peak:.0f} MB |")


def main() -> None:
    """Export each kind, stereo and mono, mastered and not; print (and with --write record) the table."""
    quick = "--quick" in sys.argv
    minutes = 20
    rows = ["| session | channels | mastered | seconds | encoder floor, all cores | / floor (target 1.3x, "
            "mastered) | pydub baseline | baseline / this (target 2x, mastered) | encoder launches | "
            "meter launches | peak RSS |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="practice-kinds-") as name:
        folder = Path(name)
        env = dict(os.environ, PRACTICE_CACHE_DIR=str(folder / "cache"))
        for kind in KINDS:
            script = write(kind, folder, minutes)
            speech_seconds(script, env)  # warm the speech cache: these are warm exports
            cases = [("stereo", ()), ("mono", ("--mono",))] if not quick or kind == "dense" else [("stereo", ())]
            for layout, flags in cases:
                wav = floor_wav(script, layout == "mono", folder, env)
                floor, mastered, raw = in_turns(script, flags, wav, minutes, folder, env, 1 if quick else ROUNDS)
                wav.unlink()
                pydub = pydub_seconds(script, folder, env) if layout == "stereo" else None
                for master, export in ((True, mastered), (False, raw)):
                    rows.append(row(kind, minutes, layout, master, export, floor, pydub))
                    print(rows[-1], flush=True)
    text = "\n".join([f"Warm MP3 exports of each kind of session (`python -m benchmarks.kinds`), each the median "
                      f"of {1 if quick else ROUNDS} run in turns with its floor, {load_note()}:",
                      "", *rows, "",
                      "The floor is one ffmpeg per core encoding its share of the same session's mix (a WAV), "
                      "as in the export table. Encoder launches count ffmpeg processes encoding the mix: a "
                      "session cut into one part per core is one encode in that many launches."])
    print(text)
    if "--write" in sys.argv:
        write_section("kinds", text, "## Encodes per export, by kind of session")


if __name__ == "__main__":
    main()
