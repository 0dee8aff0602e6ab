"""Shared set-up of the staff clinic page tests: a client on a clinician's care team, a second
clinician who is not, and score histories written the way submission pins them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django_tenants.utils import schema_context

from practice.measurement.library import get_definition
from practice.measurement.models import Alert, Response
from practice.measurement.scoring import score
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.models import Practice
from tests.conftest import PASSWORD, PracticeWorld
from tests.measurement.helpers import answers_for

OTHER_CLINICIAN_EMAIL = "second.clinician@example.org"


def prepare(world: PracticeWorld, instruments: Sequence[str] = ("phq9", "gad7"),
            tz: str = "America/Chicago") -> User:
    """Offer ``instruments``, give the client a profile with ``world.clinician`` on the care
    team, and add a second clinician who is not on it (returned)."""
    Practice.objects.filter(pk=world.practice.pk).update(instrument_keys=list(instruments))
    world.practice.refresh_from_db()
    with schema_context(world.practice.schema_name):
        profile = ClientProfile.objects.create(user=world.client, timezone=tz)
        profile.clinicians.add(world.clinician)
        return User.objects.create_user(OTHER_CLINICIAN_EMAIL, PASSWORD,
                                        full_name="Uma Unassigned", role=Role.CLINICIAN)


def give_history(client: User, key: str, totals: Sequence[int], *, start: datetime,
                 step: timedelta = timedelta(weeks=1)) -> list[Response]:
    """Submitted responses scoring ``totals``, pinned as submission pins them (call inside the
    practice's schema)."""
    definition = get_definition(key)
    rows = []
    for index, total in enumerate(totals):
        answers = answers_for(definition, total)
        result = score(definition, answers)
        moment = start + index * step
        rows.append(Response(
            client=client, instrument_key=key, definition_version=definition.version,
            status=Response.Status.SUBMITTED, answers=answers, created_at=moment,
            started_at=moment, submitted_at=moment, scorer=result.scorer,
            scorer_version=str(result.scorer_version), is_scored=True,
            total=None if result.total is None else Decimal(str(result.total)),
            band_key=result.band.key if result.band else "",
            band_label=result.band.label if result.band else "",
            subscales={key: float(value) for key, value in result.subscales.items()},
            subscale_bands={key: band.to_dict() if band else None
                            for key, band in result.subscale_bands.items()},
            flags=[flag.to_dict() for flag in result.flags],
            advisories=list(result.advisories)))
    return Response.objects.bulk_create(rows)


def raise_alert(client: User, recipients: Sequence[User], *, severity: str = "urgent",
                summary: str = "PHQ-9: item 9 answered above 0") -> Alert:
    alert = Alert.objects.create(
        client=client, kind=Alert.Kind.RISK_ITEM if severity == "urgent"
        else Alert.Kind.RELIABLE_DETERIORATION, severity=severity, summary=summary)
    alert.recipients.set(recipients)
    return alert


def forget_readings(world: PracticeWorld) -> None:
    """As if every client's data had just changed: each reading stamp renewed (as the
    database's triggers do on a write), so the next staff list works every reading out afresh
    (practice.today.readings). Query counts are pinned for that, the costlier case."""
    from django.db import connection

    with schema_context(world.practice.schema_name), connection.cursor() as cursor:
        cursor.execute("UPDATE outcomes_readingstamp SET stamp = gen_random_uuid()")
