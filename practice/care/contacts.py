"""Safety-plan contacts: a name, an optional relationship and a phone number that is always
tap-to-call. Pure code (no database), shared by the form, the service and the data migration
that turned the old one-line-of-text contacts into structured ones.

A stored contact is a dict: {"name", "relationship", "phone"} where "phone" is what the person
typed (kept for display) and has passed `phone_tel`. A contact the migration could not read
keeps its text as {"text": ..., "needs_review": True} until the clinician fixes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Short service numbers (988 and the N11 codes: 211, 311, 911...) or a full number of 7 to 15
# digits (E.164's limit).
SHORT_NUMBER = re.compile(r"^(988|[2-9]11)$")
MIN_DIGITS, MAX_DIGITS = 7, 15
NAME_MAX, RELATIONSHIP_MAX, PHONE_MAX, TEXT_MAX = 120, 60, 40, 300

PHONE_ALLOWED = re.compile(r"^\+?[\d\s().\-]+$")
# The phone is the last run of phone characters in a line: an optional +, then digits with
# spaces, dots, dashes and brackets between them, ending on a digit.
PHONE_AT_END = re.compile(r"(\+?\(?\d[\d\s().\-]*\d)\s*$")
PHONE_AT_START = re.compile(r"^\s*(\+?\(?\d[\d\s().\-]*\d)")
RELATIONSHIP_IN_BRACKETS = re.compile(r"^(?P<name>.*?)\s*\((?P<relationship>[^()]+)\)$")
SEPARATORS = " ,;:-–—/|\t"


class PhoneError(ValueError):
    pass


def phone_tel(phone: str) -> str:
    """The tel: address of a phone number as people write it ("(555) 010-0199" ->
    "tel:5550100199", "+1 555 020 0288" -> "tel:+15550200288"); PhoneError if it is not one."""
    text = (phone or "").strip()
    if not text:
        raise PhoneError("Enter a phone number.")
    if not PHONE_ALLOWED.match(text) or "+" in text[1:]:
        raise PhoneError("A phone number has only digits, spaces, brackets, dots, dashes and "
                         "a leading +.")
    digits = re.sub(r"\D", "", text)
    if not SHORT_NUMBER.match(digits) and not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise PhoneError("A phone number has 7 to 15 digits, e.g. 555-010-0199 or "
                         "+1 555 010 0199 (or is a service number like 988 or 911).")
    return f"tel:{'+' if text.startswith('+') else ''}{digits}"


def is_phone(phone: str) -> bool:
    try:
        phone_tel(phone)
    except PhoneError:
        return False
    return True


@dataclass(frozen=True)
class ParsedContact:
    name: str
    relationship: str
    phone: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "relationship": self.relationship, "phone": self.phone}


def _split_relationship(name: str) -> tuple[str, str]:
    """"Sam (sister)" -> ("Sam", "sister"); a name with no brackets has no relationship."""
    match = RELATIONSHIP_IN_BRACKETS.match(name)
    if match and match.group("name").strip():
        return match.group("name").strip(), match.group("relationship").strip()
    return name, ""


def parse_contact(text: str) -> ParsedContact | None:
    """Read a contact written as one line of text: "Mom, 555-111-2222", "Mom 555-111-2222",
    "Sam (sister): (555) 010-0199", "555-111-2222 Mom". None when no name and valid phone can be
    told apart; the caller keeps the text then."""
    line = " ".join((text or "").split())
    if not line:
        return None
    for pattern, name_part in ((PHONE_AT_END, lambda m: line[:m.start(1)]),
                               (PHONE_AT_START, lambda m: line[m.end(1):])):
        match = pattern.search(line)
        if match is None:
            continue
        phone = match.group(1).strip()
        if not is_phone(phone):
            continue
        # An opening bracket the phone pattern swallowed belongs to the phone only if closed.
        if phone.startswith("(") and ")" not in phone:
            continue
        name = name_part(match).strip(SEPARATORS)
        if not name:
            return None
        name, relationship = _split_relationship(name)
        if len(name) > NAME_MAX or len(relationship) > RELATIONSHIP_MAX:
            return None
        return ParsedContact(name=name, relationship=relationship, phone=phone)
    return None


def migrate_contact(item: dict[str, Any]) -> dict[str, Any]:
    """An old {"name", "phone"} entry as a structured contact, or flagged with its whole text.
    Nothing is lost: every character of a readable entry is in the result bar separators."""
    if item.get("needs_review") or item.get("relationship") is not None:
        return item  # already structured (the migration may run on migrated data)
    name = (item.get("name") or "").strip()
    phone = (item.get("phone") or "").strip()
    text = ", ".join(part for part in (name, phone) if part)
    parsed = parse_contact(text) if text else None
    if parsed is None:
        return {"text": text, "needs_review": True}
    return parsed.as_dict()


@dataclass(frozen=True)
class ShownContact:
    """A contact as pages show it: with its tel: address, or flagged with its old text."""

    name: str
    relationship: str
    phone: str
    tel: str
    text: str
    needs_review: bool

    @property
    def label(self) -> str:
        """"Sam (sister)": the name with the relationship, as the plan reads aloud."""
        return f"{self.name} ({self.relationship})" if self.relationship else self.name


def shown(items: list[dict[str, Any]]) -> list[ShownContact]:
    result = []
    for item in items:
        if item.get("needs_review"):
            result.append(ShownContact(name="", relationship="", phone="", tel="",
                                       text=item.get("text", ""), needs_review=True))
            continue
        phone = item.get("phone", "")
        try:
            tel = phone_tel(phone)
        except PhoneError:
            tel = ""
        result.append(ShownContact(name=item.get("name", ""),
                                   relationship=item.get("relationship", ""), phone=phone,
                                   tel=tel, text="", needs_review=False))
    return result
