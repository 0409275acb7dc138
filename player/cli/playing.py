"""`practice play`, `devices` and `sounds`: live play through the sound card."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click

from player.cli.app import cli
from player.cli.options import duration_option, overrides_from, session_options, speaker_for
from player.errors import DeviceError, UsageError, VoiceError
from player.export import ExportOptions
from player.script.durations import format_duration

if TYPE_CHECKING:
    from player.live.device import LivePlayer


@cli.command()
@click.argument("script_name", metavar="SCRIPT")
@click.option("--settle", callback=duration_option, metavar="DURATION",
              help="Quiet time before the first word, e.g. 10s.")
@click.option("--linger", callback=duration_option, metavar="DURATION",
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
    from player.live.device import NO_CARD_FIX, output_devices, resolve_device
    from player.live.keys import KEY_HELP, KeyReader
    from player.live.start import build_session, live_player
    from player.script.library import resolve_script
    from player.script.loader import load_script
    from player.sounds.loops import warm_up
    from player.timeline.compile import estimate_timeline

    script = load_script(resolve_script(script_name),
                         overrides_from(set_vars, length, pace, engine, voice, rate))
    warm_up(script.ambient.sound)  # the bed loads while the sound card and the voice are looked up
    if not output_devices():
        raise DeviceError(f"no sound output device was found; {NO_CARD_FIX}")
    device_index = resolve_device(device)
    speaker = speaker_for(script)
    players: list[LivePlayer] = []

    def swapped() -> None:  # a cold start's next stage is heard at once, not after what was rendered ahead
        for each in players:
            each.catch_up()

    def preparing() -> None:  # said before the voice loads: a cold start's first seconds are explained
        click.echo(f"{script.title} · about {format_duration(estimate_timeline(script).seconds)}")
        click.echo("Preparing the voice... the opening plays meanwhile, and the first words follow.")

    session, rest = build_session(script, speaker, settle=settle or 0.0, linger=linger or 0.0,
                                  start_chapter=from_chapter, swapped=swapped, preparing=preparing)

    player = live_player(session, device_index, script, speaker, rest, settle=settle or 0.0, linger=linger or 0.0)
    interactive = KeyReader.available()
    if session.complete:
        click.echo(f"{script.title} · {format_duration(session.timeline.seconds)}")
    click.echo(f"Keys: {KEY_HELP}" if interactive else "Playing to the end (no keyboard); Ctrl-C stops.")
    players.append(player)
    with KeyReader(player.submit) if interactive else nullcontext():
        result = player.play()
    if result.underruns:
        click.echo(f"Note: {result.underruns} audio underruns (the machine was busy).", err=True)
    if click.get_current_context().meta.get("debug"):
        click.echo(f"Debug: audio threads at {result.priority or 'normal priority'}; longest wait "
                   f"between device calls {result.longest_wait * 1000:.0f} ms; device latency "
                   f"{result.latency * 1000:.0f} ms; saved opening: {_opening_said(player)}.", err=True)
    if result.interrupted:
        raise KeyboardInterrupt
    if session.problem:
        raise VoiceError(f"the session stopped early: {session.problem}")


def _opening_said(player: LivePlayer) -> str:
    """What became of the saved opening, for --debug."""
    if player.opening is None:
        return "none played"
    return "taken over" if player.opening_matched else "did not match, faded and started from the top"


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
