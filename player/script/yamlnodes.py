"""Safe YAML loading that keeps the position of every node and never constructs objects.

The file is composed into PyYAML's node graph (never `yaml.load`), so a `!!python/...` tag is
only a string to refuse, and aliases are counted on the graph before anything is expanded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from player.errors import Problem, ScriptError
from player.script.limits import MAX_DEPTH as MAX_DEPTH
from player.script.limits import MAX_EXPANDED_NODES as MAX_EXPANDED_NODES
from player.script.limits import MAX_FILE_BYTES as MAX_FILE_BYTES
from player.script.untrusted import control_problem
from player.userfiles import UserFileError, read_regular

_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "seq", "map")}


def problem_at(file: str, node: Node | None, message: str) -> Problem:
    """A Problem placed at the start of a node (1-based line and column)."""
    if node is None:
        return Problem(file, 0, 0, message)
    mark = node.start_mark
    return Problem(file, mark.line + 1, mark.column + 1, message)


def compose_file(path: Path, display: str) -> Node:
    """The node graph of one YAML file, or a ScriptError saying exactly where it went wrong."""
    try:
        raw = read_regular(path, MAX_FILE_BYTES)  # never a FIFO or a device: those would hang
    except UserFileError as error:
        message = str(error)
        if message.startswith("no such file"):
            message = "no such file"
        elif "; the limit is" in message:
            message = (f"file is {path.stat().st_size:,} bytes; a script may be at most {MAX_FILE_BYTES:,} "
                       "bytes (1 MB)")
        raise ScriptError([Problem(display, 0, 0, message)]) from None
    return compose_text(raw, display)


def compose_text(raw: bytes, display: str) -> Node:
    """The node graph of YAML bytes, checked for tags and alias expansion."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _line_col(raw, error.start)
        raise ScriptError([Problem(
            display, line, column, "not UTF-8 text (is this a script, or a binary file?)",
        )]) from None
    try:
        node = _compose(text, display)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"not valid YAML: {error.problem or error.context}"
        if (error.context_mark is not None and "quoted scalar" in (error.context or "")
                and "end of stream" in (error.problem or "")):
            # The scanner notices at the end of the file; the mistake is where the quote opened.
            mark, message = error.context_mark, "not valid YAML: this quote is never closed"
        if mark is None:
            raise ScriptError([Problem(display, 0, 0, message)]) from None
        raise ScriptError([Problem(display, mark.line + 1, mark.column + 1, message)]) from None
    except yaml.reader.ReaderError as error:
        line, column = _line_col(text.encode("utf-8"), error.position)
        raise ScriptError([Problem(
            display, line, column, f"not a text file: character {error.character!r} is not allowed",
        )]) from None
    except yaml.YAMLError as error:
        raise ScriptError([Problem(display, 0, 0, f"not valid YAML: {error}")]) from None
    if node is None:
        raise ScriptError([Problem(display, 0, 0, "the file is empty; a script needs a title and steps")])
    _check_graph(node, display)
    return node


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it: a 1 MB script in a fraction of a second."""
_RESOLVER: Any = yaml.resolver.Resolver()  # untyped in PyYAML's stubs


def _compose(text: str, display: str) -> Node | None:
    """Parse once into the node graph, refusing nesting deeper than MAX_DEPTH as it goes.

    A loop over the event stream instead of PyYAML's recursive composer: a deeply nested file
    can neither hit Python's recursion limit nor be parsed twice. Positions, tags and anchors
    are kept exactly as PyYAML's composer keeps them.
    """
    loader: Any = _LOADER(text)  # the C and the Python parsers share no typed interface
    try:
        anchors: dict[str, Node] = {}
        stack: list[tuple[Node, list[Node]]] = []
        root: Node | None = None
        documents = made = 0
        while loader.check_event():
            event = loader.get_event()
            node: Node | None = None
            if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                made += 1
                if made > MAX_EXPANDED_NODES:  # stop parsing here: a flat 1 MB list took 9 s of CPU
                    raise _at(display, event, f"the script holds more than {MAX_EXPANDED_NODES:,} values "
                              "(keys, texts and lists; the limit for one script)")
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _at(display, event, "a script is one YAML document: remove the second '---'")
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise _at(display, event, f"the alias *{event.anchor} names no anchor")
                node = anchors[event.anchor]
            elif isinstance(event, yaml.ScalarEvent):
                tag = event.tag if event.tag not in (None, "!") else _RESOLVER.resolve(
                    ScalarNode, event.value, event.implicit)
                node = ScalarNode(tag, event.value, *_marks(event), style=event.style)
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    raise _at(display, event, f"lists and mappings nest more than {MAX_DEPTH} deep here; "
                              "a script needs only a few levels")
                kind = SequenceNode if isinstance(event, yaml.SequenceStartEvent) else MappingNode
                tag = event.tag if event.tag not in (None, "!") else _RESOLVER.resolve(kind, None, event.implicit)
                collection: Node = kind(tag, [], _marks(event)[0], None, flow_style=event.flow_style)
                if event.anchor is not None:
                    anchors[event.anchor] = collection  # before its children: a self-reference is caught later
                stack.append((collection, []))
                continue
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                node, items = stack.pop()
                node.end_mark = event.end_mark
                if isinstance(node, MappingNode):
                    items = list(zip(items[::2], items[1::2], strict=True))  # type: ignore[arg-type]
                node.value = items
            if node is None:
                continue
            if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
                anchors[event.anchor] = node
            if stack:
                stack[-1][1].append(node)
            else:
                root = node
        return root
    finally:
        loader.dispose()


def _marks(event: yaml.Event) -> tuple[Any, Any]:
    """An event's start and end marks (libyaml's own Mark type, or PyYAML's: both have line and column)."""
    return event.start_mark, event.end_mark


def _at(display: str, event: yaml.Event, message: str) -> ScriptError:
    """A ScriptError at an event's position."""
    mark = event.start_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    return ScriptError([Problem(display, line, column, message)])


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset."""
    before = raw[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


def _check_graph(root: Node, display: str) -> None:
    """Refuse foreign tags and alias bombs, counting the expanded size without expanding."""
    problems: list[Problem] = []
    expanded: dict[int, int] = {}
    in_progress: set[int] = set()
    # An explicit stack instead of recursion: a deeply nested file must not hit Python's limit.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            expanded[key] = 1 + sum(expanded[id(child)] for child in _children(node))
            if expanded[key] > MAX_EXPANDED_NODES:
                raise ScriptError([problem_at(
                    display, node,
                    f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes "
                    "(the limit for one script); is this file built to exhaust memory?",
                )])
            continue
        if key in expanded:
            continue
        if key in in_progress:
            raise ScriptError([problem_at(display, node, "an alias refers to itself (a recursive anchor)")])
        if isinstance(node, ScalarNode) and (bad := control_problem(node.value)) is not None:
            problems.append(problem_at(display, node, f"this text {bad}"))
        if node.tag not in ALLOWED_TAGS:
            problems.append(problem_at(
                display, node,
                f"the tag '{_short_tag(node.tag)}' is not allowed: scripts hold plain text, numbers and lists",
            ))
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in expanded)
    if problems:
        raise ScriptError(problems)


def _children(node: Node) -> list[Node]:
    """The direct child nodes of a node (keys and values for a mapping)."""
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _short_tag(tag: str) -> str:
    """`!!python/object` rather than the long form PyYAML keeps."""
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


_CONSTRUCTOR = SafeConstructor()


def scalar_value(node: ScalarNode) -> object:
    """The plain Python value of a scalar node (str, int, float, bool or None).

    An integer of more digits than Python converts (4,300) stays its text: as a number it is
    then refused by the field's check, and as a title it is the digits written.
    """
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    except ValueError:
        return node.value
