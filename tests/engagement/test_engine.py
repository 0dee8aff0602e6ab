"""The engine around the rules: one alert per ongoing condition (not one a day, not one after
it was resolved while still going on), a new one only after the condition cleared; recipients
and notifications written with the alert; risk answers through the same path; evaluation cost
that does not grow with the number of clients; the periodic job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from config import scheduler
from practice.engagement import services, tasks
from practice.measurement import services as measurement_services
from practice.measurement.models import Alert
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.engagement.helpers import (
    NOW,
    alerted,
    alerts,
    evaluate,
    inside,
    outbox,
    portal_client,
    score,
)
from tests.portal.helpers import prepare, submit_phq9

K = Alert.Kind
DAY = timedelta(days=1)


def test_one_alert_per_ongoing_condition_and_a_new_one_after_it_cleared(alpha, beta) -> None:
    with inside(alpha):
        client = portal_client(alpha, last_login=NOW - timedelta(days=20))
        assert evaluate(alpha).raised["no_sign_in"] == 1
        first = Alert.objects.get()
        # Still silent the next day, and after the clinician resolved the alert: nothing new.
        assert evaluate(alpha, NOW + DAY).raised["no_sign_in"] == 0
        measurement_services.alert_resolve(alert_id=first.pk, note="Called, all well",
                                           actor=Actor.of(alpha.clinician))
        assert evaluate(alpha, NOW + 2 * DAY).raised["no_sign_in"] == 0
        assert len(outbox()) == 1
        # The client signs in: the condition clears (the alert itself stays as it was).
        User.objects.filter(pk=client.pk).update(last_login=NOW + 2 * DAY)
        outcome = evaluate(alpha, NOW + 2 * DAY)
        assert (outcome.raised["no_sign_in"], outcome.cleared["no_sign_in"]) == (0, 1)
        first.refresh_from_db()
        assert (first.status, first.condition_cleared_at) == (Alert.Status.RESOLVED,
                                                              NOW + 2 * DAY)
        # Silent again for fourteen days: a new alert, told anew.
        assert evaluate(alpha, NOW + 16 * DAY).raised["no_sign_in"] == 1
        assert [(seen.client_id, seen.cleared) for seen in alerts()] == [(client.pk, True),
                                                                        (client.pk, False)]
        second = Alert.objects.latest("pk")
        assert [key for _, _, key, _ in outbox()] == [
            f"alert:{first.pk}:{alpha.clinician.pk}:email",
            f"alert:{second.pk}:{alpha.clinician.pk}:email"]
        assert list(AuditEvent.objects.filter(action="alert.raised").order_by("pk")
                    .values_list("object_id", "actor_role", "detail")) == [
            (str(alert.pk), "system", {"kind": "no_sign_in", "client_id": client.pk,
                                       "recipient_ids": [alpha.clinician.pk]})
            for alert in (first, second)]
    with inside(beta):
        assert alerts() == []


def test_the_database_keeps_one_alert_per_ongoing_condition(alpha) -> None:
    with inside(alpha):
        client = portal_client(alpha)
        values = {"client": client, "kind": K.NO_SIGN_IN, "severity": "routine",
                  "summary": "x", "dedupe_key": f"no_sign_in:{client.pk}"}
        Alert.objects.create(**values, condition_cleared_at=NOW)
        Alert.objects.create(**values)
        with pytest.raises(IntegrityError), transaction.atomic():
            Alert.objects.create(**values)
        # The service returns the ongoing one instead of raising another.
        alert, created = services.alert_raise(client=client, kind=K.NO_SIGN_IN,
                                              severity="routine", summary="y",
                                              dedupe_key=f"no_sign_in:{client.pk}")
        assert (created, alert.summary) == (False, "x")
        assert Alert.objects.count() == 2


def test_without_a_clinician_the_owners_are_told(alpha) -> None:
    with inside(alpha):
        client = portal_client(alpha, with_clinician=False, last_login=NOW - 20 * DAY)
        evaluate(alpha)
        assert [seen.recipients for seen in alerts()] == [(alpha.owner.pk,)]
        assert [recipient for recipient, _, _, _ in outbox()] == [alpha.owner.pk]
        assert alerted(K.NO_SIGN_IN) == [client.pk]


def test_a_risk_answer_alerts_and_notifies_at_once(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    response_id = submit_phq9(alpha, 12, q9=1)
    with inside(alpha):
        alert = Alert.objects.get()
        assert (alert.kind, alert.severity, alert.response_id, alert.dedupe_key) == (
            K.RISK_ITEM, "urgent", response_id, f"response:{response_id}:q9:risk")
        assert [person.pk for person in alert.recipients.all()] == [alpha.clinician.pk]
        assert outbox() == [(alpha.clinician.pk, "email",
                             f"alert:{alert.pk}:{alpha.clinician.pk}:email",
                             {"alert_id": alert.pk})]
    with inside(beta):
        assert alerts() == []
        assert outbox() == []


def _steady_state_queries(world, clients: int) -> int:
    for number in range(clients):
        client = portal_client(world, last_login=NOW - 30 * DAY)
        for days, mood in ((4, 8), (3, 7), (2, 6), (1, 5)):
            score(client, "mood", mood + number % 2, NOW - days * DAY)
        score(client, "phq9", 9, NOW - 20 * DAY)
        score(client, "phq9", 20, NOW - 10 * DAY)
    evaluate(world)  # raises what there is to raise
    with CaptureQueriesContext(connection) as queries:
        outcome = evaluate(world)
    assert sum(outcome.raised.values()) == 0
    return len(queries)


def test_evaluation_queries_do_not_grow_with_clients(alpha) -> None:
    with inside(alpha):
        few = _steady_state_queries(alpha, 2)
        many = _steady_state_queries(alpha, 6)
        # not on track: the practice's calibrations and the open episodes' scores, and its
        # clearing.
        assert few == many == 30
        assert len(alerted(K.NO_SIGN_IN)) == 8


def test_the_job_runs_in_the_practice_it_is_sent_to(alpha, beta) -> None:
    assert {job.actor_name for job in scheduler.JOBS if job.per_practice} >= {
        "engagement_evaluate", "staff_digest_send"}
    with inside(alpha):
        client = portal_client(alpha, last_login=NOW - 400 * DAY)
        tasks.engagement_evaluate.fn()
        assert alerted(K.NO_SIGN_IN) == [client.pk]
    with inside(beta):
        assert alerts() == []


def test_only_urgent_alerts_ignore_quiet_hours() -> None:
    """A risk answer or a request for urgent contact reaches a clinician at any hour; a client
    drifting away waits for the end of the clinician's quiet hours."""
    from practice.engagement.services import ALERT_NOTIFICATION, ROUTINE_ALERT_NOTIFICATION
    from practice.notifications.kinds import get

    assert get(ALERT_NOTIFICATION).respects_quiet_hours is False
    assert get(ROUTINE_ALERT_NOTIFICATION).respects_quiet_hours is True
