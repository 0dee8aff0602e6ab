"""Demo expected paths: two clients of the demo clinician in an open episode begun eight weeks
ago, weekly PHQ-9: Robin Diaz on track (18 falling to 8), Kai Martin not on track (14, then 15
week after week: beyond the range from week 6, so the rule raises "not on track"). Kai holds a
weekly session with the clinician, so Kai's path runs on sessions (Robin's on weeks). The practice
shows expected ranges to clients, and the clinician turned it on for Robin and for the demo
client (Jordan, who signs in with the demo login). Idempotent: nothing is done once the settings
row exists."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from portal.consent import current_consent
from portal.models import ClientAccess, ConsentAcceptance
from practice.appointments.models import Appointment, AppointmentType
from practice.appointments.selectors import clinician_free_from
from practice.engagement import services as engagement
from practice.expected.models import ClientPathSharing, PathSettings
from practice.measurement.models import Response
from practice.models import ClientProfile
from practice.outcomes.demo import _response
from practice.outcomes.models import Episode
from tenants.accounts.models import Role, User
from tenants.models import Practice

DEMO_CLINICIAN = "clinician@demo.localhost"
DEMO_CLIENT = "client@demo.localhost"
# Clients whose weekly sessions are marked held (their path runs on sessions).
WITH_SESSIONS = ("kai@demo.localhost",)
# email, name, weekly PHQ-9 from the baseline, eight weeks ago
PATH_CLIENTS = [
    ("robin@demo.localhost", "Robin Diaz", (18, 16, 14, 12, 11, 10, 9, 8, 8)),
    ("kai@demo.localhost", "Kai Martin", (14, 14, 15, 14, 15, 15, 15, 15, 15)),
]


@transaction.atomic
def seed(practice: Practice) -> bool:
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if clinician is None or PathSettings.objects.exists():
        return False
    now = timezone.now()
    PathSettings.objects.create(is_shown_to_clients=True, updated_by=clinician)
    start = now - timedelta(weeks=len(PATH_CLIENTS[0][2]) - 1, hours=2)
    rows: list[Response] = []
    for email, name, totals in PATH_CLIENTS:
        client = User.objects.create_user(email, None, full_name=name, role=Role.CLIENT)
        ClientProfile.objects.create(user=client,
                                     timezone="America/New_York").clinicians.add(clinician)
        ClientAccess.objects.create(user=client, visible_modules=list(practice.enabled_modules),
                                    invited_at=start - timedelta(days=2),
                                    accepted_at=start - timedelta(days=1))
        ConsentAcceptance.objects.create(user=client, version=current_consent().version)
        User.objects.filter(pk=client.pk).update(last_login=now - timedelta(days=1))
        Episode.objects.create(client=client, clinician=clinician,
                               started_at=start - timedelta(hours=1), instrument_keys=["phq9"],
                               created_by=clinician)
        rows += [_response(client, "phq9", total, start + timedelta(weeks=week))
                 for week, total in enumerate(totals)]
        if email in WITH_SESSIONS:
            _held_sessions(client, clinician, start, len(totals) - 1)
    Response.objects.bulk_create(rows)
    for email in (PATH_CLIENTS[0][0], DEMO_CLIENT):
        sharing = User.objects.filter(email=email).first()
        if sharing is not None:
            ClientPathSharing.objects.create(client=sharing, is_shown=True, updated_by=clinician)
    engagement.engagement_evaluate(practice=practice, now=now)
    return True


def _held_sessions(client: User, clinician: User, start: datetime, weeks: int) -> None:
    """A session held an hour after each weekly score but the last (moved on by an hour where
    the clinician's diary is taken)."""
    kind = AppointmentType.objects.order_by("pk").first()
    if kind is None:
        return
    length = timedelta(minutes=kind.duration_minutes)
    for week in range(weeks):
        starts_at = clinician_free_from(clinician.pk, start + timedelta(weeks=week, hours=1),
                                        length)
        Appointment.objects.create(
            client=client, clinician=clinician, appointment_type=kind, starts_at=starts_at,
            ends_at=starts_at + length, mode=kind.mode, video_link=kind.video_link,
            status=Appointment.Status.COMPLETED, booked_by=clinician,
            created_at=starts_at - timedelta(days=7), outcome_recorded_at=starts_at + length)
