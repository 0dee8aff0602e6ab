"""Demo episodes of care, so `make run` shows the outcome reports: every client of the demo gets
an open episode from their first response (as the migration gives existing clients), and seven
former clients of the demo clinician have closed episodes with weekly PHQ-9 and GAD-7 scores
whose outcomes are known: reliable recovery, reliable improvement, recovery that is not
reliable, reliable deterioration, no reliable change, and one who dropped out after the first
questionnaire. Idempotent: nothing is added once a closed episode exists."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from practice.measurement.library import get_definition
from practice.measurement.models import Response
from practice.measurement.scoring import score
from practice.models import ClientProfile
from practice.outcomes.models import Episode
from tenants.accounts.models import Role, User
from tenants.models import Practice

DEMO_CLINICIAN = "clinician@demo.localhost"
ZONE = ZoneInfo("America/New_York")

# name, PHQ-9 totals, GAD-7 totals (weekly), end reason, weeks since it ended
FORMER_CLIENTS = [
    ("Morgan Hale", (17, 14, 11, 8, 6), (13, 10, 8, 6, 5), "completed", 3),
    ("Casey Nguyen", (21, 19, 16, 13, 11), (15, 14, 12, 10, 9), "completed", 6),
    ("Drew Patel", (9, 11, 14, 16), (7, 9, 11, 12), "referred_on", 8),
    ("Avery Kim", (15,), (12,), "dropped_out", 10),
    ("Jamie Ross", (12, 11, 9, 8), (9, 8, 7, 7), "completed", 12),
    ("Quinn Foster", (19, 15, 10, 7, 5, 4), (16, 12, 9, 6, 4, 3), "completed", 16),
    ("Rowan Ellis", (14, 13, 14, 12), (10, 10, 9, 9), "moved", 20),
]


def _answers(key: str, total: int) -> dict[str, int | None]:
    """Option positions reaching ``total`` (3 points at most per item; PHQ-9 item 9 at 0)."""
    items = 8 if key == "phq9" else 7
    answers: dict[str, int | None] = {}
    remaining = total
    for number in range(1, items + 1):
        points = min(3, remaining)
        answers[f"q{number}"] = points
        remaining -= points
    if key == "phq9":
        answers |= {"q9": 0, "q10": 1 if total >= 10 else 0}
    return answers


def _response(client: User, key: str, total: int, moment: datetime) -> Response:
    definition = get_definition(key)
    answers = _answers(key, total)
    result = score(definition, answers)
    return Response(
        client=client, instrument_key=key, definition_version=definition.version,
        status=Response.Status.SUBMITTED, answers=answers, created_at=moment,
        started_at=moment, submitted_at=moment, scorer=result.scorer,
        scorer_version=str(result.scorer_version), is_scored=True,
        total=Decimal(str(result.total)), band_key=result.band.key if result.band else "",
        band_label=result.band.label if result.band else "",
        flags=[flag.to_dict() for flag in result.flags],
        advisories=list(result.advisories))


def _open_for_current_clients(now: datetime) -> None:
    firsts = dict(Response.objects.filter(submitted_at__isnull=False)
                  .values_list("client_id").annotate(first=Min("submitted_at")).order_by())
    with_episode = set(Episode.objects.values_list("client_id", flat=True))
    for client in User.objects.filter(role=Role.CLIENT).exclude(pk__in=with_episode):
        clinician = User.objects.filter(caseload__user=client).order_by("pk").first()
        keys = sorted(set(Response.objects.filter(client=client)
                          .values_list("instrument_key", flat=True)))
        Episode.objects.create(client=client, clinician=clinician,
                               started_at=firsts.get(client.pk, now), instrument_keys=keys)


@transaction.atomic
def seed(practice: Practice) -> None:
    now = timezone.now()
    _open_for_current_clients(now)
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if clinician is None or Episode.objects.filter(ended_at__isnull=False).exists():
        return
    rows: list[Response] = []
    for number, (name, phq9, gad7, reason, weeks_ago) in enumerate(FORMER_CLIENTS, start=1):
        client = User.objects.create_user(f"former{number}@demo.localhost", None,
                                          full_name=name, role=Role.CLIENT, is_active=False)
        ClientProfile.objects.create(user=client, timezone=ZONE.key).clinicians.add(clinician)
        ended = datetime.combine((now - timedelta(weeks=weeks_ago)).date(), time(17),
                                 tzinfo=ZONE)
        first = ended - timedelta(weeks=len(phq9), days=3)
        for week, (phq9_total, gad7_total) in enumerate(zip(phq9, gad7, strict=True)):
            moment = first + timedelta(weeks=week, hours=2)
            rows += [_response(client, "phq9", phq9_total, moment),
                     _response(client, "gad7", gad7_total, moment + timedelta(minutes=4))]
        Episode.objects.create(client=client, clinician=clinician,
                               started_at=first - timedelta(days=1), ended_at=ended,
                               end_reason=reason, instrument_keys=["gad7", "phq9"],
                               created_by=clinician, ended_by=clinician)
    Response.objects.bulk_create(rows)
