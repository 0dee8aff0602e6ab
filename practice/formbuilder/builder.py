"""Editing a draft definition one step at a time (the builder page works without JavaScript:
each button posts one step). Pure functions: a definition in, a new definition out, checked as
a draft; nothing is changed in place."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from practice.formbuilder.definitions import (
    CHOICE_TYPES,
    NUMBER,
    DefinitionError,
    checked,
)

_NUMBERED = re.compile(r"[a-z]+(\d+)")


@dataclass(frozen=True)
class FieldSpec:
    """What the builder's question form gives."""

    type: str
    label: str
    help: str = ""
    required: bool = False
    options: list[str] = field(default_factory=list)
    min: str | None = None
    max: str | None = None
    integer_only: bool = False

    def as_field(self, key: str) -> dict[str, Any]:
        item: dict[str, Any] = {"key": key, "type": self.type, "label": self.label,
                                "help": self.help, "required": self.required}
        if self.type in CHOICE_TYPES:
            item["options"] = list(self.options)
        if self.type == NUMBER:
            item["integer_only"] = self.integer_only
            if self.min not in (None, ""):
                item["min"] = self.min
            if self.max not in (None, ""):
                item["max"] = self.max
        return item


def _next_key(existing: list[str], prefix: str) -> str:
    numbers = [int(match.group(1)) for key in existing
               if (match := _NUMBERED.fullmatch(key)) and key.startswith(prefix)]
    return f"{prefix}{max(numbers, default=0) + 1}"


def _all_field_keys(definition: dict[str, Any]) -> list[str]:
    return [item["key"] for section in definition["sections"] for item in section["fields"]]


def _section(definition: dict[str, Any], key: str) -> dict[str, Any]:
    for section in definition["sections"]:
        if section["key"] == key:
            return section
    raise DefinitionError(["That section is not in the form any more."])


def _locate(definition: dict[str, Any], key: str) -> tuple[dict[str, Any], int]:
    for section in definition["sections"]:
        for index, item in enumerate(section["fields"]):
            if item["key"] == key:
                return section, index
    raise DefinitionError(["That question is not in the form any more."])


def set_details(definition: dict[str, Any], *, title: str,
                description: str) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    result["title"], result["description"] = title, description
    return checked(result, draft=True)


def add_section(definition: dict[str, Any], *, title: str,
                description: str = "") -> dict[str, Any]:
    result = copy.deepcopy(definition)
    key = _next_key([section["key"] for section in result["sections"]], "s")
    result["sections"].append({"key": key, "title": title, "description": description,
                               "fields": []})
    return checked(result, draft=True)


def update_section(definition: dict[str, Any], *, key: str, title: str,
                   description: str) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    section = _section(result, key)
    section["title"], section["description"] = title, description
    return checked(result, draft=True)


def remove_section(definition: dict[str, Any], *, key: str) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    section = _section(result, key)
    if len(result["sections"]) == 1:
        raise DefinitionError(["A form keeps at least one section."])
    result["sections"].remove(section)
    return checked(result, draft=True)


def move_section(definition: dict[str, Any], *, key: str, step: int) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    sections = result["sections"]
    index = sections.index(_section(result, key))
    target = index + step
    if 0 <= target < len(sections):
        sections[index], sections[target] = sections[target], sections[index]
    return checked(result, draft=True)


def add_field(definition: dict[str, Any], *, section_key: str,
              spec: FieldSpec) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    section = _section(result, section_key)
    section["fields"].append(spec.as_field(_next_key(_all_field_keys(result), "f")))
    return checked(result, draft=True)


def update_field(definition: dict[str, Any], *, key: str, spec: FieldSpec) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    section, index = _locate(result, key)
    section["fields"][index] = spec.as_field(key)
    return checked(result, draft=True)


def remove_field(definition: dict[str, Any], *, key: str) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    section, index = _locate(result, key)
    del section["fields"][index]
    return checked(result, draft=True)


def move_field(definition: dict[str, Any], *, key: str, step: int) -> dict[str, Any]:
    """Up or down one place; past the top or bottom of its section, into the neighbouring
    section (so a question can travel anywhere without being typed again)."""
    result = copy.deepcopy(definition)
    section, index = _locate(result, key)
    items = section["fields"]
    target = index + step
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    else:
        sections = result["sections"]
        neighbour = sections.index(section) + step
        if 0 <= neighbour < len(sections):
            item = items.pop(index)
            destination = sections[neighbour]["fields"]
            if step > 0:
                destination.insert(0, item)
            else:
                destination.append(item)
    return checked(result, draft=True)
