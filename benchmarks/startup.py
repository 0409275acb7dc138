"""How soon practice answers: `--help`, `check`, and live play's first sound and first word.

Run: python -m benchmarks.startup [--quick] [--against REV] [--write]

Each command runs in a fresh process, five times (three with --quick); the table gives the
median wall time and CPU time, beside baselines measured in the same run: the bare interpreter
and the numpy + scipy import every command used to pay. `--against REV` also times the same
commands from a git revision (a temporary worktree), e.g. the commit before a merge.
Bytecode is written and warmed first, as an installed package has it.

Live play (needs PulseAudio: a private null sink) is timed from process start to the audio
callback that hands PortAudio the first audible block (the opening chime or the bed) and the
block where the first word starts; the device adds its own 0.15 s buffer after that. Cold is
an empty speech cache (the rendered beds and the prepared Piper model kept, as after any
first use), both on a command's first play and with the opening an earlier play saved
(player/live/prelude.py); warm has every line cached.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import load_note, write_section

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import sys, time
from array import array
from player.live import prelude
started = float(sys.argv[1])
marked, seen, rendered = {}, set(), {}
# A saved opening plays from its own callback, before numpy is loaded (as `practice play` starts
# it): its first audible block is the first sound.
original_opening = prelude.OpeningStream.callback
def opening_callback(self, outdata, frames, timing, status):
    original_opening(self, outdata, frames, timing, status)
    if "sound" not in seen and max(map(abs, array("f", bytes(outdata))), default=0.0) > 10 ** (-50 / 20):
        seen.add("sound")
        sys.stderr.write(f"SOUND {time.time() - started:.3f}\\nSOUND-READY {time.time() - started:.3f}\\n")
        sys.stderr.flush()
prelude.OpeningStream.callback = opening_callback
prelude.begin(sys.argv[2:])
import numpy as np
from player.live import device as live
from player.live import transport as session_module
# Blocks are followed by identity from the mixer to the device: a cold start rewinds the queue
# when its next stage arrives, so counting blocks would date the word by ones never played.
original_next = session_module.LiveSession.next_block
def next_block(self, frames):
    block = original_next(self, frames)
    if block is not None:
        names = []
        if "sound" not in seen and float(np.abs(block).max()) > 10 ** (-50 / 20):
            names.append("sound")
        timeline = self.deck.timeline
        if self.phase.value == "main" and not self.paused and any(
                s.kind == "speech" and s.start < self.position and timeline.sound_end(s) > self.position - frames
                for s in timeline.sounds):
            names.append("word")
        if names:
            marked[id(block)] = (block, names)  # the block is kept, so its id is never reused
            for name in names:
                rendered.setdefault(name, time.time())  # first made (a rewind may make it again)
    return block
session_module.LiveSession.next_block = next_block
original_take = live.Ahead.take
def take(self):
    ready, block = original_take(self)
    if ready and block is not None and id(block) in marked:
        for name in marked.pop(id(block))[1]:
            if name not in seen:
                seen.add(name)
                sys.stderr.write(f"{name.upper()} {time.time() - started:.3f}\\n")
                sys.stderr.write(f"{name.upper()}-READY {rendered[name] - started:.3f}\\n")
                sys.stderr.flush()
    return ready, block
live.Ahead.take = take
original_callback = live.LivePlayer._callback
def callback(self, outdata, frames, when, status):
    original_callback(self, outdata, frames, when, status)
    if "word" in seen:
        raise self._sd.CallbackStop
live.LivePlayer._callback = callback
sys.argv = ["practice", "play", *sys.argv[2:]]
from player.cli.commands import main
try:
    main()
except SystemExit:
    pass
"""


SPOKEN_FIRST = """title: Spoken first
ambient: {sound: rain, level: -24}
steps:
  - say: Hello. Notice your feet resting on the floor.
  - pause: 2
  - say: Let your shoulders drop a little.
  - pause: 30
"""
"""A session whose first step speaks (five-senses opens with a chime that rings 4 s first)."""


def timed(command: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=600)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_of(command: list[str], env: dict[str, str], runs: int, cwd: Path | None = None) -> tuple[float, float]:
    """Median wall and CPU seconds over `runs`, after one unmeasured run (bytecode, disk cache)."""
    timed(command, env, cwd)
    results = [timed(command, env, cwd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def first_sound_and_word(script: str, env: dict[str, str], attempts: int = 3,
                         before: Callable[[], None] = lambda: None) -> tuple[float, float, float]:
    """Seconds from process start to the first audible block and the first word reaching the device,
    and to the first word being rendered (ready in the player's queue, behind what the device holds).

    On an overloaded machine the sound server sometimes stops a stream early; that run is repeated
    (`before` runs before each attempt: a cold run empties the speech cache again).
    """
    stderr = ""
    for _ in range(attempts):
        before()
        started = time.time()
        done = subprocess.run([sys.executable, "-c", PROBE, str(started), script], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
        stderr = done.stderr
        marks = dict(line.split() for line in stderr.splitlines()
                     if line.startswith(("SOUND ", "WORD ", "WORD-READY ")))
        if "SOUND" in marks and "WORD" in marks:
            return float(marks["SOUND"]), float(marks["WORD"]), float(marks["WORD-READY"])
    raise RuntimeError(f"no first sound or word in {attempts} runs: {stderr[-800:]}")


SINK_START = """
import time, numpy as np, sounddevice as sd
calls = []
def callback(outdata, frames, when, status):
    calls.append(time.perf_counter())
    outdata.fill(0.01)
stream = sd.OutputStream(samplerate=44100, blocksize=1024, channels=2, dtype="float32", callback=callback,
                         latency=0.15)
started = time.perf_counter()
stream.start()
time.sleep(3.0)
stream.stop()
gaps = np.diff(calls)
late = int(np.argmax(gaps))
print(f"{late + 1} {calls[late + 1] - started:.3f}")
"""
"""A bare PortAudio stream (the player's block size and latency) into the same sink: how many
blocks it takes at once, and when it asks for the next one (the sink starting to play)."""


def sink_start(env: dict[str, str], runs: int) -> str:
    """The baseline row: when the sink first plays what a fresh stream handed it."""
    results = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", SINK_START], env=env, capture_output=True, text=True,
                              timeout=60, check=True)
        count, after = done.stdout.split()
        results.append((int(count), float(after)))
    blocks = statistics.median(r[0] for r in results)
    seconds = statistics.median(r[1] for r in results)
    return (f"| a bare sounddevice stream into the same sink (baseline): it takes {blocks:.0f} blocks at once, "
            f"then the next after | {seconds:.2f} s | | | |")


def live_rows(script: str, env: dict[str, str], folder: Path, runs: int) -> list[str]:
    """First sound and first word, cold and warm, through a private PulseAudio null sink."""
    if shutil.which("pulseaudio") is None:
        return ["| live play | (PulseAudio is not installed) | | | |"]
    sys.path.insert(0, str(ROOT))
    from tests.pulse import PulseServer

    server = PulseServer(folder / "pulse")
    server.start()
    rows = []
    try:
        warm_cache, cold_cache = folder / f"warm-cache-{Path(script).stem}", folder / "cold-cache"
        base = dict(env, **{k: server.env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_SINK")})
        warm = dict(base, PRACTICE_CACHE_DIR=str(warm_cache))
        if not Path(script).suffix:  # once, with the built-in practice
            rows.append(sink_start(base, runs))
        # Every line made (an export), so the next play is warm and saves its opening.
        subprocess.run([sys.executable, "-m", "player", "export", script, "-o", str(folder / "fill.mp3"), "-q",
                        "--force"], env=warm, check=True, capture_output=True, timeout=1800)
        first_sound_and_word(script, warm)  # the beds, the prepared voice, the saved opening

        def emptied(*folders: str) -> Callable[[], None]:
            def empty() -> None:
                shutil.rmtree(cold_cache, ignore_errors=True)
                shutil.copytree(warm_cache, cold_cache, ignore=shutil.ignore_patterns(*folders))
            return empty

        cold = dict(base, PRACTICE_CACHE_DIR=str(cold_cache))
        # A first play of a command has no saved opening (player/live/prelude.py); a later one with
        # its speech cache emptied keeps it, as the cache keeps it.
        firsts = [first_sound_and_word(script, cold, before=emptied("speech", "openings")) for _ in range(runs)]
        colds = [first_sound_and_word(script, cold, before=emptied("speech")) for _ in range(runs)]
        warms = [first_sound_and_word(script, warm) for _ in range(runs)]
        for label, figures in (("empty speech cache, first play of the command", firsts),
                               ("empty speech cache, opening saved by an earlier play", colds),
                               ("warm cache", warms)):
            sound = statistics.median(f[0] for f in figures)
            word = statistics.median(f[1] for f in figures)
            ready = statistics.median(f[2] for f in figures)
            name = Path(script).stem if script.endswith(".yaml") else script
            rows.append(f"| `practice play {name}`, {label}: first sound | {sound:.2f} s | | | 0.3 s |")
            rows.append(f"| `practice play {name}`, {label}: first word (first rendered at {ready:.2f} s) "
                        f"| {word:.2f} s | | | {'1.5 s' if label.startswith('empty') else ''} |")
    finally:
        server.stop()
    return rows


def main() -> None:
    """Print (and with --write record) the startup table."""
    quick = "--quick" in sys.argv
    runs = 3 if quick else 5
    against = sys.argv[sys.argv.index("--against") + 1] if "--against" in sys.argv else None
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    python = sys.executable
    commands = [("`python -c pass` (the interpreter)", [python, "-c", "pass"], ""),
                ("`python -c 'import numpy, scipy.ndimage'` (what every command paid before)",
                 [python, "-c", "import numpy, scipy.ndimage"], ""),
                ("`practice --help`", [python, "-m", "player", "--help"], "0.25 s"),
                ("`practice check five-senses`", [python, "-m", "player", "check", "five-senses"], "0.6 s")]
    rows = ["| command | wall (median) | CPU (median) | the same at " + (against or "-") + " | target |",
            "|---|---:|---:|---:|---:|"]
    note_before = load_note()
    with tempfile.TemporaryDirectory(prefix="practice-startup-") as name:
        folder = Path(name)
        old = None
        if against:
            old = folder / "against"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), against], check=True,
                           capture_output=True)
        try:
            for label, command, target in commands:
                wall, cpu = median_of(command, dict(env, PRACTICE_CACHE_DIR=str(folder / "cache")), runs, ROOT)
                then = ""
                if old is not None and "player" in command:
                    then_wall, then_cpu = median_of(command, dict(env, PRACTICE_CACHE_DIR=str(folder / "cache")),
                                                    runs, old)
                    then = f"{then_wall:.2f} s wall, {then_cpu:.2f} s CPU"
                rows.append(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {then} | {target} |")
                print(rows[-1], flush=True)
            spoken_first = folder / "spoken-first.yaml"
            spoken_first.write_text(SPOKEN_FIRST, encoding="utf-8")
            for script in ("five-senses", str(spoken_first)):
                rows += live_rows(script, env, folder, 1 if quick else 3)
        finally:
            if old is not None:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False,
                               capture_output=True)
    text = "\n".join([f"Startup (`python -m benchmarks.startup`), {note_before} at the start, "
                      f"{load_note()} at the end:", "", *rows])
    print(text)
    if "--write" in sys.argv:
        write_section("startup", text, "## Startup: help, check, first sound and first word")


if __name__ == "__main__":
    main()
