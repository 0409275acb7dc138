"""Speech for a whole script: cold (empty cache) on one core, on a process per core, on a thread per core, and warm.

Run: python -m benchmarks.speech [SCRIPT] [--write]

Each case compiles the script's timeline, which synthesizes every line that is not cached. The
one-process, one-thread piper run is the baseline; the warm runs read the cache only. Each
cold run starts from an empty speech cache and a new engine, so starting the worker processes
and loading the voice are counted (the prepared fixed-noise model is made once beforehand, as
after any first use). Peak RSS is the whole process tree's, sampled every 50 ms.
`--write` puts the table in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks import load_note, write_section
from player import SAMPLE_RATE
from player.script.library import resolve_script
from player.script.loader import Overrides, load_script
from player.timeline.compile import compile_timeline, speech_requests
from player.voices import Engine, Speaker
from player.voices.cache import ClipCache
from player.voices.piper import PiperEngine
from player.voices.system import SystemEngine


def tree_rss_mb() -> float:
    """Resident memory of this process and all its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            total += next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                          if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def timed_compile(script_name: str, engine: Engine, cache: Path) -> tuple[float, int, float, float]:
    """Seconds to compile the timeline, lines synthesized, seconds of speech in it, peak tree RSS in MB."""
    script = load_script(resolve_script(script_name), Overrides(engine=engine.name))
    speaker = Speaker(engine, ClipCache(cache))
    peak, stop = [tree_rss_mb()], threading.Event()

    def watch() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], tree_rss_mb())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    timeline = compile_timeline(script, speaker)
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    speech = sum(cue.end - cue.start for cue in timeline.cues) / SAMPLE_RATE
    return elapsed, speaker.synthesized, speech, peak[0]


def main() -> None:
    """Print (and with --write, record) the table."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    script = args[0] if args else "five-senses"
    cores = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PRACTICE_CACHE_DIR"] = folder  # the prepared Piper model goes here, not the user's cache
        prepare = PiperEngine(threads=1)
        prepare.synthesize(speech_requests(load_script(resolve_script(script)))[:1])
        prepare.close()
        cases: list[tuple[str, Engine, str]] = [
            ("piper, 1 process, 1 thread, cold (baseline)", PiperEngine(workers=1, threads=1), "piper-1"),
            (f"piper, {cores} processes, 1 thread each, cold (before)", PiperEngine(workers=cores, threads=1),
             "piper-p"),
            (f"piper, 1 process, {cores} threads, cold (now)", PiperEngine(workers=1, threads=cores), "piper-t"),
            ("piper, warm (all cached)", PiperEngine(), "piper-t"),
            ("system (eSpeak NG), cold", SystemEngine(), "system"),
            ("system (eSpeak NG), warm", SystemEngine(), "system"),
        ]
        for label, engine, cache in cases:
            seconds, lines, speech, peak = timed_compile(script, engine, Path(folder) / cache)
            rows.append((label, seconds, lines, speech, peak))
            if isinstance(engine, PiperEngine):
                engine.close()
    baseline = rows[0][1]
    table = [f"Speech for `{script}` on {cores} cores ({rows[0][3]:.0f} s of speech in "
             f"{rows[0][2]} lines; `python -m benchmarks.speech`), {load_note()}:", "",
             "| case | seconds | lines synthesized | speech / wall time | time vs the baseline "
             "| peak RSS, process tree |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, seconds, lines, speech, peak in rows:
        speed = f"{speech / seconds:.0f}x" if lines else "n/a"
        table.append(f"| {label} | {seconds:.2f} | {lines} | {speed} | {baseline / seconds:.1f}x faster "
                     f"| {peak:.0f} MB |")
    text = "\n".join(table)
    print(text)
    if "--write" in sys.argv:
        write_section("speech", text)


if __name__ == "__main__":
    main()
