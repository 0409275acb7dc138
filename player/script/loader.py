"""YAML file to Script: safe loading with positions, validation of the whole format, limits.

Every problem is collected, not just the first, and each is reported as FILE:LINE:COL.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from player.errors import LengthError, Problem, ScriptError, VariableError
from player.export.images import image_mime
from player.script import schema
from player.script.durations import format_duration, parse_duration
from player.script.model import (
    AmbientChange,
    AmbientSettings,
    Breathe,
    Chapter,
    Chime,
    Pause,
    Play,
    Repeat,
    Say,
    Script,
    Silence,
    Step,
    VoiceSettings,
    Where,
)
from player.script.support import SUPPORT_VAR, support_problem, with_support
from player.script.text import Spoken, split_say
from player.script.untrusted import MAX_SET_CHARS, control_problem, printable
from player.script.yamlnodes import compose_file, problem_at, scalar_value
from player.sounds.catalog import BEDS, CHIMES, is_path
from player.userfiles import MAX_AUDIO_BYTES, MAX_COVER_BYTES, UserFileError, check_regular, read_head
from player.voices.piper import is_voice_path

_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Overrides:
    """What the command line changes in a script (--set, --length, --pace, --engine, ...)."""

    vars: dict[str, str] = field(default_factory=dict)
    length: float | None = None
    pace: float | None = None
    engine: str | None = None
    voice: str | None = None
    rate: float | None = None
    strict_vars: bool = True
    """A --set name the script does not know is an error (a batch checks names across its scripts)."""


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """' (did you mean 'x'?)' for a near miss, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def parse_set_options(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """KEY=VALUE strings (values given from outside a script) into a dict; a malformed one is a VariableError."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not _VAR_NAME.match(key):
            raise VariableError(f"a variable is given as NAME=VALUE, as in name=Sam, not '{printable(pair)}'")
        bad = control_problem(value)
        if bad is not None:
            raise VariableError(f"the value given for {key} {bad}")
        if len(value) > MAX_SET_CHARS:
            raise VariableError(f"the value given for {key} is {len(value):,} characters; "
                                f"the limit is {MAX_SET_CHARS:,}")
        problem = support_problem(value) if key == SUPPORT_VAR else None
        if problem is not None:
            raise VariableError(f"the value given for {SUPPORT_VAR}: {problem}")
        result[key] = value
    return result


def load_script(path: Path | str, overrides: Overrides | None = None) -> Script:
    """Read, validate and build one script; raise ScriptError listing every problem in it."""
    path = Path(path)
    display = str(path)
    root = compose_file(path, display)
    builder = _Builder(display, path.parent, overrides or Overrides())
    script = builder.build(root, path)
    if builder.problems or script is None:
        raise ScriptError(builder.problems)
    return script


class _Builder:
    """Walks the node graph against the schema, collecting problems as it goes."""

    def __init__(self, display: str, folder: Path, overrides: Overrides) -> None:
        self.display = display
        self.folder = folder
        self.overrides = overrides
        self.problems: list[Problem] = []
        self.vars: dict[str, str] = {}
        self.used: set[str] = set()
        """Every `{name}` the script's texts ask for."""

    # -- helpers ------------------------------------------------------------------------------

    def problem(self, node: Node | None, message: str) -> None:
        """Record a problem at a node."""
        self.problems.append(problem_at(self.display, node, message))

    def where(self, node: Node) -> Where:
        """The position of a node for the Script."""
        return Where(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def mapping(self, node: Node, what: str, known: tuple[str, ...]) -> dict[str, Node] | None:
        """A mapping's keys and value nodes; unknown and repeated keys are problems."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be a mapping of keys and values")
            return None
        result: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = scalar_value(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, f"{what}: keys must be plain words")
                continue
            if key in result:
                self.problem(key_node, f"'{key}' is given twice in {what}")
                continue
            if key not in known:
                self.problem(key_node, f"unknown key '{key}' in {what}{did_you_mean(key, known)}")
                continue
            result[key] = value_node
        return result

    def value(self, node: Node, name: str, spec: schema.Field) -> object:
        """Check one value against its field; None (with a problem recorded) when it is wrong."""
        kind = spec.kind
        if kind in ("steps", "vars", "names", "durations"):
            raise AssertionError(f"{kind} fields are built by their own methods")
        if not isinstance(node, ScalarNode):
            self.problem(node, f"'{name}' must be a single value, not a list or mapping")
            return None
        raw = scalar_value(node)
        if raw is None or (spec.nullable and isinstance(raw, str) and raw.lower() == "none"):
            if spec.nullable:
                return None
            self.problem(node, f"'{name}' needs a value")
            return None
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            self.problem(node, f"'{name}' must be true or false")
            return None
        if kind in ("number", "integer", "duration"):
            return self.number(node, name, spec, raw)
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            self.problem(node, f"'{name}' must be text")
            return None
        text = str(raw)
        if kind == "choice" and text not in spec.choices:
            choices = ", ".join(spec.choices)
            self.problem(node, f"'{name}' must be one of {choices}, not '{text}'"
                         f"{did_you_mean(text, spec.choices)}")
            return None
        if spec.template:
            filled = self.fill(node, name, text)
            if filled is None:
                return None
            text = filled
        if kind == "text" and len(text) > schema.MAX_TEXT_CHARS:
            self.problem(node, f"'{name}' is {len(text):,} characters; the limit for one text is "
                         f"{schema.MAX_TEXT_CHARS:,}")
            return None
        return text

    def number(self, node: Node, name: str, spec: schema.Field, raw: object) -> float | int | None:
        """A number, integer or duration within the field's range."""
        try:
            if spec.kind == "duration":
                number: float = parse_duration(raw)
            elif isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise ValueError("a number")
            else:
                number = raw
        except ValueError as error:
            self.problem(node, f"'{name}': {error}" if spec.kind == "duration"
                         else f"'{name}' must be {error}, not '{raw}'")
            return None
        if spec.kind == "integer" and not (isinstance(raw, int) and not isinstance(raw, bool)):
            self.problem(node, f"'{name}' must be a whole number, not '{raw}'")
            return None
        show = format_duration if spec.kind == "duration" else str
        problem = schema.number_problem(number, spec, show)
        if problem is not None:
            note = _limit_note(name, spec) if "at most" in problem else ""
            self.problem(node, f"'{name}' {problem}{note}")
            return None
        return number

    def fill(self, node: Node, name: str, text: str) -> str | None:
        """Fill `{var}` templates; `{{` and `}}` stand for literal braces; None if it grows past the limit."""
        missing: list[str] = []
        # Variables multiply text: count the filled length as it grows, and stop filling past the
        # limit rather than build a string of gigabytes.
        grown = [len(text)]

        def substitute(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                grown[0] -= 1
                return token[0]
            if token in ("{", "}"):
                missing.append("stray '" + token + "' (write '" + token * 2 + "' for a brace)")
                return token
            var = match.group(1).strip()
            self.used.add(var)
            if var in self.vars:
                grown[0] += len(self.vars[var]) - len(token)
                return self.vars[var] if grown[0] <= schema.MAX_TEXT_CHARS else ""
            hint = did_you_mean(var, list(self.vars))
            missing.append(f"unknown variable '{{{var}}}'{hint}: define it under vars: or "
                           "give it a value when the script is run")
            return token

        filled = _TEMPLATE.sub(substitute, text)
        for message in missing:
            self.problem(node, message)
        if grown[0] > schema.MAX_TEXT_CHARS:
            self.problem(node, f"'{name}' is {grown[0]:,} characters with its variables filled in; the limit "
                         f"for one text is {schema.MAX_TEXT_CHARS:,}")
            return None
        return filled

    def fields(self, node: Node, what: str, specs: dict[str, schema.Field]) -> dict[str, object]:
        """All keys of a mapping, checked; required ones reported when missing."""
        nodes = self.mapping(node, what, tuple(specs))
        if nodes is None:
            return {}
        values: dict[str, object] = {}
        for name, spec in specs.items():
            if name not in nodes:
                if spec.required:
                    self.problem(node, f"{what} needs '{name}'")
                continue
            if spec.kind == "steps":
                values[name] = self.steps(nodes[name], f"'{name}'")
            else:
                values[name] = self.value(nodes[name], name, spec)
        return values

    # -- the script ----------------------------------------------------------------------------

    def build(self, root: Node, path: Path) -> Script | None:
        """The Script, or None when the top level is unusable."""
        top = self.mapping(root, "the script", tuple(schema.TOP_FIELDS))
        if top is None:
            return None
        self.vars = self.read_vars(top.get("vars"))
        support = self.support(top.get("support"), root)
        for key in ("title", "steps"):
            if key not in top:
                self.problem(root, f"the script needs '{key}'"
                             + (" (a list of steps such as '- say: ...')" if key == "steps" else ""))
        simple = {name: self.value(node, name, schema.TOP_FIELDS[name])
                  for name, node in top.items()
                  if name in ("title", "description", "author", "collection", "language", "pace", "length",
                              "eyes")}
        lengths = self.durations(top["lengths"], "lengths") if "lengths" in top else ()
        cover = self.cover(top["cover"]) if "cover" in top else None
        steps = self.steps(top["steps"], "'steps'") if "steps" in top else ()
        on_exit = self.steps(top["on_exit"], "'on_exit'") if "on_exit" in top else ()
        voice = self.voice(top.get("voice"))
        ambient = self.ambient(top.get("ambient"))
        tags = self.names(top["tags"], "tags") if "tags" in top else ()
        self.check_set_names(top.get("vars"))
        if support:  # spoken after the last words of the practice and of its own safe exit
            where = self.where(top["support"]) if "support" in top else Where(self.display)
            steps, on_exit = with_support(steps, support, where), with_support(on_exit, support, where)
        if "steps" in top and not steps and not self.problems:
            self.problem(top["steps"], "'steps' is empty: a practice needs at least one step")
        if self.problems:
            return None
        script = Script(
            title=str(simple.get("title") or ""),
            source=path,
            steps=steps,
            description=str(simple.get("description") or ""),
            author=str(simple.get("author") or ""),
            collection=str(simple.get("collection") or ""),
            eyes=str(simple.get("eyes") or "closed"),
            lengths=lengths,
            cover=cover,
            language=str(simple.get("language") or "en-US"),
            tags=tags,
            vars=dict(self.vars),
            voice=voice,
            ambient=ambient,
            pace=_num(simple.get("pace"), 1.0),
            length=_opt_num(simple.get("length")),
            on_exit=on_exit,
            variables=frozenset(self.defined_vars(top.get("vars")) | self.used),
        )
        script = self.apply_overrides(script)
        self.check_limits(root, script)
        return script

    def cover(self, node: Node) -> Path | None:
        """The cover image beside the script: it must exist and be a JPEG or a PNG."""
        value = self.value(node, "cover", schema.TOP_FIELDS["cover"])
        if value is None:
            return None
        path = self.folder / str(value)
        try:
            head = read_head(path, 8, MAX_COVER_BYTES)
        except UserFileError as error:
            self.problem(node, f"cannot use the cover image: {error}")
            return None
        if image_mime(head) is None:
            self.problem(node, f"the cover image {value} is not a JPEG or PNG file")
            return None
        return path

    def support(self, node: Node | None, root: Node) -> str:
        """The support line: --set support=..., else the `support:` key, else a `support` variable."""
        if node is not None:
            value = self.value(node, "support", schema.TOP_FIELDS["support"])
            if value is not None and SUPPORT_VAR not in self.overrides.vars:
                self.vars[SUPPORT_VAR] = str(value)
        text = self.vars.get(SUPPORT_VAR, "")
        problem = support_problem(text)
        if problem is not None:
            given = " (given from outside the script)" if SUPPORT_VAR in self.overrides.vars else ""
            self.problem(node if node is not None else root, problem + given)
            return ""
        return text

    def read_vars(self, node: Node | None) -> dict[str, str]:
        """The vars mapping merged with --set values."""
        values: dict[str, str] = {}
        if node is not None:
            if not isinstance(node, MappingNode):
                self.problem(node, "'vars' must be a mapping such as 'name: friend'")
            else:
                for key_node, value_node in node.value:
                    key = scalar_value(key_node) if isinstance(key_node, ScalarNode) else None
                    if not isinstance(key, str) or not _VAR_NAME.match(key):
                        self.problem(key_node, "a variable name is a word of letters, digits and _")
                        continue
                    value = scalar_value(value_node) if isinstance(value_node, ScalarNode) else None
                    if value is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
                        self.problem(value_node, f"variable '{key}' must be text or a number")
                        continue
                    if len(str(value)) > schema.MAX_TEXT_CHARS:
                        self.problem(value_node, f"variable '{key}' is {len(str(value)):,} characters; the limit "
                                     f"is {schema.MAX_TEXT_CHARS:,}")
                        continue
                    values[key] = str(value)
        for key, value in self.overrides.vars.items():
            # parse_set_options checks these too; a caller of the API may not have used it.
            bad = control_problem(value) or (None if len(value) <= MAX_SET_CHARS else
                                            f"is {len(value):,} characters; the limit is {MAX_SET_CHARS:,}")
            if bad is not None:
                self.problems.append(Problem(self.display, 0, 0, f"the value given for {key} {bad}"))
                continue
            values[key] = value
        return values

    @staticmethod
    def defined_vars(vars_node: Node | None) -> set[str]:
        """The names under `vars:`."""
        if not isinstance(vars_node, MappingNode):
            return set()
        return {str(scalar_value(k)) for k, _ in vars_node.value if isinstance(k, ScalarNode)}

    def check_set_names(self, vars_node: Node | None) -> None:
        """A --set name the script neither defines nor uses is a misspelling, never silently ignored."""
        if not self.overrides.strict_vars:
            return
        known = sorted(self.defined_vars(vars_node) | self.used)
        for name in self.overrides.vars:
            # support is always known: every practice speaks it at the close when it is given.
            if name not in known and name != SUPPORT_VAR:
                offer = f"; its variables: {', '.join(known)}" if known else "; it has no variables"
                self.problems.append(Problem(self.display, 0, 0, f"a value is given for {name}, but this script "
                                             f"has no variable '{name}'{did_you_mean(name, known)}{offer}"))

    def durations(self, node: Node, what: str) -> tuple[float, ...]:
        """A list of durations (the length variants a script declares)."""
        if not isinstance(node, SequenceNode):
            self.problem(node, f"'{what}' must be a list such as [5m, 10m, 20m]")
            return ()
        spec = schema.TOP_FIELDS[what]
        found = []
        for item in node.value:
            value = self.value(item, what, replace(spec, kind="duration"))
            if isinstance(value, (int, float)):
                found.append(float(value))
        return tuple(found)

    def names(self, node: Node, what: str) -> tuple[str, ...]:
        """A list of plain words (tags)."""
        if not isinstance(node, SequenceNode):
            self.problem(node, f"'{what}' must be a list such as [grounding, senses]")
            return ()
        words: list[str] = []
        for item in node.value:
            value = scalar_value(item) if isinstance(item, ScalarNode) else None
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                self.problem(item, f"each of '{what}' must be a word")
                continue
            words.append(str(value))
        return tuple(words)

    def voice(self, node: Node | None) -> VoiceSettings:
        """The voice section."""
        if node is None:
            return VoiceSettings()
        values = self.fields(node, "'voice'", schema.VOICE_FIELDS)
        defaults = VoiceSettings()
        return VoiceSettings(
            engine=str(values.get("engine") or defaults.engine),
            name=self.voice_name(values.get("name"), self.where(_child(node, "name") or node)),
            rate=_num(values.get("rate"), defaults.rate),
            volume=_num(values.get("volume"), defaults.volume),
            sentence_gap=_num(values.get("sentence_gap"), defaults.sentence_gap),
        )

    def ambient(self, node: Node | None) -> AmbientSettings:
        """The ambient section: a bed name, or a mapping of settings."""
        if node is None:
            return AmbientSettings()
        if isinstance(node, ScalarNode):
            sound = self.sound_name(self.value(node, "ambient", schema.AMBIENT_FIELDS["sound"]))
            self.check_sound("bed", sound, self.where(node))
            return AmbientSettings(sound=sound, where=self.where(node))
        values = self.fields(node, "'ambient'", schema.AMBIENT_FIELDS)
        defaults = AmbientSettings()
        where = self.where(_child(node, "sound") or node)
        sound = self.sound_name(values.get("sound"))
        self.check_sound("bed", sound, where)
        return AmbientSettings(
            sound=sound,
            where=where,
            level=_num(values.get("level"), defaults.level),
            pause_level=_num(values.get("pause_level"), defaults.pause_level),
            long_silence_level=_num(values.get("long_silence_level"), defaults.long_silence_level),
            fade_in=_num(values.get("fade_in"), defaults.fade_in),
            fade_out=_num(values.get("fade_out"), defaults.fade_out),
        )

    def check_sound(self, kind: str, sound: str | None, where: Where) -> None:
        """A chime, bed or clip that exists: a built-in name, or a file beside the script.

        Decoding waits for the timeline (it is the costly part); names and files are checked
        here so that every problem in a script is reported at once.
        """
        if sound is None:
            return
        if is_path(sound):
            try:
                check_regular(Path(sound), MAX_AUDIO_BYTES)
            except UserFileError as error:
                self.problems.append(Problem(where.file, where.line, where.column, str(error)))
            return
        names = {"chime": CHIMES, "bed": BEDS}.get(kind)
        if names is not None and sound not in names:
            what = "chime" if kind == "chime" else "ambient bed"
            plural = "chimes" if kind == "chime" else "beds"
            self.problems.append(Problem(
                where.file, where.line, where.column,
                f"unknown {what} '{sound}'{did_you_mean(sound, tuple(names))}; "
                f"built-in {plural}: {', '.join(names)}, or give a file path",
            ))

    def voice_name(self, value: object, where: Where) -> str | None:
        """A voice id stays as it is; a Piper `.onnx` path resolves beside the script and must exist."""
        name = _opt_str(value)
        if name is None or not is_voice_path(name):
            return name
        path = self.folder / Path(name).expanduser()
        if not path.is_file():
            self.problems.append(Problem(where.file, where.line, where.column, f"no such voice file: {name}"))
        return str(path)

    def sound_name(self, value: object) -> str | None:
        """A bed or chime: a built-in name stays a name, a path resolves beside the script."""
        if value is None:
            return None
        text = str(value)
        return str(self.folder / text) if is_path(text) else text

    # -- steps -----------------------------------------------------------------------------------

    def steps(self, node: Node, what: str) -> tuple[Step, ...]:
        """A list of steps; each is one mapping with one step key (repeat also has `steps`)."""
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{what} must be a list of steps, each line starting with '- '")
            return ()
        result: list[Step] = []
        for item in node.value:
            step = self.step(item)
            if step is not None:
                result.append(step)
        return tuple(result)

    def step(self, node: Node) -> Step | None:
        """One step, in its short or long form."""
        if isinstance(node, ScalarNode):
            word = str(scalar_value(node))
            hint = did_you_mean(word, schema.STEP_NAMES) if word not in schema.STEP_NAMES else ""
            self.problem(node, f"a step is written as '- name: value' (for example '- pause: 5'), "
                         f"not '- {word}'{hint}")
            return None
        if not isinstance(node, MappingNode):
            self.problem(node, "a step is written as '- name: value', not a list")
            return None
        keys = [(scalar_value(k) if isinstance(k, ScalarNode) else None, k, v) for k, v in node.value]
        names = [key for key, _, _ in keys]
        if "repeat" in names:
            return self.repeat(node)
        if len(keys) != 1:
            step_keys = [k for k in names if k in schema.STEP_FORMS]
            if len(step_keys) == 1:
                form = schema.STEP_FORMS[str(step_keys[0])]
                self.problem(node, f"'{step_keys[0]}' options go in its own mapping, e.g. "
                             f"'- {step_keys[0]}: {{{', '.join(list(form.fields)[:2])}: ...}}'")
            else:
                self.problem(node, "each step holds one action; start another line with '- ' "
                             "for the next one")
            return None
        name, key_node, value_node = keys[0]
        if not isinstance(name, str) or name not in schema.STEP_FORMS:
            self.problem(key_node, f"unknown step '{name}'{did_you_mean(str(name), schema.STEP_NAMES)}")
            return None
        form = schema.STEP_FORMS[name]
        if isinstance(value_node, MappingNode):
            values = self.fields(value_node, f"'{name}'", form.fields)
        elif form.short is not None:
            short = self.value(value_node, name, form.fields[form.short])
            if short is None and not form.fields[form.short].nullable:
                return None  # the problem is already recorded
            values = {form.short: short}
        else:
            self.problem(value_node, f"'{name}' takes a mapping, for example: {form.example}")
            return None
        for key, spec in form.fields.items():
            if spec.required and (key not in values or (values[key] is None and not spec.nullable)):
                return None  # the problem is already recorded
        return self.make_step(name, values, self.where(key_node), value_node)

    def repeat(self, node: MappingNode) -> Repeat | None:
        """`- repeat: N` with `steps:` beside it."""
        values = self.fields(node, "'repeat'", schema.STEP_FORMS["repeat"].fields)
        count, steps = values.get("repeat"), values.get("steps")
        if not isinstance(count, int) or not isinstance(steps, tuple):
            return None
        if not steps:
            self.problem(node, "'repeat' needs at least one step under 'steps'")
            return None
        return Repeat(count=count, steps=steps, where=self.where(node))

    def make_step(self, name: str, values: dict[str, object], where: Where, node: Node) -> Step | None:
        """The dataclass for a checked step."""
        if name == "say":
            try:
                parts = split_say(str(values["text"]))
            except ValueError as error:
                self.problem(node, str(error))
                return None
            if not any(isinstance(part, Spoken) for part in parts):
                self.problem(node, "'say' has no words to speak; for quiet, use '- pause: SECONDS'")
                return None
            return Say(text=str(values["text"]), where=where, rate=_opt_num(values.get("rate")),
                       voice=self.voice_name(values.get("voice"), where),
                       pause_after=_num(values.get("pause_after"), 0.0))
        if name == "pause":
            return self.pause(values, where, node)
        if name == "chapter":
            return Chapter(title=str(values["title"]), where=where)
        if name == "chime":
            sound = str(self.sound_name(values["sound"]))
            self.check_sound("chime", sound, where)
            return Chime(sound=sound, where=where, volume=_num(values.get("volume"), 1.0))
        if name == "breathe":
            return self.breathe(values, where, node)
        if name == "play":
            file = self.folder / str(values["file"])
            self.check_sound("clip", str(file), where)
            return Play(file=file, where=where, volume=_num(values.get("volume"), 1.0))
        if name == "ambient":
            bed = self.sound_name(values.get("sound"))
            self.check_sound("bed", bed, where)
            return AmbientChange(sound=bed, where=where, crossfade=_num(values.get("crossfade"), 6.0))
        if name == "silence":
            bells = _opt_num(values.get("bells_every"))
            duration = _num(values.get("duration"), 0.0)
            bell = str(self.sound_name(values.get("chime") or "bowl"))
            if bells is not None:
                self.check_sound("chime", bell, where)
            return Silence(duration=duration, where=where, bells_every=bells, chime=bell)
        raise AssertionError(f"no builder for step {name}")

    def pause(self, values: dict[str, object], where: Where, node: Node) -> Pause | None:
        """A pause; min and max only make sense on a flexible one and must bracket it."""
        seconds = _num(values.get("seconds"), 0.0)
        flexible = bool(values.get("flexible", False))
        low, high = _opt_num(values.get("min")), _opt_num(values.get("max"))
        if (low is not None or high is not None) and not flexible:
            self.problem(node, "'min' and 'max' only apply to a flexible pause: add 'flexible: true'")
            return None
        if low is not None and low > seconds:
            self.problem(node, f"'min' ({format_duration(low)}) is longer than the pause "
                         f"({format_duration(seconds)})")
            return None
        if high is not None and high < seconds:
            self.problem(node, f"'max' ({format_duration(high)}) is shorter than the pause "
                         f"({format_duration(seconds)})")
            return None
        return Pause(seconds=seconds, where=where, flexible=flexible, minimum=low, maximum=high)

    def breathe(self, values: dict[str, object], where: Where, node: Node) -> Breathe | None:
        """Breathing phases from a named pattern, explicit seconds, or a pattern with changes."""
        pattern = values.get("pattern")
        explicit = [values.get(key) for key in ("in", "hold", "out", "hold_out")]
        if pattern is not None:
            base = schema.BREATH_PATTERNS[str(pattern)]
        elif values.get("in") is None or values.get("out") is None:
            self.problem(node, "'breathe' needs a pattern (" + ", ".join(schema.BREATH_PATTERNS)
                         + ") or both 'in' and 'out' seconds")
            return None
        else:
            base = (0.0, 0.0, 0.0, 0.0)
        inhale, hold, exhale, hold_out = (
            float(given) if isinstance(given, (int, float)) else default
            for given, default in zip(explicit, base, strict=True)
        )
        cycles = values.get("cycles")
        return Breathe(inhale=inhale, hold=hold, exhale=exhale, hold_out=hold_out,
                       cycles=int(cycles) if isinstance(cycles, int) else schema.DEFAULT_BREATH_CYCLES,
                       cue=str(values.get("cue") or "voice"), where=where)

    # -- after building --------------------------------------------------------------------------

    def apply_overrides(self, script: Script) -> Script:
        """Command-line values win over the file's (checked by the same rule as the file's)."""
        o = self.overrides
        for name, given in (("length", o.length), ("pace", o.pace), ("rate", o.rate)):
            spec = schema.OPTION_FIELDS[f"--{name}"]
            show = format_duration if spec.kind == "duration" else str
            problem = None if given is None else schema.number_problem(given, spec, show)
            if problem is not None:
                raise LengthError(f"the {name} {problem}", subject=name)
        voice = script.voice
        if o.engine is not None:
            voice = replace(voice, engine=o.engine)
        if o.voice is not None:
            voice = replace(voice, name=o.voice)
        if o.rate is not None:
            voice = replace(voice, rate=o.rate)
        return replace(
            script,
            voice=voice,
            pace=o.pace if o.pace is not None else script.pace,
            length=o.length if o.length is not None else script.length,
        )

    def check_limits(self, root: Node, script: Script) -> None:
        """Session-wide limits, computed on the steps without unrolling repeats."""
        steps, fixed = _measure(script.steps, script.pace)
        if steps > schema.MAX_STEPS:
            self.problem(root, f"the steps unroll to {steps:,} (repeats multiply); the limit is "
                         f"{schema.MAX_STEPS:,}")
        if fixed > schema.MAX_SESSION_SECONDS:
            self.problem(root, f"the pauses alone last {format_duration(fixed)}; a session may last "
                         f"at most {format_duration(schema.MAX_SESSION_SECONDS)} (4 h)")


def _measure(steps: tuple[Step, ...], pace: float) -> tuple[int, float]:
    """Unrolled step count and the seconds of timed quiet (before speech), without unrolling."""
    count, seconds = 0, 0.0
    for step in steps:
        if isinstance(step, Repeat):
            inner_count, inner_seconds = _measure(step.steps, pace)
            count += 1 + step.count * inner_count
            seconds += step.count * inner_seconds
            continue
        count += 1
        if isinstance(step, Pause):
            seconds += step.seconds * pace
        elif isinstance(step, Say):
            seconds += step.pause_after * pace
        elif isinstance(step, Breathe):
            seconds += step.cycles * (step.inhale + step.hold + step.exhale + step.hold_out)
        elif isinstance(step, Silence):
            seconds += step.duration
    return count, seconds


def _child(node: Node, key: str) -> Node | None:
    """The value node under a key of a mapping node, if there is one."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                found: Node = value_node
                return found
    return None


def _limit_note(name: str, spec: schema.Field) -> str:
    """Why a maximum exists, where it is one of the format's limits."""
    if spec.kind == "duration" and spec.maximum == schema.MAX_PAUSE_SECONDS:
        return " (the limit for a single pause is 1 h)"
    if name == "repeat":
        return f" (the limit for repeat is {schema.MAX_REPEAT})"
    return ""


def _num(value: object, default: float) -> float:
    """A float from a checked value, or the default."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _opt_num(value: object) -> float | None:
    """A float from a checked value, or None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _opt_str(value: object) -> str | None:
    """A str from a checked value, or None."""
    return None if value is None else str(value)
