"""Options shared by commands: durations, finite ranges, --set/--length/--pace, progress bars, and the voice."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from player.script.durations import format_duration, parse_duration
from player.script.schema import ENGINES, OPTION_FIELDS, Field, number_problem

if TYPE_CHECKING:
    from player.script.loader import Overrides
    from player.script.model import Script
    from player.timeline.model import Timeline
    from player.voices import Speaker


F = TypeVar("F", bound=Callable[..., Any])


def duration_option(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
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


def option_range(option: str) -> FiniteRange:
    """The range a session option shares with the script key it overrides."""
    spec = OPTION_FIELDS[option]
    assert spec.minimum is not None and spec.maximum is not None
    return FiniteRange(spec.minimum, spec.maximum)


def session_options(command: F) -> F:
    """The options every command that renders a session shares, spelled the same everywhere."""
    options = [
        click.option("--set", "set_vars", multiple=True, metavar="KEY=VALUE",
                     help="Fill a script variable, e.g. --set name=Sam (repeatable)."),
        click.option("--length", callback=duration_option, metavar="DURATION",
                     help="Target length, e.g. 10m: flexible pauses stretch or shrink to fit."),
        click.option("--pace", type=option_range("--pace"), metavar="FACTOR",
                     help="Multiply every pause (0.5 brisker, 2.0 slower)."),
        click.option("--engine", type=click.Choice(ENGINES), help="Speech engine."),
        click.option("--voice", metavar="ID", help="An engine voice id (see the engine's voices)."),
        click.option("--rate", type=option_range("--rate"), metavar="FACTOR",
                     help="Speaking rate: 1.0 is unhurried guided practice (about 130 words a minute)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def overrides_from(set_vars: tuple[str, ...], length: float | None, pace: float | None,
               engine: str | None, voice: str | None, rate: float | None) -> Overrides:
    """Command-line options as Overrides for the script loader."""
    from player.script.loader import Overrides, parse_set_options

    return Overrides(vars=parse_set_options(set_vars), length=length, pace=pace, engine=engine,
                     voice=voice, rate=rate)


@contextmanager
def progress_bar(label: str, total: int, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    if not enabled or total <= 0 or not sys.stderr.isatty():
        yield lambda _n: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True) as bar:
        yield bar.update


def speaker_for(script: Script) -> Speaker:
    """A speaker on the script's engine; says so in one line when `auto` fell back."""
    from player.voices import Speaker, choose_engine

    choice = choose_engine(script.voice.engine, script.voice.name)
    if choice.notice:
        click.echo(choice.notice, err=True)
    return Speaker(choice.engine)


def voice_label(script: Script) -> str:
    """Who speaks a script, for the artist tag when the script names no author."""
    from player.voices.registry import voice_credit

    return voice_credit(script.voice.engine, script.voice.name)


def compile_with_progress(script: Script, quiet: bool = False) -> Timeline:
    """The exact timeline, synthesizing uncached speech with a progress bar."""
    from player.timeline.compile import compile_timeline, speech_requests

    speaker = speaker_for(script)
    new = speaker.count_new(speech_requests(script))
    with progress_bar("Synthesizing speech", new, enabled=not quiet) as advance:
        return compile_timeline(script, speaker, progress=advance)
