"""The `practice` command: option parsing and turning PlayerErrors into messages and exit codes.

Everything a test would want to call lives in the core modules; this file only wires them up.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

# Only light modules here: `practice --help` and `check` must not wait for numpy, scipy, the
# sound card or the voice engines. Each command imports what it needs when it runs.
from player import __version__
from player.cli.crash import save_report
from player.cli.launch import EXIT_INTERRUPTED, graceful, stopped_line
from player.cli.launch import main as launch_main
from player.errors import DeviceError, ExportError, PlayerError, ScriptError, UsageError, VoiceError
from player.export import FORMATS, TRANSCRIPTS, ExportOptions, check_targets, format_for
from player.export.formats import BITRATE_RANGE, TARGET_RANGE, encoding_for
from player.script.authoring import TEMPLATES
from player.script.durations import format_clock, format_duration, parse_duration
from player.script.schema import ENGINES, OPTION_FIELDS, Field, number_problem
from player.script.untrusted import control_problem, printable
from player.signals import stop_workers
from player.userfiles import describe_os_error

if TYPE_CHECKING:
    from player.export import ExportResult
    from player.script.loader import Overrides
    from player.script.model import Script
    from player.timeline.layout import Timeline
    from player.voices import Speaker
    from player.voices.catalog import VoiceEntry

F = TypeVar("F", bound=Callable[..., Any])
REORIENT = "reorient"
"""The built-in way back to the room that a folder export carries as its own file."""


class PracticeGroup(click.Group):
    """A click group that prints PlayerErrors as plain messages, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map errors to exit codes (1 user error, 2 usage, 130 Ctrl-C)."""
        try:
            with graceful():
                return super().invoke(ctx)
        except ScriptError as error:
            for problem in error.problems:
                click.echo(printable(str(problem)), err=True)
            count = len(error.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
            sys.exit(error.exit_code)
        except PlayerError as error:
            click.echo(f"Error: {printable(str(error))}", err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except OSError as error:  # the system refused (a name too long, a full disk): not a bug
            click.echo(f"Error: {printable(describe_os_error(error))}", err=True)
            sys.exit(1)
        except Exception as error:  # a bug, not a user error: a report, and one line
            if ctx.meta.get("debug"):
                raise
            report = save_report(error, sys.argv)
            where = f" A report with the details was saved to {report}." if report else ""
            click.echo(f"Error: practice hit an internal error ({type(error).__name__}: {error}).{where} "
                       "Please include it if you report this; `practice --debug ...` shows the traceback.",
                       err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            stop_workers()
            click.echo(stopped_line(), err=True)
            sys.exit(EXIT_INTERRUPTED)


def _count(number: int, noun: str) -> str:
    """'1 chapter', '3 chapters'."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _duration_option(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """Parse a duration option (`10m`, `90s`, `1m30s`) for click, within the format's limits."""
    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    spec = OPTION_FIELDS.get(param.opts[0]) if param.opts else None  # the timer checks its own
    problem = None if spec is None else number_problem(seconds, spec, format_duration)
    if problem is not None:
        raise click.BadParameter(problem)
    return seconds


class FiniteRange(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """A float within [low, high], checked by the same rule as a script's numbers (so never NaN)."""

    name = "number"

    def __init__(self, low: float, high: float) -> None:
        self.spec = Field("number", "", minimum=low, maximum=high)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """The number, or a click error saying what is wrong with it."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"'{value}' is not a number", param, ctx)
        problem = number_problem(number, self.spec)
        if problem is not None:
            self.fail(problem, param, ctx)
        return number


def _option_range(option: str) -> FiniteRange:
    """The range a session option shares with the script key it overrides."""
    spec = OPTION_FIELDS[option]
    assert spec.minimum is not None and spec.maximum is not None
    return FiniteRange(spec.minimum, spec.maximum)


def session_options(command: F) -> F:
    """The options every command that renders a session shares, spelled the same everywhere."""
    options = [
        click.option("--set", "set_vars", multiple=True, metavar="KEY=VALUE",
                     help="Fill a script variable, e.g. --set name=Sam (repeatable)."),
        click.option("--length", callback=_duration_option, metavar="DURATION",
                     help="Target length, e.g. 10m: flexible pauses stretch or shrink to fit."),
        click.option("--pace", type=_option_range("--pace"), metavar="FACTOR",
                     help="Multiply every pause (0.5 brisker, 2.0 slower)."),
        click.option("--engine", type=click.Choice(ENGINES), help="Speech engine."),
        click.option("--voice", metavar="ID", help="An engine voice id (see the engine's voices)."),
        click.option("--rate", type=_option_range("--rate"), metavar="FACTOR",
                     help="Speaking rate: 1.0 is unhurried guided practice (about 130 words a minute)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _overrides(set_vars: tuple[str, ...], length: float | None, pace: float | None,
               engine: str | None, voice: str | None, rate: float | None) -> Overrides:
    """Command-line options as Overrides for the script loader."""
    from player.script.loader import Overrides, parse_set_options

    return Overrides(vars=parse_set_options(set_vars), length=length, pace=pace, engine=engine,
                     voice=voice, rate=rate)


@contextmanager
def _progress(label: str, total: int, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    if not enabled or total <= 0 or not sys.stderr.isatty():
        yield lambda _n: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True) as bar:
        yield bar.update


def _speaker(script: Script) -> Speaker:
    """A speaker on the script's engine; says so in one line when `auto` fell back."""
    from player.voices import Speaker, choose_engine

    choice = choose_engine(script.voice.engine, script.voice.name)
    if choice.notice:
        click.echo(choice.notice, err=True)
    return Speaker(choice.engine)


def _voice(script: Script) -> str:
    """Who speaks a script, for the artist tag when the script names no author."""
    from player.voices.registry import voice_credit

    return voice_credit(script.voice.engine, script.voice.name)


def _compile(script: Script, quiet: bool = False) -> Timeline:
    """The exact timeline, synthesizing uncached speech with a progress bar."""
    from player.timeline.layout import compile_timeline, speech_requests

    speaker = _speaker(script)
    new = speaker.count_new(speech_requests(script))
    with _progress("Synthesizing speech", new, enabled=not quiet) as advance:
        return compile_timeline(script, speaker, progress=advance)


@click.group(cls=PracticeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="practice")
@click.option("--debug", is_flag=True, help="Show the full traceback of an internal error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Voice-guided grounding and breathing practices, from YAML scripts.

    SCRIPT is a path to a .yaml file or the name of a built-in practice.

    \b
    Examples:
      practice list
      practice check my-practice.yaml
      practice show five-senses
      practice export five-senses -o five-senses.mp3
      practice play five-senses

    These practices support, and do not replace, care from a professional. If numbness
    persists or you feel unsafe, please reach out to a professional or local emergency services.
    """
    ctx.meta["debug"] = debug


EYES_LABELS = {"closed": "eyes closed", "open": "eyes open", "partly": "partly open"}


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON (for other programs).")
def list_command(as_json: bool) -> None:
    """List the built-in practices: length, eyes closed or open, and what each is for.

    \b
    Examples:
      practice list
      practice list --json
    """
    from player.script.library import SAFETY_NOTE, builtin_folder, list_practices

    practices = list_practices()
    if as_json:
        click.echo(json.dumps({"practices": [p.as_json() for p in practices], "safety_note": SAFETY_NOTE},
                              indent=2))
        return
    if not practices:
        click.echo(f"No built-in practices found in {builtin_folder()}.")
        return
    width = max(len(p.name) for p in practices)
    for practice in practices:
        if practice.problem is not None:
            click.echo(f"{practice.name:<{width}}  {'?':>6}  {'':<11}  (cannot be loaded: {practice.problem})")
            continue
        length = format_duration(practice.seconds or 0.0)
        eyes = EYES_LABELS.get(practice.eyes, practice.eyes)
        click.echo(f"{practice.name:<{width}}  {length:>6}  {eyes:<11}  {practice.summary}")
    click.echo(f"\n{SAFETY_NOTE}")


@cli.command()
@click.argument("scripts", nargs=-1, required=True, metavar="SCRIPT...")
@session_options
def check(scripts: tuple[str, ...], set_vars: tuple[str, ...], length: float | None,
          pace: float | None, engine: str | None, voice: str | None, rate: float | None) -> None:
    """Validate scripts: report every problem as FILE:LINE:COL, or the length and chapters.

    The length is an estimate until the speech is synthesized (`practice show` is exact).

    \b
    Examples:
      practice check my-practice.yaml
      practice check scripts/*.yaml --set name=Sam
    """
    from player.script.library import resolve_script
    from player.script.loader import load_script
    from player.script.usedfiles import outside_folder
    from player.timeline.layout import estimate_timeline

    overrides = _overrides(set_vars, length, pace, engine, voice, rate)
    problems = []
    for name in scripts:
        try:
            script = load_script(resolve_script(name), overrides)
            timeline = estimate_timeline(script)
        except ScriptError as error:
            problems.extend(error.problems)
            continue
        chapters = ", ".join(chapter.title for chapter in timeline.chapters) or "none"
        click.echo(f"{printable(str(script.source))}: ok, about {format_duration(timeline.seconds)}, "
                   f"{_count(len(timeline.chapters), 'chapter')} ({chapters})")
        for path in outside_folder(script):
            click.echo(f"  uses a file outside its folder: {printable(str(path))}")
    if problems:
        raise ScriptError(problems)


@cli.command()
@click.argument("script_name", metavar="SCRIPT")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.png",
              help="Also draw the session: speech, pauses, chapters, ambient level (PNG, SVG or PDF).")
@session_options
def show(script_name: str, plot_path: Path | None, set_vars: tuple[str, ...], length: float | None,
         pace: float | None, engine: str | None, voice: str | None, rate: float | None) -> None:
    """Show the timeline: each step's start time, the chapters and the exact length.

    Speech is synthesized (or taken from the cache) to know its exact length.

    \b
    Examples:
      practice show five-senses
      practice show five-senses --length 10m
      practice show five-senses --plot five-senses.png
    """
    from player.script.library import resolve_script
    from player.script.loader import load_script

    script = load_script(resolve_script(script_name),
                         _overrides(set_vars, length, pace, engine, voice, rate))
    timeline = _compile(script)
    rate_hz = timeline.sample_rate
    click.echo(f"{script.title} ({printable(str(script.source))})")
    chapter_starts = {chapter.start: chapter.title for chapter in timeline.chapters}
    for mark in timeline.steps:
        if mark.kind == "chapter":
            click.echo(f"\n{format_clock(mark.start / rate_hz)}  == {mark.label} ==")
            continue
        label = mark.label if len(mark.label) <= 64 else mark.label[:61] + "..."
        if mark.kind == "pause" and "flexible" in mark.label:
            label = f"{format_duration(mark.length / rate_hz)} (flexible, written {mark.label.split()[0]})"
        click.echo(f"{format_clock(mark.start / rate_hz)}  {mark.kind:<8} {label}")
    click.echo(f"\n{_count(len(chapter_starts), 'chapter')}; total {format_clock(timeline.seconds)} "
               f"({timeline.length:,} samples at {rate_hz} Hz)")
    if plot_path is not None:
        from player.timeline.plot import plot_timeline

        plot_timeline(timeline, plot_path)
        click.echo(f"Drew {plot_path}")


@cli.command("export")
@click.argument("script_names", metavar="SCRIPT...", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="The file to write, for one SCRIPT (default: SCRIPT-NAME.mp3 here).")
@click.option("-d", "--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per SCRIPT into this folder, named after each script.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)),
              help="mp3 (default), m4a (AAC), ogg (Opus), flac or wav; default: from -o's extension.")
@click.option("--mono", is_flag=True, help="One channel (smaller; mastered to -19 LUFS).")
@click.option("--bitrate", type=click.IntRange(*BITRATE_RANGE), metavar="KBPS",
              help="kbit/s for mp3, m4a, ogg (default 128 stereo / 96 mono; ogg 96 / 64).")
@click.option("--sample-rate", type=int, metavar="HZ", help="Output sample rate (default 44100; ogg 48000).")
@click.option("--loudness", type=FiniteRange(*TARGET_RANGE), metavar="LUFS",
              help="Speech loudness target (default -16 LUFS stereo, -19 mono; true peak stays under -1 dBTP).")
@click.option("--no-master", is_flag=True, help="Leave the loudness as mixed.")
@click.option("--transcript", "transcripts", multiple=True, type=click.Choice(TRANSCRIPTS),
              help="Also write OUT.vtt, OUT.srt or OUT.lrc beside the audio (repeatable).")
@click.option("--album", metavar="TEXT", help="The album tag (default: the script's `collection`).")
@click.option("--no-reorient", is_flag=True,
              help="With -d: leave out the reorient file (the short way back to the room) a folder gets.")
@click.option("--force", is_flag=True, help="Replace files that already exist.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@session_options
def export_command(script_names: tuple[str, ...], output: Path | None, folder: Path | None, fmt: str | None,
                   mono: bool, bitrate: int | None, sample_rate: int | None, loudness: float | None,
                   no_master: bool, transcripts: tuple[str, ...], album: str | None, no_reorient: bool,
                   force: bool, quiet: bool,
                   set_vars: tuple[str, ...], length: float | None, pace: float | None,
                   engine: str | None, voice: str | None, rate: float | None) -> None:
    """Render practices to audio files for a phone or any player.

    Files are mastered so speech reads -16 LUFS (-19 mono) with true peaks under -1 dBTP, tagged (title,
    author as artist, album, date, description, cover) and carry chapters phone players show.
    Each is written to a temporary name and renamed when complete; an existing file is kept
    unless --force. With several scripts and -d, one bad script is reported and the rest
    still export (exit status 1 if any failed). A file cannot be stopped with a key, so a
    folder (-d) also gets reorient.mp3, the short way back to the room, unless --no-reorient;
    --set support="..." names who the listener can reach, spoken at the close of each file.

    \b
    Examples:
      practice export five-senses -o five-senses.mp3
      practice export my-practice.yaml -o sam.m4a --set name=Sam --length 10m
      practice export five-senses -o five-senses.ogg --mono --transcript vtt
      practice export a.yaml b.yaml c.yaml -d for-sam/ --set name=Sam --album "Sam's practices"
      practice export five-senses body-check-in -d out/ --set support="Dr. Lee, 5 5 5 0 1 0 0"
    """
    from player.script.library import resolve_script
    from player.script.loader import load_script

    if output is not None and folder is not None:
        raise UsageError("give either -o FILE (one script) or -d DIR (any number), not both")
    if album is not None and (bad := control_problem(album)) is not None:
        raise UsageError(f"--album {bad}")  # it would go into every file's tags
    if len(script_names) > 1 and folder is None:
        raise UsageError("several scripts need -d DIR: each is written there, named after the script")
    options = ExportOptions(format=fmt, mono=mono, bitrate=bitrate, sample_rate=sample_rate, loudness=loudness,
                            master=not no_master, transcripts=tuple(dict.fromkeys(transcripts)), overwrite=force)
    if output is not None:
        check_targets(output, options)  # a folder, a device, an existing file: say so first
        encoding_for(format_for(output, fmt), mono, bitrate, sample_rate)  # fail before any synthesis
    else:
        encoding_for(FORMATS[fmt or "mp3"], mono, bitrate, sample_rate)
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ExportError(f"cannot make the folder {folder}: {error.strerror or error}") from None
    overrides = _overrides(set_vars, length, pace, engine, voice, rate)
    if folder is None:
        script = load_script(resolve_script(script_names[0]), overrides)
        target = output or Path(".") / f"{script.name}.{fmt or 'mp3'}"
        result = _export_one(script, target, options, album, quiet)
        _report(result)
        return
    carried = no_reorient or any(Path(name).stem == REORIENT for name in script_names)
    names = script_names if carried else (*script_names, REORIENT)
    _export_batch(names, folder, fmt or "mp3", overrides, options, album, quiet)


def _export_one(script: Script, target: Path, options: ExportOptions, album: str | None, quiet: bool,
                advance: Callable[[int], None] | None = None) -> ExportResult:
    """Compile and export one script (progress bars unless quiet or inside a batch's bar)."""
    from player.export import export, metadata_for, work_for
    from player.render.mixer import Mixer
    from player.timeline.layout import compile_timeline

    check_targets(target, options)  # before synthesis: an existing file fails at once
    if advance is not None:
        timeline = compile_timeline(script, _speaker(script))
        mixer = Mixer(timeline)
        return export(mixer, target, options, metadata_for(script, timeline, album, _voice(script)), advance)
    timeline = _compile(script, quiet)
    mixer = Mixer(timeline)
    with _progress(f"Writing {target.name}", work_for(mixer, options), enabled=not quiet) as step:
        return export(mixer, target, options, metadata_for(script, timeline, album, _voice(script)), step)


def _report(result: ExportResult) -> None:
    """One line for the file written, and one per transcript."""
    size = result.bytes / 1_000_000
    final = result.final
    loud = f", speech {final.mastered:.1f} LUFS, {final.true_peak:.1f} dBTP" if final is not None else ""
    encoding = result.encoding
    rate = f"{encoding.bitrate} kbit/s " if encoding.bitrate else ""
    layout = "mono" if encoding.channels == 1 else "stereo"
    click.echo(f"Wrote {result.path} ({format_duration(result.seconds)}, {size:.1f} MB, "
               f"{encoding.format.name} {rate}{layout}{loud})")
    for path in result.transcripts:
        click.echo(f"Wrote {path}")


def _export_batch(names: tuple[str, ...], folder: Path, fmt: str, overrides: Overrides, options: ExportOptions,
                  album: str | None, quiet: bool) -> None:
    """Export each script into `folder`; report failures and go on; exit 1 if any failed."""
    from player.script.library import resolve_script
    from player.script.loader import load_script
    from player.timeline.layout import estimate_timeline

    loaded: list[tuple[str, Script]] = []
    failed: list[tuple[str, str]] = []
    for name in names:
        try:
            # The reorientation has no flexible pauses: the batch's length and pace are not its own.
            wanted = replace(overrides, length=None, pace=None) if name == REORIENT else overrides
            # A --set name may be meant for only some of the scripts: checked across them below.
            loaded.append((name, load_script(resolve_script(name), replace(wanted, strict_vars=False))))
        except PlayerError as error:
            _print_error(error)
            failed.append((name, _summary_of(error)))
    _check_batch_vars(overrides, [script for _, script in loaded], len(failed))
    taken: dict[Path, str] = {}
    plans: list[tuple[str, Script, Path, int]] = []
    for name, script in loaded:
        target = folder / f"{script.name}.{fmt}"
        if target in taken:
            message = f"{name} would write {target}, as {taken[target]} does; rename one of the scripts"
            click.echo(f"Error: {message}", err=True)
            failed.append((name, message))
            continue
        try:  # one script that cannot reach --length must not stop the others
            work = estimate_timeline(script).length * (2 if options.master else 1)
        except PlayerError as error:
            _print_error(error, prefix=f"{name}: ")
            failed.append((name, _summary_of(error)))
            continue
        taken[target] = name
        plans.append((name, script, target, work))
    written: list[ExportResult] = []
    with _progress(f"Exporting {len(plans)} practices", sum(p[3] for p in plans), enabled=not quiet) as advance:
        for name, script, target, work in plans:
            done = 0

            def step(frames: int, work: int = work) -> None:
                nonlocal done
                share = min(frames, max(work - done, 0))
                done += share
                advance(share)

            try:
                written.append(_export_one(script, target, options, album, quiet, advance=step))
            except PlayerError as error:
                _print_error(error, prefix=f"{name}: ")
                failed.append((name, _summary_of(error)))
            advance(max(work - done, 0))
    click.echo(f"Exported {len(written)} of {len(names)} to {folder}:")
    for result in written:
        click.echo(f"  {result.path.name}  {format_duration(result.seconds)}  {result.bytes / 1_000_000:.1f} MB"
                   + "".join(f", {p.name}" for p in result.transcripts))
    if failed:
        click.echo(f"Failed ({len(failed)}):", err=True)
        for name, reason in failed:
            click.echo(f"  {name}: {reason}", err=True)
        sys.exit(1)


def _check_batch_vars(overrides: Overrides, scripts: list[Script], failed: int) -> None:
    """A --set name that no script of the batch knows is a misspelling: stop before any work."""
    if failed:
        return  # a script that did not load may be the one that knows it
    from player.script.loader import did_you_mean
    from player.script.support import SUPPORT_VAR

    # support is always known: every practice speaks it at the close when it is given.
    known = sorted({name for script in scripts for name in script.variables} | {SUPPORT_VAR})
    for name in overrides.vars:
        if name not in known:
            raise UsageError(f"--set {name}: none of these scripts has a variable '{name}'"
                             f"{did_you_mean(name, known)}")


def _print_error(error: PlayerError, prefix: str = "") -> None:
    """An error as the CLI shows it (every problem of a script, one per line)."""
    if isinstance(error, ScriptError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
    else:
        click.echo(f"Error: {prefix}{error}", err=True)


def _summary_of(error: PlayerError) -> str:
    """A short reason for the batch summary."""
    if isinstance(error, ScriptError):
        count = len(error.problems)
        return f"{count} problem{'s' if count != 1 else ''} in the script (above)"
    return str(error).splitlines()[0]


@cli.command()
@click.argument("script_name", metavar="SCRIPT")
@click.option("--settle", callback=_duration_option, metavar="DURATION",
              help="Quiet time before the first word, e.g. 10s.")
@click.option("--linger", callback=_duration_option, metavar="DURATION",
              help="Let the ambient bed go on after the last step, then fade, e.g. 20m (for sleep).")
@click.option("--device", metavar="DEVICE", help="Output: a number or part of a name (`practice devices`).")
@click.option("--from", "from_chapter", metavar="CHAPTER", help="Start at a chapter: its number or title.")
@session_options
def play(script_name: str, settle: float | None, linger: float | None, device: str | None,
         from_chapter: str | None, set_vars: tuple[str, ...], length: float | None, pace: float | None,
         engine: str | None, voice: str | None, rate: float | None) -> None:
    """Play a practice through the sound card, for listening with eyes closed.

    Every key answers with a sound: space pauses and resumes, right/left (or n/p) move
    between chapters, up/down change the voice, +/- the ambient bed, s speaks where you
    are and how long is left, q ends gently, x (or Esc) goes to a short reorientation.
    Without a terminal the practice plays to the end. Ctrl-C stops at once.

    \b
    Examples:
      practice play five-senses
      practice play five-senses --settle 10s --from Contact
      practice play my-practice.yaml --set name=Sam --device pulse
    """
    from player.live.device import NO_CARD_FIX, LivePlayer, output_devices, resolve_device
    from player.live.keys import KEY_HELP, KeyReader
    from player.live.start import build_session
    from player.script.library import resolve_script
    from player.script.loader import load_script
    from player.timeline.layout import estimate_timeline

    script = load_script(resolve_script(script_name),
                         _overrides(set_vars, length, pace, engine, voice, rate))
    if not output_devices():
        raise DeviceError(f"no sound output device was found; {NO_CARD_FIX}")
    device_index = resolve_device(device)
    speaker = _speaker(script)
    session, _ = build_session(script, speaker, settle=settle or 0.0, linger=linger or 0.0,
                               start_chapter=from_chapter)
    interactive = KeyReader.available()
    seconds = session.timeline.seconds if session.complete else estimate_timeline(script).seconds
    click.echo(f"{script.title} · {'' if session.complete else 'about '}{format_duration(seconds)}")
    if not session.complete:
        click.echo("Preparing the voice... the opening plays meanwhile, and the first words follow.")
    click.echo(f"Keys: {KEY_HELP}" if interactive else "Playing to the end (no keyboard); Ctrl-C stops.")
    player = LivePlayer(session, device_index)
    with KeyReader(player.submit) if interactive else nullcontext():
        result = player.play()
    if result.underruns:
        click.echo(f"Note: {result.underruns} audio underruns (the machine was busy).", err=True)
    if click.get_current_context().meta.get("debug"):
        click.echo(f"Debug: audio threads at {result.priority or 'normal priority'}; longest wait "
                   f"between device calls {result.longest_wait * 1000:.0f} ms; device latency "
                   f"{result.latency * 1000:.0f} ms.", err=True)
    if result.interrupted:
        raise KeyboardInterrupt
    if session.problem:
        raise VoiceError(f"the session stopped early: {session.problem}")


@cli.command()
def devices() -> None:
    """List the sound outputs live play can use, with the default marked.

    \b
    Example:
      practice devices
      practice play five-senses --device 3
    """
    from player.live.device import NO_CARD_FIX, output_devices

    found = output_devices()
    if not found:
        raise DeviceError(f"no sound output device was found; {NO_CARD_FIX}")
    for device in found:
        mark = "*" if device.default else " "
        click.echo(f"{mark} {device.index:>3}  {device.name}  ({device.channels} channels)")


@cli.command()
@click.option("--preview", metavar="NAME", help="Play ten seconds of a bed, or one chime.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="With --preview: write it to a file.")
def sounds(preview: str | None, output: Path | None) -> None:
    """List the built-in ambient beds and chimes, or hear one.

    Beds go under `ambient:` in a script (or `practice timer --ambient`), chimes in `- chime:` steps.
    A file path works wherever a name does.

    \b
    Examples:
      practice sounds
      practice sounds --preview rain
      practice sounds --preview bowl -o bowl.wav
    """
    from player.sounds.catalog import BEDS, CHIMES

    if preview is None:
        if output is not None:
            raise UsageError("-o writes a preview: add --preview NAME")
        click.echo("Ambient beds:")
        for name, description in BEDS.items():
            click.echo(f"  {name:<12} {description}")
        click.echo("Chimes:")
        for name, description in CHIMES.items():
            click.echo(f"  {name:<12} {description}")
        return
    from player.export import export
    from player.live.device import LivePlayer, output_devices
    from player.live.transport import LiveSession
    from player.render.mixer import Mixer
    from player.timeline.preview import preview_timeline

    timeline = preview_timeline(preview)
    if output is not None:
        export(Mixer(timeline), output, ExportOptions(master=False, overwrite=True))
        click.echo(f"Wrote {output} ({format_duration(timeline.seconds)})")
        return
    if not output_devices():
        raise DeviceError(f"no sound output device was found; write it to a file instead: "
                          f"practice sounds --preview {preview} -o {preview}.wav")
    LivePlayer(LiveSession(timeline)).play()


@cli.command("new")
@click.argument("name")
@click.option("--template", type=click.Choice(list(TEMPLATES)),
              help="; ".join(f"{name}: {what}" for name, what in TEMPLATES.items()) + " (default: blank)")
@click.option("--from", "builtin", metavar="PRACTICE", help="Copy a built-in practice to adapt (`practice list`).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def new_command(name: str, template: str | None, builtin: str | None, force: bool) -> None:
    """Start a new practice script from a template or a built-in (NAME.yaml here).

    The file passes `practice check` as it is; edit the words, then check and export it.
    Its first line points editors that use the YAML language server at the format's schema.

    \b
    Examples:
      practice new evening-calm
      practice new for-sam --template personal
      practice new senses-for-sam --from five-senses
      practice export for-sam.yaml --set name=Sam --set safe_place="the beach at dawn" -o sam.mp3
    """
    from player.script.authoring import new_script

    if template is not None and builtin is not None:
        raise UsageError("give either --template or --from, not both")
    path = new_script(name, template or "blank", force=force, builtin=builtin)
    origin = f"a copy of the built-in {builtin}" if builtin else f"the {template or 'blank'} template"
    click.echo(f"Wrote {path} from {origin}. Next: practice check {path}")


@cli.command()
@click.argument("duration", callback=lambda ctx, param, value: _duration_option(ctx, param, value))
@click.option("--bells-every", callback=_duration_option, metavar="DURATION", help="A chime every so often, e.g. 5m.")
@click.option("--ambient", metavar="SOUND", help="A bed under the silence (practice sounds lists them).")
@click.option("--chime", default="bowl", show_default=True, help="Which chime rings.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the timer to a file (mp3, m4a, ogg, flac, wav) instead of playing it.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
def timer(duration: float, bells_every: float | None, ambient: str | None, chime: str, output: Path | None,
          force: bool) -> None:
    """A silent sitting timer: a chime, quiet (with interval bells), a closing chime.

    \b
    Examples:
      practice timer 20m --bells-every 5m --ambient rain
      practice timer 10m -o ten-minutes.mp3
    """
    from player.export import export, metadata_for
    from player.live.device import NO_CARD_FIX, LivePlayer, output_devices
    from player.live.transport import LiveSession
    from player.render.mixer import Mixer
    from player.script.authoring import timer_script
    from player.timeline.layout import compile_timeline
    from player.voices import Speaker, choose_engine

    script = timer_script(duration, bells_every, ambient, chime)
    speaker = Speaker(choose_engine("system").engine)  # a timer has no speech
    timeline = compile_timeline(script, speaker)
    if output is not None:
        result = export(Mixer(timeline), output, ExportOptions(overwrite=force), metadata_for(script, timeline))
        _report(result)
        return
    if not output_devices():
        raise DeviceError(f"no sound output device was found; {NO_CARD_FIX}, or write it to a file with -o")
    click.echo(f"{script.title} · Ctrl-C stops")
    result_play = LivePlayer(LiveSession(timeline)).play()
    if result_play.interrupted:
        raise KeyboardInterrupt


@cli.command()
def doctor() -> None:
    """Check what practice-player needs: voices, ffmpeg, PortAudio, sound output, cache.

    Each line says what was found, or what is missing and the exact command that fixes it.
    Exit status 1 when exports cannot work (no ffmpeg, no voice, no cache folder).

    \b
    Example:
      practice doctor
    """
    from player.doctor import healthy, run_checks

    checks = run_checks()
    for check in checks:
        mark = "ok  " if check.ok else ("MISS" if check.essential else "warn")
        click.echo(f"[{mark}] {check.name:<24} {check.detail}")
        if not check.ok and check.fix:
            click.echo(f"       {'':<24} fix: {check.fix}")
    if healthy(checks):
        click.echo("\nReady: practices can be exported" + ("" if all(c.ok for c in checks) else
                                                           " (see the warnings for what else would help)") + ".")
        return
    click.echo("\nNot ready: fix the MISS lines above.", err=True)
    sys.exit(1)


@cli.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write it to a file.")
def schema_command(output: Path | None) -> None:
    """Print the JSON Schema of the script format (for editors and other tools).

    The same schema ships inside the package; `practice new` points new scripts at it. In an
    editor with the YAML language server, a first line of
    `# yaml-language-server: $schema=PATH` gives completion and checks while typing.

    \b
    Examples:
      practice schema -o script.schema.json
    """
    from player.script.jsonschema import schema_text, shipped_schema_path

    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output} (also shipped at {shipped_schema_path()})")


@cli.command()
@click.option("--engine", "engine_name", type=click.Choice(["piper", "system"]), help="Only this engine.")
@click.option("--language", default="en", show_default=True, metavar="CODE",
              help="System voices for this language prefix (`all` for every one).")
def voices(engine_name: str | None, language: str) -> None:
    """List the speech engines and voices on this machine, and what to install for more.

    A script picks them under `voice:` (engine and name), or use --engine and --voice.

    \b
    Examples:
      practice voices
      practice voices --engine system --language de
      practice export five-senses --voice en-us -o sam.mp3 --engine system
    """
    from player.voices.catalog import (
        MORE_PIPER_VOICES,
        default_engine,
        engine_statuses,
        piper_voices,
        system_voices,
    )

    default = default_engine()
    click.echo("Engines (engine: auto uses the first one installed):")
    for status in engine_statuses():
        if engine_name not in (None, status.name):
            continue
        state = f"installed ({status.version})" if status.missing is None else f"not installed: {status.fix}"
        marker = "  <- auto uses this" if status.name == default else ""
        click.echo(f"  {status.name:<7} {status.description}\n          {state}{marker}")
    rows: list[VoiceEntry] = []
    total_system = 0
    if engine_name in (None, "piper"):
        rows += piper_voices()
    if engine_name in (None, "system"):
        found, total_system = system_voices(None if language == "all" else language)
        rows += found
    click.echo("\nVoices:")
    if rows:
        width = max(len(r.id) for r in rows)
        lang_width = max(8, *(len(r.language) for r in rows))
        click.echo(f"  {'ENGINE':<7} {'ID':<{width}}  {'LANGUAGE':<{lang_width}}  QUALITY")
        for row in rows:
            tail = "  (default)" if row.default else ""
            click.echo(f"  {row.engine:<7} {row.id:<{width}}  {row.language:<{lang_width}}  {row.quality}{tail}")
    else:
        click.echo("  none found")
    if total_system and language != "all":
        click.echo(f"  ... {total_system} system voices in all: practice voices --engine system --language all")
    click.echo("\n" + click.wrap_text(MORE_PIPER_VOICES, width=90, subsequent_indent="  "))


@cli.command()
@click.argument("folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="The port (default: a free one).")
@click.option("--no-browser", is_flag=True, help="Only print the address; do not open a browser.")
def studio(folder: Path, port: int, no_browser: bool) -> None:
    """Practice Studio: write, hear and export practices in the browser, without YAML.

    FOLDER (default: here) holds the scripts and their clips. It serves on 127.0.0.1 only, to
    the address printed with its token; Ctrl-C stops it.

    \b
    Examples:
      practice studio
      practice studio ~/practices --port 8765 --no-browser
    """
    try:
        from player.studio.server import serve
    except ImportError as error:
        raise UsageError(f"the studio needs its extra packages ({error.name} is missing): "
                         "pip install 'practice-player[studio]'") from None
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    serve(folder, port, open_browser=not no_browser,
          ready=lambda url: click.echo(f"Practice Studio: {url}"))


def main() -> None:
    """The `practice` command (the installed one starts in player.cli.launch, which handles signals sooner)."""
    launch_main()
