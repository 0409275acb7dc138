"""The PlayerError family: every error a user can cause, each with a message fit to print."""

from __future__ import annotations

from dataclasses import dataclass


class PlayerError(Exception):
    """Base of every error the CLI turns into a message and an exit status.

    Messages speak of the script, the file and the value, never of command-line options.
    """

    exit_code = 1
    subject = ""
    """What was asked for, when the error is about a value given from outside the script
    ("length", "vars", "format", "from", "overwrite", ...): a command line names the option
    that carried it."""

    def __init__(self, *args: object, subject: str = "") -> None:
        super().__init__(*args)
        if subject:
            self.subject = subject


@dataclass(frozen=True)
class Problem:
    """One located problem in a script file (line and column are 1-based; 0 when unknown)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ScriptError(PlayerError):
    """A script that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))


class MissingDependency(PlayerError):
    """Something this machine lacks, with the exact fix."""

    def __init__(self, what: str, fix: str) -> None:
        self.what = what
        self.fix = fix
        super().__init__(f"{what}\n  fix: {fix}")


class VoiceError(PlayerError):
    """A speech engine that failed or refused a voice or a text."""


class ExportError(PlayerError):
    """An export that could not be written; the target was left as it was."""


class DeviceError(PlayerError):
    """A sound card that is missing, busy or vanished."""


class RequestError(PlayerError):
    """A value asked of the core (a name, a length, a format, a chapter) that cannot be used.

    Exit status 2, like a usage error: what was asked for has to change, not the script.
    """

    exit_code = 2


class LengthError(RequestError):
    """A target length, pace or rate outside what a script may take."""

    subject = "length"


class FormatError(RequestError):
    """An output format, bitrate, sample rate or loudness target a file cannot be written with."""

    subject = "format"


class VariableError(RequestError):
    """A variable's value given from outside the script that is malformed or unsafe."""

    subject = "vars"


class ChapterError(RequestError):
    """A chapter to start from that the practice does not have."""

    subject = "from"


class UsageError(RequestError):
    """A command-line value that makes no sense (exit status 2, like click's own); raised by the CLI."""
