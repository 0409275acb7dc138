"""The performance harness: export speed, memory and live-play CPU, side by side with baselines.

Run: python -m benchmarks [export] [startup] [kinds] [--quick] [--write]
     (all three sections unless some are named; needs the `bench` extra: pip install -e '.[bench]')

Every measured command runs in its own process (the way a user runs it), as the only child of
a small wrapper that reports its peak RSS. Exports and the floor they are compared with run in
turns, three times each, and the median is kept (`interleaved`). Sessions are generated: a chapter every five
minutes, unique spoken lines (about a sixth of the time), flexible pauses, a rain bed.
  1. warm-cache MP3 export (practice export, mastering on) at 20 and 60 minutes
  2. the encoder floor: ffmpeg encoding the same audio from a WAV, same encoder and bitrate
     (and, for reference, one such ffmpeg per core, each encoding its share at once)
  3. the pydub baseline (benchmarks/baseline_pydub.py) at the same lengths
  4. a cold export (empty speech cache) against the seconds of speech it synthesizes
  5. peak RSS at 20, 60 and 120 minutes
  6. CPU share of live play into a PulseAudio null sink (when pulseaudio is installed)
  7. startup: --help, check, live play's first sound and first word (benchmarks/startup.py)
  8. exports of each kind of session with their ffmpeg encoder launches (benchmarks/kinds.py)
`--quick` measures 20 minutes only and fewer repeats; `--write` updates docs/PERFORMANCE.md and
docs/performance.png. Every table records the load average it was measured at.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from benchmarks import load_note, write_section
from player.ffmpeg import ffmpeg_exe

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "performance.png"
MEASURED = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(done.returncode)")
LINES = [
    "You might notice the sounds around you, near and far.",
    "Notice where your body meets the chair or the floor.",
    "If it feels okay, let one breath be a little slower.",
    "Perhaps there is a temperature you can sense on your hands.",
    "Nothing in particular is fine too. Noticing that is still noticing.",
    "Whenever you are ready, let your attention rest on your feet.",
]


@dataclass
class Run:
    """One measured command."""

    seconds: float
    peak_mb: float


def measured(command: list[str], env: dict[str, str]) -> Run:
    """Wall time and the command's peak RSS."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, *command], env=env, capture_output=True, text=True,
                          timeout=7200)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-800:]}")
    return Run(seconds, int(done.stderr.strip().splitlines()[-1]) / 1024)


def turns(calls: dict[str, Callable[[], T]], rounds: int) -> dict[str, list[T]]:
    """What each call returned over `rounds`, the calls made in turns (a, b, c, a, b, c, ...): a
    machine that slows or speeds up meanwhile does so for all of them, so their ratios hold where
    single runs minutes apart drift by 15 % and more on this VM."""
    taken: dict[str, list[T]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            taken[name].append(call())
    return taken


def interleaved(commands: dict[str, list[str]], env: dict[str, str], rounds: int) -> dict[str, Run]:
    """Each command's median wall time (and its highest peak RSS) over `rounds` run in turns."""
    taken = turns({name: functools.partial(measured, command, env) for name, command in commands.items()}, rounds)
    return {name: Run(statistics.median(run.seconds for run in runs), max(run.peak_mb for run in runs))
            for name, runs in taken.items()}


ROUNDS = 3
"""Turns of each export and its floor: the median of three."""


def session(folder: Path, minutes: int) -> Path:
    """A generated practice of `minutes`, with unique lines and flexible pauses."""
    steps = ["  - chime: bowl"]
    for part in range(1, minutes // 5 + 1):
        steps.append(f"  - chapter: Part {part}")
        for number, line in enumerate(LINES, start=1):
            steps.append(f'  - say: "Part {part}, moment {number}. {line}"')
            steps.append("  - pause: {seconds: 30, flexible: true, min: 5, max: 600}")
    steps.append("  - chime: bowl")
    text = (f"title: Benchmark {minutes} minutes\nlength: {minutes}m\nambient: {{sound: rain, level: -22}}\n"
            "steps:\n" + "\n".join(steps) + "\n")
    path = folder / f"session-{minutes}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def floor_command(wav: Path, mp3: Path, start: float = 0.0, seconds: float | None = None) -> list[str]:
    """ffmpeg encoding (part of) a WAV with the export's encoder and bitrate."""
    window = ["-ss", str(start), *(["-t", str(seconds)] if seconds else [])]
    return [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *window, "-i", str(wav), "-c:a", "libmp3lame",
            "-b:a", "128k", "-ar", "44100", str(mp3)]


def cores_floor_command(wav: Path, minutes: int, folder: Path) -> list[str]:
    """One ffmpeg per core, each encoding its share of the WAV at once: the floor on all cores."""
    cores = os.cpu_count() or 1
    share = minutes * 60 / cores
    commands = [floor_command(wav, folder / f"floor-part{index}.mp3", index * share, share) for index in range(cores)]
    script = " & ".join(" ".join(f"'{word}'" for word in command) for command in commands) + " & wait"
    return ["sh", "-c", script]


def practice(*args: str) -> list[str]:
    """The practice command, as installed beside this Python."""
    return [sys.executable, "-m", "player", *args]


def speech_seconds(script: Path, env: dict[str, str]) -> float:
    """Seconds of speech in a session (from its timeline, synthesizing into the given cache)."""
    code = ("import sys; from player.script.loader import load_script; "
            "from player.timeline.compile import compile_timeline; "
            "from player.voices import Speaker, choose_engine; s = load_script(sys.argv[1]); "
            "t = compile_timeline(s, Speaker(choose_engine(s.voice.engine).engine)); "
            "print(sum(c.end - c.start for c in t.cues) / t.sample_rate)")
    done = subprocess.run([sys.executable, "-c", code, str(script)], env=env, capture_output=True, text=True,
                          check=True, timeout=3600)
    return float(done.stdout.strip().splitlines()[-1])


def live_cpu_share(script: Path, env: dict[str, str], folder: Path) -> float | None:
    """Percent of one core that `practice play` uses in steady state (seconds 10 to 40)."""
    if shutil.which("pulseaudio") is None:
        return None
    sys.path.insert(0, str(ROOT))
    from tests.pulse import PulseServer

    server = PulseServer(folder / "pulse")
    server.start()
    try:
        play_env = dict(env, **{k: server.env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_SINK")})
        process = subprocess.Popen(practice("play", str(script)), env=play_env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(10)
        cpu_start, wall_start = _cpu_seconds(process.pid), time.monotonic()
        time.sleep(30)
        cpu_end, wall_end = _cpu_seconds(process.pid), time.monotonic()
        process.terminate()
        process.wait(timeout=30)
        return 100 * (cpu_end - cpu_start) / (wall_end - wall_start)
    finally:
        server.stop()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_length(results: dict[str, dict[int, Run]], script: Path, minutes: int, folder: Path,
                   env: dict[str, str], rounds: int) -> None:
    """The exports of one session, mastered and not, in turns with the encoder floor on all cores
    (up to 60 minutes: a WAV of the mix is written for it), then the one-core floor and pydub once."""
    exports = {"export": practice("export", str(script), "-o", str(folder / f"ours-{minutes}.mp3"), "-q", "--force"),
               "raw": practice("export", str(script), "-o", str(folder / f"raw-{minutes}.mp3"), "-q", "--force",
                               "--no-master")}
    if minutes > 60:
        for name, run in interleaved(exports, env, rounds).items():
            results[name][minutes] = run
        return
    wav = folder / f"mix-{minutes}.wav"
    measured(practice("export", str(script), "-o", str(wav), "-q", "--no-master", "--force"), env)
    turns = interleaved({**exports, "floor_cores": cores_floor_command(wav, minutes, folder)}, env, rounds)
    for name, run in turns.items():
        results[name][minutes] = run
    results["floor"][minutes] = measured(floor_command(wav, folder / f"floor-{minutes}.mp3"), env)
    wav.unlink()
    results["baseline"][minutes] = measured(
        [sys.executable, "-m", "benchmarks.baseline_pydub", str(script), str(folder / f"baseline-{minutes}.mp3")],
        dict(env, PYTHONPATH=str(ROOT)))


SECTIONS = ("export", "startup", "kinds")
"""What `python -m benchmarks` measures, in order; name some to measure only those."""


def main() -> None:
    """Run everything (or the sections named on the command line), print the tables, and with
    --write record them."""
    chosen = [word for word in sys.argv[1:] if word in SECTIONS] or list(SECTIONS)
    if "export" in chosen:
        export_section()
    from benchmarks import kinds, startup

    if "startup" in chosen:
        startup.main()
    if "kinds" in chosen:
        kinds.main()


def export_section() -> None:
    """The export table: 20, 60 and 120 minutes against the floors and pydub, cold export, live CPU."""
    quick = "--quick" in sys.argv
    lengths = [20] if quick else [20, 60, 120]
    results: dict[str, dict[int, Run]] = {"export": {}, "raw": {}, "floor": {}, "floor_cores": {}, "baseline": {}}
    load_before = load_note()
    with tempfile.TemporaryDirectory(prefix="practice-bench-") as name:
        folder = Path(name)
        env = dict(os.environ, PRACTICE_CACHE_DIR=str(folder / "cache"))
        env.pop("XDG_RUNTIME_DIR", None)
        scripts = {minutes: session(folder, minutes) for minutes in lengths}
        cold = measured(practice("export", str(scripts[20]), "-o", str(folder / "cold.mp3"), "-q"), env)
        spoken = speech_seconds(scripts[20], env)
        for minutes, script in scripts.items():
            speech_seconds(script, env)  # warm the cache
            measure_length(results, script, minutes, folder, env, 1 if quick or minutes > 60 else ROUNDS)
        cpu = live_cpu_share(scripts[20], env, folder)
    table = report(results, cold, spoken, cpu, load_before)
    print(table)
    if "--write" in sys.argv:
        write(table)
        plot(results)


def report(results: dict[str, dict[int, Run]], cold: Run, spoken: float, cpu: float | None,
           load_before: str = "") -> str:
    """The figures as Markdown, with the ratios the targets are stated in."""
    rows = ["| session | export, mastered (default) | export, --no-master | encoder floor, one core "
            "| encoder floor, all cores | pydub baseline | mastered / all-cores floor (target 1.3x at most) "
            "| no-master / all-cores floor | baseline / mastered (target 2x at 20 min, 3x at 60) | peak RSS: ours "
            "| peak RSS: baseline |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def ratio(a: Run | None, b: Run | None, digits: int = 2) -> str:
        return f"{a.seconds / b.seconds:.{digits}f}x" if a and b else "-"

    for minutes, ours in results["export"].items():
        raw, floor = results["raw"].get(minutes), results["floor"].get(minutes)
        base, cores = results["baseline"].get(minutes), results["floor_cores"].get(minutes)
        rows.append(
            f"| {minutes} min | {ours.seconds:.1f} s | {f'{raw.seconds:.1f} s' if raw else '-'} "
            f"| {f'{floor.seconds:.1f} s' if floor else '-'} | {f'{cores.seconds:.1f} s' if cores else '-'} "
            f"| {f'{base.seconds:.1f} s' if base else '-'} "
            f"| {ratio(ours, cores)} | {ratio(raw, cores)} | {ratio(base, ours, 1)} | {ours.peak_mb:.0f} MB "
            f"| {f'{base.peak_mb:.0f} MB' if base else '-'} |")
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    lines = [f"Measured by `python -m benchmarks --write` on {time.strftime('%Y-%m-%d')} ({machine}), "
             f"{load_before + ' at the start, ' if load_before else ''}{load_note()} at the end.", "",
             *rows, "",
             f"Cold export of the 20-minute session (empty speech cache, piper): {cold.seconds:.1f} s for "
             f"{spoken:.0f} s of speech ({spoken / cold.seconds:.1f} s of speech per second), peak RSS "
             f"{cold.peak_mb:.0f} MB."]
    if cpu is not None:
        lines.append(f"Live play into a PulseAudio null sink, steady state: {cpu:.1f} % of one core.")
    return "\n".join(lines)


def write(table: str) -> None:
    """Replace the export section of docs/PERFORMANCE.md (or add it)."""
    text = f"{table}\n\n![Export time and memory against session length](performance.png)"
    write_section("export", text, "## Export, memory and live play")


def plot(results: dict[str, dict[int, Run]]) -> None:
    """Export time and peak memory against session length, ours and the baseline's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (times, memory) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    for key, label, style in (("export", "practice export (mastered)", "o-"),
                              ("raw", "practice export --no-master", "o:"), ("floor", "encoder floor", "s--"),
                              ("floor_cores", "encoder floor, all cores", "s:"),
                              ("baseline", "pydub baseline", "^-")):
        points = sorted(results[key].items())
        if points:
            times.plot([m for m, _ in points], [r.seconds for _, r in points], style, label=label)
            if key in ("export", "baseline"):
                memory.plot([m for m, _ in points], [r.peak_mb for _, r in points], style, label=label)
    times.set(xlabel="session length (minutes)", ylabel="seconds", title="Warm-cache MP3 export time")
    memory.set(xlabel="session length (minutes)", ylabel="MB", title="Peak memory (RSS)")
    memory.axhline(250, color="#aa4444", linewidth=0.8, linestyle=":", label="250 MB target")
    for axis in (times, memory):
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    figure.savefig(PLOT, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    main()
