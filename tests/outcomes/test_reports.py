"""Caseload and practice reports on a hand-built caseload with known answers. The owner counts
every client; a clinician only their own; a look-alike practice is never counted; front desk,
billing and clients get 404; small cells show counts only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

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
        with django_assert_num_queries(3):  # clients visible to the owner is a subquery
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


def test_depression_and_anxiety_together_on_the_page_and_in_csv(alpha) -> None:
    """Rita (PHQ-9 18 -> 6) also scored GAD-7 12 -> 10: still an anxiety case at the end, so
    the combined report counts no recovery for her although PHQ-9 alone does; Tom (20 -> 5)
    scored GAD-7 11 -> 3: recovered on both."""
    caseload = build_caseload(alpha)
    with schema_context(alpha.practice.schema_name):
        from tests.measurement.clinic_world import give_history
        for name, totals in (("Rita Recovered", [12, 11, 10]), ("Tom Theirs", [11, 6, 3])):
            episode = caseload.episodes[name]
            give_history(episode.client, "gad7", totals,
                         start=episode.started_at + timedelta(hours=2))
        report = selectors.outcome_report(alpha.owner, FEBRUARY)
    connection.set_schema_to_public()
    assert report.combined is not None
    combined = report.combined.summary
    assert (combined.episodes, combined.paired, combined.at_caseness) == (2, 2, 2)
    assert combined.recovery == Rate(1, 2)  # Tom only
    # Both: Rita better on PHQ-9 and not worse on GAD-7, Tom better on both.
    assert combined.reliable_improvement == Rate(2, 2)
    assert combined.reliable_recovery == Rate(1, 2)
    phq9 = next(item for item in report.instruments if item.instrument_key == "phq9")
    assert phq9.summary.recovery == Rate(3, 5)  # unchanged by the combined count
    owner = alpha.http(alpha.owner)
    body = owner.get("/outcomes/reports/?start=2026-02-01&end=2026-02-28").content.decode()
    assert "Depression and anxiety together" in body
    assert "1 of 2 (fewer than 5 episodes: no rate)" in body
    rows = list(csv.DictReader(io.StringIO(
        owner.get("/outcomes/reports/?format=csv&start=2026-02-01").content.decode())))
    (row,) = [row for row in rows if row["instrument"] == "talking_therapies"]
    assert (row["episodes_closed"], row["paired"], row["recovery"],
            row["recovery_denominator"], row["recovery_percent"]) == ("2", "2", "1", "2", "")
    # Narrowed to one instrument, there is no combined count.
    only = owner.get("/outcomes/reports/?start=2026-02-01&instrument=phq9").content.decode()
    assert "Depression and anxiety together" not in only


def test_report_dates_are_the_viewers_own_timezone(alpha) -> None:
    """An episode closed at 02:00 UTC on 1 March is still 28 February in New York: a report
    for February read by someone in New York counts it, one read in UTC does not."""
    from practice.notifications.models import NotificationPreference
    from practice.outcomes.models import Episode

    build_caseload(alpha)
    with schema_context(alpha.practice.schema_name):
        late = Episode.objects.filter(ended_at__isnull=False).order_by("pk").first()
        Episode.objects.filter(pk=late.pk).update(ended_at=datetime(2026, 3, 1, 2, tzinfo=UTC))
        NotificationPreference.objects.create(user=alpha.owner, timezone="America/New_York")
    connection.set_schema_to_public()
    url = "/outcomes/reports/?start=2026-02-01&end=2026-02-28&instrument=phq9"
    assert "Episodes closed: 7" in alpha.http(alpha.owner).get(url).content.decode()
    body = alpha.http(alpha.clinician).get(url).content.decode()  # UTC: the practice default
    assert "Episodes closed: 4" in body and "Dates are in UTC" in body


def test_the_report_through_the_api(alpha, beta) -> None:
    build_caseload(alpha)
    _beta_noise(beta)
    connection.set_schema_to_public()
    url = "/api/v1/outcomes/report?start=2026-02-01&end=2026-02-28&instrument=phq9"
    body = alpha.http(alpha.owner).get(url).json()
    assert (body["episodes_closed"], body["timezone"], body["combined"]) == (7, "UTC", None)
    (phq9,) = body["instruments"]
    assert phq9["instrument"] == "phq9"
    assert phq9["reliable_improvement"] == {"count": 3, "denominator": 6, "percent": 50.0}
    assert phq9["reliable_recovery"] == {"count": 2, "denominator": 5, "percent": 40.0}
    mine = alpha.http(alpha.clinician).get(url).json()
    assert mine["episodes_closed"] == 5
    # A small cell is counts only.
    assert mine["instruments"][0]["reliable_improvement"] == {
        "count": 2, "denominator": 4, "percent": None}
    assert mine["instruments"][0]["effect_size"] is None
    bad = alpha.http(alpha.owner).get("/api/v1/outcomes/report?start=2026-03-01&end=2026-02-01")
    assert bad.status_code == 400 and "end" in bad.json()["errors"]
    for person in (alpha.front_desk, alpha.billing, alpha.client):
        assert alpha.http(person).get(url).status_code in (403, 404)
