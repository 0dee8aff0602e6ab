"""A form's questions as pages show them: each with its input name, current value and error;
and the client's answers read back from a POST by question key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from practice.formbuilder import definitions


@dataclass(frozen=True)
class Question:
    item: dict[str, Any]
    value: Any = ""  # as an input holds it: text, a list for multiple choice, "yes"/"no"
    error: str = ""
    answer: Any = None  # the stored answer, for read-only display

    @property
    def key(self) -> str:
        return str(self.item["key"])

    @property
    def name(self) -> str:
        return f"q-{self.key}"

    @property
    def input_id(self) -> str:
        return f"question-{self.key}"

    @property
    def type(self) -> str:
        return str(self.item["type"])

    @property
    def display(self) -> str:
        return definitions.display_answer(self.item, self.answer)

    @property
    def chosen(self) -> list[str]:
        if isinstance(self.value, list):
            return self.value
        return [self.value] if self.value else []


@dataclass(frozen=True)
class SectionView:
    section: dict[str, Any]
    questions: list[Question] = field(default_factory=list)


def input_value(item: Mapping[str, Any], answer: Any) -> Any:
    if item["type"] == definitions.YES_NO and isinstance(answer, bool):
        return "yes" if answer else "no"
    return "" if answer is None else answer


def sections_for(definition: Mapping[str, Any], *, answers: Mapping[str, Any] | None = None,
                 raw: Mapping[str, Any] | None = None,
                 errors: Mapping[str, str] | None = None) -> list[SectionView]:
    """Questions with values: what was typed (`raw`, after a refused POST) or else what is
    stored (`answers`)."""
    answers, errors = answers or {}, errors or {}
    views = []
    for section in definition.get("sections", []):
        questions = []
        for item in section.get("fields", []):
            key = item["key"]
            stored = answers.get(key)
            value = raw.get(key, "") if raw is not None else input_value(item, stored)
            questions.append(Question(item=item, value=value, error=errors.get(key, ""),
                                      answer=stored))
        views.append(SectionView(section=section, questions=questions))
    return views


def raw_answers(post: QueryDict, definition: Mapping[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for item in definitions.fields_of(definition):
        name = f"q-{item['key']}"
        if item["type"] == definitions.MULTIPLE_CHOICE:
            raw[item["key"]] = post.getlist(name)
        elif item["type"] in definitions.ANSWERED_TYPES:
            raw[item["key"]] = post.get(name, "")
    return raw
