"""`practice export`: one file, or a folder of them for a client, with a reorient file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from player.cli.app import cli, error_summary, print_error
from player.cli.options import (
    FiniteRange,
    compile_with_progress,
    overrides_from,
    progress_bar,
    session_options,
    speaker_for,
    voice_label,
)
from player.errors import ExportError, PlayerError, UsageError
from player.export import FORMATS, TRANSCRIPTS, ExportOptions, check_targets, format_for
from player.export.formats import BITRATE_RANGE, TARGET_RANGE, encoding_for
from player.script.durations import format_duration
from player.script.untrusted import control_problem

if TYPE_CHECKING:
    from player.export import ExportResult
    from player.script.loader import Overrides
    from player.script.model import Script


REORIENT = "reorient"
"""The built-in way back to the room that a folder export carries as its own file."""


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
        _not_the_script(output, script_names[0])
        check_targets(output, options)  # a folder, a device, an existing file: say so first
        encoding_for(format_for(output, fmt), mono, bitrate, sample_rate)  # fail before any synthesis
    else:
        encoding_for(FORMATS[fmt or "mp3"], mono, bitrate, sample_rate)
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ExportError(f"cannot make the folder {folder}: {error.strerror or error}") from None
    overrides = overrides_from(set_vars, length, pace, engine, voice, rate)
    if folder is None:
        script = load_script(resolve_script(script_names[0]), overrides)
        target = output or Path(".") / f"{script.name}.{fmt or 'mp3'}"
        result = _export_one(script, target, options, album, quiet)
        report_export(result)
        return
    carried = no_reorient or any(Path(name).stem == REORIENT for name in script_names)
    names = script_names if carried else (*script_names, REORIENT)
    _export_batch(names, folder, fmt or "mp3", overrides, options, album, quiet)


def _not_the_script(output: Path, name: str) -> None:
    """Refuse -o naming the script being exported: --force with --format replaced it with audio."""
    import os

    from player.script.library import resolve_script

    try:
        same = output.exists() and os.path.samefile(output, resolve_script(name))
    except (OSError, PlayerError):
        return  # no such script, or no such output: loading and writing say so
    if same:
        raise UsageError(f"-o {output} is the script itself; give the audio file a name of its own")


def _export_one(script: Script, target: Path, options: ExportOptions, album: str | None, quiet: bool,
                advance: Callable[[int], None] | None = None, share: int = 0) -> ExportResult:
    """Compile and export one script (progress bars unless quiet, or `share` of a batch's bar)."""
    from player.export import export, metadata_for, work_for
    from player.export.progress import scaled
    from player.render.mixer import Mixer
    from player.timeline.compile import compile_timeline

    check_targets(target, options)  # before synthesis: an existing file fails at once
    if advance is not None:
        timeline = compile_timeline(script, speaker_for(script))
        mixer = Mixer(timeline)
        step = scaled(advance, share, work_for(timeline, options))
        return export(mixer, target, options, metadata_for(script, timeline, album, voice_label(script)), step)
    timeline = compile_with_progress(script, quiet)
    mixer = Mixer(timeline)
    with progress_bar(f"Writing {target.name}", work_for(timeline, options), enabled=not quiet) as step:
        return export(mixer, target, options, metadata_for(script, timeline, album, voice_label(script)), step)


def report_export(result: ExportResult) -> None:
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
    from player.export import work_for
    from player.export.progress import Progress
    from player.script.library import resolve_script
    from player.script.loader import load_script
    from player.timeline.compile import estimate_timeline

    loaded: list[tuple[str, Script]] = []
    failed: list[tuple[str, str]] = []
    for name in names:
        try:
            # The reorientation has no flexible pauses: the batch's length and pace are not its own.
            wanted = replace(overrides, length=None, pace=None) if name == REORIENT else overrides
            # A --set name may be meant for only some of the scripts: checked across them below.
            loaded.append((name, load_script(resolve_script(name), replace(wanted, strict_vars=False))))
        except PlayerError as error:
            print_error(error)
            failed.append((name, error_summary(error)))
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
            work = work_for(estimate_timeline(script), options)
        except PlayerError as error:
            print_error(error, prefix=f"{name}: ")
            failed.append((name, error_summary(error)))
            continue
        taken[target] = name
        plans.append((name, script, target, work))
    written: list[ExportResult] = []
    with progress_bar(f"Exporting {len(plans)} practices", sum(p[3] for p in plans), enabled=not quiet) as advance:
        for name, script, target, work in plans:
            # Each script's share of the bar was planned from its estimate; its export reports
            # its exact work spread over that share, and a failed one still takes its share.
            with Progress(advance).phase(work) as step:
                try:
                    written.append(_export_one(script, target, options, album, quiet, step, work))
                except PlayerError as error:
                    print_error(error, prefix=f"{name}: ")
                    failed.append((name, error_summary(error)))
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
    from player.script.suggest import did_you_mean
    from player.script.support import SUPPORT_VAR

    # support is always known: every practice speaks it at the close when it is given.
    known = sorted({name for script in scripts for name in script.variables} | {SUPPORT_VAR})
    for name in overrides.vars:
        if name not in known:
            raise UsageError(f"--set {name}: none of these scripts has a variable '{name}'"
                             f"{did_you_mean(name, known)}")
