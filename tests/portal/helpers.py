"""Building a client's measurement world the way the practice does: an offered instrument, the
client on a clinician's caseload, assignments and submitted responses through the services."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from branding.models import PracticeBranding
from branding.selectors import branding_forget
from portal.consent import current_consent
from portal.models import ConsentAcceptance
from practice.measurement import services
from practice.measurement.models import Response
from practice.models import ClientProfile
from tenants.actor import Actor
from tenants.models import Practice
from tests.conftest import PracticeWorld

CLIENT_ZONE = "America/Chicago"
PHQ9_ITEMS = [f"q{number}" for number in range(1, 11)]


def page_text(response) -> str:
    """The page as a person sees it: each render masks the CSRF token differently and has
    its own CSP nonce."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"| nonce="[^"]*"', "",
                  response.content.decode())


def accept_consent(world: PracticeWorld, client=None) -> None:
    """The client accepted the consent text now in force (as accepting an invitation does)."""
    with schema_context(world.practice.schema_name):
        ConsentAcceptance.objects.get_or_create(user=client or world.client,
                                                version=current_consent().version)
    connection.set_schema_to_public()


def prepare(world: PracticeWorld, instruments: tuple[str, ...] = ("phq9", "gad7"),
            crisis_line: str = "") -> None:
    """Offer the instruments, give the client a profile and put the clinician on their team."""
    Practice.objects.filter(pk=world.practice.pk).update(instrument_keys=list(instruments))
    world.practice.refresh_from_db()
    if crisis_line:
        PracticeBranding.objects.update_or_create(
            practice=world.practice,
            defaults={"display_name": world.practice.name, "crisis_line": crisis_line})
        branding_forget(world.practice)
    with schema_context(world.practice.schema_name):
        profile, _ = ClientProfile.objects.get_or_create(user=world.client,
                                                         defaults={"timezone": CLIENT_ZONE})
        profile.clinicians.add(world.clinician)
    connection.set_schema_to_public()


def local_today() -> date:
    """Today where the test client lives (their profile's timezone)."""
    return timezone.now().astimezone(ZoneInfo(CLIENT_ZONE)).date()


def assign(world: PracticeWorld, instrument: str = "phq9", *, frequency: str = "once",
           starts_on: date | None = None, client=None) -> int:
    """Assign an instrument and return the id of the response now due."""
    client = client or world.client
    with schema_context(world.practice.schema_name):
        services.assignment_create(
            client_id=client.pk, instrument_key=instrument,
            frequency=frequency, starts_on=starts_on or local_today(),
            actor=Actor.of(world.clinician, practice=world.practice))
        response = (Response.objects.filter(client=client, instrument_key=instrument,
                                            status=Response.Status.PENDING)
                    .order_by("-pk").first())
        assert response is not None
        pk = response.pk
    connection.set_schema_to_public()
    return pk


def submit_phq9(world: PracticeWorld, total: int, *, q9: int = 0) -> int:
    """A submitted PHQ-9 with the given total (item 9 counted in it)."""
    response_id = assign(world, "phq9")
    answers: dict[str, int | None] = {key: 0 for key in PHQ9_ITEMS[:9]}
    answers["q9"] = q9
    remaining = total - q9
    for key in PHQ9_ITEMS[:8]:
        answers[key] = min(3, remaining)
        remaining -= answers[key]
    assert remaining == 0
    with schema_context(world.practice.schema_name):
        outcome = services.response_submit(client=world.client, response_id=response_id,
                                           answers=answers)
        assert outcome.submitted is True
    connection.set_schema_to_public()
    return response_id


def bulk_history(world: PracticeWorld, instrument: str, totals: list[int], *,
                 start: datetime, step: timedelta, band: str = "") -> None:
    """Many submitted scores at once (for size and query-count tests), as the service pins
    them."""
    with schema_context(world.practice.schema_name):
        Response.objects.bulk_create([
            Response(client=world.client, instrument_key=instrument, definition_version=1,
                     status=Response.Status.SUBMITTED, started_at=start + step * index,
                     submitted_at=start + step * index, is_scored=True,
                     total=Decimal(total), band_key=band, band_label=band.title(),
                     scorer="standard", scorer_version="1")
            for index, total in enumerate(totals)])
    connection.set_schema_to_public()


def http(world: PracticeWorld, user=None) -> Client:
    return world.http(user)
