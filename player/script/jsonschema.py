"""A JSON Schema of the script format, generated from the validator's own definitions (schema.py).

Editors use it through the YAML language server: a first line of
`# yaml-language-server: $schema=PATH` gives completion, hover help and checks while typing.
The validator stays the authority (it also checks files, names and lengths, and says FILE:LINE:COL).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from player.script import schema
from player.script.schema import Field

SCHEMA_ID = "https://practice-player.invalid/script.schema.json"
DURATION_PATTERN = r"^\s*(\d+(\.\d+)?\s*(h|m|s|ms)?\s*)+$"
"""Durations as text: 5, 2.5, "90s", "1m30s", "12m", "1h" (the validator is stricter)."""


def field_schema(field: Field) -> dict[str, Any]:
    """One field's JSON Schema."""
    kind = field.kind
    result: dict[str, Any]
    if kind in ("text", "name"):
        result = {"type": "string"}
    elif kind == "number":
        result = {"type": "number", **_bounds(field)}
    elif kind == "integer":
        result = {"type": "integer", **_bounds(field)}
    elif kind == "duration":
        result = {"oneOf": [{"type": "number", **_bounds(field)}, {"type": "string", "pattern": DURATION_PATTERN}]}
    elif kind == "bool":
        result = {"type": "boolean"}
    elif kind == "choice":
        result = {"enum": list(field.choices)}
    elif kind == "names":
        result = {"type": "array", "items": {"type": ["string", "number"]}}
    elif kind == "durations":
        single = field_schema(Field("duration", field.doc, minimum=field.minimum, maximum=field.maximum))
        result = {"type": "array", "items": single, "minItems": 1}
    elif kind == "vars":
        result = {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                  "additionalProperties": {"type": ["string", "number"]}}
    elif kind == "steps":
        result = {"$ref": "#/$defs/steps"}
    else:  # pragma: no cover - a new kind must be added here
        raise ValueError(f"no JSON Schema for field kind {kind}")
    if field.nullable:
        result = {"anyOf": [result, {"type": "null"}]}
    result["description"] = field.doc
    return result


def _bounds(field: Field) -> dict[str, float]:
    """minimum / maximum keywords."""
    bounds: dict[str, float] = {}
    if field.minimum is not None:
        bounds["minimum"] = field.minimum
    if field.maximum is not None:
        bounds["maximum"] = field.maximum
    return bounds


def _mapping(fields: dict[str, Field], doc: str) -> dict[str, Any]:
    """An object with exactly these keys."""
    required = [name for name, field in fields.items() if field.required]
    result: dict[str, Any] = {"type": "object", "description": doc, "additionalProperties": False,
                              "properties": {name: field_schema(field) for name, field in fields.items()}}
    if required:
        result["required"] = required
    return result


def step_schema(name: str, form: schema.StepForm) -> dict[str, Any]:
    """One step: `- name: short value` or `- name: {long form}` (repeat: keys side by side)."""
    if name == "repeat":
        result = _mapping(form.fields, form.doc)
        result["title"] = name
        return result
    forms: list[dict[str, Any]] = [_mapping(form.fields, form.doc)]
    if form.short is not None:
        forms.insert(0, field_schema(form.fields[form.short]))
    value: dict[str, Any] = forms[0] if len(forms) == 1 else {"oneOf": forms}
    return {"type": "object", "title": name, "description": form.doc, "additionalProperties": False,
            "required": [name], "properties": {name: value}, "minProperties": 1, "maxProperties": 1}


def script_schema() -> dict[str, Any]:
    """The whole format as a JSON Schema (draft 2020-12)."""
    top = {name: field_schema(field) for name, field in schema.TOP_FIELDS.items()}
    top["voice"] = _mapping(schema.VOICE_FIELDS, schema.TOP_FIELDS["voice"].doc)
    top["ambient"] = {"description": schema.TOP_FIELDS["ambient"].doc, "anyOf": [
        {"type": ["string", "null"]}, _mapping(schema.AMBIENT_FIELDS, schema.TOP_FIELDS["ambient"].doc)]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "practice-player script",
        "description": "A voice-guided practice: see docs/script-format.md.",
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, field in schema.TOP_FIELDS.items() if field.required],
        "properties": top,
        "$defs": {"steps": {"type": "array", "minItems": 1, "items": {"oneOf": [
            step_schema(name, form) for name, form in schema.STEP_FORMS.items()]}}},
    }


def schema_text() -> str:
    """The schema as pretty JSON."""
    return json.dumps(script_schema(), indent=2) + "\n"


def shipped_schema_path() -> Path:
    """The schema file inside the installed package (kept in step with schema.py by a test)."""
    return Path(__file__).resolve().parent / "data" / "script.schema.json"
