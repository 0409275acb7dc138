"""Speech for a whole script: cold (empty cache) with one worker and with every core, and warm.

Run: python -m benchmarks.speech [SCRIPT] [--write]

Each case compiles the script's timeline, which synthesizes every line that is not cached. The
one-worker piper run is the baseline for the parallel one; the warm runs read the cache only.
Each cold run starts from an empty cache folder and a new engine, so starting the worker
processes and loading the voice are counted. `--write` puts the table in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import write_section
from player import SAMPLE_RATE
from player.library import resolve_script
from player.script import Overrides, load_script
from player.timeline import compile_timeline
from player.voices import Engine, Speaker
from player.voices.cache import ClipCache
from player.voices.piper import PiperEngine
from player.voices.system import SystemEngine


def timed_compile(script_name: str, engine: Engine, cache: Path) -> tuple[float, int, float]:
    """Seconds to compile the timeline, lines synthesized, and seconds of speech in it."""
    script = load_script(resolve_script(script_name), Overrides(engine=engine.name))
    speaker = Speaker(engine, ClipCache(cache))
    started = time.perf_counter()
    timeline = compile_timeline(script, speaker)
    elapsed = time.perf_counter() - started
    speech = sum(cue.end - cue.start for cue in timeline.cues) / SAMPLE_RATE
    return elapsed, speaker.synthesized, speech


def main() -> None:
    """Print (and with --write, record) the table."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    script = args[0] if args else "five-senses"
    cores = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        cases: list[tuple[str, Engine, str]] = [
            ("piper, 1 worker, cold (baseline)", PiperEngine(workers=1), "piper-1"),
            (f"piper, {cores} workers, cold", PiperEngine(workers=cores), "piper-n"),
            ("piper, warm (all cached)", PiperEngine(), "piper-n"),
            ("system (eSpeak NG), cold", SystemEngine(), "system"),
            ("system (eSpeak NG), warm", SystemEngine(), "system"),
        ]
        for label, engine, cache in cases:
            seconds, lines, speech = timed_compile(script, engine, Path(folder) / cache)
            rows.append((label, seconds, lines, speech))
            if isinstance(engine, PiperEngine):
                engine.close()
    baseline = rows[0][1]
    table = [f"Speech for `{script}` on {cores} cores ({rows[0][3]:.0f} s of speech in "
             f"{rows[0][2]} lines; `python -m benchmarks.speech`):", "",
             "| case | seconds | lines synthesized | speech / wall time | time vs the baseline |",
             "|---|---:|---:|---:|---:|"]
    for label, seconds, lines, speech in rows:
        speed = f"{speech / seconds:.0f}x" if lines else "n/a"
        table.append(f"| {label} | {seconds:.2f} | {lines} | {speed} | {baseline / seconds:.1f}x faster |")
    text = "\n".join(table)
    print(text)
    if "--write" in sys.argv:
        write_section("speech", text)


if __name__ == "__main__":
    main()
