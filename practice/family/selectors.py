"""Reads of the family feature. `proxy_sees` is the ONE choke point of every proxy visibility
decision: every proxy page, API answer, email and push asks it (directly, or through
`proxy_items`) before anything of a client's record reaches a proxy.

Part 2 (42 CFR Part 2) filtering is `part2_filter_for_proxy` (practice.disclosure's
`hidden_from_proxy`): every list of items a proxy receives passes through it after the
clinician's marks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from django.db.models import QuerySet
from django.utils import timezone

from practice.access import Capability, client_in_reach, clients_in_reach
from practice.appointments.models import Appointment
from practice.care.models import ClientResource, Goal, Homework, JournalEntry
from practice.disclosure.selectors import (
    hidden_from_proxy,
    release_recipient,
    releases_for_proxy,
)
from practice.documents.models import Document
from practice.family import policies
from practice.family.models import (
    CaregiverAssignment,
    CaregiverReport,
    ClientAgeFacts,
    FamilySettings,
    FamilySummary,
    ItemMark,
    ProxyAccount,
    ProxyConsentAcceptance,
    ProxyLink,
    ProxyTier,
)
from practice.family.policies import Kind, LinkFacts
from practice.formbuilder.models import FormAssignment
from practice.invoices.models import Invoice
from practice.measurement import schedule
from practice.measurement.models import Response
from practice.messaging.models import Conversation
from practice.messaging.policies import MessagingPolicy, Scope
from practice.messaging.selectors import client_messages, person, proxy_thread_messages
from practice.models import SafetyPlan
from tenants.accounts.models import User
from tenants.models import Practice


class NotForProxy(User.DoesNotExist):
    """What a proxy may not see looks exactly like what does not exist (the same 404)."""


# --- settings and tiers ------------------------------------------------------------------------

def family_settings() -> FamilySettings:
    row = FamilySettings.objects.filter(singleton=True).first()
    return row if row is not None else FamilySettings(singleton=True)


def tiers() -> list[ProxyTier]:
    return list(ProxyTier.objects.all())


def client_age_facts(client: User) -> ClientAgeFacts:
    row = ClientAgeFacts.objects.filter(client=client).first()
    return row if row is not None else ClientAgeFacts(client=client)


def client_decides(client: User, *, today: date | None = None,
                   settings: FamilySettings | None = None) -> bool:
    """Whether the client consents for themself today (the practice's age, or the client's own
    override; no age or no birth date: yes, failing closed)."""
    facts = client_age_facts(client)
    age = facts.self_consent_age
    if age is None:
        age = (settings or family_settings()).self_consent_age
    return policies.decides_for_self(birth_date=facts.birth_date, self_consent_age=age,
                                     today=today or timezone.localdate())


# --- links ---------------------------------------------------------------------------------------

def proxy_links_for(proxy: User) -> list[ProxyLink]:
    """The proxy's active links with their clients, for the switcher (one query)."""
    return list(ProxyLink.objects.select_related("client", "tier")
                .filter(proxy=proxy, client__in=clients_in_reach(proxy, Capability.FAMILY))
                .order_by("client__full_name", "pk"))


def proxy_link(proxy: User, client_id: int) -> ProxyLink:
    """The proxy's active link to this client, or User.DoesNotExist (out of reach == missing)."""
    client = client_in_reach(proxy, Capability.FAMILY, client_id)
    return ProxyLink.objects.select_related("client", "tier").get(proxy=proxy, client=client)


def links_of_client(client: User) -> list[ProxyLink]:
    return list(ProxyLink.objects.select_related("proxy", "tier").filter(client=client)
                .order_by("created_at", "pk"))


def proxy_account(user: User) -> ProxyAccount:
    row = ProxyAccount.objects.filter(user=user).first()
    return row if row is not None else ProxyAccount(user=user)


# --- the choke point -----------------------------------------------------------------------------

def link_facts(link: ProxyLink, *, practice: Practice, today: date | None = None) -> LinkFacts:
    return LinkFacts(
        tier_kinds=frozenset(link.tier.kinds), added=frozenset(link.kinds_added),
        removed=frozenset(link.kinds_removed), granted=frozenset(link.kinds_granted),
        client_decides=client_decides(link.client, today=today),
        modules_on=frozenset(practice.enabled_modules))


def kinds_for_link(link: ProxyLink, *, practice: Practice,
                   today: date | None = None) -> frozenset[str]:
    """The record kinds one link shows now."""
    if link.revoked_at is not None or link.accepted_at is None:
        return frozenset()
    return policies.kinds_visible(link_facts(link, practice=practice, today=today))


def proxy_sees(*, proxy: User, client_id: int, kind: str, practice: Practice,
               today: date | None = None) -> ProxyLink:
    """THE choke point: the link through which `proxy` may see `kind` of this client's record.
    Raises NotForProxy (a User.DoesNotExist: the same 404 as a missing client) otherwise."""
    if kind not in policies.ALL_KINDS:
        raise NotForProxy
    try:
        link = proxy_link(proxy, client_id)
    except (User.DoesNotExist, ProxyLink.DoesNotExist):
        raise NotForProxy from None
    if kind not in kinds_for_link(link, practice=practice, today=today):
        raise NotForProxy
    return link


def proxy_signs_for(*, proxy: User, client_id: int, practice: Practice,
                    today: date | None = None) -> ProxyLink:
    """The link through which `proxy` may sign and revoke this client's releases as their
    personal representative: in force, its effective tier (with staff's overrides) holding
    "releases", and the client below the age of self-consent (policies.BELOW_AGE_ONLY). A
    NotForProxy (the same 404) otherwise. 42 CFR Part 2 consents are never the proxy's:
    practice.disclosure refuses them on top of this."""
    return proxy_sees(proxy=proxy, client_id=client_id, kind=Kind.RELEASES, practice=practice,
                      today=today)


# The family kinds that can hold a Part 2 record, as the disclosure ledger names records
# (practice.disclosure.selectors.RecordRef). The proxy's own conversation with the practice
# (Kind.MESSAGES) is logistics between the practice and the proxy, not the client's record.
PART2_RECORD_KINDS = {Kind.SELF_REPORT: "response", Kind.MOOD: "response", Kind.GOALS: "goal",
                      Kind.DOCUMENTS: "document", Kind.CLIENT_MESSAGES: "message"}


def part2_filter_for_proxy(*, proxy: User, client: User, kind: str, items: Sequence[ItemRow],
                           today: date | None = None) -> list[ItemRow]:
    """42 CFR Part 2 (practice.disclosure): drop every item that is a Part 2 record unless a
    signed Part 2 consent in force names this proxy (`hidden_from_proxy`). Nothing is hidden
    while the practice is not a Part 2 program. Every list a proxy receives passes through here
    (proxy_items)."""
    record_kind = PART2_RECORD_KINDS.get(kind)
    if record_kind is None or not items:
        return list(items)
    hidden = hidden_from_proxy(client.pk, proxy.pk, today or timezone.localdate())
    return [item for item in items if (record_kind, item.object_id) not in hidden]


# --- what each kind shows ----------------------------------------------------------------------

@dataclass(frozen=True)
class ItemRow:
    kind: str
    object_id: int
    title: str
    when: datetime | date | None
    detail: str = ""


def _appointments(client: User) -> list[ItemRow]:
    rows = (Appointment.objects.filter(client=client).select_related("appointment_type")
            .order_by("-starts_at")[:50])
    return [ItemRow(Kind.APPOINTMENTS, row.pk, row.appointment_type.name, row.starts_at,
                    row.get_status_display()) for row in rows]


def _forms(client: User) -> list[ItemRow]:
    rows = (FormAssignment.objects.filter(client=client)
            .exclude(status=FormAssignment.Status.WITHDRAWN)
            .select_related("version__template").order_by("-requested_at")[:50])
    # The form's name and where it stands: never the answers.
    return [ItemRow(Kind.FORMS, row.pk, row.version.template.title, row.requested_at,
                    row.get_status_display()) for row in rows]


def _invoices(client: User) -> list[ItemRow]:
    rows = Invoice.objects.filter(client=client).exclude(status=Invoice.Status.DRAFT)[:50]
    return [ItemRow(Kind.INVOICES, row.pk, f"#{row.number}", row.issue_date,
                    f"{row.total} {row.currency} · {row.get_status_display()}") for row in rows]


def _progress(client: User) -> list[ItemRow]:
    row = FamilySummary.objects.filter(client=client).first()
    return [] if row is None else [ItemRow(Kind.PROGRESS, row.pk, "", row.updated_at, row.text)]


def _goals(client: User, *, shareable_only: bool = True) -> list[ItemRow]:
    rows = Goal.objects.filter(client=client)
    if shareable_only:
        rows = rows.filter(pk__in=ItemMark.objects.filter(
            client=client, kind=Kind.GOALS, mark=ItemMark.Mark.SHAREABLE).values("object_id"))
    return [ItemRow(Kind.GOALS, row.pk, row.title, row.created_at, row.get_status_display())
            for row in rows]


def _homework(client: User) -> list[ItemRow]:
    rows = Homework.objects.filter(client=client, is_active=True)[:50]
    return [ItemRow(Kind.HOMEWORK, row.pk, row.instructions[:200], row.due_on) for row in rows]


def _documents(client: User) -> list[ItemRow]:
    rows = Document.objects.filter(client=client, source=Document.Source.STAFF,
                                   withdrawn_at__isnull=True)[:50]
    return [ItemRow(Kind.DOCUMENTS, row.pk, row.display_name, row.created_at, row.note)
            for row in rows]


def _resources(client: User) -> list[ItemRow]:
    rows = ClientResource.objects.filter(client=client).select_related("resource")[:50]
    return [ItemRow(Kind.RESOURCES, row.pk, row.resource.title, row.shared_at,
                    row.resource.description) for row in rows]


def _safety_plan(client: User) -> list[ItemRow]:
    plan = SafetyPlan.objects.filter(client=client, is_active=True).first()
    if plan is None:
        return []
    lines = [*plan.warning_signs, *plan.coping_strategies,
             *(f"{c.get('name', '')} {c.get('phone', '')}" for c in plan.help_contacts)]
    return [ItemRow(Kind.SAFETY_PLAN, plan.pk, "", plan.updated_at, " · ".join(lines))]


def _releases(client: User) -> list[ItemRow]:
    """Releases the proxy may sign or revoke for the client: awaiting a signature, or signed
    and in force to revoke. Never a 42 CFR Part 2 consent (releases_for_proxy)."""
    rows = releases_for_proxy(client)[:50]
    return [ItemRow(Kind.RELEASES, row.pk, release_recipient(row), row.created_at,
                    row.get_status_display()) for row in rows]


def _journal(client: User) -> list[ItemRow]:
    rows = JournalEntry.objects.filter(client=client)[:50]
    return [ItemRow(Kind.JOURNAL, row.pk, "", row.created_at, row.body) for row in rows]


def _mood(client: User) -> list[ItemRow]:
    rows = Response.objects.filter(client=client, instrument_key="mood", status="submitted",
                                   entered_in_error_at__isnull=True)[:50]
    return [ItemRow(Kind.MOOD, row.pk, "", row.submitted_at, row.band_label) for row in rows]


def _self_report(client: User) -> list[ItemRow]:
    rows = (Response.objects.filter(client=client, status="submitted",
                                    entered_in_error_at__isnull=True)
            .exclude(instrument_key="mood")[:50])
    return [ItemRow(Kind.SELF_REPORT, row.pk, row.instrument_key.upper(), row.submitted_at,
                    f"{row.total if row.total is not None else ''} {row.band_label}".strip())
            for row in rows]


def _client_messages(client: User) -> list[ItemRow]:
    # The client's own conversations only: never a proxy's about them.
    rows = (client_messages(client).select_related("conversation")
            .order_by("-created_at")[:50])
    return [ItemRow(Kind.CLIENT_MESSAGES, row.pk, row.conversation.subject, row.created_at,
                    row.body) for row in rows]


def _messages(link: ProxyLink) -> list[ItemRow]:
    """The proxy's own conversations with the practice about this client (secure messaging's
    conversations of this link), oldest first."""
    return [ItemRow(Kind.MESSAGES, row.pk, row.author.full_name, row.created_at, row.body)
            for row in proxy_thread_messages(link.pk)]


_FETCH: dict[str, Callable[[User], list[ItemRow]]] = {
    Kind.APPOINTMENTS: _appointments, Kind.FORMS: _forms, Kind.INVOICES: _invoices,
    Kind.PROGRESS: _progress, Kind.GOALS: _goals, Kind.HOMEWORK: _homework,
    Kind.DOCUMENTS: _documents, Kind.RESOURCES: _resources, Kind.SAFETY_PLAN: _safety_plan,
    Kind.RELEASES: _releases, Kind.JOURNAL: _journal, Kind.MOOD: _mood,
    Kind.SELF_REPORT: _self_report, Kind.CLIENT_MESSAGES: _client_messages,
}


def proxy_items(*, proxy: User, client_id: int, kind: str, practice: Practice,
                today: date | None = None) -> tuple[ProxyLink, list[ItemRow]]:
    """The items of `kind` a proxy may see: through `proxy_sees`, without the items the
    clinician marked "not for proxies", then through the Part 2 hook. NotForProxy otherwise."""
    link = proxy_sees(proxy=proxy, client_id=client_id, kind=kind, practice=practice,
                      today=today)
    rows = _messages(link) if kind == Kind.MESSAGES else _FETCH[kind](link.client)
    hidden = set(ItemMark.objects.filter(client=link.client, kind=kind,
                                         mark=ItemMark.Mark.HIDDEN)
                 .values_list("object_id", flat=True))
    rows = [row for row in rows if row.object_id not in hidden]
    return link, part2_filter_for_proxy(proxy=proxy, client=link.client, kind=kind, items=rows,
                                        today=today)


def client_items(client: User, kind: str) -> list[ItemRow]:
    """Staff's view of the same items (for marking "not for proxies"; every goal, to mark
    shareable)."""
    if kind == Kind.GOALS:
        return _goals(client, shareable_only=False)
    if kind == Kind.RELEASES:
        return []  # a release is the client's to sign, not a record to mark
    return _FETCH[kind](client) if kind in _FETCH else []


def item_marks(client: User) -> dict[tuple[str, int], set[str]]:
    marks: dict[tuple[str, int], set[str]] = {}
    for kind, object_id, mark in ItemMark.objects.filter(client=client).values_list(
            "kind", "object_id", "mark"):
        marks.setdefault((kind, object_id), set()).add(mark)
    return marks


# --- caregiver reports ---------------------------------------------------------------------------

def caregiver_assignments_open(link: ProxyLink) -> QuerySet[CaregiverAssignment]:
    return CaregiverAssignment.objects.filter(link=link, ended_at__isnull=True)


def proxy_timezone(proxy_id: int) -> str:
    zone = (ProxyAccount.objects.filter(user_id=proxy_id).values_list("timezone", flat=True)
            .first())
    return zone or "UTC"


@dataclass(frozen=True)
class CaregiverDue:
    """One occurrence of a caregiver questionnaire waiting for the proxy."""

    assignment: CaregiverAssignment
    occurrence_date: date
    due_at: datetime
    is_overdue: bool


def caregiver_occurrence(assignment: CaregiverAssignment, *, tz_name: str,
                         now: datetime) -> date | None:
    """The occurrence of the assignment open now in the proxy's calendar (the client's
    assignments' schedule, practice.measurement.schedule)."""
    today = schedule.local_today(now, tz_name)
    return schedule.current_occurrence(assignment.frequency, assignment.starts_on,
                                       assignment.ends_on, today)


def caregiver_due(link: ProxyLink, *, now: datetime | None = None) -> list[CaregiverDue]:
    """What the proxy has to fill in about this client now: each open assignment's current
    occurrence not answered yet, soonest due first (two queries, whatever the history).
    An occurrence a newer one replaced is missed, never piled up."""
    now = now or timezone.now()
    tz_name = proxy_timezone(link.proxy_id)
    assignments = list(caregiver_assignments_open(link).order_by("pk"))
    answered = set(CaregiverReport.objects.filter(assignment__in=assignments)
                   .values_list("assignment_id", "occurrence_date"))
    rows = []
    for assignment in assignments:
        day = caregiver_occurrence(assignment, tz_name=tz_name, now=now)
        if day is None or (assignment.pk, day) in answered:
            continue
        due_at = schedule.occurrence_due_at(assignment.frequency, assignment.starts_on,
                                            assignment.ends_on, day, tz_name)
        rows.append(CaregiverDue(assignment, day, due_at, due_at < now))
    return sorted(rows, key=lambda row: (row.due_at, row.assignment.pk))


# Of a submitted, scored report or response (the only ones the series below are made of).
def _at(scored: CaregiverReport | Response) -> datetime:
    return cast(datetime, scored.submitted_at)


def _total(scored: CaregiverReport | Response) -> float:
    return float(cast(Decimal, scored.total))


def caregiver_reports(client: User) -> list[CaregiverReport]:
    return list(CaregiverReport.objects.filter(client=client).select_related("informant"))


def client_totals(client: User, instrument_key: str) -> list[Response]:
    return list(Response.objects.filter(client=client, instrument_key=instrument_key,
                                        status="submitted", entered_in_error_at__isnull=True)
                .order_by("submitted_at"))


def proxy_consent_accepted(user: User, version: int) -> bool:
    return ProxyConsentAcceptance.objects.filter(user=user, version__gte=version).exists()


def link_for_staff(user: User, link_id: int) -> ProxyLink:
    """A link of a client in `user`'s reach (CLIENT_ACCESS), or User.DoesNotExist."""
    link = ProxyLink.objects.select_related("proxy", "client", "tier").filter(pk=link_id).first()
    if link is None:
        raise User.DoesNotExist
    client_in_reach(user, Capability.CLIENT_ACCESS, link.client_id)
    return link


def proxy_conversations(link: ProxyLink) -> list[Conversation]:
    """A link's conversations with the practice, newest activity first (staff's list: each
    opens in the staff inbox)."""
    return list(Conversation.objects.filter(proxy_link=link).order_by("-last_message_at", "-pk"))


def family_summary_text(client: User) -> str:
    row = FamilySummary.objects.filter(client=client).first()
    return row.text if row is not None else ""


@dataclass(frozen=True)
class InformantSeries:
    """One caregiver instrument's reports about a client and the client's own instrument it is
    compared with, for the charts side by side and their one table."""

    caregiver_key: str
    own_key: str
    caregiver_points: list[tuple[datetime, float]]
    own_points: list[tuple[datetime, float]]
    rows: list[tuple[datetime, str, str, float, str]]  # when, informant, instrument, total, band


def informant_series(client: User) -> list[InformantSeries]:
    pairs: dict[str, str] = {}
    for assignment in CaregiverAssignment.objects.filter(link__client=client).order_by("pk"):
        pairs.setdefault(assignment.instrument_key, assignment.compare_with)
    series = []
    reports = [report for report in caregiver_reports(client) if report.total is not None]
    for caregiver_key, own_key in pairs.items():
        mine = sorted((r for r in reports if r.instrument_key == caregiver_key),
                      key=lambda r: r.submitted_at)
        own = [r for r in (client_totals(client, own_key) if own_key else [])
               if r.total is not None]
        rows = [(_at(r), f"{r.informant.full_name} ({r.relationship})", caregiver_key,
                 _total(r), r.band_label) for r in mine]
        rows += [(_at(r), client.full_name, own_key, _total(r), r.band_label) for r in own]
        series.append(InformantSeries(
            caregiver_key, own_key, [(_at(r), _total(r)) for r in mine],
            [(_at(r), _total(r)) for r in own], sorted(rows)))
    return series


def staff_may_message_proxy(staff: User, link: ProxyLink, policy: MessagingPolicy) -> bool:
    """The practice's messaging policy, applied to a proxy's thread as to the client's: who has
    messaging at all (the front desk only if the practice says so), and, where the policy keeps
    staff to their caseload, the client's clinicians only."""
    if policy.staff_scope(person(staff)) is Scope.NONE:
        return False
    if not policy.limited_to_caseload:
        return True
    return link.client.client_profile.clinicians.filter(pk=staff.pk).exists()
