"""The client progress report (page and PDF) and the utilization-review export (PDF and CSV):
the known numbers of a hand-built episode, audited generation, deterministic PDFs, 404 for
everyone outside the care team and for front desk, nothing of beta."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from branding.selectors import branding_for
from practice.care.models import Goal, GoalProgress, Homework, HomeworkCompletion
from practice.outcomes import client_selectors
from practice.outcomes.pdf import Provenance, progress_pdf
from tenants.audit.models import AuditEvent
from tests.formbuilder.helpers import pdf_text
from tests.outcomes.world import START, build_caseload


def _care(world, client) -> None:  # type: ignore[no-untyped-def]
    goal = Goal.objects.create(client=client, title="Walk every day", target_value=7,
                               target_unit="days a week", created_by=world.clinician,
                               created_at=START)
    GoalProgress.objects.create(goal=goal, author=client, value=3, created_at=START)
    GoalProgress.objects.create(goal=goal, author=client, value=5,
                                created_at=datetime(2026, 1, 20, tzinfo=UTC))
    homework = Homework.objects.create(client=client, instructions="Thought record",
                                       due_on=datetime(2026, 1, 7).date(), repeats_weekly=True,
                                       created_by=world.clinician, created_at=START,
                                       is_active=False,
                                       ended_at=datetime(2026, 1, 30, tzinfo=UTC))
    for day in (7, 14):
        HomeworkCompletion.objects.create(homework=homework,
                                          due_on=datetime(2026, 1, day).date())


def test_progress_report_page_and_pdf(alpha, beta) -> None:
    caseload = build_caseload(alpha)
    build_caseload(beta, canary="CANARY ")
    rita = caseload.clients["Rita Recovered"]
    episode = caseload.episodes["Rita Recovered"]
    with schema_context(alpha.practice.schema_name):
        _care(alpha, rita)
    connection.set_schema_to_public()
    url = f"/outcomes/clients/{rita.pk}/progress/?episode={episode.pk}"
    for person in (alpha.front_desk, alpha.billing, alpha.client, caseload.other_clinician):
        assert alpha.http(person).get(url).status_code == 404
        assert alpha.http(person).get(url + "&format=pdf").status_code == 404
    http = alpha.http(alpha.clinician)
    page = http.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Baseline <strong>18</strong>" in body and "latest <strong>6</strong>" in body
    assert "Recovered (reliable and clinically significant)" in body
    assert "Reliable recovery" in body
    assert "Walk every day" in body
    assert "2 of 4 completed" in body  # weekly from 7 Jan to 30 Jan: 7, 14, 21, 28
    assert "<svg" in body and "CANARY" not in body
    pdf = http.get(url + "&format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.content).split())
    assert "Client progress report" in text and "Rita Recovered" in text
    assert "Baseline 18" in text and "Reliable recovery" in text
    assert "by Casey Clinician" in text
    with schema_context(alpha.practice.schema_name):
        events = list(AuditEvent.objects.filter(action="client.progress_report_generated")
                      .order_by("pk")
                      .values_list("detail", flat=True))
        assert events == [{"episode_id": episode.pk, "format": "page"},
                          {"episode_id": episode.pk, "format": "pdf"}]
        # Another client's episode id is as missing as none.
        other = caseload.episodes["Dan Deteriorated"]
    connection.set_schema_to_public()
    assert http.get(f"/outcomes/clients/{rita.pk}/progress/?episode={other.pk}"
                    ).status_code == 404


def test_the_pdf_is_deterministic(alpha) -> None:
    caseload = build_caseload(alpha)
    rita = caseload.clients["Rita Recovered"]
    with schema_context(alpha.practice.schema_name):
        episode = caseload.episodes["Rita Recovered"]
        now = datetime(2026, 3, 1, 12, tzinfo=UTC)
        window = client_selectors.episode_window(rita, episode, now=now)
        provenance = Provenance("Casey Clinician", now, ZoneInfo("UTC"))
        branding = branding_for(alpha.practice)
        first = progress_pdf(window=window, episode=episode, branding=branding,
                             provenance=provenance)
        second = progress_pdf(window=window, episode=episode, branding=branding,
                              provenance=provenance)
    assert first == second


@pytest.mark.parametrize("wanted", ["pdf", "csv"])
def test_utilization_review(alpha, beta, wanted: str) -> None:
    caseload = build_caseload(alpha)
    build_caseload(beta, canary="CANARY ")
    rita = caseload.clients["Rita Recovered"]
    url = (f"/outcomes/clients/{rita.pk}/utilization-review/?start=2026-01-01&end=2026-01-31"
           f"&format={wanted}")
    for person in (alpha.front_desk, alpha.billing, alpha.client, caseload.other_clinician):
        assert alpha.http(person).get(url).status_code == 404
    response = alpha.http(alpha.owner).get(url)
    assert response.status_code == 200
    if wanted == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert "Generated from the records of Alpha Therapy by Olivia Owner" in rows[1][6]
        scores = [(row[3], row[4], row[5]) for row in rows if row[0] == "score"]
        assert scores == [("18", "Moderately severe", "0"), ("12", "Moderate", "-6"),
                          ("6", "Mild", "-12")]
        assert "CANARY" not in response.content.decode()
    else:
        text = " ".join(pdf_text(response.content).split())
        assert "Utilization review" in text and "by Olivia Owner" in text
    bad = alpha.http(alpha.owner).get(
        f"/outcomes/clients/{rita.pk}/utilization-review/?start=2026-02-01&end=2026-01-01"
        "&format=csv")
    assert bad.status_code == 400
    assert "The end date is before the start date." in bad.content.decode()
    with schema_context(alpha.practice.schema_name):
        assert AuditEvent.objects.filter(
            action="client.utilization_review_generated").count() == 1


def test_the_page_lists_the_newest_scores_and_shows_all_on_asking(alpha) -> None:
    from practice.outcomes.models import Episode
    from practice.outcomes.views.client_reports import REPORT_ROWS
    from tests.measurement.clinic_world import give_history, prepare

    prepare(alpha, ("phq9",))
    totals = [20 - index % 7 for index in range(REPORT_ROWS + 4)]
    with schema_context(alpha.practice.schema_name):
        episode = Episode.objects.create(client=alpha.client, clinician=alpha.clinician,
                                         started_at=START)
        give_history(alpha.client, "phq9", totals, start=START)
    connection.set_schema_to_public()
    url = f"/outcomes/clients/{alpha.client.pk}/progress/?episode={episode.pk}"
    http = alpha.http(alpha.clinician)
    body = http.get(url).content.decode()
    assert body.count("<tr><td>") == REPORT_ROWS
    assert f"{REPORT_ROWS + 4} scores." in body  # the summary counts every score
    assert (f'href="?episode={episode.pk}&amp;all=phq9#series-phq9">Show all '
            f"{REPORT_ROWS + 4} scores") in body
    everything = http.get(url + "&all=phq9").content.decode()
    assert everything.count("<tr><td>") == REPORT_ROWS + 4
    assert "Show all" not in everything


def test_years_of_weekly_scores_are_charted_as_monthly_means(alpha) -> None:
    from practice.measurement.selectors import CHART_POINTS
    from practice.outcomes.models import Episode
    from tests.measurement.clinic_world import give_history, prepare

    prepare(alpha, ("phq9",))
    totals = [18] + [12 - index % 3 for index in range(CHART_POINTS + 10)] + [5]
    with schema_context(alpha.practice.schema_name):
        episode = Episode.objects.create(client=alpha.client, clinician=alpha.clinician,
                                         started_at=START)
        give_history(alpha.client, "phq9", totals, start=START)
    connection.set_schema_to_public()
    body = alpha.http(alpha.clinician).get(
        f"/outcomes/clients/{alpha.client.pk}/progress/?episode={episode.pk}").content.decode()
    assert "over the episode (monthly averages)" in body
    # The words and the marks still read the exact first and last scores, not the means.
    assert "Baseline <strong>18</strong>" in body and "latest <strong>5</strong>" in body
    assert f"{len(totals)} scores." in body
