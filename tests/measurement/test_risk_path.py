"""The risk path through the services: submit, the alert reaches the right clinicians at once,
crisis help is due, the second practice sees nothing."""

from __future__ import annotations

from datetime import date

from django_tenants.utils import schema_context

from practice.measurement import services
from practice.measurement.models import Alert, Response
from practice.models import ClientProfile
from tenants.actor import Actor
from tenants.models import Practice


def _setup(world, instruments=("phq9",)):
    Practice.objects.filter(pk=world.practice.pk).update(instrument_keys=list(instruments))
    world.practice.refresh_from_db()
    profile = ClientProfile.objects.create(user=world.client, timezone="America/Chicago")
    profile.clinicians.add(world.clinician)


def test_phq9_item_9_raises_an_urgent_alert_for_the_assigned_clinician(alpha, beta) -> None:
    with schema_context(alpha.practice.schema_name):
        _setup(alpha)
        services.assignment_create(client_id=alpha.client.pk,
                                   instrument_key="phq9", frequency="once",
                                   starts_on=date(2026, 12, 1),
                                   actor=Actor.of(alpha.clinician, practice=alpha.practice))
        (due,) = Response.objects.filter(client=alpha.client)
        answers = {f"q{n}": 0 for n in range(1, 10)} | {"q9": 1}
        outcome = services.response_submit(client=alpha.client, response_id=due.pk,
                                           answers=answers)
        assert outcome.submitted is True
        assert outcome.show_crisis_help is True
        (alert,) = Alert.objects.all()
        assert alert.kind == Alert.Kind.RISK_ITEM
        assert alert.severity == Alert.Severity.URGENT
        assert list(alert.recipients.all()) == [alpha.clinician]
        due.refresh_from_db()
        assert due.status == Response.Status.SUBMITTED
        assert due.total == 1
        assert due.band_key != ""
    with schema_context(beta.practice.schema_name):
        assert Alert.objects.count() == 0
        assert Response.objects.count() == 0


def test_skipped_item_9_is_risk_unknown_never_zero(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        _setup(alpha)
        services.assignment_create(client_id=alpha.client.pk,
                                   instrument_key="phq9", frequency="once",
                                   starts_on=date(2026, 12, 1),
                                   actor=Actor.of(alpha.clinician, practice=alpha.practice))
        (due,) = Response.objects.filter(client=alpha.client)
        answers = {f"q{n}": 0 for n in range(1, 9)} | {"q9": None}
        outcome = services.response_submit(client=alpha.client, response_id=due.pk,
                                           answers=answers)
        assert outcome.show_crisis_help is True
        assert [alert.kind for alert in Alert.objects.all()] == [Alert.Kind.RISK_UNKNOWN]
