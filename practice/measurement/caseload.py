"""The clinician's caseload as a table to sort, filter, search and page through.

Every filter and sort runs over the rows built for all the clients the user may see, in a fixed
number of queries (clients with their care team; latest and baseline scores; last activity;
open alerts; active assignments), whatever the number of clients or the length of their
history: a caseload is hundreds of clients, not millions, and the table's columns (change
since baseline, reliable change) are computed, not stored.

Episode status is that of the client's current episode of care (practice.outcomes): open,
closed (with its reason) or none recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.paginator import Page, Paginator

from practice.access import clients_visible_to
from practice.expected.selectors import PathBadge
from practice.measurement.models import Alert
from practice.models import ClientProfile
from practice.today.headlines import Headline
from practice.today.readings import client_readings
from practice.today.selectors import ENGAGEMENT_KINDS
from tenants.accounts.models import Role, User
from tenants.models import Practice

PAGE_SIZE = 25

ENGAGEMENT_STATES = {"engaged": "Engaged", "drifting": "Drifting away",
                     "not_on_portal": "Not on the portal"}
EPISODE_STATES = {"open": "Episode open", "closed": "Episode closed", "none": "No episode"}
RELIABLE_STATES = {"improvement": "Reliable improvement",
                   "deterioration": "Reliable deterioration",
                   "no_reliable_change": "No reliable change", "unknown": "One score or none"}
CHANGES = {"better": "Better than baseline", "same": "Same as baseline",
           "worse": "Worse than baseline"}
ACTIVITY = {"7": "In the last 7 days", "30": "In the last 30 days",
            "over30": "Over 30 days ago", "never": "Never"}
SORTS = {"name": "Name", "activity": "Last activity", "change": "Change since baseline",
         "score": "Latest score", "alerts": "Open risk alerts"}


@dataclass
class CaseloadEntry:
    client: User
    clinicians: list[tuple[int, str]]  # the care team: id, name
    headlines: list[Headline]
    last_activity: datetime | None
    engagement: str  # a key of ENGAGEMENT_STATES
    engagement_reasons: list[str]
    episode: str  # a key of EPISODE_STATES
    episode_end_reason: str
    open_risk_alerts: int
    instrument: Headline | None = field(default=None)  # the filtered/sorted instrument's
    path: PathBadge | None = None  # the expected path's status (practice.expected)

    @property
    def engagement_label(self) -> str:
        return ENGAGEMENT_STATES[self.engagement]

    @property
    def episode_label(self) -> str:
        return EPISODE_STATES[self.episode]


@dataclass(frozen=True)
class CaseloadQuery:
    search: str = ""
    clinician: int | None = None
    instrument: str = ""
    band: str = ""
    change: str = ""
    reliable: str = ""
    activity: str = ""
    engagement: str = ""
    episode: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class CaseloadOptions:
    instruments: list[tuple[str, str]]  # key, title: those anyone on the caseload has answered
    bands: list[str]  # the band labels present (for the chosen instrument, else all)
    clinicians: list[tuple[int, str]]  # for the owner's clinician filter; empty for others


def caseload_entries(user: User, *, practice: Practice) -> list[CaseloadEntry]:
    """Every client `user` may see, with what the table shows: a fixed number of queries
    (clients, care teams, alerts, and their readings: headlines, expected paths, latest
    submission and episode state, kept until their data changes, practice.today.readings)."""
    visible = clients_visible_to(user)
    clients = list(visible.select_related("portal_access")
                   # What the table, the search and the filters read (not the password).
                   .only("full_name", "email", "is_active", "last_login",
                         "portal_access__revoked_at", "portal_access__accepted_at",
                         "portal_access__invited_at")
                   .order_by("full_name", "pk"))
    ids = [client.pk for client in clients]
    teams = care_teams(ids)
    # Each client's headlines, path, latest submission and episode state, kept until their data
    # changes (practice.today.readings).
    readings = client_readings(ids, practice=practice)
    alerts: dict[int, list[tuple[str, str, str]]] = {}
    for client_id, kind, severity, summary in (
            Alert.objects.filter(client__any=ids).exclude(status=Alert.Status.RESOLVED)
            .values_list("client_id", "kind", "severity", "summary").order_by("created_at")):
        alerts.setdefault(client_id, []).append((kind, severity, summary))
    entries = []
    for client in clients:
        reading = readings[client.pk]
        own = alerts.get(client.pk, [])
        drifting = [summary for kind, _, summary in own if kind in ENGAGEMENT_KINDS]
        access = getattr(client, "portal_access", None)
        on_portal = access is not None and access.state == "active"
        moments = [moment for moment in (reading.last_response, client.last_login) if moment]
        entries.append(CaseloadEntry(
            client=client, clinicians=teams.get(client.pk, []),
            headlines=reading.headlines,
            last_activity=max(moments) if moments else None,
            engagement="drifting" if drifting else ("engaged" if on_portal else "not_on_portal"),
            engagement_reasons=drifting, episode=reading.episode,
            episode_end_reason=reading.end_reason_label,
            open_risk_alerts=sum(1 for _, severity, _ in own if severity == "urgent"),
            path=reading.path))
    return entries


def care_teams(client_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """client id -> their care team (clinician id, name), by name: one query of tuples."""
    teams: dict[int, list[tuple[int, str]]] = {}
    for client_id, person_id, name in (
            ClientProfile.clinicians.through.objects.filter(clientprofile__user_id__any=client_ids)
            .values_list("clientprofile__user_id", "user_id", "user__full_name")
            .order_by("user__full_name", "user_id")):
        teams.setdefault(client_id, []).append((person_id, name))
    return teams


def _change_direction(headline: Headline) -> str:
    if not headline.has_change:
        return ""
    difference = headline.latest - headline.baseline
    return "same" if difference == 0 else ("worse" if difference > 0 else "better")


def _matches(entry: CaseloadEntry, query: CaseloadQuery, now: datetime) -> bool:
    if query.search and query.search.casefold() not in (
            f"{entry.client.full_name} {entry.client.email}".casefold()):
        return False
    if query.engagement and entry.engagement != query.engagement:
        return False
    if query.episode and entry.episode != query.episode:
        return False
    if query.activity:
        last = entry.last_activity
        if query.activity == "never":
            if last is not None:
                return False
        elif query.activity == "over30":
            if last is None or last >= now - timedelta(days=30):
                return False
        elif last is None or last < now - timedelta(days=int(query.activity)):
            return False
    scored = [entry.instrument] if query.instrument else entry.headlines
    scored = [headline for headline in scored if headline is not None]
    if query.instrument and not scored:
        return False
    if query.band and not any(headline.band == query.band for headline in scored):
        return False
    if query.change and not any(_change_direction(headline) == query.change
                                for headline in scored):
        return False
    if query.reliable:
        keys = {headline.reliable_key or "unknown" for headline in scored} or {"unknown"}
        if query.reliable not in keys:
            return False
    return True


def _sort_key(entry: CaseloadEntry, sort: str) -> tuple:
    name = (entry.client.full_name.casefold(), entry.client.pk)
    headline = entry.instrument or (entry.headlines[0] if entry.headlines else None)
    if sort == "activity":
        return (entry.last_activity is None,
                -(entry.last_activity.timestamp() if entry.last_activity else 0), *name)
    if sort == "change":
        change = (headline.latest - headline.baseline) if headline and headline.has_change \
            else None
        return (change is None, change if change is not None else Decimal(0), *name)
    if sort == "score":
        return (headline is None, headline.latest if headline else Decimal(0), *name)
    if sort == "alerts":
        return (-entry.open_risk_alerts, *name)
    return name


def caseload_options(entries: list[CaseloadEntry], user: User, *,
                     instrument: str) -> CaseloadOptions:
    instruments: dict[str, str] = {}
    for entry in entries:
        for headline in entry.headlines:
            instruments.setdefault(headline.instrument_key, headline.title)
    bands = sorted({headline.band for entry in entries for headline in entry.headlines
                    if headline.band and (not instrument or headline.instrument_key == instrument)})
    clinicians = ([] if user.role != Role.OWNER else
                  sorted({pair for entry in entries for pair in entry.clinicians},
                         key=lambda pair: pair[1]))
    return CaseloadOptions(instruments=sorted(instruments.items(), key=lambda pair: pair[1]),
                           bands=bands, clinicians=clinicians)


def caseload_page(entries: list[CaseloadEntry], query: CaseloadQuery, *, now: datetime) -> Page:
    """The entries matching `query`, sorted, the page asked for (the last one if past it)."""
    for entry in entries:
        entry.instrument = next((headline for headline in entry.headlines
                                 if headline.instrument_key == query.instrument), None)
    shown = [entry for entry in entries if _matches(entry, query, now)
             and (query.clinician is None
                  or any(pk == query.clinician for pk, _ in entry.clinicians))]
    shown.sort(key=lambda entry: _sort_key(entry, query.sort), reverse=query.descending)
    return Paginator(shown, PAGE_SIZE).get_page(query.page)
