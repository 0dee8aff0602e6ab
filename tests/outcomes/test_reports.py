"""Caseload and practice reports on a hand-built caseload with known answers. The owner counts
every client; a clinician only their own; a look-alike practice is never counted; front desk,
billing and clients get 404; small cells show counts only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from practice.outcomes import selectors
from practice.outcomes.maths import Rate
from tests.conftest import PracticeWorld
from tests.outcomes.world import build_caseload

FEBRUARY = selectors.ReportFilters(start=datetime(2026, 2, 1, tzinfo=UTC),
                                   end=datetime(2026, 3, 1, tzinfo=UTC))


def _beta_noise(beta: PracticeWorld) -> None:
    """Beta: the same people and ids, different (all recovered) outcomes, and a canary."""
    from practice.outcomes.models import Episode

    build_caseload(beta, canary="CANARY ")
    with schema_context(beta.practice.schema_name):
        Episode.objects.update(instrument_keys=["phq9", "gad7"])


def test_the_practice_report_has_the_known_answers(alpha, beta,
                                                   django_assert_num_queries) -> None:
    build_caseload(alpha)
    _beta_noise(beta)
    with schema_context(alpha.practice.schema_name):
        with django_assert_num_queries(4):  # clients visible to the owner is a subquery
            report = selectors.outcome_report(alpha.owner, FEBRUARY)
    assert report.episodes_closed == 7
    assert report.by_end_reason == {"completed": 6, "dropped_out": 1}
    [phq9] = report.instruments
    summary = phq9.summary
    assert (summary.episodes, summary.paired, summary.at_caseness) == (7, 6, 5)
    assert summary.completeness == Rate(6, 7)
    assert summary.reliable_improvement == Rate(3, 6)  # 18->6, 22->14, 20->5
    assert summary.reliable_deterioration == Rate(1, 6)  # 8->16
    assert summary.no_reliable_change == Rate(2, 6)  # 15->13, 12->8
    assert summary.recovery == Rate(3, 5)  # 18->6, 20->5, 12->8
    assert summary.reliable_recovery == Rate(2, 5)
    assert summary.reliable_recovery.percent == 40.0
    assert summary.average_measures == 17 / 7


def test_a_clinician_sees_only_their_own_clients(alpha, beta) -> None:
    caseload = build_caseload(alpha)
    _beta_noise(beta)
    with schema_context(alpha.practice.schema_name):
        mine = selectors.outcome_report(alpha.clinician, FEBRUARY)
        theirs = selectors.outcome_report(caseload.other_clinician, FEBRUARY)
        # The owner can narrow to one clinician; a clinician asking for another gets nothing.
        narrowed = selectors.outcome_report(alpha.owner, selectors.ReportFilters(
            start=FEBRUARY.start, end=FEBRUARY.end, clinician_id=caseload.other_clinician.pk))
        sneaky = selectors.outcome_report(alpha.clinician, selectors.ReportFilters(
            clinician_id=caseload.other_clinician.pk))
    assert mine.episodes_closed == 5
    assert mine.instruments[0].summary.reliable_improvement == Rate(2, 4)
    assert mine.instruments[0].summary.reliable_improvement.percent is None  # 4 paired
    assert theirs.episodes_closed == 2
    assert narrowed.episodes_closed == 2
    assert sneaky.episodes_closed == 0


def test_filters_by_end_reason_and_date(alpha) -> None:
    build_caseload(alpha)
    with schema_context(alpha.practice.schema_name):
        dropped = selectors.outcome_report(alpha.owner, selectors.ReportFilters(
            end_reason="dropped_out"))
        everything = selectors.outcome_report(alpha.owner, selectors.ReportFilters())
        gad7 = selectors.outcome_report(alpha.owner, selectors.ReportFilters(
            instrument_key="gad7"))
    assert dropped.episodes_closed == 1
    assert dropped.instruments[0].summary.paired == 0
    assert everything.episodes_closed == 8  # Rita's 2025 episode too
    assert everything.instruments[0].summary.reliable_deterioration == Rate(2, 7)
    assert gad7.instruments == []


REPORT_URLS = ["/outcomes/reports/", "/outcomes/reports/?format=csv"]


@pytest.mark.parametrize("url", REPORT_URLS)
def test_front_desk_billing_and_clients_get_404(alpha, url: str) -> None:
    build_caseload(alpha)
    for person in (alpha.front_desk, alpha.billing, alpha.client):
        response = alpha.http(person).get(url)
        assert response.status_code == 404
        assert "Rita" not in response.content.decode()
    assert alpha.http().get(url).status_code == 302  # to sign in


def test_the_page_and_csv(alpha, beta) -> None:
    build_caseload(alpha)
    _beta_noise(beta)
    connection.set_schema_to_public()
    owner = alpha.http(alpha.owner)
    page = owner.get("/outcomes/reports/?start=2026-02-01&end=2026-02-28&instrument=phq9")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Episodes closed: 7" in body
    assert "3 of 6 (50%)" in body  # reliable improvement
    assert "2 of 5 (40%)" in body  # reliable recovery
    assert "<svg" in body and "CANARY" not in body
    rows = list(csv.DictReader(io.StringIO(
        owner.get("/outcomes/reports/?format=csv&start=2026-02-01").content.decode())))
    assert [row["instrument"] for row in rows] == ["phq9"]
    assert (rows[0]["episodes_closed"], rows[0]["reliable_improvement"],
            rows[0]["reliable_improvement_percent"], rows[0]["recovery_percent"]) == (
        "7", "3", "50.0", "60.0")
    mine = alpha.http(alpha.clinician).get("/outcomes/reports/?start=2026-02-01")
    text = mine.content.decode()
    assert "Your caseload" in text
    assert "2 of 4 (fewer than 5 episodes: no rate)" in text
    assert "%" not in text.split("Reliable improvement</th>")[1].split("</tr>")[0]
    mine_csv = list(csv.DictReader(io.StringIO(alpha.http(alpha.clinician).get(
        "/outcomes/reports/?format=csv&start=2026-02-01").content.decode())))
    assert (mine_csv[0]["reliable_improvement"], mine_csv[0]["reliable_improvement_percent"],
            mine_csv[0]["effect_size"]) == ("2", "", "")
    bad = owner.get("/outcomes/reports/?start=2026-03-01&end=2026-02-01")
    assert bad.status_code == 400
    assert "The end date is before the start date." in bad.content.decode()
