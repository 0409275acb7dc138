"""The `practice` group: how a PlayerError becomes a message and an exit code, and the entry for tests."""

from __future__ import annotations

import sys
from typing import Any

import click

from player import __version__
from player.cli.crash import save_report
from player.cli.launch import EXIT_INTERRUPTED, graceful, stopped_line
from player.cli.launch import main as launch_main
from player.errors import PlayerError, ScriptError
from player.script.untrusted import printable
from player.signals import stop_workers
from player.userfiles import describe_os_error

OPTION_HINTS = {
    "length": "--length", "pace": "--pace", "rate": "--rate", "vars": "--set", "suffix": "or --format",
    "bitrate": "--bitrate", "sample_rate": "--sample-rate", "loudness": "--loudness", "from": "--from",
    "bells_every": "--bells-every", "port": "--port", "device": "--device", "overwrite": "or add --force to replace it",
}
"""The option that carried each kind of value the core may refuse (its error's `subject`)."""


def error_message(error: PlayerError) -> str:
    """A core error as the command line shows it: the core's words, and the option that carried the value."""
    hint = OPTION_HINTS.get(error.subject)
    return f"{error} ({hint})" if hint else str(error)


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
            click.echo(f"Error: {printable(error_message(error))}", err=True)
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


def plural(number: int, noun: str) -> str:
    """'1 chapter', '3 chapters'."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


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


def print_error(error: PlayerError, prefix: str = "") -> None:
    """An error as the CLI shows it (every problem of a script, one per line)."""
    if isinstance(error, ScriptError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
    else:
        click.echo(f"Error: {prefix}{error_message(error)}", err=True)


def error_summary(error: PlayerError) -> str:
    """A short reason for the batch summary."""
    if isinstance(error, ScriptError):
        count = len(error.problems)
        return f"{count} problem{'s' if count != 1 else ''} in the script (above)"
    return error_message(error).splitlines()[0]


def main() -> None:
    """The `practice` command (the installed one starts in player.cli.launch, which handles signals sooner)."""
    launch_main()
