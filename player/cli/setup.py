"""`practice doctor`, `voices` and `studio`: what is installed, the voices, and the Practice Studio."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from player.cli.app import cli
from player.errors import UsageError

if TYPE_CHECKING:
    from player.voices.catalog import VoiceEntry


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
