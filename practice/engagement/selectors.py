"""Reads for the engagement rules, the settings page and the digest.

Every rule reads the whole practice at once: one set-based query (two at most) per rule,
whatever the number of clients and the length of their history. Rules then decide in pure
Python on the rows read (practice.engagement.rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import (
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from practice.care.models import Homework, HomeworkCompletion, JournalEntry
from practice.engagement.models import JournalingAssignment, RuleSetting
from practice.measurement.definitions import InstrumentDefinition, definition_from_dict
from practice.measurement.library import SHIPPED
from practice.measurement.models import Alert, Assignment, PracticeInstrument, Response
from practice.measurement.selectors import alert_inbox
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.models import Practice

MOOD_KEY = "mood"


def rule_settings() -> dict[str, RuleSetting]:
    return {row.rule_key: row for row in RuleSetting.objects.all()}


# --- who the rules watch -----------------------------------------------------------------------

def watched_clients() -> QuerySet[User]:
    """Active clients using the portal: access accepted and not revoked. Engagement rules are
    about how a client uses the portal, so a client never invited is not "silent"."""
    return User.objects.filter(
        role=Role.CLIENT, is_active=True, portal_access__accepted_at__isnull=False,
        portal_access__revoked_at__isnull=True)


def _client_zone() -> Coalesce:
    return Coalesce(F("client__client_profile__timezone"), Value("UTC"))


@dataclass(frozen=True)
class LastSeen:
    client_id: int
    last_seen: datetime


def sign_in_silence(cutoff: datetime) -> list[LastSeen]:
    """Watched clients whose last sign-in (or acceptance, if they never signed in since) is at
    or before `cutoff`."""
    rows = (watched_clients()
            .annotate(seen=Coalesce("last_login", "portal_access__accepted_at"))
            .filter(seen__lte=cutoff).values_list("pk", "seen"))
    return [LastSeen(client_id, seen) for client_id, seen in rows]


def journal_silence(cutoff: datetime) -> list[LastSeen]:
    """Clients with journaling assigned whose last entry (or the assignment, if later) is at or
    before `cutoff`."""
    last_entry = (JournalEntry.objects.filter(client=OuterRef("client"))
                  .order_by("-created_at").values("created_at")[:1])
    rows = (JournalingAssignment.objects
            .filter(ended_at__isnull=True, client__in=watched_clients())
            .annotate(seen=Greatest("assigned_at", Coalesce(Subquery(last_entry),
                                                            "assigned_at")))
            .filter(seen__lte=cutoff).values_list("client_id", "seen"))
    return [LastSeen(client_id, seen) for client_id, seen in rows]


@dataclass(frozen=True)
class Schedule:
    """An active schedule of one client, with what the client last did about it."""

    client_id: int
    frequency: str
    starts_on: date
    ends_on: date | None
    timezone: str
    instrument_key: str = ""
    last_done_at: datetime | None = None  # check-ins: the latest check-in of any kind
    last_done_on: date | None = None  # assessments, homework: the latest occurrence done


def checkin_schedules() -> list[Schedule]:
    """Active mood check-in schedules of watched clients, each with the client's latest
    check-in (scheduled or not)."""
    latest = (Response.objects.filter(client=OuterRef("client"), instrument_key=MOOD_KEY,
                                      status=Response.Status.SUBMITTED)
              .order_by("-submitted_at").values("submitted_at")[:1])
    rows = (Assignment.objects
            .filter(ended_at__isnull=True, instrument_key=MOOD_KEY,
                    client__in=watched_clients())
            .annotate(zone=_client_zone(), last=Subquery(latest))
            .values_list("client_id", "frequency", "starts_on", "ends_on", "zone", "last"))
    return [Schedule(client_id=client_id, frequency=frequency, starts_on=starts_on,
                     ends_on=ends_on, timezone=zone, instrument_key=MOOD_KEY, last_done_at=last)
            for client_id, frequency, starts_on, ends_on, zone, last in rows]


def assessment_schedules() -> list[Schedule]:
    """Active assessment schedules (check-ins aside) of watched clients, each with the latest
    occurrence the client submitted."""
    # The newest occurrence done: a probe of the (assignment, occurrence) index each.
    done = (Response.objects.filter(assignment=OuterRef("pk"), status=Response.Status.SUBMITTED)
            .order_by("-occurrence_date").values("occurrence_date")[:1])
    rows = (Assignment.objects
            .filter(ended_at__isnull=True, client__in=watched_clients())
            .exclude(instrument_key=MOOD_KEY)
            .annotate(zone=_client_zone(), done=Subquery(done))
            .values_list("client_id", "frequency", "starts_on", "ends_on", "zone",
                         "instrument_key", "done"))
    return [Schedule(client_id=client_id, frequency=frequency, starts_on=starts_on,
                     ends_on=ends_on, timezone=zone, instrument_key=key, last_done_on=done)
            for client_id, frequency, starts_on, ends_on, zone, key, done in rows]


def homework_schedules() -> list[Schedule]:
    """Active homework of watched clients, each with the latest occurrence completed."""
    done = (HomeworkCompletion.objects.filter(homework=OuterRef("pk"))
            .order_by("-due_on").values("due_on")[:1])
    rows = (Homework.objects
            .filter(is_active=True, ended_at__isnull=True, client__in=watched_clients())
            .annotate(zone=_client_zone(), done=Subquery(done))
            .values_list("client_id", "repeats_weekly", "due_on", "zone", "done"))
    return [Schedule(client_id=client_id, frequency="weekly" if weekly else "once",
                     starts_on=due_on, ends_on=None, timezone=zone, last_done_on=done_on)
            for client_id, weekly, due_on, zone, done_on in rows]


# --- score histories, newest first, cut to the tail each rule needs -----------------------------

@dataclass(frozen=True)
class ScoreTail:
    client_id: int
    instrument_key: str
    totals: tuple[Decimal, ...]  # newest first, at most the length asked for
    first_id: int  # the first (baseline) score
    first_total: Decimal
    latest_ids: tuple[int, ...]  # the ids of `totals`


# Two index probes per client and instrument (response_history: client, instrument, submitted
# at), whatever the length of the history: the first score, and the latest ones.
_TAIL_SQL = """
    SELECT c.pk, k.key, b.id, b.total, t.id, t.total
    FROM ({watched}) AS c
    CROSS JOIN unnest(%s::text[]) AS k(key)
    JOIN LATERAL (
        SELECT r.id, r.total FROM {response} r
        WHERE r.client_id = c.pk AND r.instrument_key = k.key AND r.submitted_at IS NOT NULL
          AND r.status = 'submitted' AND r.total IS NOT NULL AND r.entered_in_error_at IS NULL
        ORDER BY r.submitted_at, r.id LIMIT 1
    ) AS b ON TRUE
    JOIN LATERAL (
        SELECT r.id, r.total, r.submitted_at FROM {response} r
        WHERE r.client_id = c.pk AND r.instrument_key = k.key AND r.submitted_at IS NOT NULL
          AND r.status = 'submitted' AND r.total IS NOT NULL AND r.entered_in_error_at IS NULL
        ORDER BY r.submitted_at DESC LIMIT %s
    ) AS t ON TRUE
    ORDER BY c.pk, k.key, t.submitted_at DESC, t.id DESC
"""


def score_tails(instrument_keys: list[str], length: int) -> list[ScoreTail]:
    """For every watched client and each of `instrument_keys` they have scores of: the latest
    `length` scores (newest first) and the first one. One query."""
    if not instrument_keys:
        return []
    watched_sql, watched_params = watched_clients().values("pk").query.sql_with_params()
    sql = _TAIL_SQL.format(response=Response._meta.db_table, watched=watched_sql)
    tails: dict[tuple[int, str], tuple[int, Decimal, list[int], list[Decimal]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*watched_params, list(instrument_keys), length])
        for client_id, key, first_id, first_total, latest_id, total in cursor.fetchall():
            entry = tails.setdefault((client_id, key), (first_id, first_total, [], []))
            entry[2].append(latest_id)
            entry[3].append(total)
    return [ScoreTail(client_id=client_id, instrument_key=key, totals=tuple(totals),
                      first_id=first_id, first_total=first_total, latest_ids=tuple(ids))
            for (client_id, key), (first_id, first_total, ids, totals) in tails.items()]


def deterioration_instruments(practice: Practice
                              ) -> dict[str, tuple[InstrumentDefinition, float | None]]:
    """Instruments whose reliable deterioration can be told: with a total and a reliable-change
    threshold (published, or the practice's own), shipped or practice-defined (one query)."""
    own = practice.reliable_change_thresholds or {}
    definitions = list(SHIPPED)
    latest: dict[str, PracticeInstrument] = {}
    for row in PracticeInstrument.objects.filter(
            status=PracticeInstrument.Status.PUBLISHED).order_by("key", "version"):
        latest[row.key] = row
    definitions += [definition_from_dict(row.definition, validate=False)
                    for row in latest.values()]
    found = {}
    for definition in definitions:
        threshold = own.get(definition.key)
        if definition.has_total and (definition.reliable_change is not None
                                     or threshold is not None):
            found[definition.key] = (definition,
                                     float(threshold) if threshold is not None else None)
    return found


# --- alerts ------------------------------------------------------------------------------------

def ongoing_condition_keys(dedupe_keys: list[str]) -> set[str]:
    """Which of these conditions already have their alert (not cleared since)."""
    return set(Alert.objects.filter(dedupe_key__in=dedupe_keys, condition_cleared_at__isnull=True)
               .values_list("dedupe_key", flat=True))


def alert_recipients(client_ids: list[int]) -> dict[int, list[User]]:
    """Each client's active clinicians; for a client with none, the practice's active owners
    (someone always hears about an alert). Two queries for any number of clients."""
    through = ClientProfile.clinicians.through
    pairs = list(through.objects.filter(clientprofile__user_id__in=client_ids,
                                        user__is_active=True)
                 .values_list("clientprofile__user_id", "user_id"))
    owners_needed = set(client_ids) - {client_id for client_id, _ in pairs}
    staff = User.objects.filter(Q(pk__in={user_id for _, user_id in pairs})
                                | (Q(role=Role.OWNER, is_active=True) if owners_needed
                                   else Q(pk__in=[])))
    people = {user.pk: user for user in staff}
    owners = [user for user in people.values() if user.role == Role.OWNER and user.is_active]
    owners.sort(key=lambda user: user.pk)
    found: dict[int, list[User]] = {client_id: [] for client_id in client_ids}
    for client_id, user_id in sorted(pairs):
        found[client_id].append(people[user_id])
    for client_id in owners_needed:
        found[client_id] = list(owners)
    return found


def inbox_counts(user: User, since: datetime) -> tuple[int, int]:
    """(alerts in the user's inbox now, alerts raised for them since `since`): two counts."""
    open_now = alert_inbox(user).count()
    new = Alert.objects.filter(recipients=user, created_at__gte=since).count()
    return open_now, new


def journaling_for(client: User) -> JournalingAssignment | None:
    return JournalingAssignment.objects.filter(client=client).first()
