"""The staff clinic pages end to end through the UI: the caseload, a client's page (history,
change, charts), assigning, entered-in-error, the pre-session review and the alert inbox.
Query counts of the caseload and the client page do not grow with the history."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.measurement import schedule, selectors
from practice.measurement.context_processors import clinic_alerts
from practice.measurement.models import Alert, Assignment, Response
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld
from tests.measurement.clinic_world import forget_readings, give_history, prepare, raise_alert

SVG = "{http://www.w3.org/2000/svg}"
WEEKS_AGO_20 = datetime(2026, 1, 5, 15, tzinfo=UTC)


def text_of(html: str) -> str:
    """The page's visible text, one space between words (SVG left out)."""
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    html = re.sub(r"<(select|textarea)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(strong|a|span|small|s|em)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").strip()


def charts(html: str) -> dict[str, ET.Element]:
    """The trend charts on a page, by their accessible title."""
    found = {}
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        root = ET.fromstring(svg)
        found[root.find(f"{SVG}title").text] = root
    return found


def point_count(root: ET.Element) -> int:
    return len([element for element in root.iter()
                if "point" in (element.get("class") or "").split()])


def audit_actions(world: PracticeWorld, prefix: str) -> list[tuple[str, str, dict]]:
    with schema_context(world.practice.schema_name):
        return [(event.action, event.object_id, event.detail)
                for event in AuditEvent.objects.filter(action__startswith=prefix).order_by("id")]


# --- caseload ------------------------------------------------------------------------------

def test_caseload_shows_latest_bands_and_open_risk_alerts(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [19, 8], start=WEEKS_AGO_20)
        give_history(alpha.client, "gad7", [16], start=WEEKS_AGO_20)
        other = User.objects.create_user("other@example.org", PASSWORD,
                                         full_name="Olu Otherclient", role=Role.CLIENT)
        ClientProfile.objects.create(user=other)
        raise_alert(alpha.client, [alpha.clinician])
        raise_alert(alpha.client, [alpha.clinician])
        raise_alert(alpha.client, [alpha.clinician], severity="routine")
        resolved = raise_alert(alpha.client, [alpha.clinician])
        Alert.objects.filter(pk=resolved.pk).update(status=Alert.Status.RESOLVED)

    clinician_page = text_of(alpha.http(alpha.clinician).get("/clinic/clients/").content.decode())
    owner_page = text_of(alpha.http(alpha.owner).get("/clinic/clients/").content.decode())

    assert ("Chris Client Casey Clinician GAD-7 16 Severe PHQ-9 8 Mild · −11 since baseline "
            "Reliable improvement 12 Jan 2026 Not on the portal No episode — 2 open risk alerts "
            "60-second review of Chris Client") in clinician_page
    assert "Olu Otherclient" not in clinician_page
    assert ("Olu Otherclient None None yet Never Not on the portal No episode — 0 "
            "60-second review of Olu Otherclient") in owner_page
    assert "Beta" not in owner_page
    (event,) = audit_actions(alpha, "client.caseload_viewed")[:1]
    assert event == ("client.caseload_viewed", "", {"client_ids": [alpha.client.pk]})


def _get_counting(http, path: str, world: PracticeWorld | None = None) -> tuple[int, int]:
    if world is not None:
        forget_readings(world)  # every client's reading worked out: the costlier case
    with CaptureQueriesContext(connection) as queries:
        response = http.get(path)
    return response.status_code, len(queries)


def test_caseload_query_count_does_not_grow_with_history(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        for email in ("second@example.org", "third@example.org"):
            client = User.objects.create_user(email, PASSWORD, full_name=email,
                                              role=Role.CLIENT)
            ClientProfile.objects.create(user=client).clinicians.add(alpha.clinician)
        give_history(alpha.client, "phq9", [10] * 5, start=WEEKS_AGO_20)
        raise_alert(alpha.client, [alpha.clinician])
    http = alpha.http(alpha.clinician)
    http.get("/clinic/clients/")  # warm the branding cache

    with_5 = _get_counting(http, "/clinic/clients/", alpha)
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [12] * 45, start=WEEKS_AGO_20 + timedelta(weeks=5),
                     step=timedelta(days=1))
        give_history(alpha.client, "gad7", [7] * 50, start=WEEKS_AGO_20)
    with_100 = _get_counting(http, "/clinic/clients/", alpha)

    # Routing (search path twice, domain), session, user; clients, their care teams (one
    # query of tuples), current episodes (read once), first and latest scores (of clients
    # without an episode), open alerts; the audit event; the navigation's unread-messages and
    # alert counts.
    # + 2: the expected paths' status; + 2: the reading stamps and the latest submissions
    # (practice.today.readings).
    assert with_5 == with_100 == (200, 18)


def test_client_page_query_count_does_not_grow_with_history(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [19, 17, 15, 12, 9], start=WEEKS_AGO_20)
        give_history(alpha.client, "gad7", [12] * 5, start=WEEKS_AGO_20)
        assignment = Assignment.objects.create(client=alpha.client, instrument_key="phq9",
                                               frequency="weekly", starts_on=date(2026, 1, 5),
                                               assigned_by=alpha.clinician)
        raise_alert(alpha.client, [alpha.clinician])
    http = alpha.http(alpha.clinician)
    path = f"/clinic/clients/{alpha.client.pk}/"
    http.get(path)

    with_5 = _get_counting(http, path)
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [10] * 45, start=WEEKS_AGO_20 + timedelta(weeks=5),
                     step=timedelta(days=1))
        give_history(alpha.client, "gad7", [9] * 45, start=WEEKS_AGO_20 + timedelta(weeks=5),
                     step=timedelta(days=1))
    with_50 = _get_counting(http, path)

    # Routing (search path, domain), session, user, the client; the history (scores as
    # tuples, per-instrument counts, the rows listed), assignments, due, alerts; the
    # instruments offered (assign form); the audit event; portal access; the navigation's
    # open-alert count and unread-messages count.
    # + 4: the expected paths (calibrations, open episode's scores), the practice's setting
    # and the client's switch for showing it to the client.
    # + 1: the charts' series (every score, or weekly or monthly means), read in SQL.
    assert with_5 == with_50 == (200, 22)
    # Missed occurrences are counted in SQL (a partial index), not read.
    with schema_context(alpha.practice.schema_name):
        for week in range(3):
            Response.objects.create(client=alpha.client, assignment=assignment,
                                    instrument_key="phq9", definition_version=1,
                                    status=Response.Status.MISSED,
                                    occurrence_date=date(2026, 1, 5) + timedelta(weeks=week),
                                    due_at=WEEKS_AGO_20)
    assert _get_counting(http, path) == (200, 22)
    assert "<small>3 missed</small>" in http.get(path).content.decode()


def test_review_query_count_does_not_grow_with_history(alpha) -> None:
    prepare(alpha)
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [19, 17, 15, 12, 9], start=now - timedelta(days=60))
        Response.objects.create(client=alpha.client, instrument_key="gad7",
                                due_at=now - timedelta(days=1))
        raise_alert(alpha.client, [alpha.clinician])
    http = alpha.http(alpha.clinician)
    path = f"/clinic/clients/{alpha.client.pk}/review/"
    http.get(path)

    with_5 = _get_counting(http, path)
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [10] * 45, start=now - timedelta(days=50),
                     step=timedelta(days=1))
        give_history(alpha.client, "mood", [5] * 50, start=now - timedelta(days=50),
                     step=timedelta(days=1))
    with_100 = _get_counting(http, path)

    # Routing (search path twice, domain), session, user, the client; the history (scores as
    # tuples, per-instrument counts, the new responses), overdue, alerts; the audit event; the
    # alert badge and unread-messages count in the navigation.
    # + 3: the expected paths (2) and the clinical support answers' alerts (1; their answers
    # only when there is one).
    assert with_5 == with_100 == (200, 17)


@pytest.mark.parametrize("new_scores", [0, 1, 4])
def test_the_review_reads_few_scores_and_gives_what_the_whole_series_gives(
        alpha, new_scores: int) -> None:
    """A long varied history: the review reads the baseline, the two scores before the week and
    those since, yet every listed row's change from baseline and from previous, reliable change,
    the section's change and latest band equal those computed on every score."""
    from practice.measurement.views_clinic.sections import instrument_sections

    prepare(alpha)
    now = timezone.now()
    since = now - timedelta(days=7)
    old = [19, 7, 22, 14, 3, 17, 11, 25, 9, 16] * 6
    recent = [12, 20, 5, 18][:new_scores]
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", old, start=since - timedelta(weeks=len(old)))
        give_history(alpha.client, "phq9", recent, start=since + timedelta(hours=1),
                     step=timedelta(days=1))
        give_history(alpha.client, "mood", [(day * 7) % 11 for day in range(400)],
                     start=since - timedelta(days=400), step=timedelta(days=1))
        review = selectors.pre_session_review(alpha.client, since=since, now=now)
        whole = selectors.windowed_history(alpha.client, newest=None, since=since,
                                           with_errors=False)

        def shown(history: selectors.WindowedHistory) -> list[tuple]:
            sections = instrument_sections(history, review.catalog, alpha.practice,
                                           ZoneInfo("UTC"), None, limit=None,
                                           with_charts=False)
            return [(section.key, section.change, section.latest_band, section.hidden,
                     list(section.rows))
                    for section in sections]

        assert len(review.history.points["phq9"]) == 1 + 2 + new_scores
        assert len(review.history.points["mood"]) == 3
        assert shown(review.history) == shown(whole)
    connection.set_schema_to_public()


# --- the client page -----------------------------------------------------------------------

def test_a_client_without_a_profile_is_shown_in_utc_to_the_owner(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "gad7", [3], start=WEEKS_AGO_20)

    page = alpha.http(alpha.owner).get(f"/clinic/clients/{alpha.client.pk}/")
    unassigned = alpha.http(alpha.clinician).get(f"/clinic/clients/{alpha.client.pk}/")

    assert page.status_code == 200
    assert "5 Jan 2026 15:00 3 Minimal" in text_of(page.content.decode())
    assert unassigned.status_code == 404


def test_client_page_shows_history_change_reliable_change_and_the_chart(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [19, 15, 12], start=WEEKS_AGO_20)
        give_history(alpha.client, "gad7", [6, 12], start=WEEKS_AGO_20)

    response = alpha.http(alpha.clinician).get(f"/clinic/clients/{alpha.client.pk}/")
    html = response.content.decode()
    page = text_of(html)

    assert response.status_code == 200
    assert ("Latest 12 (Moderate); −7 from the first score (19), −3 from the previous. "
            "Reliable improvement. NHS Talking Therapies: Reliable improvement.") in page
    assert ("Latest 12 (Moderate); +6 from the first score (6), +6 from the previous. "
            "Reliable deterioration. NHS Talking Therapies: Reliable deterioration.") in page
    # Times are the client's (Chicago): 15:00 UTC is 09:00 there.
    assert ("19 Jan 2026 09:00 12 Moderate −7 −3 reliable improvement Reliable improvement"
            in page)
    assert "5 Jan 2026 09:00 19 Moderately severe" in page
    drawn = charts(html)
    assert set(drawn) == {"PHQ-9 (Patient Health Questionnaire-9): scores over time",
                          "GAD-7 (Generalised Anxiety Disorder-7): scores over time"}
    phq9 = drawn["PHQ-9 (Patient Health Questionnaire-9): scores over time"]
    assert phq9.get("role") == "img"
    assert [element.get("class") for element in phq9.iter()
            if "point" in (element.get("class") or "")] == [
        "point", "point", "point reliable-improvement"]
    assert audit_actions(alpha, "client.scores_viewed") == [
        ("client.scores_viewed", str(alpha.client.pk), {})]


def test_long_histories_show_the_latest_rows_and_all_on_request(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [10] * 15, start=WEEKS_AGO_20)
    http = alpha.http(alpha.clinician)

    latest = text_of(http.get(f"/clinic/clients/{alpha.client.pk}/").content.decode())
    every = text_of(http.get(f"/clinic/clients/{alpha.client.pk}/?all=phq9").content.decode())

    assert latest.count("Entered in error?") == 12
    assert "Show all 15 responses" in latest
    assert every.count("Entered in error?") == 15


def test_assigning_makes_a_response_due_for_the_client(alpha, beta) -> None:
    prepare(alpha)  # the client lives in Chicago
    today = schedule.local_today(timezone.now(), "America/Chicago")
    http = alpha.http(alpha.clinician)

    once = http.post(f"/clinic/clients/{alpha.client.pk}/assign/",
                     {"instrument": "phq9", "frequency": "once",
                      "starts_on": today.isoformat()})
    weekly = http.post(f"/clinic/clients/{alpha.client.pk}/assign/",
                       {"instrument": "gad7", "frequency": "weekly",
                        "starts_on": today.isoformat(),
                        "ends_on": (today + timedelta(weeks=8)).isoformat()})

    assert once.status_code == weekly.status_code == 302
    assert once["Location"] == f"/clinic/clients/{alpha.client.pk}/"
    with schema_context(alpha.practice.schema_name):
        due = list(selectors.responses_due(alpha.client))
        assert sorted((response.instrument_key, response.status) for response in due) == [
            ("gad7", "pending"), ("phq9", "pending")]
        phq9 = next(response for response in due if response.instrument_key == "phq9")
        assert phq9.due_at == schedule.due_moment(today, "America/Chicago")
        assert sorted(Assignment.objects.values_list("instrument_key", "frequency",
                                                     "assigned_by")) == [
            ("gad7", "weekly", alpha.clinician.pk), ("phq9", "once", alpha.clinician.pk)]
    page = text_of(http.get(f"/clinic/clients/{alpha.client.pk}/").content.decode())
    assert f"PHQ-9 (Patient Health Questionnaire-9) Once due {today:%-d %b %Y} Due, by" in page
    with schema_context(beta.practice.schema_name):
        assert Response.objects.count() == 0


def test_an_invalid_assignment_is_refused_with_the_reason_and_saves_nothing(alpha) -> None:
    prepare(alpha, instruments=("phq9",))
    http = alpha.http(alpha.clinician)
    path = f"/clinic/clients/{alpha.client.pk}/assign/"

    not_offered = http.post(path, {"instrument": "pcl5", "frequency": "once",
                                   "starts_on": "2026-12-01"})
    backwards = http.post(path, {"instrument": "phq9", "frequency": "weekly",
                                 "starts_on": "2026-12-01", "ends_on": "2026-11-01"})
    once_with_end = http.post(path, {"instrument": "phq9", "frequency": "once",
                                     "starts_on": "2026-12-01", "ends_on": "2026-12-08"})

    assert not_offered.status_code == backwards.status_code == once_with_end.status_code == 400
    assert "Select a valid choice. pcl5 is not one of the available choices." in text_of(
        not_offered.content.decode())
    assert "The last date is before the first date." in text_of(backwards.content.decode())
    assert "A one-off assignment has only a due date" in text_of(once_with_end.content.decode())
    with schema_context(alpha.practice.schema_name):
        assert Assignment.objects.count() == 0
        assert Response.objects.count() == 0


def test_ending_an_assignment_keeps_what_was_given(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        assignment = Assignment.objects.create(
            client=alpha.client, instrument_key="phq9", frequency="weekly",
            starts_on=date(2026, 1, 5), assigned_by=alpha.clinician)
        (kept,) = give_history(alpha.client, "phq9", [12], start=WEEKS_AGO_20)
        Response.objects.filter(pk=kept.pk).update(assignment=assignment)
        pending = Response.objects.create(client=alpha.client, assignment=assignment,
                                          instrument_key="phq9", occurrence_date=date(2026, 11, 16))

    ended = alpha.http(alpha.clinician).post(f"/clinic/assignments/{assignment.pk}/end/")

    assert ended.status_code == 302
    with schema_context(alpha.practice.schema_name):
        assignment.refresh_from_db()
        assert assignment.ended_at is not None
        assert Response.objects.get(pk=pending.pk).status == Response.Status.MISSED
        assert Response.objects.get(pk=kept.pk).status == Response.Status.SUBMITTED


def test_entered_in_error_takes_the_response_out_of_the_chart_and_keeps_it(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        first, second, wrong = give_history(alpha.client, "phq9", [19, 17, 26],
                                            start=WEEKS_AGO_20)
    http = alpha.http(alpha.clinician)
    title = "PHQ-9 (Patient Health Questionnaire-9): scores over time"
    before = http.get(f"/clinic/clients/{alpha.client.pk}/").content.decode()

    marked = http.post(f"/clinic/responses/{wrong.pk}/entered-in-error/",
                       {"reason": "Completed by a relative"})

    assert marked.status_code == 302
    assert marked["Location"] == f"/clinic/clients/{alpha.client.pk}/"
    after = http.get(marked["Location"]).content.decode()
    assert point_count(charts(before)[title]) == 3
    assert point_count(charts(after)[title]) == 2
    assert "Latest 17 (Moderately severe); −2 from the first score" in text_of(after)
    assert "Entered in error: Completed by a relative (kept, not in the chart)" in text_of(after)
    with schema_context(alpha.practice.schema_name):
        wrong.refresh_from_db()
        assert wrong.status == Response.Status.SUBMITTED
        assert wrong.total == 26
        assert wrong.entered_in_error_by_id == alpha.clinician.pk
        assert wrong.entered_in_error_reason == "Completed by a relative"
        assert [response.pk for response in selectors.score_history(alpha.client, "phq9")] == [
            first.pk, second.pk]
    (event,) = audit_actions(alpha, "response.entered_in_error")
    assert event == ("response.entered_in_error", str(wrong.pk), {})
    caseload = text_of(http.get("/clinic/clients/").content.decode())
    assert "Chris Client Casey Clinician PHQ-9 17 Moderately severe · −2 since baseline" in caseload


def test_entered_in_error_needs_a_reason_and_happens_once(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        (response,) = give_history(alpha.client, "phq9", [19], start=WEEKS_AGO_20)
    http = alpha.http(alpha.clinician)
    path = f"/clinic/responses/{response.pk}/entered-in-error/"

    blank = http.post(path, {"reason": "  "}, follow=True)
    first = http.post(path, {"reason": "Misread the scale"})
    again = http.post(path, {"reason": "Twice"}, follow=True)

    assert "Say why this response was entered in error" in text_of(blank.content.decode())
    assert first.status_code == 302
    assert "already marked entered in error" in text_of(again.content.decode())
    with schema_context(alpha.practice.schema_name):
        response.refresh_from_db()
        assert response.entered_in_error_reason == "Misread the scale"
    assert len(audit_actions(alpha, "response.entered_in_error")) == 1


# --- the pre-session review ----------------------------------------------------------------

def test_review_shows_what_is_new_open_flags_and_what_is_overdue(alpha) -> None:
    prepare(alpha)
    now = timezone.now()
    with schema_context(alpha.practice.schema_name):
        give_history(alpha.client, "phq9", [20, 18], start=now - timedelta(days=40))
        give_history(alpha.client, "phq9", [13], start=now - timedelta(days=2))
        raise_alert(alpha.client, [alpha.clinician], summary="PHQ-9: item 9 answered 2")
        Response.objects.create(client=alpha.client, instrument_key="gad7",
                                due_at=now - timedelta(days=1))
        Response.objects.create(client=alpha.client, instrument_key="gad7",
                                status=Response.Status.MISSED, due_at=now - timedelta(days=3))
        Response.objects.create(client=alpha.client, instrument_key="gad7",
                                status=Response.Status.MISSED, due_at=now - timedelta(days=30))
        Response.objects.create(client=alpha.client, instrument_key="gad7",
                                due_at=now + timedelta(days=3))
    http = alpha.http(alpha.clinician)

    page = text_of(http.get(f"/clinic/clients/{alpha.client.pk}/review/").content.decode())
    wider = text_of(http.get(f"/clinic/clients/{alpha.client.pk}/review/",
                             {"since": (now - timedelta(days=45)).date().isoformat()})
                    .content.decode())

    assert "Open risk flags (1) Urgent · Risk answer: PHQ-9: item 9 answered 2" in page
    assert "13 Moderate · −5 from previous · −7 from first · reliable improvement" in page
    assert "20 Severe" not in page
    assert "Overdue or missed (2)" in page
    assert page.count("GAD-7 (Generalised Anxiety Disorder-7): ") == 2
    assert "20 → 13 (Moderate) · reliable improvement · NHS Talking Therapies: reliable " \
           "improvement" in page
    assert "20 Severe" in wider
    assert "Overdue or missed (3)" in wider
    assert audit_actions(alpha, "client.review_viewed") == [
        ("client.review_viewed", str(alpha.client.pk), {})] * 2


# --- alerts --------------------------------------------------------------------------------

def test_inbox_puts_urgent_alerts_first(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    with schema_context(alpha.practice.schema_name):
        urgent = raise_alert(alpha.client, [alpha.clinician], summary="Urgent one")
        raise_alert(alpha.client, [alpha.clinician], severity="routine", summary="Routine one")
        Alert.objects.filter(pk=urgent.pk).update(
            created_at=timezone.now() - timedelta(days=2))
    with schema_context(beta.practice.schema_name):
        raise_alert(beta.client, [beta.clinician], summary="Beta's alert")

    page = text_of(alpha.http(alpha.clinician).get("/clinic/alerts/").content.decode())

    assert page.index("Urgent: Risk answer · Chris Client Urgent one") < page.index(
        "Routine: Reliable deterioration · Chris Client Routine one")
    assert "Beta's alert" not in page


def test_acknowledge_resolve_and_snooze_an_alert(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        alert = raise_alert(alpha.client, [alpha.clinician])
    http = alpha.http(alpha.clinician)
    base = f"/clinic/alerts/{alert.pk}"

    too_early = http.post(f"{base}/snooze/", {"duration": "1d"}, follow=True)
    assert "Acknowledge an urgent alert before snoozing it." in text_of(
        too_early.content.decode())
    acknowledged = http.post(f"{base}/acknowledge/")
    snoozed = http.post(f"{base}/snooze/", {"duration": "1d"})
    inbox_while_snoozed = text_of(http.get("/clinic/alerts/").content.decode())
    no_note = http.post(f"{base}/resolve/", {"note": ""}, follow=True)
    with schema_context(alpha.practice.schema_name):
        mid = Alert.objects.get(pk=alert.pk)
    resolved = http.post(f"{base}/resolve/", {"note": "Called the client; safety plan reviewed",
                                              "next": f"/clinic/clients/{alpha.client.pk}/"})

    assert acknowledged.status_code == snoozed.status_code == 302
    assert acknowledged["Location"] == "/clinic/alerts/"
    assert "No open alerts." in inbox_while_snoozed
    assert "Add a note saying how this was resolved." in text_of(no_note.content.decode())
    assert mid.status == Alert.Status.ACKNOWLEDGED
    assert mid.resolution_note == ""
    assert resolved["Location"] == f"/clinic/clients/{alpha.client.pk}/"
    with schema_context(alpha.practice.schema_name):
        alert.refresh_from_db()
        assert alert.status == Alert.Status.RESOLVED
        assert alert.acknowledged_by_id == alert.resolved_by_id == alpha.clinician.pk
        assert alert.resolution_note == "Called the client; safety plan reviewed"
        assert alert.snoozed_until > timezone.now() + timedelta(hours=23)
    assert [(action, object_id) for action, object_id, _ in audit_actions(alpha, "alert.")
            if action != "alert.inbox_viewed"] == [
        ("alert.acknowledged", str(alert.pk)), ("alert.snoozed", str(alert.pk)),
        ("alert.resolved", str(alert.pk))]
    # The note is PHI-adjacent: it is never copied into the audit trail.
    assert all(detail == {} for _, _, detail in audit_actions(alpha, "alert.resolved"))


def test_a_routine_alert_can_be_snoozed_at_once_and_next_must_stay_on_this_host(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        alert = raise_alert(alpha.client, [alpha.clinician], severity="routine")

    snoozed = alpha.http(alpha.clinician).post(
        f"/clinic/alerts/{alert.pk}/snooze/",
        {"duration": "7d", "next": "https://evil.example.com/"})

    assert snoozed["Location"] == "/clinic/alerts/"
    with schema_context(alpha.practice.schema_name):
        alert.refresh_from_db()
        assert alert.status == Alert.Status.OPEN
        assert alert.snoozed_until > timezone.now() + timedelta(days=6)


def test_the_alert_badge_is_one_lazy_query_for_clinical_staff_only(alpha, rf) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        raise_alert(alpha.client, [alpha.clinician])
        raise_alert(alpha.client, [alpha.clinician], severity="routine")
        snoozed = raise_alert(alpha.client, [alpha.clinician], severity="routine")
        Alert.objects.filter(pk=snoozed.pk).update(
            snoozed_until=timezone.now() + timedelta(days=1))
        request = rf.get("/")
        request.tenant = alpha.practice
        for user, expected in [(alpha.front_desk, {}), (alpha.billing, {}), (alpha.client, {})]:
            request.user = user
            assert clinic_alerts(request) == expected
        request.user = alpha.clinician
        with CaptureQueriesContext(connection) as unused:
            context = clinic_alerts(request)
        with CaptureQueriesContext(connection) as used:
            shown = f"{context['clinic_alert_count']}"

    assert len(unused) == 0
    assert len(used) == 1
    assert shown == "2"
