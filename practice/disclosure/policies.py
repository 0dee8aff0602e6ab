"""The pure rules of sharing: what a release may cover, whether a request is covered, the
elements a 42 CFR Part 2 consent must carry (§2.31), the notice every Part 2 package carries
(§2.32), the restrictions a client asked for (§2.26), and the accounting periods. No database:
the services and selectors hand in plain values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

# --- what a release may cover ------------------------------------------------------------------

SCORES = "scores"
GOALS = "goals"
ENGAGEMENT = "engagement"
DOCUMENTS = "documents"
MESSAGES = "messages"
COUNSELING_NOTES = "sud_counseling_notes"

SCOPE_KINDS: dict[str, object] = {
    SCORES: _("Measure scores (the instruments named)"),
    GOALS: _("Treatment goals and their progress"),
    ENGAGEMENT: _("Homework and engagement summary"),
    DOCUMENTS: _("Documents: completed and signed forms, files shared or uploaded"),
    MESSAGES: _("Secure message threads with the practice"),
    COUNSELING_NOTES: _("SUD counseling notes (needs its own consent)"),
}

# The packages `disclose` can build, and the kinds of record each carries at most.
PROGRESS_REPORT = "progress_report"
FHIR_BUNDLE = "fhir_bundle"
DOCUMENTS_PACKAGE = "documents"
MESSAGES_PACKAGE = "message_threads"
PACKAGE_KINDS: dict[str, object] = {
    PROGRESS_REPORT: _("Progress report (PDF)"),
    FHIR_BUNDLE: _("Measure results (FHIR R4 bundle)"),
    DOCUMENTS_PACKAGE: _("Documents (forms as PDF, files as stored, with an index)"),
    MESSAGES_PACKAGE: _("Message threads (PDF)"),
}
PACKAGE_CARRIES: dict[str, frozenset[str]] = {
    PROGRESS_REPORT: frozenset({SCORES, GOALS, ENGAGEMENT}),
    FHIR_BUNDLE: frozenset({SCORES}),
    DOCUMENTS_PACKAGE: frozenset({DOCUMENTS}),
    MESSAGES_PACKAGE: frozenset({MESSAGES}),
}


def packages_for(kinds: Iterable[str]) -> list[str]:
    """The package kinds that can carry something of `kinds` (what a release covers)."""
    wanted = frozenset(kinds)
    return [kind for kind, carries in PACKAGE_CARRIES.items() if carries & wanted]

# Instruments whose answers identify a substance use disorder: Part 2 by kind when the practice
# is a Part 2 program. Keys of shipped instruments and the usual keys of practice-defined ones.
SUD_INSTRUMENT_KEYS = frozenset({"auditc", "audit", "audit_c", "dast10", "dast_10", "dast",
                                 "cage_aid", "assist", "tcudv", "tcud5", "cudit_r"})

# Record kinds a Part 2 tag can name (by hand), and "episode" marked as SUD treatment.
TAG_KINDS = ("response", "goal", "document", "form", "message", "episode")


# --- what a request asks for -------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    kinds: frozenset[str]
    instrument_keys: frozenset[str] = frozenset()
    start: date | None = None
    end: date | None = None


def scope_problems(scope: Scope) -> list[str]:
    """What is wrong with a release's scope as drafted, in words for staff."""
    problems = []
    unknown = scope.kinds - set(SCOPE_KINDS)
    if not scope.kinds:
        problems.append(str(_("Choose at least one kind of record.")))
    if unknown:
        problems.append(str(_("Unknown kind of record.")))
    if SCORES in scope.kinds and not scope.instrument_keys:
        problems.append(str(_("Name the instruments whose scores may be shared.")))
    if COUNSELING_NOTES in scope.kinds and len(scope.kinds) > 1:
        problems.append(str(_("SUD counseling notes need a consent of their own: release "
                              "them separately from any other record.")))
    if scope.start and scope.end and scope.end < scope.start:
        problems.append(str(_("The date range ends before it starts.")))
    return problems


def uncovered(request: Scope, release: Scope) -> list[str]:
    """What `request` asks for beyond `release` (empty: covered exactly)."""
    gaps = []
    if request.kinds - release.kinds:
        gaps.append("kinds: " + ", ".join(sorted(request.kinds - release.kinds)))
    if SCORES in request.kinds and request.instrument_keys - release.instrument_keys:
        gaps.append("instruments: " + ", ".join(sorted(
            request.instrument_keys - release.instrument_keys)))
    if release.start and (request.start is None or request.start < release.start):
        gaps.append("dates before the release's range")
    if release.end and (request.end is None or request.end > release.end):
        gaps.append("dates after the release's range")
    return gaps


# --- validity ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReleaseState:
    status: str
    expires_on: date | None
    expiry_event_reached: bool = False


def release_refusal(state: ReleaseState, today: date) -> str | None:
    """Why a release cannot be used today, or None."""
    if state.status == "revoked":
        return str(_("The release was revoked."))
    if state.status != "signed":
        return str(_("The release is not signed."))
    if state.expires_on is not None and today > state.expires_on:
        return str(_("The release expired."))
    if state.expiry_event_reached:
        return str(_("The release ended with the event it names."))
    return None


# --- 42 CFR Part 2 -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConsentTerms:
    """The parts of a consent that §2.31 asks for, as plain values."""

    patient_name: str
    discloser: str
    information_description: str
    recipient: str
    purpose: str
    revocation_statement: str
    expires_on: date | None
    expiry_event: str
    signed_name: str
    signed_at: datetime | None


PART2_ELEMENTS: tuple[tuple[str, object], ...] = (
    ("patient_name", _("the patient's name")),
    ("discloser", _("who may make the disclosure")),
    ("information", _("a specific description of the information")),
    ("recipient", _("the recipients")),
    ("purpose", _("the purpose of the disclosure")),
    ("revocation", _("the patient's right to revoke")),
    ("expiry", _("an expiry date, event or condition")),
    ("signature", _("the patient's signature")),
    ("date", _("the date signed")),
)


def missing_part2_elements(terms: ConsentTerms) -> list[str]:
    """The §2.31 elements a consent lacks, in the order of the regulation (empty: complete)."""
    present = {
        "patient_name": bool(terms.patient_name.strip()),
        "discloser": bool(terms.discloser.strip()),
        "information": bool(terms.information_description.strip()),
        "recipient": bool(terms.recipient.strip()),
        "purpose": bool(terms.purpose.strip()),
        "revocation": bool(terms.revocation_statement.strip()),
        "expiry": terms.expires_on is not None or bool(terms.expiry_event.strip()),
        "signature": bool(terms.signed_name.strip()),
        "date": terms.signed_at is not None,
    }
    return [str(label) for key, label in PART2_ELEMENTS if not present[key]]


# The §2.32 notice: the short form the rule allows, and the sentence on proceedings.
PART2_NOTICE = (
    "42 CFR part 2 prohibits unauthorized use or disclosure of these records. "
    "These records may not be used or disclosed in any civil, criminal, administrative or "
    "legislative proceeding against the patient without the patient's specific written "
    "consent or a court order that meets the requirements of 42 CFR part 2.")


def revocation_wording() -> str:
    return str(_("You may revoke this authorisation at any time, in the portal or by telling "
                 "the practice. Revoking stops future disclosures; it cannot undo a disclosure "
                 "already made."))


# --- restrictions (§2.26) ----------------------------------------------------------------------

@dataclass(frozen=True)
class RestrictionTerms:
    recipient_match: str
    kinds: frozenset[str] = frozenset()
    instrument_keys: frozenset[str] = frozenset()


def restriction_hits(restriction: RestrictionTerms, *, recipient: str,
                     request: Scope) -> bool:
    """Whether a restriction forbids sending `request` to `recipient`."""
    match = restriction.recipient_match.strip().casefold()
    if match and match not in recipient.casefold():
        return False
    if not restriction.kinds and not restriction.instrument_keys:
        return True
    if restriction.kinds & request.kinds:
        return True
    return SCORES in request.kinds and bool(restriction.instrument_keys
                                             & request.instrument_keys)


# --- the link and the accounting ---------------------------------------------------------------

LINK_LIFETIME = timedelta(days=7)
MAX_PACKAGE_BYTES = 100 * 1024 * 1024  # a documents package's files, before compression
MAX_WRONG_CODES = 5
CODE_LENGTH = 8
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone
CODE_RATE = "10/h"  # code attempts per link and per address

HIPAA_ACCOUNTING_YEARS = 6  # 45 CFR 164.528
PART2_ACCOUNTING_YEARS = 3  # 42 CFR 2.25 (disclosures made with consent)


def accounting_since(now: datetime, *, part2: bool) -> datetime:
    years = PART2_ACCOUNTING_YEARS if part2 else HIPAA_ACCOUNTING_YEARS
    return now - timedelta(days=365 * years + years // 4 + 1)


def normalise_code(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def kinds_of(values: Iterable[str]) -> frozenset[str]:
    return frozenset(value for value in values if value)


@dataclass(frozen=True)
class PackagePlan:
    """What one package will hold (the request, after checks)."""

    package_kind: str
    scope: Scope
    part2_ids: frozenset[tuple[str, int]] = field(default_factory=frozenset)
