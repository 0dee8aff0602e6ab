"""What keeps the clinician's pages fast with years of history and hundreds of clients: the
alert inbox a page at a time, the caseload's and the inbox's query counts pinned (they would fail
on a query per client or per alert), and a long series charted from a bounded number of points
read in SQL, with the baseline, the latest, the bands and reliable change still exact."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.measurement import selectors
from practice.measurement.models import Alert, Response
from practice.measurement.selectors import CHART_POINTS, chart_unit
from practice.measurement.views_clinic.sections import (
    HISTORY_ROWS_SHOWN,
    InstrumentSection,
    instrument_sections,
    number_text,
)
from tenants.audit.models import AuditEvent
from tests.conftest import PracticeWorld
from tests.measurement.clinic_world import forget_readings, give_history, prepare, raise_alert
from tests.measurement.test_clinic_pages import SVG, point_count, text_of
from tests.today.test_today import add_client

ALERT_QUERIES = 10
CASELOAD_QUERIES = 18  # with every reading worked out (practice.today.readings)


def _clients_with_alerts(world: PracticeWorld, count: int, marker: str) -> None:
    """``count`` more clients of the clinician, each with two PHQ-9 scores and an open risk
    alert (the oldest raised first)."""
    now = timezone.now()
    with schema_context(world.practice.schema_name):
        for index in range(count):
            client = add_client(world, f"Client {marker}{index:02d}")
            give_history(client, "phq9", [18, 9 + index % 5], start=now - timedelta(weeks=4))
            alert = raise_alert(client, [world.clinician], summary=f"Risk {marker}{index:02d}")
            Alert.objects.filter(pk=alert.pk).update(
                created_at=now - timedelta(hours=count - index))


# --- the alert inbox -----------------------------------------------------------------------

def test_inbox_shows_alerts_a_page_at_a_time_urgent_first(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    _clients_with_alerts(alpha, 27, "A")
    _clients_with_alerts(beta, 3, "B")
    with schema_context(alpha.practice.schema_name):
        raise_alert(alpha.client, [alpha.clinician], severity="routine", summary="Routine one")
    http = alpha.http(alpha.clinician)

    first = text_of(http.get("/clinic/alerts/").content.decode())
    second = text_of(http.get("/clinic/alerts/?page=2").content.decode())
    past_the_end = text_of(http.get("/clinic/alerts/?page=99").content.decode())
    nonsense = http.get("/clinic/alerts/?page=x")

    assert "28 open alerts, page 1 of 2" in first
    # Newest urgent first: A26 down to A02 on the first page, then A01, A00 and the routine one.
    assert [f"Risk A{index:02d}" in first for index in range(26, 1, -1)] == [True] * 25
    assert "Risk A01" not in first and "Routine one" not in first
    assert second.index("Risk A01") < second.index("Risk A00") < second.index("Routine one")
    assert "Page 2 of 2" in second and "Risk A02" not in second
    assert past_the_end == second
    assert nonsense.status_code == 200
    assert "Risk B" not in first + second
    with schema_context(alpha.practice.schema_name):
        viewed = list(AuditEvent.objects.filter(action="alert.inbox_viewed")
                      .order_by("id").values_list("detail", flat=True))
        shown_first = list(Alert.objects.filter(summary__startswith="Risk A")
                           .order_by("-created_at").values_list("pk", flat=True)[:25])
    # Each view records the alerts it showed, and only those.
    assert viewed[0] == {"alert_ids": shown_first}
    assert len(viewed[1]["alert_ids"]) == 3


def _page_queries(world: PracticeWorld, path: str) -> int:
    http = world.http(world.clinician)
    assert http.get(path).status_code == 200  # warm: session, branding, first-use caches
    forget_readings(world)  # the caseload works every reading out: the costlier case
    with CaptureQueriesContext(connection) as queries:
        assert http.get(path).status_code == 200
    return len(queries)


def test_inbox_and_caseload_queries_do_not_grow_with_clients_or_alerts(alpha) -> None:
    prepare(alpha)
    _clients_with_alerts(alpha, 2, "S")
    small = {path: _page_queries(alpha, path) for path in ("/clinic/alerts/", "/clinic/clients/")}
    _clients_with_alerts(alpha, 30, "L")
    large = {path: _page_queries(alpha, path) for path in ("/clinic/alerts/", "/clinic/clients/")}

    assert large == small
    # Inbox: routing, session, user; the alerts' count and page (clients joined); the audit
    # event; the navigation's counts. Caseload: clients with their care team and portal
    # access, headlines, alerts, episodes, expected paths, the audit event, the navigation.
    assert small == {"/clinic/alerts/": ALERT_QUERIES, "/clinic/clients/": CASELOAD_QUERIES}


# --- a long series ---------------------------------------------------------------------------

def test_chart_unit_bounds_the_points_a_chart_draws() -> None:
    start = datetime(2021, 1, 4, tzinfo=UTC)
    assert chart_unit(0, None, None) == "score"
    assert chart_unit(CHART_POINTS, start, start + timedelta(days=3650)) == "score"
    # A year of daily check-ins: 53 weekly means.
    assert chart_unit(366, start, start + timedelta(days=365)) == "week"
    assert chart_unit(CHART_POINTS + 1, start, start + timedelta(days=CHART_POINTS)) == "week"
    assert chart_unit(CHART_POINTS + 1, start, start + timedelta(weeks=CHART_POINTS - 2)) \
        == "week"
    assert chart_unit(CHART_POINTS + 1, start, start + timedelta(weeks=CHART_POINTS)) == "month"


def _sections(world: PracticeWorld, history: selectors.WindowedHistory,
              zone: ZoneInfo) -> list[InstrumentSection]:
    return instrument_sections(history, selectors.definition_catalog(history.keys),
                               world.practice, zone, None)


def _bands(svg: str) -> list[tuple[str, str, str]]:
    root = ET.fromstring(svg)
    return [(band.get("data-band"), band.get("data-from"), band.get("data-to"))
            for band in root.iter(f"{SVG}rect") if band.get("class") == "band"]


def test_five_years_are_charted_from_monthly_means_with_exact_baseline_latest_and_bands(
        alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    zone = ZoneInfo("America/Chicago")
    rng = random.Random(14)
    start = datetime(2021, 12, 6, 15, tzinfo=UTC)
    weeks = 5 * 52 + 1
    with schema_context(alpha.practice.schema_name):
        phq9 = give_history(alpha.client, "phq9", [rng.randrange(28) for _ in range(weeks)],
                            start=start)
        give_history(alpha.client, "gad7", [rng.randrange(22) for _ in range(weeks)],
                     start=start + timedelta(hours=1))
        # The newest PHQ-9 entered in error: out of the charts and the change, still listed.
        Response.objects.filter(pk=phq9[-1].pk).update(entered_in_error_at=timezone.now(),
                                                       entered_in_error_reason="Wrong client")
        every = selectors.windowed_history(alpha.client, newest=None)
        windowed = selectors.windowed_history(alpha.client, newest=HISTORY_ROWS_SHOWN,
                                              chart_zone=zone)
        before = {section.key: section for section in _sections(alpha, every, zone)}
        after = {section.key: section for section in _sections(alpha, windowed, zone)}
    with schema_context(beta.practice.schema_name):
        give_history(beta.client, "phq9", [27] * 30, start=start)

    # Only the scores a table and the change need are read whole: the baseline, the newest
    # 12 and the one before them.
    assert {key: len(points) for key, points in windowed.points.items()} == {
        "phq9": HISTORY_ROWS_SHOWN + 2, "gad7": HISTORY_ROWS_SHOWN + 2}
    assert {key: len(points) for key, points in every.points.items()} == {
        "phq9": weeks - 1, "gad7": weeks}
    for key in ("phq9", "gad7"):
        old, new = before[key], after[key]
        assert new.change == old.change  # baseline, previous, latest, reliable, NHS class
        assert (new.latest_band, new.talking_therapies) == (old.latest_band,
                                                            old.talking_therapies)
        assert new.change.baseline is not None and new.change.latest is not None
        # The rows listed (newest first) read exactly as they did against the whole series.
        assert [(row.response.pk, row.band, row.from_baseline, row.from_previous,
                 row.reliable_key, row.talking_therapies) for row in new.rows] == [
            (row.response.pk, row.band, row.from_baseline, row.from_previous,
             row.reliable_key, row.talking_therapies) for row in old.rows[:len(new.rows)]]
        assert len(new.rows) == HISTORY_ROWS_SHOWN
        [chart] = new.charts
        [old_chart] = old.charts
        assert chart.title.endswith("(monthly averages)")
        drawn = point_count(ET.fromstring(chart.svg))
        assert drawn <= 61
        assert old_chart.title == new.title  # weekly scores for 5 years: every one drawn before
        assert _bands(chart.svg) == _bands(old_chart.svg)
        # The description states the exact first and last scores and how many there are.
        description = ET.fromstring(chart.svg).find(f"{SVG}desc").text
        first, last = windowed.points[key][0], windowed.points[key][-1]
        assert description.startswith(
            f"{len(every.points[key])} {new.title} scores from ")
        assert f"from {number_text(first.total)} to {number_text(last.total)}" in description
        assert description == ET.fromstring(old_chart.svg).find(f"{SVG}desc").text
    series = windowed.charts["phq9"]
    assert (series.unit, series.count) == ("month", weeks - 1)
    assert 60 <= len(series.points) <= 61
    # Each month's point is the mean of that month's scores (in the client's timezone).
    scores = [(point.submitted_at.astimezone(zone), float(point.total))
              for point in every.points["phq9"]]
    month = [value for moment, value in scores if (moment.year, moment.month) == (2023, 5)]
    [(moment, mean)] = [(moment, value) for moment, value in series.points
                        if (moment.astimezone(zone).year, moment.astimezone(zone).month)
                        == (2023, 5)]
    assert mean == round(sum(month) / len(month), 2)


def test_exact_fractions_are_remembered_by_type_too() -> None:
    """A float and a Decimal equal to it can spell differently: each keeps its own fraction."""
    from decimal import Decimal
    from fractions import Fraction

    from practice.measurement.definitions import exact

    assert exact(0.1) == Fraction(1, 10)
    assert exact(Decimal(0.1)) != Fraction(1, 10)  # the binary value, spelled out in full
    assert exact(0.1) is exact(0.1)
    assert exact(3) == Fraction(3) and exact(2.5) == Fraction(5, 2)


def test_a_url_for_each_row_is_the_reversed_url(alpha) -> None:
    from django.urls import reverse

    from practice.measurement.views_clinic.common import url_for_each

    with schema_context(alpha.practice.schema_name):
        for name in ("clinic:assessments:client", "clinic:assessments:review",
                     "clinic:assessments:response_entered_in_error"):
            url = url_for_each(name)
            assert [url(pk) for pk in (1, 42, 987654321)] == [
                reverse(name, args=[pk]) for pk in (1, 42, 987654321)]
