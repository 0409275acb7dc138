"""A script's text as the step list sees it, and step-list edits written back round-trip.

ruamel.yaml's round-trip mode edits the document in place, so the author's comments, key
order, quoting and flow style survive wherever the step list did not change them. Validation
is the core loader's (`load_script`), run on the text as it stands in the page.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from player.errors import Problem, ScriptError
from player.script.loader import Overrides, load_script
from player.script.model import Script
from player.script.yamlnodes import MAX_FILE_BYTES, compose_text
from player.studio.workspace import StudioError
from player.timeline.compile import estimate_timeline

Json = Any
"""Plain JSON data from or for the page."""


@dataclass(frozen=True)
class Checked:
    """What the page shows after each edit: problems, the step list, the estimated length."""

    problems: list[dict[str, Json]]
    steps: list[dict[str, Json]] | None
    seconds: float | None
    chapters: list[str]
    vars: dict[str, str]
    lengths: list[float]
    title: str

    def as_json(self) -> dict[str, Json]:
        """Plain data for the page."""
        return asdict(self)


def _yaml() -> YAML:
    """A round-trip YAML that keeps quotes and never wraps lines (`_load` sets its indentation)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _load(text: str) -> tuple[Any, YAML]:
    """The round-trip document and a YAML that writes it back the same way."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise StudioError(f"a script may be at most {MAX_FILE_BYTES:,} bytes")
    compose_text(text.encode("utf-8"), "script")  # the core's tag and alias-expansion guards first
    try:
        yaml = _yaml()
        # One parse: the guess loads the document with this YAML, whose indent only shapes the dump.
        document, indent, offset = load_yaml_guess_indent(text, yaml=yaml)
        indent, offset = indent or 2, offset if offset is not None else 2
        yaml.indent(mapping=2, sequence=max(indent, offset + 2), offset=offset)
        return document, yaml
    except YAMLError as error:
        raise StudioError(f"the YAML cannot be read: {error}") from None


def plain(value: Any) -> Json:
    """ruamel's commented containers and scalar strings as plain JSON data."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return str(value)


def steps_of(text: str) -> list[dict[str, Json]] | None:
    """The step list of a script's text (None when the text is not a mapping with a list of steps)."""
    try:
        document, _yaml_out = _load(text)
    except (StudioError, ScriptError):
        return None
    if not isinstance(document, CommentedMap) or not isinstance(document.get("steps"), CommentedSeq):
        return None
    return _steps(document["steps"])


def _steps(seq: CommentedSeq) -> list[dict[str, Json]]:
    """Each item as {kind, value, line, origin} (repeats with their own `steps`)."""
    result = []
    for index, item in enumerate(seq):
        line = seq.lc.item(index)[0] + 1
        entry: dict[str, Json] = {"origin": index, "line": line}
        if isinstance(item, CommentedMap) and "repeat" in item:
            inner = item.get("steps")
            entry.update(kind="repeat", value=plain(item["repeat"]),
                         steps=_steps(inner) if isinstance(inner, CommentedSeq) else [])
        elif isinstance(item, CommentedMap) and len(item) == 1:
            key = next(iter(item))
            entry.update(kind=str(key), value=plain(item[key]))
        else:
            entry.update(kind="", value=plain(item))  # not a step the list can edit: the YAML view can
        result.append(entry)
    return result


def apply_steps(text: str, steps: list[dict[str, Json]]) -> str:
    """The text with its step list replaced by `steps`, keeping everything the edit did not touch."""
    document, yaml = _load(text)
    if not isinstance(document, CommentedMap):
        raise StudioError("the script must be a mapping of keys (title, steps, ...) to edit its steps")
    if not isinstance(document.get("steps"), CommentedSeq):
        document["steps"] = CommentedSeq()
    _merge_under(document, steps)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def apply_client(text: str, client: dict[str, Json]) -> str:
    """The text with the "for one client" values written in: vars, length, pace and voice (round-trip)."""
    document, yaml = _load(text)
    if not isinstance(document, CommentedMap):
        raise StudioError("the script must be a mapping of keys (title, steps, ...)")
    given = {k: v for k, v in (client.get("vars") or {}).items() if isinstance(v, str) and v.strip()}
    if given:
        if not isinstance(document.get("vars"), CommentedMap):
            document["vars"] = CommentedMap()
        for key, value in given.items():
            document["vars"][key] = value
    for setting in ("length", "pace"):
        if client.get(setting) not in (None, ""):
            document[setting] = _number_or_text(client[setting])
    if client.get("voice"):
        if not isinstance(document.get("voice"), CommentedMap):
            document["voice"] = CommentedMap()
        document["voice"]["name"] = client["voice"]
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _number_or_text(value: Json) -> Json:
    """'1.5' as 1.5, '10m' as it is."""
    try:
        return float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError):
        return value


def _merge_under(parent: CommentedMap, steps: list[dict[str, Json]]) -> None:
    """Merge `parent["steps"]`, keeping the comments on its key as they were.

    ruamel moves a removed first item's comment lines up onto the key; restoring the key's own
    comments keeps blank lines from piling up under `steps:` as items come and go.
    """
    before = parent.ca.items.get("steps")
    kept = list(before) if before is not None else None
    merged = _merge(parent["steps"], steps)
    if merged is not parent["steps"]:  # assigning the same list again would drop its key's comments
        parent["steps"] = merged
    if kept is None:
        parent.ca.items.pop("steps", None)
    else:
        parent.ca.items["steps"] = kept


def _merge(seq: CommentedSeq, steps: list[dict[str, Json]]) -> CommentedSeq:
    """Rebuild `seq` from `steps`, reusing (and so keeping the comments of) each original item."""
    if not isinstance(steps, list):
        raise StudioError("steps must be a list")
    if not steps:
        return CommentedSeq()  # an emptied list keeps no comments: ruamel would write them around `[]`
    old = list(seq)
    old_comments = dict(seq.ca.items)
    items, comments = [], {}
    for position, step in enumerate(steps):
        if not isinstance(step, dict):
            raise StudioError("each step must be an object with a kind and a value")
        origin = step.get("origin")
        if isinstance(origin, int) and not isinstance(origin, bool) and 0 <= origin < len(old):
            items.append(_update(old[origin], step))
            if origin in old_comments:
                comments[position] = _comments_at(position, old_comments[origin])
        else:
            items.append(_update(None, step))
    del seq[:]
    seq.extend(items)
    if seq.fa.flow_style():
        seq.fa.set_block_style()  # `steps: []` grows into one step a line, not `[{say: ...}]`
    seq.ca.items.clear()
    seq.ca.items.update(comments)
    return seq


def _comments_at(position: int, entry: list[Any]) -> list[Any]:
    """An item's comments at its new place: blank lines before it go if it is now the first step."""
    before = entry[1] if len(entry) > 1 else None
    if position == 0 and before and all(not str(token.value).strip() for token in before):
        return [entry[0], None, *entry[2:]]
    return entry


def _update(old: Any, step: dict[str, Json]) -> Any:
    """One step item: the old one changed in place where possible, or a new one."""
    kind, value = step.get("kind"), step.get("value")
    if not isinstance(kind, str) or not kind:
        return old if old is not None else value  # an item only the YAML view can edit: left as it is
    if kind == "repeat":
        item = old if isinstance(old, CommentedMap) and "repeat" in old else CommentedMap()
        item["repeat"] = value
        if not isinstance(item.get("steps"), CommentedSeq):
            item["steps"] = CommentedSeq()
        _merge_under(item, step.get("steps") or [])
        return item
    if isinstance(old, CommentedMap) and list(old) == [kind]:
        old[kind] = _value(old[kind], value)
        return old
    item = CommentedMap()
    item[kind] = _value(None, value)
    return item


def _value(old: Any, new: Json) -> Any:
    """A step's value: unchanged values keep their node; mappings are updated key by key."""
    if plain(old) == new:
        return old
    if isinstance(new, dict):
        target = old if isinstance(old, CommentedMap) else _flow_map()
        for key in [k for k in target if k not in new]:
            del target[key]
        for key, inner in new.items():
            target[key] = _value(target.get(key), inner)
        return target
    if isinstance(new, str) and isinstance(old, (FoldedScalarString, LiteralScalarString)):
        return type(old)(new if new.endswith("\n") else new + "\n")
    return new


def _flow_map() -> CommentedMap:
    """A new step mapping written on one line, like `{seconds: 10, flexible: true}`."""
    target = CommentedMap()
    target.fa.set_flow_style()
    return target


@contextmanager
def loaded(folder: Path, name: str, text: str, overrides: Overrides | None = None) -> Iterator[Script]:
    """The Script of unsaved text, through the same loader as `practice check` (problems name `name`)."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".studio-check-", suffix=".yaml")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
        try:
            yield load_script(Path(temporary), overrides)
        except ScriptError as error:
            raise ScriptError([Problem(name, p.line, p.column, p.message) for p in error.problems]) from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def check(folder: Path, name: str, text: str, overrides: Overrides | None = None) -> Checked:
    """Every problem in the text at its line and column, with the step list and estimated length."""
    steps = steps_of(text)
    try:
        with loaded(folder, name, text, overrides) as script:
            timeline = estimate_timeline(script)
    except ScriptError as error:
        problems = [{"line": p.line, "column": p.column, "message": p.message, "text": str(p)}
                    for p in error.problems]
        return Checked(problems, steps, None, [], {}, [], "")
    return Checked([], steps, timeline.seconds, [c.title for c in timeline.chapters], dict(script.vars),
                   list(script.lengths), script.title)
