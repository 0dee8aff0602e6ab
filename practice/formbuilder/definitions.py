"""Form definitions and answers: pure data checks, no database.

A definition is JSON:

    {"title": "Intake", "description": "...",
     "sections": [{"key": "s1", "title": "About you", "description": "",
                   "fields": [{"key": "f1", "type": "short_text", "label": "Preferred name",
                               "help": "", "required": true}, ...]}]}

Field types: short_text, long_text, single_choice and multiple_choice (with "options", a list
of distinct texts), date, number (optional "min", "max", "integer_only"), yes_no, signature (at
most one per form: its label is the statement the client signs; the client signs after
submitting, see services.form_sign). Keys are short slugs, unique in the form; answers are keyed
by field key. A published version is validated in full (`validate_definition`); a draft being
built may be incomplete (`validate_definition(..., draft=True)`).

Answers are stored normalised so the seal over them is stable: texts as stripped strings,
choices as the option texts (multiple in the definition's order), dates as ISO strings, numbers
as plain decimal strings ("12.5"), yes/no as true/false. An empty answer is absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

SHORT_TEXT = "short_text"
LONG_TEXT = "long_text"
SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"
DATE = "date"
NUMBER = "number"
YES_NO = "yes_no"
SIGNATURE = "signature"

FIELD_TYPES: dict[str, str] = {
    SHORT_TEXT: "Short text",
    LONG_TEXT: "Long text",
    SINGLE_CHOICE: "Single choice",
    MULTIPLE_CHOICE: "Multiple choice",
    DATE: "Date",
    NUMBER: "Number",
    YES_NO: "Yes or no",
    SIGNATURE: "Signature",
}
CHOICE_TYPES = frozenset({SINGLE_CHOICE, MULTIPLE_CHOICE})
ANSWERED_TYPES = frozenset(FIELD_TYPES) - {SIGNATURE}

KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_LABEL = 500
MAX_HELP = 1000
MAX_OPTION = 200
MAX_OPTIONS = 50
MAX_SECTIONS = 30
MAX_FIELDS = 200
MAX_SHORT_TEXT = 300
MAX_LONG_TEXT = 5000
NUMBER_LIMIT = Decimal("1e12")
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)

SECTION_PROPERTIES = frozenset({"key", "title", "description", "fields"})
FIELD_PROPERTIES: dict[str, frozenset[str]] = {
    kind: frozenset({"key", "type", "label", "help", "required"})
    | ({"options"} if kind in CHOICE_TYPES else set())
    | ({"min", "max", "integer_only"} if kind == NUMBER else set())
    for kind in FIELD_TYPES
}
DEFAULT_STATEMENT = "I confirm that the answers above are mine and are correct."


class DefinitionError(ValueError):
    """A definition with problems; `messages` say each one in plain words."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


# --- reading a definition --------------------------------------------------------------------

def fields_of(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [item for section in definition.get("sections", [])
            for item in section.get("fields", [])]


def signature_field(definition: Mapping[str, Any]) -> dict[str, Any] | None:
    return next((item for item in fields_of(definition) if item.get("type") == SIGNATURE),
                None)


def requires_signature(definition: Mapping[str, Any]) -> bool:
    return signature_field(definition) is not None


def signature_statement(definition: Mapping[str, Any]) -> str:
    found = signature_field(definition)
    return (found or {}).get("label") or DEFAULT_STATEMENT


def empty_definition(title: str, description: str = "") -> dict[str, Any]:
    return {"title": title, "description": description,
            "sections": [{"key": "s1", "title": "Questions", "description": "", "fields": []}]}


# --- validating a definition -------------------------------------------------------------------

def _text(value: Any, name: str, limit: int, problems: list[str], *,
          required: bool) -> None:
    if not isinstance(value, str):
        problems.append(f"{name} must be text.")
    elif required and not value.strip():
        problems.append(f"{name} is empty.")
    elif len(value) > limit:
        problems.append(f"{name} is longer than {limit} characters.")


def _number_or_none(value: Any, name: str, problems: list[str]) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"{name} must be a number.")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{name} must be a number.")
        return None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        problems.append(f"{name} is out of range.")
        return None
    return number


def _check_field(item: Any, where: str, seen: set[str], problems: list[str]) -> None:
    if not isinstance(item, dict):
        problems.append(f"{where} must be an object.")
        return
    kind = item.get("type")
    if kind not in FIELD_TYPES:
        problems.append(f"{where} has an unknown type {str(kind)[:40]!r}; use one of "
                        f"{', '.join(FIELD_TYPES)}.")
        return
    key = item.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        problems.append(f"{where} needs a key of lower-case letters, digits and underscores, "
                        "starting with a letter (at most 40).")
    elif key in seen:
        problems.append(f"{where}: the key {key!r} is used twice.")
    else:
        seen.add(key)
    unknown = sorted(set(item) - FIELD_PROPERTIES[kind])
    if unknown:
        problems.append(f"{where} has properties a {FIELD_TYPES[kind].lower()} question does "
                        f"not take: {', '.join(name[:40] for name in unknown[:5])}.")
    _text(item.get("label"), f"{where}: the question", MAX_LABEL, problems, required=True)
    _text(item.get("help", ""), f"{where}: the help text", MAX_HELP, problems, required=False)
    if not isinstance(item.get("required", False), bool):
        problems.append(f"{where}: 'required' must be true or false.")
    if kind in CHOICE_TYPES:
        _check_options(item.get("options"), where, problems)
    if kind == NUMBER:
        low = _number_or_none(item.get("min"), f"{where}: the minimum", problems)
        high = _number_or_none(item.get("max"), f"{where}: the maximum", problems)
        if low is not None and high is not None and low > high:
            problems.append(f"{where}: the minimum is above the maximum.")
        if not isinstance(item.get("integer_only", False), bool):
            problems.append(f"{where}: 'integer_only' must be true or false.")


def _check_options(options: Any, where: str, problems: list[str]) -> None:
    if not isinstance(options, list) or len(options) < 2:
        problems.append(f"{where} needs at least two options.")
        return
    if len(options) > MAX_OPTIONS:
        problems.append(f"{where} has more than {MAX_OPTIONS} options.")
    texts = []
    for option in options:
        if not isinstance(option, str) or not option.strip():
            problems.append(f"{where} has an empty option.")
            return
        if len(option) > MAX_OPTION:
            problems.append(f"{where} has an option longer than {MAX_OPTION} characters.")
            return
        texts.append(option.strip())
    if len(set(texts)) != len(texts):
        problems.append(f"{where} has the same option twice.")


def validate_definition(definition: Any, *, draft: bool = False) -> list[str]:
    """Every problem of the definition, in plain words (empty: it is valid). A draft may still
    have empty sections and no questions; a published form may not."""
    problems: list[str] = []
    if not isinstance(definition, dict):
        return ["The definition must be an object with a title and sections."]
    unknown = sorted(set(definition) - {"title", "description", "sections"})
    if unknown:
        problems.append(f"Unknown properties: {', '.join(name[:40] for name in unknown[:5])}.")
    _text(definition.get("title"), "The title", MAX_TITLE, problems, required=True)
    _text(definition.get("description", ""), "The description", MAX_DESCRIPTION, problems,
          required=False)
    sections = definition.get("sections")
    if not isinstance(sections, list) or (not sections and not draft):
        problems.append("The form needs at least one section.")
        return problems
    if len(sections) > MAX_SECTIONS:
        problems.append(f"The form has more than {MAX_SECTIONS} sections.")
    section_keys: set[str] = set()
    field_keys: set[str] = set()
    count = signatures = 0
    for number, section in enumerate(sections, start=1):
        where = f"Section {number}"
        if not isinstance(section, dict):
            problems.append(f"{where} must be an object.")
            continue
        key = section.get("key")
        if not isinstance(key, str) or not KEY.fullmatch(key) or key in section_keys:
            problems.append(f"{where} needs a key of its own (lower-case letters, digits, "
                            "underscores).")
        else:
            section_keys.add(key)
        extra = sorted(set(section) - SECTION_PROPERTIES)
        if extra:
            problems.append(f"{where} has unknown properties: "
                            f"{', '.join(name[:40] for name in extra[:5])}.")
        _text(section.get("title", ""), f"{where}: the title", MAX_TITLE, problems,
              required=False)
        _text(section.get("description", ""), f"{where}: the description", MAX_DESCRIPTION,
              problems, required=False)
        items = section.get("fields")
        if not isinstance(items, list):
            problems.append(f"{where} needs a list of questions.")
            continue
        if not items and not draft:
            problems.append(f"{where} has no questions.")
        for position, item in enumerate(items, start=1):
            _check_field(item, f"{where}, question {position}", field_keys, problems)
            count += 1
            signatures += isinstance(item, dict) and item.get("type") == SIGNATURE
    if count > MAX_FIELDS:
        problems.append(f"The form has more than {MAX_FIELDS} questions.")
    if signatures > 1:
        problems.append("A form has at most one signature; the client signs it once, after "
                        "submitting.")
    if not draft and count == signatures:
        problems.append("The form needs at least one question to answer.")
    return problems


def normalise_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """A valid definition with defaults filled in and texts trimmed, so every version stores
    the same shape (and the seal over it is stable)."""
    sections = []
    for section in definition["sections"]:
        items = []
        for item in section["fields"]:
            clean: dict[str, Any] = {
                "key": item["key"], "type": item["type"], "label": item["label"].strip(),
                "help": item.get("help", "").strip(),
                "required": bool(item.get("required", False)) and item["type"] != SIGNATURE,
            }
            if item["type"] in CHOICE_TYPES:
                clean["options"] = [option.strip() for option in item["options"]]
            if item["type"] == NUMBER:
                for bound in ("min", "max"):
                    if item.get(bound) is not None:
                        clean[bound] = _plain(Decimal(str(item[bound])))
                clean["integer_only"] = bool(item.get("integer_only", False))
            items.append(clean)
        sections.append({"key": section["key"], "title": section.get("title", "").strip(),
                         "description": section.get("description", "").strip(),
                         "fields": items})
    return {"title": definition["title"].strip(),
            "description": definition.get("description", "").strip(), "sections": sections}


def checked(definition: Any, *, draft: bool = False) -> dict[str, Any]:
    problems = validate_definition(definition, draft=draft)
    if problems:
        raise DefinitionError(problems)
    return normalise_definition(definition)


# --- answers -----------------------------------------------------------------------------------

@dataclass
class CleanedAnswers:
    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or (
        isinstance(value, str) and not value.strip())


def _clean_one(item: dict[str, Any], value: Any) -> Any:
    """The normalised answer, or raise ValueError with a message for the person answering."""
    kind = item["type"]
    if kind in (SHORT_TEXT, LONG_TEXT):
        if not isinstance(value, str):
            raise ValueError(_("Write your answer as text."))
        limit = MAX_SHORT_TEXT if kind == SHORT_TEXT else MAX_LONG_TEXT
        text = value.strip().replace("\r\n", "\n")
        if len(text) > limit:
            raise ValueError(_("Keep this under %(limit)s characters.") % {"limit": limit})
        return text
    if kind == SINGLE_CHOICE:
        if value not in item["options"]:
            raise ValueError(_("Choose one of the options."))
        return value
    if kind == MULTIPLE_CHOICE:
        chosen = value if isinstance(value, list) else [value]
        if not all(isinstance(one, str) and one in item["options"] for one in chosen):
            raise ValueError(_("Choose from the options given."))
        return [option for option in item["options"] if option in chosen]
    if kind == DATE:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(_("Enter a date as year-month-day, e.g. 2026-03-14.")) from None
        if not EARLIEST <= day <= LATEST:
            raise ValueError(_("Enter a date between 1900 and 2199."))
        return day.isoformat()
    if kind == NUMBER:
        return _clean_number(item, value)
    if kind == YES_NO:
        if value in (True, "yes"):
            return True
        if value in (False, "no"):
            return False
        raise ValueError(_("Answer yes or no."))
    raise ValueError(_("This question takes no answer."))


def _clean_number(item: dict[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise ValueError(_("Enter a number."))
    if item.get("integer_only") and number != number.to_integral_value():
        raise ValueError(_("Enter a whole number."))
    if item.get("min") is not None and number < Decimal(item["min"]):
        raise ValueError(_("Enter %(number)s or more.") % {"number": item["min"]})
    if item.get("max") is not None and number > Decimal(item["max"]):
        raise ValueError(_("Enter %(number)s or less.") % {"number": item["max"]})
    return _plain(number)


def clean_answers(definition: Mapping[str, Any], raw: Mapping[str, Any], *, final: bool,
                  strict_keys: bool = False) -> CleanedAnswers:
    """Check and normalise answers. `final` (submitting) also asks for every required answer;
    a draft may be incomplete. `strict_keys` refuses keys the form does not have (the API);
    a page only ever reads the form's own keys."""
    result = CleanedAnswers()
    items = {item["key"]: item for item in fields_of(definition)}
    if strict_keys:
        for key in raw:
            if key not in items or items[key]["type"] not in ANSWERED_TYPES:
                result.errors[str(key)[:40]] = _("This form has no such question.")
    for key, item in items.items():
        if item["type"] not in ANSWERED_TYPES:
            continue
        value = raw.get(key)
        if _is_blank(value):
            if final and item.get("required"):
                result.errors[key] = _("This question needs an answer.")
            continue
        try:
            result.answers[key] = _clean_one(item, value)
        except ValueError as error:
            result.errors[key] = str(error)
    return result


def display_answer(item: Mapping[str, Any], value: Any) -> str:
    """An answer as people read it (the staff page, the PDF)."""
    if value is None or value == [] or value == "":
        return "—"
    if item["type"] == YES_NO:
        return _("Yes") if value else _("No")
    if item["type"] == MULTIPLE_CHOICE:
        return "; ".join(value)
    if item["type"] == DATE:
        return date.fromisoformat(value).strftime("%-d %B %Y")
    return str(value)
