"""What a proxy may see, as pure rules: the record kinds, the practice's default tiers, and how
a link's tier, its overrides, the client's grants and the client's age combine. No database:
`practice.family.selectors.proxy_sees` feeds these the rows and is the one place that asks.

A record kind is a kind of thing in a client's record a proxy could be shown. Four are the
client's own voice (journal, mood check-ins, self-report answers, the client's messages): no
tier holds them by default, a staff override cannot add them, and only the client, once old
enough under the practice's age setting, can grant them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _


class Kind:
    APPOINTMENTS = "appointments"
    FORMS = "forms"
    INVOICES = "invoices"
    MESSAGES = "messages"  # the proxy's own conversation with the practice (logistics)
    PROGRESS = "progress"  # the clinician's general progress summary for family
    GOALS = "goals"  # only goals the clinician marked shareable
    HOMEWORK = "homework"
    DOCUMENTS = "documents"
    RESOURCES = "resources"
    SAFETY_PLAN = "safety_plan"
    # Releases of information to sign or revoke for the client (below the age only).
    RELEASES = "releases"
    # The client's own voice.
    JOURNAL = "journal"
    MOOD = "mood"
    SELF_REPORT = "self_report"
    CLIENT_MESSAGES = "client_messages"


KIND_LABELS = {
    Kind.APPOINTMENTS: _("Appointments"),
    Kind.FORMS: _("Forms to sign"),
    Kind.INVOICES: _("Invoices"),
    Kind.MESSAGES: _("Messages with the practice"),
    Kind.PROGRESS: _("Progress summary"),
    Kind.GOALS: _("Goals"),
    Kind.HOMEWORK: _("Homework"),
    Kind.DOCUMENTS: _("Shared files"),
    Kind.RESOURCES: _("Resources"),
    Kind.SAFETY_PLAN: _("Safety plan"),
    Kind.RELEASES: _("Releases of information to sign"),
    Kind.JOURNAL: _("Journal"),
    Kind.MOOD: _("Mood check-ins"),
    Kind.SELF_REPORT: _("Questionnaire answers and scores"),
    Kind.CLIENT_MESSAGES: _("The client's own messages"),
}
ALL_KINDS: tuple[str, ...] = tuple(KIND_LABELS)
CLIENT_VOICE: frozenset[str] = frozenset({Kind.JOURNAL, Kind.MOOD, Kind.SELF_REPORT,
                                          Kind.CLIENT_MESSAGES})
TIERABLE: tuple[str, ...] = tuple(kind for kind in ALL_KINDS if kind not in CLIENT_VOICE)
# What a proxy does as the client's personal representative: only while the client does not
# consent for themself. From the age on only the client signs or revokes a release, and a grant
# of theirs cannot hand it back (a grant shares what the client sees, not their signature).
BELOW_AGE_ONLY: frozenset[str] = frozenset({Kind.RELEASES})
GRANTABLE: tuple[str, ...] = tuple(kind for kind in ALL_KINDS if kind not in BELOW_AGE_ONLY)
# The portal module a kind's records belong to: while the practice has it off, no one sees it.
KIND_MODULE = {
    Kind.APPOINTMENTS: "booking", Kind.FORMS: "documents", Kind.INVOICES: "billing",
    Kind.MESSAGES: "messaging", Kind.GOALS: "goals", Kind.HOMEWORK: "homework",
    Kind.DOCUMENTS: "documents", Kind.RESOURCES: "resources", Kind.SAFETY_PLAN: "safety_plan",
    Kind.JOURNAL: "journal", Kind.MOOD: "mood_checkin", Kind.SELF_REPORT: "assessments",
    Kind.CLIENT_MESSAGES: "messaging",
}


@dataclass(frozen=True)
class DefaultTier:
    key: str
    name: str
    kinds: tuple[str, ...]


_LOGISTICS = (Kind.APPOINTMENTS, Kind.FORMS, Kind.INVOICES, Kind.MESSAGES)
_PROGRESS = (*_LOGISTICS, Kind.PROGRESS, Kind.GOALS)
DEFAULT_TIERS: tuple[DefaultTier, ...] = (
    DefaultTier("logistics", "Logistics", _LOGISTICS),
    DefaultTier("progress", "Progress", _PROGRESS),
    # "Everything a client sees" for a young child: every kind a tier may hold, signing
    # releases of information for the child included (the only default tier with it).
    DefaultTier("full", "Full", TIERABLE),
)


def tier_kinds_clean(kinds: Iterable[str]) -> tuple[str, ...]:
    """Known kinds a tier may hold, in the catalogue's order; the client's voice never."""
    wanted = set(kinds)
    return tuple(kind for kind in TIERABLE if kind in wanted)


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    return years - ((today.month, today.day) < (birth_date.month, birth_date.day))


def decides_for_self(*, birth_date: date | None, self_consent_age: int | None,
                     today: date) -> bool:
    """Whether the client consents for themself. Fails closed: with no age set by the practice
    (or for this client) or no birth date recorded, the client decides, and proxies see only
    what the client grants."""
    if self_consent_age is None or birth_date is None:
        return True
    return age_on(birth_date, today) >= self_consent_age


@dataclass(frozen=True)
class LinkFacts:
    """What decides one proxy link's view, read from the database by the selector."""

    tier_kinds: frozenset[str]
    added: frozenset[str]  # staff overrides on this link
    removed: frozenset[str]
    granted: frozenset[str]  # what the client granted (any kind)
    client_decides: bool
    modules_on: frozenset[str]


def kinds_visible(facts: LinkFacts) -> frozenset[str]:
    """The kinds a proxy sees through one link.

    Below the age: the tier, with the link's overrides (never the client's voice). From the
    age on: only what the client granted ("tiers shrink to what the client grants")."""
    if facts.client_decides:
        kinds = set(facts.granted) - BELOW_AGE_ONLY
    else:
        kinds = ((set(facts.tier_kinds) | set(facts.added)) - set(facts.removed)) - CLIENT_VOICE
    # The progress summary and releases belong to no portal module: never switched off.
    return frozenset(kind for kind in kinds
                     if kind in KIND_MODULE and KIND_MODULE[kind] in facts.modules_on
                     or kind in (Kind.PROGRESS, Kind.RELEASES))


# --- the proxy's consent ------------------------------------------------------------------------

@dataclass(frozen=True)
class ProxyConsent:
    version: int
    title: object
    paragraphs: tuple[object, ...]


PROXY_CONSENT = ProxyConsent(
    version=1,
    title=_("Using the portal as a family member"),
    paragraphs=(
        _("You are signing in as yourself, on behalf of someone the practice cares for. The "
          "practice chose what you can see for each person you are linked to; the page always "
          "shows whose record you are in."),
        _("Some things stay between the person and the practice: their journal, mood "
          "check-ins, their own answers to questionnaires and their own messages, unless they "
          "choose to share them with you. Once they are old enough to decide for themselves "
          "(the practice's rule), they choose what you see, and may see who can see what."),
        _("Every time you open information here it is logged. Not for emergencies: if someone "
          "is in danger, call or text 988 or your local emergency number."),
    ),
)
