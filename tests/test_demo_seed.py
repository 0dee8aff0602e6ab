"""The demo seed (`manage.py seed_demo`, run by `make run`): idempotent, quick, and the demo
client's six months tell a story: PHQ-9 and GAD-7 improve reliably, one risk episode about three
months ago whose alert was resolved with a note, daily mood, and today's questionnaires due."""

from __future__ import annotations

import io
import time
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.appointments import demo as appointments_demo
from practice.appointments.models import Appointment
from practice.demo import DEMO_TIMEZONE, RESOLUTION_NOTE, seed_demo
from practice.expected.demo import PATH_CLIENTS
from practice.measurement import schedule, selectors
from practice.measurement.library import get_definition
from practice.measurement.models import Alert, Assignment, Response
from practice.measurement.scoring import ReliableChange, TalkingTherapiesClass
from practice.models import ClientProfile
from practice.outcomes import selectors as outcome_selectors
from practice.outcomes.demo import FORMER_CLIENTS
from practice.outcomes.maths import Rate
from practice.outcomes.models import Episode
from tenants.accounts.models import Role, User
from tenants.models import Practice


def counts(schema: str) -> dict[str, object]:
    with schema_context(schema):
        return {
            "clients": User.objects.filter(role=Role.CLIENT).count(),
            "profiles": ClientProfile.objects.count(),
            "assignments": Assignment.objects.count(),
            "responses": sorted(
                (key, status, Response.objects.filter(instrument_key=key, status=status,
                                                      client__email="client@demo.localhost")
                 .count())
                for key in ("phq9", "gad7", "mood") for status in Response.Status.values),
            "all_responses": Response.objects.count(),
            "alerts": list(Alert.objects.values_list("kind", "status")),
        }


def test_seed_demo_twice_gives_one_demo_with_an_improving_course(db, media_root):
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        assert seed_demo() is True
    took = time.perf_counter() - started
    response_inserts = [query for query in captured.captured_queries
                        if query["sql"].startswith('INSERT INTO "practice_response"')]
    practice = Practice.objects.get(subdomain="demo")
    first = counts(practice.schema_name)

    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert out.getvalue().strip() == "Demo practice present."
    assert counts(practice.schema_name) == first
    # The history goes in with one bulk insert per client; only today's due questionnaires are
    # created one by one (3 for the demo client, 2 for each other client); the former clients'
    # closed episodes (practice.outcomes.demo) go in with one more, Mia's one self report
    # (practice.family.demo) with one, and the expected-path clients' (practice.expected.demo)
    # with one more.
    assert len(response_inserts) == (1 + 3) + 3 * (1 + 2) + 1 + 1 + 1
    assert took < 30  # provisioning included (a few seconds on a quiet machine)
    connection.set_schema_to_public()
    practice.refresh_from_db()
    assert {"phq9", "gad7", "mood"} <= set(practice.instrument_keys)
    from branding.selectors import branding_for

    branding = branding_for(practice)
    assert (branding.crisis_line, branding.primary_color) == ("(555) 010-9999", "#1d5c63")

    by_status = {(key, status): number for key, status, number in first["responses"]}
    # 26 weeks of history (two weeks skipped), today's due; ~12% of the mood days skipped.
    assert by_status[("phq9", "submitted")] == by_status[("gad7", "submitted")] == 24
    assert by_status[("phq9", "missed")] == by_status[("gad7", "missed")] == 2
    assert by_status[("phq9", "pending")] == by_status[("gad7", "pending")] == 1
    assert by_status[("mood", "pending")] == 1
    assert by_status[("mood", "submitted")] + by_status[("mood", "missed")] == 26 * 7
    assert 140 <= by_status[("mood", "submitted")] <= 175
    # (the 1: Mia, the adolescent of practice.family.demo)
    assert first["clients"] == first["profiles"] == (4 + 1 + len(FORMER_CLIENTS)
                                                      + len(PATH_CLIENTS))
    assert first["assignments"] == 3 + 3 * 2
    # The risk episode's alert, resolved; and, open, what the engagement rules raise on the
    # demo (practice.engagement.demo): Taylor drifted away, Riley's journal went quiet (and
    # whatever else the other demo data calls for, such as overdue homework).
    assert [alert for alert in first["alerts"] if alert[0] == "risk_item"] == [
        ("risk_item", "resolved")]
    engagement = {kind: status for kind, status in first["alerts"] if kind != "risk_item"}
    assert set(engagement.values()) == {"open"}
    assert {"journal_silence", "no_sign_in"} <= set(engagement)
    # Expected paths (practice.expected.demo): Kai is not on track, Robin on track with the
    # range shown to them.
    with schema_context(practice.schema_name):
        from practice.expected.selectors import path_badges

        robin, kai = (User.objects.get(email=email) for email, _name, _totals in PATH_CLIENTS)
        badges = path_badges([kai.pk, robin.pk])
        assert (badges[kai.pk].status, badges[robin.pk].status) == ("not_on_track", "on_track")
        assert Alert.objects.filter(kind="not_on_track", client=kai).count() == 1
        # Kai holds weekly sessions: judged on sessions (8 held before the latest score).
        assert (badges[kai.pk].reading.scale, badges[kai.pk].reading.latest.time,
                badges[robin.pk].reading.scale) == ("sessions", 8.0, "weeks")
        assert Alert.objects.get(kind="not_on_track", client=kai).detail["scale"] == "sessions"
    connection.set_schema_to_public()

    with schema_context(practice.schema_name):
        client = User.objects.get(email="client@demo.localhost")
        profile = ClientProfile.objects.get(user=client)
        assert profile.timezone == DEMO_TIMEZONE
        assert [c.email for c in profile.clinicians.all()] == ["clinician@demo.localhost"]
        assert sorted(a.instrument_key + ":" + a.frequency
                      for a in selectors.active_assignments(client)) == [
            "gad7:weekly", "mood:daily", "phq9:weekly"]

        phq9 = selectors.score_history(client, "phq9")
        totals = [int(response.total) for response in phq9]
        assert totals[0] == 19
        assert 5 <= totals[-1] <= 9
        assert sum(totals[:4]) > sum(totals[-4:]) + 30  # the course improves
        change = selectors.change_summary(get_definition("phq9"), phq9)
        assert change.reliable == ReliableChange.IMPROVEMENT
        assert change.talking_therapies == TalkingTherapiesClass.RELIABLE_RECOVERY
        gad7 = [int(r.total) for r in selectors.score_history(client, "gad7")]
        assert gad7[0] == 15 and gad7[-1] <= 8
        mood = [int(r.total) for r in selectors.score_history(client, "mood")]
        assert sum(mood[:20]) < sum(mood[-20:])

        (risky,) = [response for response in phq9 if response.flags]
        assert [flag["item"] for flag in risky.flags] == ["q9"]
        weeks_ago = (timezone.now() - risky.submitted_at) / timedelta(weeks=1)
        assert 12 <= weeks_ago <= 14.5
        alert = Alert.objects.get(kind=Alert.Kind.RISK_ITEM)
        assert alert.response_id == risky.pk
        assert alert.resolution_note == RESOLUTION_NOTE
        assert list(alert.recipients.values_list("email", flat=True)) == [
            "clinician@demo.localhost"]
        assert selectors.open_risk_alerts(client).count() == 0

        today = schedule.local_today(timezone.now(), DEMO_TIMEZONE)
        assert sorted(r.instrument_key for r in selectors.responses_due(client)) == [
            "gad7", "mood", "phq9"]
        assert all(r.occurrence_date == today for r in selectors.responses_due(client))
        latest = Response.objects.filter(client=client, status="submitted").latest(
            "submitted_at")
        assert latest.submitted_at < timezone.now()

        # Every client has an episode; the former clients' closed ones fill the reports.
        assert Episode.objects.filter(ended_at__isnull=True).count() == 5 + len(PATH_CLIENTS)
        owner = User.objects.get(role=Role.OWNER)
        report = outcome_selectors.outcome_report(owner, outcome_selectors.ReportFilters(
            instrument_key="phq9"))
        (phq9_report,) = report.instruments
        assert report.episodes_closed == 7
        assert phq9_report.summary.completeness == Rate(6, 7)
        assert phq9_report.summary.reliable_recovery == Rate(2, 5)
        assert phq9_report.summary.reliable_deterioration == Rate(1, 6)
        for email in ("taylor@demo.localhost", "sam.lee@demo.localhost",
                      "riley@demo.localhost"):
            other = User.objects.get(email=email)
            assert Response.objects.filter(client=other, status="submitted").count() == 4

        # The clinician's Today has a day to show at any hour: three sessions today (held or
        # to come), two tomorrow, all booked or held, none cancelled.
        local = ZoneInfo(appointments_demo.ZONE)
        day = timezone.now().astimezone(local).date()
        sessions = Appointment.objects.filter(clinician__email="clinician@demo.localhost")
        by_day = Counter(start.astimezone(local).date() - day for start in sessions.filter(
            status__in=["booked", "completed"]).values_list("starts_at", flat=True))
        assert by_day[timedelta(0)] >= 3 and by_day[timedelta(days=1)] >= 2
        # ... and the demo client is shown them: booking is among their portal's modules
        # (chosen by the engagement demo before booking was turned on).
        from portal.models import ClientAccess
        assert "booking" in ClientAccess.objects.get(user=client).visible_modules

        # A signed release to a psychiatrist, one disclosure in the ledger, Part 2 off.
        from practice.disclosure.models import Disclosure, Release
        from practice.disclosure.selectors import is_part2_program
        (release,) = Release.objects.all()
        assert (release.recipient_name, release.status) == ("Dr. Anita Shah", "signed")
        assert release.client == client
        (disclosure,) = Disclosure.objects.all()
        assert (disclosure.release_id, disclosure.package_kind, disclosure.contains_part2) == (
            release.pk, "progress_report", False)
        assert is_part2_program() is False


def test_the_demo_has_billing_staff_with_two_step_sign_in_set_up(db, media_root):
    """`make run` prints their login and the authenticator key; the key gives working codes."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from practice.demo_logins import BILLING_STAFF_EMAIL, demo_billing_totp_secret

    seed_demo()
    seed_demo()
    with schema_context("public"):
        staff = User.objects.get(email=BILLING_STAFF_EMAIL)
        assert staff.role == Role.BILLING_STAFF
        device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed
    assert demo_billing_totp_secret() == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert device.verify_token(f"{totp(device.bin_key):06d}")


def test_the_demo_has_a_teen_with_a_parent_in_the_progress_tier(db, media_root):
    from practice.family import demo as family_demo
    from practice.family.models import CaregiverReport, ProxyLink

    seed_demo()
    practice = Practice.objects.get(subdomain="demo")
    with schema_context(practice.schema_name):
        link = ProxyLink.objects.select_related("proxy", "client", "tier").get()
        assert (link.proxy.email, link.client.email, link.tier.key, link.relationship) == (
            family_demo.PARENT_EMAIL, family_demo.TEEN_EMAIL, "progress", "mother")
        report = CaregiverReport.objects.get()
        assert (report.informant_id, report.total) == (link.proxy_id, 9)
        assert sorted(Alert.objects.filter(client=link.client).values_list("kind", flat=True)
                      ) == ["caregiver_report", "informant_disagreement"]
    http = Client(HTTP_HOST=f"demo.{settings.PLATFORM_DOMAIN}")
    with schema_context(practice.schema_name):
        http.force_login(link.proxy)
    page = http.get(f"/family/{link.client_id}/").content.decode()
    assert "Progress summary" in page and "Journal" not in page
    assert http.get(f"/family/{link.client_id}/journal/").status_code == 404
    assert family_demo.JOURNAL not in http.get(f"/family/{link.client_id}/progress/"
                                               ).content.decode()
    # This week's parent report is due; Dana's conversation is in the clinician's inbox.
    [due] = http.get(f"/api/v1/family/clients/{link.client_id}/questionnaires").json()
    assert (due["frequency"], due["is_overdue"]) == ("weekly", False)
    assert "Questionnaires for you to fill in" in page
    with schema_context(practice.schema_name):
        clinician = link.client.client_profile.clinicians.get()
        staff = Client(HTTP_HOST=f"demo.{settings.PLATFORM_DOMAIN}")
        staff.force_login(clinician)
        teen = Client(HTTP_HOST=f"demo.{settings.PLATFORM_DOMAIN}")
        teen.force_login(link.client)
    inbox = staff.get("/messages/").content.decode()
    assert "Dana Harper (mother) about Mia Harper" in inbox
    assert "4 pm" not in teen.get("/portal/messages/").content.decode()
