"""The demo practice `make run` seeds. Later capabilities extend it so the demo shows them.

Measurement: the demo client (client@demo.localhost, New York) is on the demo clinician's
caseload with weekly PHQ-9 and GAD-7 and a daily mood check-in for about six months: an
improving course (PHQ-9 19 to about 7) with one risk episode about three months ago (PHQ-9 item
9 above 0, its alert resolved with a note). Today's occurrences are due. A few more clients have
a couple of responses each. The history is inserted in bulk, already scored with the real
scorer, so seeding takes a moment; every step is idempotent."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from branding.selectors import branding_row
from branding.services import BrandingChanges, branding_update
from portal.consent import current_consent
from portal.models import ConsentAcceptance
from practice.appointments import demo as appointments_demo
from practice.care import demo as care_demo
from practice.configuration.services import practice_instruments_update
from practice.demo_logins import (
    BILLING_STAFF_EMAIL,
    DEMO_BILLING_TOTP_KEY,
    DEMO_PASSWORD,
    DEMO_SUBDOMAIN,
    OPERATOR_EMAIL,
)
from practice.disclosure import demo as disclosure_demo
from practice.documents import demo as documents_demo
from practice.engagement import demo as engagement_demo
from practice.expected import demo as expected_demo
from practice.family import demo as family_demo
from practice.formbuilder import demo as formbuilder_demo
from practice.invoices import demo as invoices_demo
from practice.measurement import schedule, services
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import get_definition
from practice.measurement.models import Alert, Assignment, Response
from practice.measurement.scoring import score
from practice.messaging import demo as messaging_demo
from practice.models import ClientProfile
from practice.notifications import demo as notifications_demo
from practice.outcomes import demo as outcomes_demo
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.db import connection
from tenants.models import Practice
from tenants.selectors import practice_by_subdomain
from tenants.services import PracticeSignup, platform_user_create, practice_provision

_PEOPLE = [
    ("clinician@demo.localhost", "Dr. Maya Ellison", Role.CLINICIAN),
    ("frontdesk@demo.localhost", "Sam Ortiz", Role.FRONT_DESK),
    ("client@demo.localhost", "Jordan Rivera", Role.CLIENT),
]
DEMO_CLIENT = "client@demo.localhost"
DEMO_CLINICIAN = "clinician@demo.localhost"
DEMO_TIMEZONE = "America/New_York"
DEMO_INSTRUMENTS = ["auditc", "core10", "gad7", "mood", "pcl5", "phq9", "who5"]
HISTORY_WEEKS = 26
RISK_EPISODE_WEEKS_AGO = 13
MISSED_WEEKS_AGO = (18, 7)  # weeks the client skipped both questionnaires
# More clients, each with a couple of weekly PHQ-9 and GAD-7 answers (PHQ-9 totals, GAD-7).
_MORE_CLIENTS = [
    ("taylor@demo.localhost", "Taylor Brooks", "America/Chicago", (12, 10), (9, 8)),
    ("sam.lee@demo.localhost", "Sam Lee", "America/Los_Angeles", (6, 8), (5, 7)),
    ("riley@demo.localhost", "Riley Chen", "America/New_York", (16, 12), (13, 11)),
]
_MOOD_NOTES = ["Walked by the river", "Slept badly", "Good talk with my sister",
               "Busy day at work", "Tried the breathing exercise", "Felt flat today",
               "Saw friends", "Hard morning, better evening"]
RESOLUTION_NOTE = ("Called Jordan the same afternoon: passive thoughts, no plan or intent. "
                   "Safety plan reviewed together; session brought forward to Thursday.")


def seed_billing_staff() -> User:
    """The demo's billing staff, with their authenticator already set up (its key is printed by
    `make run`, to add to an authenticator app): billing staff always sign in with two steps."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = platform_user_create(email=BILLING_STAFF_EMAIL, password=DEMO_PASSWORD,
                                full_name="Billie Ledger", role=Role.BILLING_STAFF)
    with schema_context("public"):
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True,
                                  key=DEMO_BILLING_TOTP_KEY)
    return user


def seed_demo(*, history_weeks: int = HISTORY_WEEKS) -> bool:
    """Create the operator and the demo practice unless they exist, and seed its measurement
    data (`history_weeks` of it for the main client) unless it is there. Returns True if the
    practice was created."""
    connection.set_schema_to_public()
    if not User.objects.filter(email=OPERATOR_EMAIL).exists():
        platform_user_create(email=OPERATOR_EMAIL, password=DEMO_PASSWORD,
                             full_name="Platform Operator", role=Role.OPERATOR)
    if not User.objects.filter(email=BILLING_STAFF_EMAIL).exists():
        seed_billing_staff()
    practice = practice_by_subdomain(DEMO_SUBDOMAIN)
    created = practice is None
    if practice is None:
        practice, _owner = practice_provision(
            signup=PracticeSignup(
                practice_name="Riverside Counseling",
                subdomain=DEMO_SUBDOMAIN,
                owner_name="Alex Morgan",
                owner_email="owner@demo.localhost",
                owner_password=DEMO_PASSWORD,
            ),
            actor=Actor.SYSTEM,
        )
        with schema_context(practice.schema_name):
            for email, name, role in _PEOPLE:
                User.objects.create_user(email, DEMO_PASSWORD, full_name=name, role=role)
    with schema_context(practice.schema_name):
        seed_branding(practice)
        seed_measurement(practice, now=timezone.now(), history_weeks=history_weeks)
        care_demo.seed(practice)
        messaging_demo.seed(practice)
        documents_demo.seed(practice)
        formbuilder_demo.seed(practice)
        invoices_demo.seed(practice)
        engagement_demo.seed(practice)
        appointments_demo.seed(practice)
        notifications_demo.seed(practice)
        outcomes_demo.seed(practice)
        # Before the family's: its engagement pass would otherwise also judge the teen's
        # portal use, which the family's demo leaves to its own alerts.
        expected_demo.seed(practice)
        family_demo.seed(practice, password=DEMO_PASSWORD)
        disclosure_demo.seed(practice)
    connection.set_schema_to_public()
    return created


DEMO_BRANDING = BrandingChanges(
    display_name="Riverside Counseling",
    primary_color="#1d5c63",
    accent_color="#8a4b08",
    contact_phone="(555) 010-2030",
    contact_email="hello@riverside.example",
    address="120 River Street, Suite 4, Springfield",
    website="https://riverside.example",
    crisis_line="(555) 010-9999",
    email_sender_name="Riverside Counseling",
    welcome_text="Welcome to your Riverside portal. Check in between sessions; your "
                 "clinician sees your answers before you meet.",
)


def seed_branding(practice: Practice) -> None:
    """The demo's look and crisis line (only while it still has the defaults)."""
    row = branding_row(practice)
    if row.crisis_line:
        return
    owner = User.objects.filter(role=Role.OWNER).order_by("pk").first()
    if owner is not None:
        branding_update(changes=DEMO_BRANDING, actor=Actor.of(owner, practice=practice))


# --- measurement -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Demo:
    practice: Practice
    clinician: User
    now: datetime
    rng: random.Random


@transaction.atomic
def seed_measurement(practice: Practice, *, now: datetime,
                     history_weeks: int = HISTORY_WEEKS) -> bool:
    """Seed the demo's measurement data (inside the practice's schema). Returns False when it
    is there already."""
    client = User.objects.filter(email=DEMO_CLIENT).first()
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    owner = User.objects.filter(role=Role.OWNER).order_by("pk").first()
    if client is None or clinician is None or owner is None:
        return False
    if ClientProfile.objects.filter(user=client).exists():
        return False
    wanted = sorted(set(practice.instrument_keys) | set(DEMO_INSTRUMENTS))
    practice = practice_instruments_update(practice_id=practice.pk, keys=wanted,
                                           actor=Actor.of(owner))
    demo = _Demo(practice, clinician, now, random.Random(2026))
    profile = ClientProfile.objects.create(user=client, timezone=DEMO_TIMEZONE)
    profile.clinicians.add(clinician)
    # The demo client has read and accepted the portal's consent text already.
    ConsentAcceptance.objects.get_or_create(user=client, version=current_consent().version)
    _seed_course(demo, client, history_weeks)
    for email, name, tz_name, phq9_totals, gad7_totals in _MORE_CLIENTS:
        other = (User.objects.filter(email=email).first()
                 or User.objects.create_user(email, DEMO_PASSWORD, full_name=name,
                                             role=Role.CLIENT))
        ClientProfile.objects.create(user=other, timezone=tz_name).clinicians.add(clinician)
        _seed_short_history(demo, other, tz_name, phq9_totals, gad7_totals)
    return True


def _seed_course(demo: _Demo, client: User, history_weeks: int) -> None:
    today = schedule.local_today(demo.now, DEMO_TIMEZONE)
    first_week = today - timedelta(weeks=history_weeks)
    phq9, gad7, mood = (_assignment(demo, client, key, frequency, first_week)
                        for key, frequency in (("phq9", "weekly"), ("gad7", "weekly"),
                                               ("mood", "daily")))
    rows: list[Response] = []
    risk_day = first_week + timedelta(weeks=history_weeks - RISK_EPISODE_WEEKS_AGO)
    for week in range(history_weeks):
        day = first_week + timedelta(weeks=week)
        weeks_ago = history_weeks - week
        for assignment, start, floor, items in ((phq9, 19, 7, 8), (gad7, 15, 5, 7)):
            if weeks_ago in MISSED_WEEKS_AGO:
                rows.append(missed_response(assignment, day, DEMO_TIMEZONE))
                continue
            target = _course(week, start, floor, demo.rng)
            if day == risk_day:
                target = min(target + 3, 3 * items)
            answers = _spread(target, items, demo.rng)
            if assignment.instrument_key == "phq9":
                answers |= {"q9": 1 if day == risk_day else 0, "q10": _difficulty(target)}
            rows.append(_submitted(demo, assignment, day, answers, DEMO_TIMEZONE))
    for offset in range(history_weeks * 7):
        day = first_week + timedelta(days=offset)
        if demo.rng.random() < 0.12:
            rows.append(missed_response(mood, day, DEMO_TIMEZONE))
            continue
        dip = -2 if 0 <= (day - risk_day).days < 5 else 0
        value = round(3 + 4 * (1 - math.exp(-offset / 60)) + dip + demo.rng.gauss(0, 0.9))
        note = demo.rng.choice(_MOOD_NOTES) if demo.rng.random() < 0.1 else ""
        rows.append(_submitted(demo, mood, day, {"mood": max(0, min(10, value))},
                               DEMO_TIMEZONE, note=note))
    Response.objects.bulk_create(rows)
    _resolved_risk_alert(demo, client)
    services.responses_materialize(client=client, now=demo.now)  # today's are due


def _seed_short_history(demo: _Demo, client: User, tz_name: str, phq9_totals: tuple[int, ...],
                        gad7_totals: tuple[int, ...]) -> None:
    today = schedule.local_today(demo.now, tz_name)
    first_week = today - timedelta(weeks=len(phq9_totals))
    rows = []
    for key, totals, items in (("phq9", phq9_totals, 8), ("gad7", gad7_totals, 7)):
        assignment = _assignment(demo, client, key, "weekly", first_week)
        for week, total in enumerate(totals):
            answers = _spread(total, items, demo.rng)
            if key == "phq9":
                answers |= {"q9": 0, "q10": _difficulty(total)}
            rows.append(_submitted(demo, assignment, first_week + timedelta(weeks=week),
                                   answers, tz_name))
    Response.objects.bulk_create(rows)
    services.responses_materialize(client=client, now=demo.now)


def _assignment(demo: _Demo, client: User, key: str, frequency: str,
                starts_on: date) -> Assignment:
    created = datetime.combine(starts_on, time(10), tzinfo=ZoneInfo("UTC")) - timedelta(days=1)
    return Assignment.objects.create(client=client, instrument_key=key, frequency=frequency,
                                     starts_on=starts_on, assigned_by=demo.clinician,
                                     created_at=created)


def _course(week: int, start: int, floor: int, rng: random.Random) -> int:
    """An improving course: from `start` towards `floor`, fast at first, with weekly noise."""
    expected = floor + (start - floor) * math.exp(-week / 8)
    noisy = expected + (rng.gauss(0, 1.2) if week else 0)
    return max(0, round(noisy))


def _spread(total: int, items: int, rng: random.Random) -> dict[str, int | None]:
    """Answers (0–3 each) to items q1..q<items> adding up to `total`."""
    points = [0] * items
    for _ in range(min(total, 3 * items)):
        open_items = [index for index, value in enumerate(points) if value < 3]
        points[rng.choice(open_items)] += 1
    return {f"q{index + 1}": value for index, value in enumerate(points)}


def _difficulty(total: int) -> int:
    return 0 if total < 5 else 1 if total < 10 else 2 if total < 20 else 3


def _due_at(assignment: Assignment, day: date, tz_name: str) -> datetime:
    last_day = day if assignment.frequency == "daily" else day + timedelta(days=6)
    return schedule.due_moment(last_day, tz_name)


def missed_response(assignment: Assignment, day: date, tz_name: str) -> Response:
    """An occurrence the client let pass (not saved: for bulk_create)."""
    return Response(client=assignment.client, assignment=assignment,
                    instrument_key=assignment.instrument_key, occurrence_date=day,
                    due_at=_due_at(assignment, day, tz_name), status=Response.Status.MISSED,
                    created_at=schedule.due_moment(day - timedelta(days=1), tz_name))


def scored_response(assignment: Assignment, day: date, answers: dict[str, int | None], *,
                    tz_name: str, submitted_at: datetime, note: str = "") -> Response:
    """A response as `response_submit` leaves it, scored by the real scorer and pinned (not
    saved: for bulk_create, so a long history goes in at once)."""
    definition = get_definition(assignment.instrument_key)
    result = score(definition, answers)
    return Response(
        client=assignment.client, assignment=assignment,
        instrument_key=definition.key, definition_version=definition.version,
        occurrence_date=day, due_at=_due_at(assignment, day, tz_name),
        status=Response.Status.SUBMITTED, answers=answers, note=note,
        created_at=schedule.due_moment(day - timedelta(days=1), tz_name),
        started_at=submitted_at - timedelta(minutes=3), submitted_at=submitted_at,
        scorer=result.scorer, scorer_version=str(result.scorer_version),
        is_scored=result.total is not None or result.band is not None,
        total=None if result.total is None else Decimal(str(round(float(result.total), 2))),
        band_key=result.band.key if result.band else "",
        band_label=result.band.label if result.band else "",
        subscales={key: float(value) for key, value in result.subscales.items()},
        subscale_bands={key: band.to_dict() if band else None
                        for key, band in result.subscale_bands.items()},
        flags=[flag.to_dict() for flag in result.flags],
        advisories=list(result.advisories),
        missing_items=list(result.missing_items), prorated=result.prorated,
    )


def _submitted(demo: _Demo, assignment: Assignment, day: date,
               answers: dict[str, int | None], tz_name: str, note: str = "") -> Response:
    """Submitted in the evening, weekly ones sometimes a day or two late."""
    late_by = 0 if assignment.frequency == "daily" else demo.rng.choice((0, 0, 1, 2))
    local = datetime.combine(day + timedelta(days=late_by), time(19), tzinfo=ZoneInfo(tz_name))
    submitted_at = local + timedelta(minutes=demo.rng.randrange(150))
    return scored_response(assignment, day, answers, tz_name=tz_name,
                           submitted_at=submitted_at, note=note)


def _resolved_risk_alert(demo: _Demo, client: User) -> None:
    """The risk episode's alert, raised when it was submitted and resolved that afternoon."""
    definition: InstrumentDefinition = get_definition("phq9")
    response = Response.objects.filter(client=client, instrument_key="phq9",
                                       answers__q9__gt=0).get()
    flag = response.flags[0]
    raised = cast(datetime, response.submitted_at)  # the demo's responses are submitted
    alert = Alert.objects.create(
        client=client, kind=Alert.Kind.RISK_ITEM, severity=Alert.Severity.URGENT,
        status=Alert.Status.RESOLVED, response=response,
        summary=f"{definition.title}: {flag['message']}"[:200], created_at=raised,
        acknowledged_at=raised + timedelta(minutes=12), acknowledged_by=demo.clinician,
        resolved_at=raised + timedelta(hours=2), resolved_by=demo.clinician,
        resolution_note=RESOLUTION_NOTE,
        dedupe_key=f"response:{response.pk}:{flag['item']}:{flag['kind']}",
    )
    alert.recipients.add(demo.clinician)
