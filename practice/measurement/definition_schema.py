"""The instrument definition format as a JSON Schema (draft 2020-12), served at
``/api/v1/instruments/definition-schema`` and used for the request body of the instrument
endpoints in the OpenAPI schema. It describes the shape; ``definitions.validate_definition``
still checks what a schema cannot (bands covering every reachable score, a critical item able
to fire, item keys that exist), listing every problem at once.

Keys (instrument, item, band, subscale, advisory) are lower-case letters, digits and
underscores, starting with a letter: write ``severe_high``, not ``Severe-High`` or
``severe-high``. The editor's error message names the key to write instead."""

from __future__ import annotations

from typing import Any

KEY = {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,63}$",
       "description": "Lower-case letters, digits and underscores, starting with a letter "
                      "(at most 64). Write \"severe_high\", not \"Severe-High\" or "
                      "\"severe-high\"."}
NUMBER = {"type": "number"}

CONDITION = {
    "type": "object", "additionalProperties": False,
    "required": ["items", "comparison", "points"],
    "description": "Holds when the points of the items, summed, compare to `points` "
                   "(e.g. q2 + q3 >= 1).",
    "properties": {
        "items": {"type": "array", "items": KEY, "minItems": 1},
        "comparison": {"enum": [">=", "<=", "=="]},
        "points": NUMBER,
    },
}
OPTION = {
    "type": "object", "additionalProperties": False, "required": ["label", "points"],
    "description": "A response option and the points it scores (need not be 0..n: weighted "
                   "options are written as their points, e.g. AUDIT Q9 0, 2, 4).",
    "properties": {"label": {"type": "string"}, "points": NUMBER,
                   "code": {"type": ["string", "null"],
                            "description": "LOINC answer code (LA…), optional."}},
}
BAND = {
    "type": "object", "additionalProperties": False,
    "required": ["key", "label", "lower", "upper"],
    "description": "An inclusive score range; together the bands cover every reachable score.",
    "properties": {"key": KEY, "label": {"type": "string"}, "lower": NUMBER, "upper": NUMBER},
}
MISSING_RULE = {
    "type": "object", "additionalProperties": False,
    "properties": {"kind": {"enum": ["refuse", "prorate"]},
                   "max_missing": {"type": "integer", "minimum": 0}},
}
ITEM = {
    "type": "object", "additionalProperties": False, "required": ["key", "text"],
    "properties": {
        "key": KEY,
        "text": {"type": "string"},
        "kind": {"enum": ["choice", "text"], "default": "choice"},
        "options": {"type": "array", "items": OPTION},
        "scored": {"type": "boolean", "default": True},
        "reverse_keyed": {
            "type": "boolean", "default": False,
            "description": "Scores (highest listed + lowest listed - listed). List the options "
                           "with their points in the order printed for a forward item (0, 1, 2, "
                           "3) and tick this; do not also type the reversed points (3, 2, 1, "
                           "0), which would reverse them twice."},
        "loinc": {"type": ["string", "null"]},
        "ask_if": {"type": "array", "items": CONDITION,
                   "description": "Skip logic: asked only when every condition holds; a "
                                  "skipped item whose conditions fail counts 0."},
    },
}
DEFINITION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://tandem.example/schemas/instrument-definition.json",
    "title": "Instrument definition",
    "type": "object", "additionalProperties": False,
    "required": ["key", "version", "title", "items"],
    "properties": {
        "key": KEY,
        "version": {"type": "integer", "minimum": 1},
        "title": {"type": "string"},
        "stem": {"type": "string"},
        "items": {"type": "array", "items": ITEM, "minItems": 1},
        "scoring": {"enum": ["sum", "mean"], "default": "sum"},
        "multiplier": NUMBER,
        "has_total": {"type": "boolean", "default": True},
        "bands": {"type": "array", "items": BAND},
        "sex_bands": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["sex", "bands"],
            "properties": {"sex": {"enum": ["female", "male"]},
                           "bands": {"type": "array", "items": BAND}}}},
        "subscales": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "title", "items"],
            "properties": {"key": KEY, "title": {"type": "string"},
                           "items": {"type": "array", "items": KEY},
                           "multiplier": NUMBER, "bands": {"type": "array", "items": BAND},
                           "missing_rule": {"oneOf": [MISSING_RULE, {"type": "null"}]}}}},
        "critical_items": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["item", "min_points", "message"],
            "description": "Raises a risk flag when the item scores at least min_points "
                           "(after reverse keying), whatever the total.",
            "properties": {"item": KEY, "min_points": NUMBER, "message": {"type": "string"}}}},
        "advisories": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "message", "conditions"],
            "description": "Guidance stored and shown with the score (not a risk alert).",
            "properties": {"key": KEY, "message": {"type": "string"},
                           "conditions": {"type": "array", "items": CONDITION, "minItems": 1},
                           "match": {"enum": ["any", "all"], "default": "any"}}}},
        "missing_rule": {"oneOf": [MISSING_RULE, {"type": "null"}]},
        "reliable_change": {"type": ["number", "null"],
                            "description": "Published reliable-change threshold in points."},
        "clinical_cutoff": {"type": ["number", "null"],
                            "description": "A total at or beyond it is a clinical case."},
        "higher_is_better": {"type": "boolean", "default": False},
        "loinc_panel": {"type": ["string", "null"]},
        "loinc_total": {"type": ["string", "null"]},
        "scorer": {"type": "string", "default": "standard"},
        "source": {"type": "string"},
    },
}

FREQUENCY = [{"label": "Not at all", "points": 0}, {"label": "Several days", "points": 1},
             {"label": "More than half the days", "points": 2},
             {"label": "Nearly every day", "points": 3}]

# A small definition showing reverse keying, weighted options, a skip condition, a critical
# item and an advisory. It validates (tests/measurement/test_definition_schema.py).
EXAMPLE: dict[str, Any] = {
    "key": "sleep_and_drink",
    "version": 1,
    "title": "Sleep and drinking check",
    "stem": "Over the last 2 weeks:",
    "items": [
        {"key": "q1", "text": "Trouble sleeping", "options": FREQUENCY},
        {"key": "q2", "text": "Woke up rested", "options": FREQUENCY, "reverse_keyed": True},
        {"key": "q3", "text": "Did you drink alcohol?",
         "options": [{"label": "No", "points": 0}, {"label": "Yes", "points": 1}]},
        {"key": "q4", "text": "Has anyone been concerned about your drinking?",
         "options": [{"label": "No", "points": 0},
                     {"label": "Yes, but not in the last year", "points": 2},
                     {"label": "Yes, during the last year", "points": 4}],
         "ask_if": [{"items": ["q3"], "comparison": ">=", "points": 1}]},
        {"key": "q5", "text": "Thoughts of hurting yourself", "options": FREQUENCY},
    ],
    "bands": [{"key": "low", "label": "Low", "lower": 0, "upper": 4},
              {"key": "raised", "label": "Raised", "lower": 5, "upper": 14}],
    "critical_items": [{"item": "q5", "min_points": 1,
                        "message": "Thoughts of self-harm: review today."}],
    "advisories": [{"key": "drinking_concern",
                    "message": "Someone is concerned about the client's drinking: consider "
                               "the full AUDIT.",
                    "conditions": [{"items": ["q4"], "comparison": ">=", "points": 2}]}],
    "missing_rule": {"kind": "refuse", "max_missing": 0},
}


def _openapi(node: Any) -> Any:
    """The same schema in OpenAPI 3.0's dialect: no $schema/$id, ``nullable`` for null types."""
    if isinstance(node, list):
        return [_openapi(value) for value in node]
    if not isinstance(node, dict):
        return node
    converted: dict[str, Any] = {}
    for name, value in node.items():
        if name in ("$schema", "$id"):
            continue
        if name == "type" and isinstance(value, list):
            kinds = [kind for kind in value if kind != "null"]
            converted["type"] = kinds[0]
            if "null" in value:
                converted["nullable"] = True
            continue
        if name == "oneOf" and any(option == {"type": "null"} for option in value):
            rest = [_openapi(option) for option in value if option != {"type": "null"}]
            converted.update(rest[0])
            converted["nullable"] = True
            continue
        if name == "enum" and isinstance(value, list):
            converted["type"] = "string"
        converted[name] = _openapi(value)
    return converted


def openapi_definition_schema() -> dict[str, Any]:
    return _openapi(DEFINITION_SCHEMA)
