"""The "not on track" rule in the engagement engine: a worsening client gets "watch" (amber, no
alert) then "not on track" (one alert, with the path's model version and parameters); a late
responder gets none before the path's earliest week; the switch and the threshold; a
recalibrated band; the second practice untouched."""

from __future__ import annotations

from datetime import timedelta

from practice.expected import selectors
from practice.expected.models import Calibration
from practice.expected.policies import PathStatus
from practice.measurement.models import Alert
from practice.outcomes.models import Episode
from tests.engagement.helpers import (
    NOW,
    evaluate,
    inside,
    portal_client,
    score,
    set_rule,
)

K = Alert.Kind
WEEK = timedelta(weeks=1)


def start(world, baseline, *, weeks_ago=10, name=""):
    """A watched client with an open episode and a PHQ-9 baseline `weeks_ago` weeks before
    NOW."""
    client = portal_client(world, name)
    began = NOW - weeks_ago * WEEK
    Episode.objects.create(client=client, clinician=world.clinician,
                           started_at=began - timedelta(hours=1), instrument_keys=["phq9"])
    score(client, "phq9", baseline, began)
    return client, began


def status(client):
    paths = selectors.client_paths([client.pk]).get(client.pk, [])
    return paths[0].reading.status if paths else None


def not_on_track():
    return list(Alert.objects.filter(kind=K.NOT_ON_TRACK).order_by("pk"))


def test_worsening_client_gets_watch_then_one_not_on_track_alert(alpha, beta) -> None:
    with inside(beta):
        lookalike, began_beta = start(beta, 8)
        for week in (2, 3, 6):
            score(lookalike, "phq9", 10, began_beta + week * WEEK)
    with inside(alpha):
        client, began = start(alpha, 8)  # mild: tolerance 3, k 0.2
        # Week 2: band upper 8 x (1 - 0.2 ln 3) + 3 = 9.24; 10 is beyond it: watch.
        score(client, "phq9", 10, began + 2 * WEEK)
        evaluate(alpha, began + 2 * WEEK + timedelta(hours=1))
        assert (status(client), not_on_track()) == (PathStatus.WATCH, [])
        # Week 3 (upper 8.78): two in a row, but before week 6: still watch.
        score(client, "phq9", 10, began + 3 * WEEK)
        evaluate(alpha, began + 3 * WEEK + timedelta(hours=1))
        assert (status(client), not_on_track()) == (PathStatus.WATCH, [])
        # Week 6 (upper 7.89): not on track, one alert.
        score(client, "phq9", 10, began + 6 * WEEK)
        outcome = evaluate(alpha, began + 6 * WEEK + timedelta(hours=1))
        assert outcome.raised["not_on_track"] == 1
        assert status(client) is PathStatus.NOT_ON_TRACK
        [alert] = not_on_track()
        assert (alert.client_id, alert.severity, alert.dedupe_key) == (
            client.pk, "routine", f"not_on_track:{client.pk}:phq9")
        assert alert.summary == ("PHQ-9: not on track, latest 2 scores above the expected range "
                                 "(week 6: 10, expected 1.9–7.9); baseline 8")
        assert alert.detail["model"] == {
            "instrument": "phq9", "version": "tandem-default-2", "scale": "weeks", "band": "mild",
            "k": 0.2, "tolerance": 3.0, "floor": 0.2, "horizon": 16.0, "earliest": 6.0,
            "floor_rule": [[4.0, 17.0], [9.0, 13.0], [14.0, 9.0]], "episodes": None}
        assert (alert.detail["reason"], alert.detail["upper"]) == ("band", 7.89)
        # Still not on track a week later: the same condition, no second alert.
        score(client, "phq9", 11, began + 7 * WEEK)
        assert evaluate(alpha, began + 7 * WEEK + timedelta(hours=1)).raised["not_on_track"] == 0
        assert len(not_on_track()) == 1
    with inside(beta):
        assert not_on_track() == []


def test_late_responder_is_never_not_on_track_before_the_earliest_week(alpha) -> None:
    with inside(alpha):
        client, began = start(alpha, 16)  # moderately severe: tolerance 5
        # Little change for five weeks (weeks 4 and 5 beyond the band: upper 15.85, 15.27;
        # below the floor rule's 17), then a fast improvement from week 6.
        for week, total in ((1, 16), (2, 16), (3, 16), (4, 16), (5, 16), (6, 9), (7, 7),
                            (8, 6)):
            score(client, "phq9", total, began + week * WEEK)
            evaluate(alpha, began + week * WEEK + timedelta(hours=1))
            if week == 5:
                assert status(client) is PathStatus.WATCH
        assert not_on_track() == []
        assert status(client) is PathStatus.ON_TRACK


def test_floor_rule_switch_and_threshold(alpha) -> None:
    with inside(alpha):
        floor_client, began = start(alpha, 20)
        score(floor_client, "phq9", 17, began + 4 * WEEK)  # within the band, at the cut-point
        set_rule("not_on_track", threshold=2, is_enabled=False)
        outcome = evaluate(alpha, began + 4 * WEEK + timedelta(hours=1))
        assert ("not_on_track" in outcome.skipped, not_on_track()) == (True, [])
        set_rule("not_on_track", threshold=2)
        evaluate(alpha, began + 4 * WEEK + timedelta(hours=1))
        [alert] = not_on_track()
        assert alert.summary == "PHQ-9: not on track, 17 at week 4 (floor rule); baseline 20"
        # Three in a row asked for: two worse points at weeks 6 and 7 are not enough.
        slow, began = start(alpha, 8)
        score(slow, "phq9", 10, began + 6 * WEEK)
        score(slow, "phq9", 10, began + 7 * WEEK)
        set_rule("not_on_track", threshold=3)
        evaluate(alpha, began + 7 * WEEK + timedelta(hours=1))
        assert [alert.client_id for alert in not_on_track()] == [floor_client.pk]


def test_an_adopted_calibration_changes_the_band_and_is_recorded(alpha) -> None:
    with inside(alpha):
        client, began = start(alpha, 8)
        score(client, "phq9", 8, began + 6 * WEEK)
        score(client, "phq9", 8, began + 7 * WEEK)
        evaluate(alpha, began + 7 * WEEK + timedelta(hours=1))
        # Default: week 7 upper 8 x (1 - 0.2 ln 8) + 3 = 7.67: 8 is beyond it -> red.
        assert status(client) is PathStatus.NOT_ON_TRACK
        assert len(not_on_track()) == 1
        # The practice's own curve for mild baselines: k 0.1, tolerance 2.
        calibration = Calibration.objects.create(
            instrument_key="phq9", band="mild", k=0.1, tolerance=2.0, episodes=64, points=700,
            status=Calibration.Status.ADOPTED)
        [path] = selectors.client_paths([client.pk])[client.pk]
        # Week 7: 8 x (1 - 0.1 ln 8) = 6.336446; band 4.3364 .. 8.3364: 8 is within.
        band = path.reading.latest
        assert (round(band.expected, 4), round(band.lower, 4), round(band.upper, 4)) == (
            6.3364, 4.3364, 8.3364)
        assert path.reading.status is PathStatus.ON_TRACK
        evaluate(alpha, began + 7 * WEEK + timedelta(hours=2))
        assert Alert.objects.get().condition_cleared_at is not None
        # Worse again: the new alert records the practice's curve.
        score(client, "phq9", 9, began + 8 * WEEK)
        score(client, "phq9", 9, began + 9 * WEEK)
        evaluate(alpha, began + 9 * WEEK + timedelta(hours=1))
        latest = not_on_track()[-1]
        assert latest.detail["model"]["version"] == f"practice-{calibration.pk}"
        assert (latest.detail["model"]["k"], latest.detail["model"]["episodes"],
                latest.detail["model"]["floor_rule"]) == (0.1, 64, [])


def test_a_practice_follow_up_questionnaire_is_assigned_once(alpha) -> None:
    from practice.expected.models import PathSettings
    from practice.measurement.models import Assignment, PracticeInstrument
    from tests.measurement.test_api_behaviour import _draft

    with inside(alpha):
        PracticeInstrument.objects.create(
            key="sleep_check", version=1, title="Sleep check", definition=_draft(),
            created_by=alpha.owner, status=PracticeInstrument.Status.PUBLISHED,
            published_at=NOW)
        PathSettings.objects.create(follow_up_instrument_key="sleep_check")
        client, began = start(alpha, 20)
        score(client, "phq9", 18, began + 4 * WEEK)  # the floor rule
        evaluate(alpha, began + 4 * WEEK + timedelta(hours=1))
        evaluate(alpha, began + 4 * WEEK + timedelta(hours=2))  # the same condition
        assert list(Assignment.objects.values_list(
            "client_id", "instrument_key", "frequency", "assigned_by_id")) == [
            (client.pk, "sleep_check", "once", alpha.clinician.pk)]


def hold_sessions(world, client, moments, status="completed"):
    """Appointments of `client` starting at `moments`, marked `status` (completed: held)."""
    from practice.appointments.models import Appointment, AppointmentType

    kind, _ = AppointmentType.objects.get_or_create(name="Therapy session",
                                                    defaults={"duration_minutes": 50})
    for moment in moments:
        Appointment.objects.create(
            client=client, clinician=world.clinician, appointment_type=kind,
            starts_at=moment, ends_at=moment + timedelta(minutes=50), mode="in_person",
            status=status, booked_by=world.owner)


def test_held_sessions_put_a_client_on_sessions_the_other_stays_on_weeks(alpha, beta) -> None:
    with inside(beta):
        lookalike, began_beta = start(beta, 8)
        hold_sessions(beta, lookalike, [began_beta + timedelta(hours=2) + week * WEEK
                                        for week in (0, 2, 4, 6)])
        for week in (6, 8):
            score(lookalike, "phq9", 9, began_beta + week * WEEK)
    with inside(alpha):
        on_weeks, began = start(alpha, 8, weeks_ago=14)  # mild: tolerance 3, k 0.2
        on_sessions, _ = start(alpha, 8, weeks_ago=14)
        # Fortnightly sessions two hours after the baseline's moment; a no-show and a
        # cancellation are no session held.
        hold_sessions(alpha, on_sessions, [began + timedelta(hours=2) + week * WEEK
                                           for week in (0, 2, 4, 6, 8, 10)])
        hold_sessions(alpha, on_sessions, [began + timedelta(hours=2) + 7 * WEEK], "no_show")
        hold_sessions(alpha, on_sessions, [began + timedelta(hours=2) + 9 * WEEK],
                      "cancelled")
        for client in (on_weeks, on_sessions):
            for week in (6, 8):
                score(client, "phq9", 9, began + week * WEEK)
        evaluate(alpha, began + 8 * WEEK + timedelta(hours=1))
        paths = selectors.client_paths([on_weeks.pk, on_sessions.pk])
        weeks_reading = paths[on_weeks.pk][0].reading
        sessions_path = paths[on_sessions.pk][0]
        # Weeks: week 8 upper 8 x (1 - 0.2 ln 9) + 3 = 7.48; 9 twice, past week 6: red.
        assert (weeks_reading.scale, weeks_reading.status, round(weeks_reading.latest.upper, 2)
                ) == ("weeks", PathStatus.NOT_ON_TRACK, 7.48)
        # Sessions: 3 then 4 held before the scores at weeks 6 and 8 (the no-show does not
        # count); session 4 upper 8 x (1 - 0.2 ln 5) + 3 = 8.42: beyond it twice, but before
        # session 6: watch only.
        assert sessions_path.tail.sessions == (3, 4)
        assert (sessions_path.reading.scale, sessions_path.reading.status,
                sessions_path.reading.reason, round(sessions_path.reading.latest.upper, 2)) == (
            "sessions", PathStatus.WATCH, "early", 8.42)
        [alert] = not_on_track()
        assert (alert.client_id, alert.detail["scale"], alert.detail["time"],
                alert.detail["model"]["scale"], alert.detail["model"]["horizon"]) == (
            on_weeks.pk, "weeks", 8.0, "weeks", 16.0)
        assert "(week 8: 9, expected" in alert.summary
        # Sessions 5 and 6 held before the scores at weeks 10 and 12 (session 6 upper 7.89):
        # not on track on sessions, recorded with the sessions path's parameters.
        for week in (10, 12):
            score(on_sessions, "phq9", 9, began + week * WEEK)
            evaluate(alpha, began + week * WEEK + timedelta(hours=1))
            if week == 10:
                assert [item.client_id for item in not_on_track()] == [on_weeks.pk]
        latest = not_on_track()[-1]
        assert latest.client_id == on_sessions.pk
        assert latest.summary == ("PHQ-9: not on track, latest 2 scores above the expected "
                                  "range (session 6: 9, expected 1.9–7.9); baseline 8")
        assert (latest.detail["scale"], latest.detail["time"], latest.detail["weeks"],
                latest.detail["upper"]) == ("sessions", 6.0, 12.0, 7.89)
        assert latest.detail["model"] == {
            "instrument": "phq9", "version": "tandem-default-2", "scale": "sessions",
            "band": "mild", "k": 0.2, "tolerance": 3.0, "floor": 0.2, "horizon": 20.0,
            "earliest": 6.0, "floor_rule": [[4.0, 17.0], [9.0, 13.0], [14.0, 9.0]],
            "episodes": None}
    with inside(beta):
        assert not_on_track() == []


def test_late_responder_on_sessions_is_never_not_on_track_before_session_6(alpha) -> None:
    """GAD-7 (no floor rule), baseline 15 (severe, tolerance 4), fortnightly sessions: no
    change for five sessions (ten weeks: on weeks it would be red from week 6), then a fast
    improvement."""
    with inside(alpha):
        client = portal_client(alpha)
        began = NOW - 16 * WEEK
        Episode.objects.create(client=client, clinician=alpha.clinician,
                               started_at=began - timedelta(hours=1), instrument_keys=["gad7"])
        score(client, "gad7", 15, began)
        hold_sessions(alpha, client, [began + timedelta(hours=2) + week * WEEK
                                      for week in range(0, 16, 2)])
        # Sessions 1..5 at weeks 2..10: uppers 16.92, 15.70, 14.84, 14.17, 13.62; 15 is
        # beyond the last three (the rule reads the latest two).
        for week, total in ((2, 15), (4, 15), (6, 15), (8, 15), (10, 15), (12, 8), (14, 6)):
            score(client, "gad7", total, began + week * WEEK)
            evaluate(alpha, began + week * WEEK + timedelta(hours=1))
            reading = selectors.client_paths([client.pk])[client.pk][0].reading
            if week == 10:
                assert (reading.scale, reading.latest.time, reading.status, reading.reason,
                        reading.worse_in_a_row) == ("sessions", 5.0, PathStatus.WATCH,
                                                    "early", 2)
        assert not_on_track() == []
        assert reading.status is PathStatus.ON_TRACK


def test_sessions_far_sparser_than_the_weeks_leave_the_client_on_weeks(alpha) -> None:
    """Sessions recorded only long after measuring began (three in the last weeks of a
    26-week series) would make a slow clock: the range would stay near the baseline for months
    and a client getting worse would be told late. Fewer than one session in three weeks since
    the baseline: read on weeks. The same client with sessions every three weeks: sessions."""
    assert selectors.scale_for(3, 3, 26.0) == "weeks"
    assert selectors.scale_for(3, 9, 26.0) == "sessions"
    assert selectors.scale_for(0, 0, 1.0) == "weeks"
    with inside(alpha):
        sparse, began = start(alpha, 16, weeks_ago=27)  # moderately severe
        regular, _ = start(alpha, 16, weeks_ago=27)
        hold_sessions(alpha, sparse, [began + timedelta(hours=2) + week * WEEK
                                      for week in (22, 23, 24)])
        hold_sessions(alpha, regular, [began + timedelta(hours=4) + week * WEEK
                                       for week in range(0, 26, 3)])
        for client in (sparse, regular):
            for week in (24, 26):
                score(client, "phq9", 16, began + week * WEEK)
        evaluate(alpha, began + 26 * WEEK + timedelta(hours=1))
        paths = selectors.client_paths([sparse.pk, regular.pk])
        sparse_reading = paths[sparse.pk][0].reading
        regular_reading = paths[regular.pk][0].reading
        assert (sparse_reading.scale, sparse_reading.status) == (
            "weeks", PathStatus.NOT_ON_TRACK)
        assert regular_reading.scale == "sessions"
        assert sparse.pk in {alert.client_id for alert in not_on_track()}
