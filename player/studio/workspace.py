"""The studio's workspace: one folder of scripts and clips, never a path outside it.

Every name that comes from the page goes through `Workspace.path`, which refuses absolute
paths, `..`, and anything that resolves (through symlinks) outside the folder.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from player.atomic import write_bytes
from player.errors import PlayerError
from player.script.authoring import TEMPLATES, template_text, title_from_name
from player.script.library import builtin_folder, builtin_names
from player.script.yamlnodes import MAX_FILE_BYTES

SCRIPT_SUFFIXES = (".yaml", ".yml")
CLIP_FOLDER = "clips"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,79}\Z")


class StudioError(PlayerError):
    """A request the studio refuses, with a message fit for the page."""

    status = 400


class NotFound(StudioError):
    """A script or file that is not there."""

    status = 404


class StaleSave(StudioError):
    """A save based on an older version of the file than the one on disk."""

    status = 409


@dataclass(frozen=True)
class ScriptEntry:
    """One script the library lists."""

    name: str
    builtin: bool


def version_of(data: bytes) -> str:
    """A short fingerprint of a file's bytes: what a save must be based on."""
    return hashlib.sha256(data).hexdigest()[:20]


def atomic_write(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: a reader never sees half a file."""
    try:
        write_bytes(path, data)
    except OSError as error:
        raise StudioError(f"cannot write {path.name}: {error.strerror or error}") from None


class Workspace:
    """A folder of practice scripts and their clips."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise StudioError(f"{root} is not a folder")
        self.root = root.resolve()

    def path(self, name: str) -> Path:
        """The file a relative name means, or a StudioError when it would leave the workspace."""
        if not name or "\x00" in name or "\\" in name or len(name) > 400:
            raise StudioError("that file name is not allowed")
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts or name.startswith("~"):
            raise StudioError(f"'{name}' is outside the workspace; use a name inside {self.root.name}/")
        resolved = (self.root / relative).resolve()
        if not resolved.is_relative_to(self.root):
            raise StudioError(f"'{name}' leads outside the workspace (a link out of it)")
        return resolved

    def script_path(self, name: str) -> Path:
        """A workspace script's path (.yaml or .yml only)."""
        if not name.endswith(SCRIPT_SUFFIXES):
            raise StudioError("a script's name ends in .yaml")
        return self.path(name)

    def scripts(self) -> list[ScriptEntry]:
        """The workspace's scripts (top folder), then the built-ins."""
        found = sorted(p.name for p in self.root.iterdir()
                       if p.suffix in SCRIPT_SUFFIXES and not p.name.startswith(".") and p.is_file()
                       and p.resolve().is_relative_to(self.root))
        return [ScriptEntry(name, False) for name in found] + [ScriptEntry(n, True) for n in builtin_names()]

    def read(self, name: str, builtin: bool = False) -> tuple[str, str]:
        """A script's text and version; built-ins by their name."""
        if builtin:
            if name not in builtin_names():
                raise NotFound(f"there is no built-in practice called '{name}'")
            path = builtin_folder() / f"{name}.yaml"
        else:
            path = self.script_path(name)
        if not path.is_file():
            raise NotFound(f"{name} is not in the workspace")
        data = path.read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise StudioError(f"{name} is larger than a script may be ({MAX_FILE_BYTES:,} bytes)")
        try:
            return data.decode("utf-8"), version_of(data)
        except UnicodeDecodeError:
            raise StudioError(f"{name} is not UTF-8 text") from None

    def save(self, name: str, text: str, base: str | None) -> str:
        """Write a script atomically if it is still at version `base` (None: must be new); the new version."""
        path = self.script_path(name)
        data = text.encode("utf-8")
        if len(data) > MAX_FILE_BYTES:
            raise StudioError(f"a script may be at most {MAX_FILE_BYTES:,} bytes")
        current = path.read_bytes() if path.is_file() else None
        if path.exists() and current is None:
            raise StudioError(f"{name} is not a regular file")
        if base is None and current is not None:
            raise StaleSave(f"{name} already exists; choose another name")
        if base is not None and (current is None or version_of(current) != base):
            raise StaleSave(f"{name} was changed elsewhere (another tab or an editor) since you opened it. "
                            "Your edits were not saved: copy them, reload the script, and apply them again.")
        atomic_write(path, data)
        return version_of(data)

    def new_name(self, title: str) -> str:
        """A free file name for a new script, from its title."""
        stem = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "practice"
        candidate, number = f"{stem}.yaml", 2
        while (self.root / candidate).exists():
            candidate, number = f"{stem}-{number}.yaml", number + 1
        return candidate

    def create(self, title: str, template: str) -> str:
        """A new script from a template; its file name."""
        if template not in TEMPLATES:
            raise StudioError(f"unknown template '{template}': choose one of {', '.join(TEMPLATES)}")
        name = self.new_name(title)
        self.save(name, template_text(template, title or title_from_name(name)), None)
        return name

    def copy_builtin(self, builtin: str) -> str:
        """A workspace copy of a built-in practice to adapt; its file name."""
        text, _version = self.read(builtin, builtin=True)
        name = self.new_name(f"{builtin}-copy")
        self.save(name, text, None)
        return name

    def clip_path(self, label: str, suffix: str = ".wav") -> tuple[str, Path]:
        """A new clip's relative name (clips/LABEL.wav) and path; never an existing file."""
        stem = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40] or "clip"
        folder = self.path(CLIP_FOLDER)
        folder.mkdir(exist_ok=True)
        candidate, number = stem, 2
        while (folder / f"{candidate}{suffix}").exists():
            candidate, number = f"{stem}-{number}", number + 1
        relative = f"{CLIP_FOLDER}/{candidate}{suffix}"
        return relative, self.path(relative)


def valid_label(label: str) -> bool:
    """A plain label for a clip or a download (letters, digits, spaces, dots, dashes)."""
    return bool(_NAME.match(label))
