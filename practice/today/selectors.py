"""Reads for the Today page, one function per role. Each runs a fixed number of queries whatever
the number of clients, appointments or responses (tests/today pin them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import TruncMonth

from portal.models import ClientInvitation
from practice.access import Capability, clients_in_reach, clients_visible_to
from practice.appointments.models import Appointment
from practice.appointments.selectors import (
    appointments_visible_to,
    booking_settings,
    clinician_zone,
    sessions_led_by,
    zone_or_utc,
)
from practice.expected.policies import PathStatus
from practice.expected.selectors import PathBadge
from practice.formbuilder.definitions import requires_signature
from practice.formbuilder.models import FormAssignment
from practice.measurement.models import Alert, Response
from practice.measurement.selectors import alert_inbox
from practice.messaging.models import MessagingSettings
from practice.messaging.selectors import policy_of, unread_count
from practice.outcomes.models import Episode
from practice.today.headlines import Headline
from practice.today.readings import ClientReading, client_readings
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tenants.models import Practice

# Clients with no session for this many days (and none booked) are listed as "not seen".
NOT_SEEN_DAYS = 30
RISK_WINDOW = timedelta(days=14)
ALERTS_SHOWN = 8
ATTENTION_SHOWN = 25
FORMS_SHOWN = 10
RISK_KINDS = (Alert.Kind.RISK_ITEM, Alert.Kind.RISK_UNKNOWN, Alert.Kind.URGENT_CONTACT)
ENGAGEMENT_KINDS = (Alert.Kind.MOOD_DECLINE, Alert.Kind.MISSED_CHECKINS,
                    Alert.Kind.JOURNAL_SILENCE, Alert.Kind.NO_SIGN_IN,
                    Alert.Kind.OVERDUE_ASSESSMENTS, Alert.Kind.OVERDUE_HOMEWORK)
OPEN_FORM_STATUSES = (FormAssignment.Status.REQUESTED, FormAssignment.Status.IN_PROGRESS)


@dataclass(frozen=True)
class Session:
    appointment: Appointment
    day: str  # "today" or "tomorrow"
    headlines: list[Headline]
    path: PathBadge | None = None  # the expected path's status (practice.expected)


@dataclass
class Attention:
    client: User
    reasons: list[str] = field(default_factory=list)
    is_urgent: bool = False
    path: PathBadge | None = None


@dataclass(frozen=True)
class FormsWaiting:
    count: int
    rows: list[FormAssignment]  # the oldest first, at most FORMS_SHOWN
    needs_signature: set[int]  # ids of the rows whose form has a signature field


@dataclass(frozen=True)
class ClinicianToday:
    zone: ZoneInfo
    sessions: list[Session]
    alerts: list[Alert]
    alert_count: int
    attention: list[Attention]
    attention_count: int
    unread_messages: int | None  # None: the practice has messaging off
    forms: FormsWaiting


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _session_rows(user: User, now: datetime, zone: ZoneInfo) -> list[Appointment]:
    """The clinician's sessions today and tomorrow, booked or held."""
    today = now.astimezone(zone).date()
    start, _ = day_bounds(today, zone)
    _, end = day_bounds(today + timedelta(days=1), zone)
    return list(sessions_led_by(user).filter(
        starts_at__gte=start, starts_at__lt=end,
        status__in=(Appointment.Status.BOOKED, Appointment.Status.COMPLETED))
        .select_related("client", "appointment_type").order_by("starts_at", "pk"))


def _sessions(rows: list[Appointment], readings: dict[int, ClientReading], now: datetime,
              zone: ZoneInfo) -> list[Session]:
    today = now.astimezone(zone).date()
    sessions = []
    for row in rows:
        reading = readings.get(row.client_id)
        sessions.append(Session(row, "today" if row.starts_at.astimezone(zone).date() == today
                                else "tomorrow", reading.headlines if reading else [],
                                reading.path if reading else None))
    return sessions


def _attention(ids: list[int], readings: dict[int, ClientReading], now: datetime, *,
               with_scores: bool, shown: int = ATTENTION_SHOWN) -> tuple[list[Attention], int]:
    """The clinician's clients who need attention, each with the reasons, urgent ones first:
    reliable deterioration since the baseline, a risk answer in the last 14 days, overdue
    measures, an open engagement alert (the rules of practice.engagement) and not seen for
    NOT_SEEN_DAYS days. Scores and overdue measures only while the practice has assessments on.
    A fixed number of queries. ``ids``: the clinician's active clients; ``readings``: their
    headlines and paths (practice.today.readings; none without assessments). Returns the first
    ``shown`` and how many there are."""
    found: dict[int, list[str]] = {}  # client id -> reasons
    urgent_ids: set[int] = set()

    def note(client_id: int, reason: str, *, urgent: bool = False) -> None:
        found.setdefault(client_id, []).append(reason)
        if urgent:
            urgent_ids.add(client_id)

    # The readings also hold the day's sessions' clients: only the active list's count here.
    active = set(ids)
    readings = {client_id: reading for client_id, reading in readings.items()
                if client_id in active}
    for client_id, reading in readings.items():
        for headline in reading.headlines:
            if headline.is_deteriorated:
                note(client_id, f"{headline.title}: reliable deterioration since the baseline "
                                f"({headline.change_text})")
    badges = {client_id: reading.path for client_id, reading in readings.items()
              if reading.path is not None}
    for client_id, badge in badges.items():
        if badge.status in (PathStatus.NOT_ON_TRACK, PathStatus.WATCH):
            note(client_id, f"{badge.title}: {badge.words.lower()} (expected path)")
    risks = (Alert.objects.filter(client__any=ids, kind__in=RISK_KINDS,
                                  created_at__gte=now - RISK_WINDOW)
             .values_list("client_id").annotate(count=Count("pk"), last=Max("created_at")))
    for client_id, count, last in risks:
        days = (now - last).days
        when = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
        note(client_id, f"Risk answer in the last 14 days ({count}; latest {when})", urgent=True)
    overdue = (Response.objects.filter(client__any=ids, due_at__lt=now,
                                       status__in=(Response.Status.PENDING,
                                                   Response.Status.IN_PROGRESS))
               .values_list("client_id").annotate(count=Count("pk")).order_by())
    for client_id, count in (overdue if with_scores else []):
        note(client_id, f"{count} measure{'s' if count != 1 else ''} overdue")
    for client_id, summary in (Alert.objects.filter(client__any=ids, kind__in=ENGAGEMENT_KINDS)
                               .exclude(status=Alert.Status.RESOLVED)
                               .values_list("client_id", "summary").order_by("created_at")):
        note(client_id, summary)
    sessions = (Appointment.objects.filter(client__any=ids)
                .values("client_id").order_by()
                .annotate(last=Max("starts_at", filter=Q(
                    starts_at__lt=now, status__in=(Appointment.Status.COMPLETED,
                                                   Appointment.Status.BOOKED))),
                          upcoming=Count("pk", filter=Q(starts_at__gte=now,
                                                        status=Appointment.Status.BOOKED))))
    cutoff = now - timedelta(days=NOT_SEEN_DAYS)
    for row in sessions:
        if row["upcoming"] == 0 and row["last"] is not None and row["last"] < cutoff:
            note(row["client_id"], f"Not seen for {(now - row['last']).days} days, "
                                   "nothing booked")
    names = dict(User.objects.filter(pk__any=list(found)).values_list("pk", "full_name"))
    # Urgent first, then the most reasons, then by name; the entries are made for those shown.
    order = sorted(found, key=lambda client_id: (client_id not in urgent_ids,
                                                 -len(found[client_id]),
                                                 names.get(client_id, ""), client_id))
    return [Attention(client=User(pk=client_id, full_name=names.get(client_id, "")),
                      reasons=found[client_id], is_urgent=client_id in urgent_ids,
                      path=badges.get(client_id))
            for client_id in order[:shown]], len(order)


def forms_waiting(user: User) -> FormsWaiting:
    """Forms shared with clients and not yet completed, the oldest first: two queries."""
    rows = (FormAssignment.objects.filter(client__in=clients_in_reach(user, Capability.FORMS),
                                          status__in=OPEN_FORM_STATUSES)
            .select_related("client", "version").defer("answers")
            .order_by("requested_at", "pk"))
    shown = list(rows[:FORMS_SHOWN])
    count = len(shown) if len(shown) < FORMS_SHOWN else rows.count()
    return FormsWaiting(count=count, rows=shown,
                        needs_signature={row.pk for row in shown
                                         if requires_signature(row.version.definition)})


def clinician_today(user: User, *, practice: Practice, now: datetime) -> ClinicianToday:
    zone = clinician_zone(user)
    inbox = alert_inbox(user)
    with_scores = practice.has_module("assessments")
    # Read once: every query of the attention list takes the ids as one array parameter rather
    # than the caseload's subquery again.
    ids = list(clients_visible_to(user).filter(is_active=True).values_list("pk", flat=True))
    rows = _session_rows(user, now, zone)
    # The headlines and paths of the clinician's clients and of the day's sessions' clients,
    # read once for both (kept until their data changes: practice.today.readings).
    readings = (client_readings({*ids, *(row.client_id for row in rows)}, practice=practice)
                if with_scores else {})
    attention, attention_count = _attention(ids, readings, now, with_scores=with_scores)
    return ClinicianToday(
        zone=zone,
        sessions=_sessions(rows, readings, now, zone),
        # Today shows each alert's client, summary and age: not the response (joining every open
        # alert's response before taking the newest few was most of the query).
        alerts=list(inbox.select_related(None).select_related("client")[:ALERTS_SHOWN]),
        alert_count=inbox.count(),
        attention=attention,
        attention_count=attention_count,
        # What a clinician or owner sees does not depend on the practice's saved messaging
        # settings (they only say whether front desk sees messages): no query for them.
        unread_messages=(unread_count(user, policy_of(practice, MessagingSettings(pk=1)))
                         if practice.has_module("messaging") else None),
        forms=forms_waiting(user),
    )


# --- the owner ---------------------------------------------------------------------------------

ALERT_AGES = (("Under a day", timedelta(days=1)), ("1 to 7 days", timedelta(days=7)),
              ("8 to 30 days", timedelta(days=30)), ("Over 30 days", None))


@dataclass(frozen=True)
class MonthFigures:
    month: date
    completed: int  # measures submitted
    on_time: int  # of those due in the month, submitted by their due time
    due: int  # measures due in the month (submitted, missed or still open)
    new_clients: int
    alerts: int  # alerts raised


@dataclass(frozen=True)
class SetupStep:
    key: str
    title: str
    is_done: bool
    url_name: str


@dataclass(frozen=True)
class OwnerToday:
    zone: ZoneInfo
    active_clients: int
    open_episodes: int  # episodes of care open now (practice.outcomes)
    clinicians: int
    due_this_month: int
    on_time_this_month: int
    alerts_by_age: list[tuple[str, int, int]]  # label, urgent, routine
    months: list[MonthFigures]  # the last 12, oldest first
    setup: list[SetupStep]

    @property
    def setup_done(self) -> bool:
        return all(step.is_done for step in self.setup)


def _month_start(moment: datetime) -> date:
    return moment.date().replace(day=1)


def _months_back(first: date, count: int) -> list[date]:
    months = []
    year, month = first.year, first.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def _per_month(rows: QuerySet) -> dict[date, int]:
    return {moment.date() if isinstance(moment, datetime) else moment: count
            for moment, count in rows}


def _trends(zone: ZoneInfo, now: datetime) -> list[MonthFigures]:
    months = _months_back(_month_start(now.astimezone(zone)), 12)
    since = datetime.combine(months[0], time.min, tzinfo=zone)
    month = TruncMonth("submitted_at", tzinfo=zone)
    completed = _per_month(Response.objects.filter(
        status=Response.Status.SUBMITTED, submitted_at__gte=since)
        .annotate(month=month).values_list("month").annotate(count=Count("pk")).order_by())
    due_month = TruncMonth("due_at", tzinfo=zone)
    due_rows = (Response.objects.filter(due_at__gte=since, due_at__lt=now)
                .annotate(month=due_month).values_list("month").order_by()
                .annotate(due=Count("pk"), on_time=Count("pk", filter=Q(
                    status=Response.Status.SUBMITTED, submitted_at__lte=F("due_at")))))
    due = {row[0].date(): (row[1], row[2]) for row in due_rows}
    new_clients = _per_month(User.objects.filter(role=Role.CLIENT, date_joined__gte=since)
                             .annotate(month=TruncMonth("date_joined", tzinfo=zone))
                             .values_list("month").annotate(count=Count("pk")).order_by())
    alerts = _per_month(Alert.objects.filter(created_at__gte=since)
                        .annotate(month=TruncMonth("created_at", tzinfo=zone))
                        .values_list("month").annotate(count=Count("pk")).order_by())
    return [MonthFigures(month=first, completed=completed.get(first, 0),
                         on_time=due.get(first, (0, 0))[1], due=due.get(first, (0, 0))[0],
                         new_clients=new_clients.get(first, 0), alerts=alerts.get(first, 0))
            for first in months]


def _alerts_by_age(now: datetime) -> list[tuple[str, int, int]]:
    """(label, urgent, routine) per age of the open alerts: one aggregate query."""
    buckets: dict[str, Q] = {}
    younger = now
    for label, limit in ALERT_AGES:
        older = now - limit if limit is not None else None
        window = Q(created_at__lte=younger) if label != ALERT_AGES[0][0] else Q()
        if older is not None:
            window &= Q(created_at__gt=older)
        buckets[label] = window
        younger = older or younger
    counts = Alert.objects.exclude(status=Alert.Status.RESOLVED).aggregate(**{
        f"{index}_{severity}": Count("pk", filter=window & Q(severity=severity))
        for index, window in enumerate(buckets.values())
        for severity in (Alert.Severity.URGENT, Alert.Severity.ROUTINE)})
    return [(label, counts[f"{index}_urgent"], counts[f"{index}_routine"])
            for index, (label, _) in enumerate(ALERT_AGES)]


def setup_steps(practice: Practice) -> list[SetupStep]:
    """A new practice's first steps, each done once it shows in the data (the audit trail for
    the settings): three queries."""
    changed = set(AuditEvent.objects.filter(action__in=(
        "settings.branding_changed", "settings.enabled_modules_changed"))
        .order_by().values_list("action", flat=True).distinct())
    has_clinician = User.objects.filter(role=Role.CLINICIAN, is_active=True).exists()
    return [
        SetupStep("branding", "Set your branding: logo, colours, contact details, crisis line",
                  "settings.branding_changed" in changed, "settings_branding"),
        SetupStep("modules", "Choose what the portal offers clients",
                  "settings.enabled_modules_changed" in changed, "settings_modules"),
        SetupStep("clinician", "Invite your first clinician", has_clinician, "staff_list"),
        SetupStep("client", "Invite your first client to the portal",
                  ClientInvitation.objects.exists(), "client_invite"),
    ]


def owner_today(*, practice: Practice, now: datetime) -> OwnerToday:
    zone = zone_or_utc(booking_settings().timezone)
    months = _trends(zone, now)
    this_month = months[-1]
    clients = User.objects.filter(role=Role.CLIENT, is_active=True)
    return OwnerToday(
        zone=zone,
        active_clients=clients.count(),
        open_episodes=Episode.objects.filter(ended_at__isnull=True).count(),
        clinicians=User.objects.filter(role=Role.CLINICIAN, is_active=True).count(),
        due_this_month=this_month.due, on_time_this_month=this_month.on_time,
        alerts_by_age=_alerts_by_age(now),
        months=months,
        setup=setup_steps(practice),
    )


# --- the front desk ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Invitation:
    client: User
    state: str  # "invited" (a link open) or "expired"
    sent_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class FrontDeskToday:
    zone: ZoneInfo
    appointments: list[Appointment]
    invitations: list[Invitation]
    forms: FormsWaiting


def _invitations(user: User, now: datetime) -> list[Invitation]:
    from portal.invitations import client_access_list

    rows = []
    for client, state in client_access_list(user):
        if state.state in ("invited", "expired"):
            rows.append(Invitation(client=client, state=state.state,
                                   sent_at=state.access.invited_at if state.access else None,
                                   expires_at=getattr(client, "link_expires_at", None)))
    return sorted(rows, key=lambda row: (row.state != "expired", row.client.full_name))


def front_desk_today(user: User, *, now: datetime) -> FrontDeskToday:
    """Names, times and states only: nothing clinical."""
    zone = zone_or_utc(booking_settings().timezone)
    start, end = day_bounds(now.astimezone(zone).date(), zone)
    appointments = list(appointments_visible_to(user).filter(starts_at__gte=start,
                                                             starts_at__lt=end)
                        .select_related("client", "clinician", "appointment_type")
                        .order_by("starts_at", "pk"))
    return FrontDeskToday(zone=zone, appointments=appointments,
                          invitations=_invitations(user, now), forms=forms_waiting(user))
