"""Notification settings and the delivery log, by page and by API: the authorisation matrix of
each (anonymous, the client, a client of another practice, front desk, billing, a clinician, the
owner), saving with good and bad input, and a delivery log that shows no one's name or address
and whose query count does not grow with its length."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from practice.notifications.models import Notification, NotificationPreference, NotificationSettings
from practice.notifications.services import notification_enqueue
from tenants.audit.models import AuditEvent
from tests.conftest import PracticeWorld
from tests.notifications.helpers import give_portal, inside
from tests.portal.helpers import accept_consent, page_text

pytestmark = pytest.mark.django_db

SIGN_IN = "/accounts/sign-in/"
PEOPLE = ("anonymous", "client", "other_client", "front_desk", "billing", "clinician", "owner")
STAFF_PAGE = {"anonymous": 302, "client": 404, "other_client": 302, "front_desk": 200,
              "billing": 200, "clinician": 200, "owner": 200}
CLIENT_PAGE = {"anonymous": 302, "client": 200, "other_client": 302, "front_desk": 404,
               "billing": 404, "clinician": 404, "owner": 404}
OWNER_PAGE = {"anonymous": 302, "client": 404, "other_client": 302, "front_desk": 404,
              "billing": 404, "clinician": 404, "owner": 200}
OWNER_API = {who: (200 if who == "owner" else 403 if who in ("anonymous", "other_client")
                   else 404) for who in PEOPLE}


def http_for(who: str, alpha: PracticeWorld, beta: PracticeWorld) -> Client:
    if who == "other_client":
        # Beta's client, signed in on beta, trying alpha's host: the session is worthless here.
        http = beta.http(beta.client)
        http.defaults["HTTP_HOST"] = alpha.host
        return http
    user = None if who == "anonymous" else getattr(alpha, who)
    return alpha.http(user)


@pytest.fixture
def worlds(alpha: PracticeWorld, beta: PracticeWorld) -> tuple[PracticeWorld, PracticeWorld]:
    for world in (alpha, beta):
        give_portal(world)
        accept_consent(world)
    return alpha, beta


def snapshot(world: PracticeWorld) -> tuple[list[Any], list[Any]]:
    with inside(world):
        return (list(NotificationSettings.objects.values()),
                list(NotificationPreference.objects.values()))


def check_matrix(worlds: tuple[PracticeWorld, PracticeWorld], path: str,
                 expected: dict[str, int], post: dict[str, Any] | None = None) -> None:
    alpha, beta = worlds
    before = snapshot(alpha), snapshot(beta)
    for who, status in expected.items():
        http = http_for(who, alpha, beta)
        response = http.post(path, post) if post is not None else http.get(path)
        assert response.status_code == status, (who, path)
        if status == 302:
            assert response["Location"].startswith(SIGN_IN), (who, path)
        if status in (302, 404):
            assert "Quiet" not in response.content.decode(), (who, path)
    if post is not None:
        assert (snapshot(alpha), snapshot(beta)) == before


def test_who_reaches_each_page(worlds: tuple[PracticeWorld, PracticeWorld]) -> None:
    check_matrix(worlds, "/notifications/preferences/", STAFF_PAGE)
    check_matrix(worlds, "/notifications/quiet-hours/", CLIENT_PAGE)
    check_matrix(worlds, "/notifications/settings/", OWNER_PAGE)
    check_matrix(worlds, "/notifications/log/", OWNER_PAGE)
    # Refused writes change nothing.
    refused = {who: status for who, status in OWNER_PAGE.items() if status != 200}
    check_matrix(worlds, "/notifications/settings/", refused, post={
        "quiet_hours_enabled": "on", "quiet_hours_start": "22:00", "quiet_hours_end": "06:00",
        "default_timezone": "Europe/Madrid"})
    refused = {who: status for who, status in CLIENT_PAGE.items() if status != 200}
    check_matrix(worlds, "/notifications/quiet-hours/", refused, post={
        "quiet_hours_start": "22:00", "quiet_hours_end": "06:00"})


def test_people_choose_their_own_channels_timezone_and_quiet_hours(
    worlds: tuple[PracticeWorld, PracticeWorld],
) -> None:
    a_client_sets_their_own_quiet_hours(worlds)
    alpha, beta = worlds
    http = alpha.http(alpha.clinician)
    page = page_text(http.get("/notifications/preferences/"))
    assert page.count('type="checkbox"') == 6
    assert page.count("checked") == 6  # everything on until they choose

    bad = http.post("/notifications/preferences/", {"quiet_hours_start": "22:00"})
    assert bad.status_code == 400
    assert "Give both times for your own quiet hours" in bad.content.decode()
    with inside(alpha):
        assert not NotificationPreference.objects.filter(user=alpha.clinician).exists()

    saved = http.post("/notifications/preferences/", {
        "email_alerts": "on", "email_digest": "on", "push_messages": "on",
        "timezone": "Europe/Madrid", "quiet_hours_start": "22:30", "quiet_hours_end": "07:00"})
    assert saved.status_code == 302
    with inside(alpha):
        row = NotificationPreference.objects.get(user=alpha.clinician)
        assert (row.user_id, row.timezone, row.quiet_hours_start, row.quiet_hours_end) == (
            alpha.clinician.pk, "Europe/Madrid", time(22, 30), time(7))
        assert row.channels == {"email": {"alerts": True, "messages": False, "digest": True},
                                "push": {"alerts": False, "messages": True, "digest": False}}
        assert list(AuditEvent.objects.filter(action="notifications.preference_update")
                    .order_by("id").values_list("actor_id", flat=True)) == [
            alpha.client.pk, alpha.client.pk, alpha.clinician.pk]
        # It governs what is written to the outbox from now on.
        assert notification_enqueue(recipient=alpha.clinician, kind="alert_raised",
                                    idempotency_key="x")[0].channel == "email"
    assert page_text(http.get("/notifications/preferences/")).count("checked") == 3
    assert snapshot(beta)[1] == []


def a_client_sets_their_own_quiet_hours(worlds: tuple[PracticeWorld, PracticeWorld]) -> None:
    alpha, beta = worlds
    beta_before = snapshot(beta)
    http = alpha.http(alpha.client)
    # The practice keeps no quiet hours here (see give_portal).
    assert "Choose times when reminders should wait, in your timezone." in page_text(
        http.get("/notifications/quiet-hours/"))
    bad = http.post("/notifications/quiet-hours/", {"quiet_hours_start": "22:00",
                                                    "quiet_hours_end": "22:00"})
    assert bad.status_code == 400
    assert "must start and end at different times" in bad.content.decode()
    assert http.post("/notifications/quiet-hours/", {
        "quiet_hours_start": "23:00", "quiet_hours_end": "06:30"}).status_code == 302
    with inside(alpha):
        row = NotificationPreference.objects.get(user=alpha.client)
        assert (row.quiet_hours_start, row.quiet_hours_end, row.timezone) == (
            time(23), time(6, 30), "")
    # Both empty again: the practice's apply.
    assert http.post("/notifications/quiet-hours/", {}).status_code == 302
    with inside(alpha):
        row.refresh_from_db()
        assert (row.quiet_hours_start, row.quiet_hours_end) == (None, None)
    assert snapshot(beta) == beta_before


def test_the_owner_sets_the_practice_quiet_hours(
    worlds: tuple[PracticeWorld, PracticeWorld],
) -> None:
    alpha, beta = worlds
    http = alpha.http(alpha.owner)
    beta_before = snapshot(beta)
    same = http.post("/notifications/settings/", {
        "quiet_hours_enabled": "on", "quiet_hours_start": "22:00", "quiet_hours_end": "22:00",
        "default_timezone": "UTC"})
    assert same.status_code == 400
    assert "must start and end at different times" in same.content.decode()
    unknown = http.post("/notifications/settings/", {
        "quiet_hours_start": "22:00", "quiet_hours_end": "06:00",
        "default_timezone": "Mars/Olympus"})
    assert unknown.status_code == 400
    assert http.post("/notifications/settings/", {
        "quiet_hours_enabled": "on", "quiet_hours_start": "22:00", "quiet_hours_end": "06:00",
        "default_timezone": "America/Denver"}).status_code == 302
    with inside(alpha):
        rules = NotificationSettings.objects.get()
        assert (rules.quiet_hours_enabled, rules.quiet_hours_start, rules.quiet_hours_end,
                rules.default_timezone) == (True, time(22), time(6), "America/Denver")
        assert AuditEvent.objects.filter(action="notifications.settings_update").count() == 1
    assert snapshot(beta) == beta_before


def _fill_outbox(world: PracticeWorld, count: int) -> None:
    with inside(world):
        for number in range(count):
            notification_enqueue(recipient=(world.client, world.clinician)[number % 2],
                                 kind=("tests_reminder", "alert_raised")[number % 2],
                                 idempotency_key=f"log:{number}")
        first = Notification.objects.order_by("id").first()
        Notification.objects.filter(pk=first.pk).update(
            status="failed", attempts=1, last_error="ConnectionRefusedError")


def test_the_delivery_log_shows_no_one_and_costs_the_same_whatever_its_length(
    worlds: tuple[PracticeWorld, PracticeWorld],
) -> None:
    alpha, beta = worlds
    _fill_outbox(alpha, 3)
    _fill_outbox(beta, 5)
    http = alpha.http(alpha.owner)
    with CaptureQueriesContext(connection) as short:
        response = http.get("/notifications/log/")
    body = page_text(response)
    assert body.count("<tr><td>") == 3
    assert body.count("tests_reminder") == 2
    assert body.count(">Clinician<") == 1
    assert "ConnectionRefusedError" in body
    for secret in ("Chris", "Casey", "client@example.org", "clinician@example.org"):
        assert secret not in body
    failed = page_text(http.get("/notifications/log/?status=failed&channel=email"))
    assert failed.count("<tr><td>") == 1
    junk = http.get("/notifications/log/?status=<script>&channel=fax&page=x")
    assert junk.status_code == 200
    assert page_text(junk).count("<tr><td>") == 3

    _fill_outbox(alpha, 40)  # idempotency keys 0-2 exist: 37 more rows
    with CaptureQueriesContext(connection) as long:
        response = http.get("/notifications/log/")
    assert page_text(response).count("<tr><td>") == 40  # one page of 50 would show 40
    assert len(long.captured_queries) == len(short.captured_queries)


def test_the_api(worlds: tuple[PracticeWorld, PracticeWorld]) -> None:
    one_own_preferences_by_api(worlds)
    the_practice_rules_by_api(worlds)
    alpha, beta = worlds
    _fill_outbox(alpha, 3)
    _fill_outbox(beta, 5)
    for who, status in OWNER_API.items():
        response = http_for(who, alpha, beta).get("/api/v1/notifications/deliveries")
        assert response.status_code == status, who
        if status != 200:
            assert "tests_reminder" not in response.content.decode()
    http = alpha.http(alpha.owner)
    listing = http.get("/api/v1/notifications/deliveries?status=failed").json()
    assert listing["count"] == 1
    [row] = listing["results"]
    assert set(row) == {"id", "kind", "channel", "recipient_role", "status", "attempts",
                        "not_before", "created_at", "sent_at", "last_error"}
    assert (row["kind"], row["channel"], row["recipient_role"], row["status"],
            row["attempts"], row["last_error"]) == (
        "tests_reminder", "email", "client", "failed", 1, "ConnectionRefusedError")
    assert http.get("/api/v1/notifications/deliveries?limit=2").json()["count"] == 3
    assert http.get("/api/v1/notifications/deliveries?status=lost").status_code == 400

    detail = http.get(f"/api/v1/notifications/deliveries/{row['id']}").json()
    assert (detail["id"], detail["delivery_attempts"]) == (row["id"], [])
    # Beta's row 6 exists only there: from alpha it is the same 404 as one that never existed.
    with inside(beta):
        beta_only = Notification.objects.create(recipient=beta.client, kind="tests_reminder",
                                                channel="email", idempotency_key="beta-only")
    missing = http.get("/api/v1/notifications/deliveries/999999")
    other = http.get(f"/api/v1/notifications/deliveries/{beta_only.pk}")
    assert (missing.status_code, other.status_code) == (404, 404)
    assert missing.json() == other.json()
    assert http_for("clinician", alpha, beta).get(
        f"/api/v1/notifications/deliveries/{row['id']}").status_code == 404


def one_own_preferences_by_api(worlds: tuple[PracticeWorld, PracticeWorld]) -> None:
    alpha, beta = worlds
    assert alpha.http().get("/api/v1/notifications/preferences").status_code == 403
    staff = alpha.http(alpha.front_desk)
    assert staff.get("/api/v1/notifications/preferences").json() == {
        "channels": {"email": {"alerts": True, "messages": True, "digest": True},
                     "push": {"alerts": True, "messages": True, "digest": True}},
        "timezone": "", "quiet_hours_start": None, "quiet_hours_end": None}
    changed = staff.put("/api/v1/notifications/preferences", {
        "channels": {"email": {"messages": False}}, "timezone": "Asia/Tokyo",
        "quiet_hours_start": "22:00", "quiet_hours_end": "06:00"},
        content_type="application/json")
    assert changed.status_code == 200
    assert changed.json() == {
        "channels": {"email": {"alerts": True, "messages": False, "digest": True},
                     "push": {"alerts": True, "messages": True, "digest": True}},
        "timezone": "Asia/Tokyo", "quiet_hours_start": "22:00:00",
        "quiet_hours_end": "06:00:00"}
    for bad in ({"channels": {"fax": {"alerts": True}}},
                {"channels": {"email": {"gossip": True}}},
                {"timezone": "Nowhere/Land"},
                {"quiet_hours_start": "22:00"}):
        response = staff.put("/api/v1/notifications/preferences", bad,
                             content_type="application/json")
        assert response.status_code == 400, bad
    client = alpha.http(alpha.client)
    mine = client.put("/api/v1/notifications/preferences", {
        "channels": {"email": {"alerts": False}}, "quiet_hours_start": "23:00",
        "quiet_hours_end": "07:00"}, content_type="application/json")
    assert mine.json() == {"channels": None, "timezone": "", "quiet_hours_start": "23:00:00",
                           "quiet_hours_end": "07:00:00"}
    with inside(alpha):
        assert NotificationPreference.objects.count() == 2
    assert snapshot(beta)[1] == []


def the_practice_rules_by_api(worlds: tuple[PracticeWorld, PracticeWorld]) -> None:
    alpha, beta = worlds
    beta_before = snapshot(beta)
    for who, status in OWNER_API.items():
        http = http_for(who, alpha, beta)
        assert http.get("/api/v1/notifications/settings").status_code == status, who
        if status != 200:
            assert http.put("/api/v1/notifications/settings", {
                "quiet_hours_enabled": True, "quiet_hours_start": "20:00",
                "quiet_hours_end": "09:00", "default_timezone": "UTC"},
                content_type="application/json").status_code == status, who
    owner = alpha.http(alpha.owner)
    # give_portal turned the practice's quiet hours off.
    assert owner.get("/api/v1/notifications/settings").json() == {
        "quiet_hours_enabled": False, "quiet_hours_start": "21:00:00",
        "quiet_hours_end": "08:00:00", "default_timezone": "UTC"}
    same = owner.put("/api/v1/notifications/settings", {
        "quiet_hours_enabled": True, "quiet_hours_start": "20:00", "quiet_hours_end": "20:00",
        "default_timezone": "UTC"}, content_type="application/json")
    assert (same.status_code, same.json()) == (
        400, {"detail": "Quiet hours must start and end at different times."})
    done = owner.put("/api/v1/notifications/settings", {
        "quiet_hours_enabled": True, "quiet_hours_start": "20:00", "quiet_hours_end": "09:00",
        "default_timezone": "America/Phoenix"}, content_type="application/json")
    assert done.json() == {"quiet_hours_enabled": True, "quiet_hours_start": "20:00:00",
                           "quiet_hours_end": "09:00:00", "default_timezone": "America/Phoenix"}
    assert snapshot(beta) == beta_before
