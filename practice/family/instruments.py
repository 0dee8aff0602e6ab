"""A practice-defined parent-report instrument and its self-report twin, in the shipped
definition format: what the demo publishes and the tests use. A practice writes its own (or a
licensed instrument's parent form) in the instrument editor; nothing here is shipped as a
clinical instrument."""

from __future__ import annotations

_OPTIONS = [{"label": "Not at all", "points": 0}, {"label": "Sometimes", "points": 1},
            {"label": "Often", "points": 2}, {"label": "Nearly always", "points": 3}]


def _definition(key: str, title: str, stem: str, texts: list[str]) -> dict:
    return {
        "key": key, "version": 1, "title": title, "stem": stem,
        "items": [{"key": f"q{number}", "text": text, "options": _OPTIONS}
                  for number, text in enumerate(texts, start=1)],
        "bands": [{"key": "low", "label": "Low", "lower": 0, "upper": 4},
                  {"key": "raised", "label": "Raised", "lower": 5, "upper": 8},
                  {"key": "high", "label": "High", "lower": 9, "upper": 12}],
        "critical_items": [{"item": "q4", "min_points": 2,
                            "message": "Item 4 (talks about not wanting to be here) is 2 or "
                                       "more: review soon."}],
        "missing_rule": {"kind": "refuse", "max_missing": 0},
    }


PARENT_REPORT = _definition(
    "family_mood_parent", "Family mood check (parent report)",
    "Over the last 2 weeks, how often has your child…",
    ["seemed sad or low", "lost interest in things they enjoy", "been irritable or angry",
     "talked about not wanting to be here"])
SELF_REPORT = _definition(
    "family_mood_self", "Family mood check (self report)",
    "Over the last 2 weeks, how often have you…",
    ["felt sad or low", "lost interest in things you enjoy", "felt irritable or angry",
     "felt you did not want to be here"])
