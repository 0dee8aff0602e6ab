"""The client's own trends: plain words for the change, a chart with the ranges shaded and a table
of the numbers; entered-in-error responses left out; never a flag's clinical text; a fixed number
of queries and a small page whatever the length of the history."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.measurement import services
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.portal.helpers import bulk_history, prepare, submit_phq9

PROGRESS = "/portal/assessments/progress/"


def test_an_improving_course_reads_as_a_reliable_improvement(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    mistake = submit_phq9(alpha, 24)
    with schema_context(alpha.practice.schema_name):
        services.response_mark_entered_in_error(response_id=mistake, reason="wrong client",
                                                actor=Actor.of(alpha.clinician))
    connection.set_schema_to_public()
    for total in (19, 15):
        submit_phq9(alpha, total)
    submit_phq9(alpha, 11, q9=1)
    submit_phq9(beta, 3)

    response = alpha.http(alpha.client).get(PROGRESS)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your PHQ-9 went from 19 to 11: a reliable improvement." in body
    assert "“Reliable” means a change of 6 points or more on the PHQ-9" in body
    assert "On the PHQ-9, a lower score means fewer or milder difficulties." in body
    assert body.count('<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart"') == 1
    assert body.count('class="band"') == 5  # the five PHQ-9 ranges, shaded
    table = body.split("<tbody>")[1].split("</tbody>")[0]
    assert table.count("<tr>") == 3  # the entered-in-error 24 is not there
    assert "<td>11</td><td>Moderate</td><td>−4</td>" in table
    assert "<td>19</td><td>Moderately severe</td><td>first score</td>" in table
    assert ">24</td>" not in table
    assert "same-day risk review" not in body  # the clinician's flag text
    assert "wrong client" not in body  # the clinician's reason
    with schema_context(alpha.practice.schema_name):
        (read,) = AuditEvent.objects.filter(action="portal.scores_viewed")
        assert (read.actor_id, read.object_type, read.object_id, read.detail) == (
            alpha.client.pk, "client", str(alpha.client.pk), {})
    with schema_context(beta.practice.schema_name):
        assert AuditEvent.objects.filter(action="portal.scores_viewed").count() == 0
    connection.set_schema_to_public()


def test_a_change_within_chance_is_said_so(alpha) -> None:
    prepare(alpha)
    submit_phq9(alpha, 12)
    submit_phq9(alpha, 9)
    body = alpha.http(alpha.client).get(PROGRESS).content.decode()
    assert "Your PHQ-9 went from 12 to 9." in body
    assert "The change is less than 6 points, so it could still be ordinary ups and downs." in body


def test_no_scores_yet(alpha) -> None:
    prepare(alpha)
    body = alpha.http(alpha.client).get(PROGRESS).content.decode()
    assert "Once you have completed a questionnaire, your scores will show here." in body


def _weekly(count: int) -> list[int]:
    return [max(0, 20 - index % 21) for index in range(count)]


def test_queries_and_size_do_not_grow_with_five_years_of_history(alpha) -> None:
    prepare(alpha)
    start = timezone.now() - timedelta(days=5 * 365)
    http = alpha.http(alpha.client)
    counts = []
    for weeks in (4, 260):
        bulk_history(alpha, "phq9", _weekly(weeks), start=start, step=timedelta(days=7))
        bulk_history(alpha, "gad7", [min(total, 21) for total in _weekly(weeks)], start=start,
                     step=timedelta(days=7))
        bulk_history(alpha, "mood", [index % 11 for index in range(weeks * 7)], start=start,
                     step=timedelta(days=1))
        http.get(PROGRESS)  # warm the session and branding caches
        with CaptureQueriesContext(connection) as queries:
            response = http.get(PROGRESS)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts == [counts[0], counts[0]]
    # The middleware's, the consent and the expected-path setting (off: nothing more), the
    # audit event; per instrument the counts, the scores the table and change need, the chart's.
    assert counts[0] == 11
    body = response.content.decode()
    assert len(response.content) < 100_000
    assert "(the latest 10 of 264)" in body
    # Five years of weekly scores are drawn as monthly means (at most 156 points a chart).
    assert body.count("scores over time (monthly averages)") == 2
    full = http.get(f"{PROGRESS}?all=phq9")
    assert full.content.decode().count("<tr><td>") == 264 + 10
