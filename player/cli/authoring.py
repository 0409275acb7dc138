"""`practice list`, `check`, `show`, `new`, `timer` and `schema`: finding, checking and writing scripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from player.cli.app import cli, plural
from player.cli.exporting import report_export
from player.cli.options import compile_with_progress, duration_option, overrides_from, session_options
from player.errors import DeviceError, Problem, ScriptError, UsageError
from player.export import ExportOptions
from player.script.authoring import TEMPLATES
from player.script.durations import format_clock, format_duration
from player.script.untrusted import printable

if TYPE_CHECKING:
    from player.script.model import Script

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
    from player.timeline.compile import estimate_timeline

    overrides = overrides_from(set_vars, length, pace, engine, voice, rate)
    problems = []
    for name in scripts:
        try:
            script = load_script(resolve_script(name), overrides)
            timeline = estimate_timeline(script)
        except ScriptError as error:
            problems.extend(error.problems)
            continue
        if length is None:  # the docs promise each of `lengths` is tested: one it cannot reach is a problem
            missed = _unreachable_variants(script)
            if missed:
                problems.extend(missed)
                continue
        chapters = ", ".join(chapter.title for chapter in timeline.chapters) or "none"
        click.echo(f"{printable(str(script.source))}: ok, about {format_duration(timeline.seconds)}, "
                   f"{plural(len(timeline.chapters), 'chapter')} ({chapters})")
        for path in outside_folder(script):
            click.echo(f"  uses a file outside its folder: {printable(str(path))}")
    if problems:
        raise ScriptError(problems)


def _unreachable_variants(script: Script) -> list[Problem]:
    """A problem for each of the script's `lengths` its flexible pauses cannot reach (estimated speech)."""
    from dataclasses import replace

    from player.timeline.compile import estimate_timeline

    found: list[Problem] = []
    for variant in script.lengths:
        try:
            estimate_timeline(replace(script, length=variant))
        except ScriptError as error:
            found.extend(replace(problem, message=f"'lengths' has {format_duration(variant)}, but {problem.message}")
                         for problem in error.problems)
    return found


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
    from player.timeline.listing import rows

    script = load_script(resolve_script(script_name),
                         overrides_from(set_vars, length, pace, engine, voice, rate))
    timeline = compile_with_progress(script)
    click.echo(f"{script.title} ({printable(str(script.source))})")
    for row in rows(timeline):
        if row.kind == "chapter":
            click.echo(f"\n{format_clock(row.start)}  == {row.text} ==")
            continue
        label = row.text if len(row.text) <= 64 else row.text[:61] + "..."
        if row.written is not None:
            label = f"{format_duration(row.seconds)} (flexible, written {format_duration(row.written)})"
        click.echo(f"{format_clock(row.start)}  {row.kind:<8} {label}")
    chapters = len({chapter.start for chapter in timeline.chapters})
    click.echo(f"\n{plural(chapters, 'chapter')}; total {format_clock(timeline.seconds)} "
               f"({timeline.length:,} samples at {timeline.sample_rate} Hz)")
    if plot_path is not None:
        from player.timeline.plot import plot_timeline

        plot_timeline(timeline, plot_path)
        click.echo(f"Drew {plot_path}")


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
@click.argument("duration", callback=lambda ctx, param, value: duration_option(ctx, param, value))
@click.option("--bells-every", callback=duration_option, metavar="DURATION", help="A chime every so often, e.g. 5m.")
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
    from player.timeline.compile import compile_timeline
    from player.voices import Speaker, choose_engine

    script = timer_script(duration, bells_every, ambient, chime)
    speaker = Speaker(choose_engine("system").engine)  # a timer has no speech
    timeline = compile_timeline(script, speaker)
    if output is not None:
        result = export(Mixer(timeline), output, ExportOptions(overwrite=force), metadata_for(script, timeline))
        report_export(result)
        return
    if not output_devices():
        raise DeviceError(f"no sound output device was found; {NO_CARD_FIX}, or write it to a file with -o")
    click.echo(f"{script.title} · Ctrl-C stops")
    result_play = LivePlayer(LiveSession(timeline)).play()
    if result_play.interrupted:
        raise KeyboardInterrupt


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
