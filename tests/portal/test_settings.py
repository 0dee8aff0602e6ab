"""The client's settings page (name, preferred name, pronouns, timezone, language, notifications;
audited by field name, never value), signing out on every device, and the session clocks: idle
timeout and absolute lifetime. The look-alike practice is never touched."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from portal.models import ClientAccess, default_notifications
from portal.security import SESSION_LAST_SEEN, SESSION_LOGIN_AT
from practice.models import ClientProfile
from tests.conftest import PracticeWorld
from tests.portal.test_invitations import events, session_count

VALUES = {
    "full_name": "Christine Client", "preferred_name": "Chris", "pronouns": "she/her",
    "timezone": "America/Chicago", "language": "es",
    "notify_email_reminders": "on", "notify_push_messages": "on",
}


def snapshot(world: PracticeWorld) -> tuple:
    with schema_context(world.practice.schema_name):
        user = type(world.client).objects.get(pk=world.client.pk)
        access = ClientAccess.objects.filter(user=user).values_list(
            "preferred_name", "pronouns", "language", "notifications").first()
        profile = ClientProfile.objects.filter(user=user).values_list("timezone").first()
    connection.set_schema_to_public()
    return user.full_name, access, profile


def test_the_client_changes_their_settings(alpha, beta) -> None:
    beta_before = snapshot(beta)
    http = alpha.http(alpha.client)
    page = http.get("/portal/settings/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="America/New_York"' in body
    assert "Sign out on all devices" in body
    assert "Turn on two-step sign-in" in body

    saved = http.post("/portal/settings/", VALUES)

    assert saved.status_code == 302
    assert saved["Location"] == "/portal/settings/?saved=1"
    expected_notifications = {
        "email": {"reminders": True, "messages": False, "assessments": False},
        "push": {"reminders": False, "messages": True, "assessments": False},
    }
    assert snapshot(alpha) == ("Christine Client",
                               ("Chris", "she/her", "es", expected_notifications),
                               ("America/Chicago",))
    assert events(alpha, "portal.settings") == [(
        "portal.settings_changed", alpha.client.pk, "user", str(alpha.client.pk),
        {"fields": ["full_name", "preferred_name", "pronouns", "timezone", "language",
                    "notifications"]})]
    # Saving the same values again changes nothing and audits nothing more.
    http.post("/portal/settings/", VALUES)
    assert len(events(alpha, "portal.settings")) == 1
    # The client chose Spanish: the page says so in Spanish.
    assert "Su configuración se guardó." in http.get(
        "/portal/settings/?saved=1").content.decode()
    assert snapshot(beta) == beta_before
    assert events(beta, "portal.settings") == []


def test_a_bad_timezone_is_refused_and_nothing_changes(alpha, beta) -> None:
    before = snapshot(alpha)
    response = alpha.http(alpha.client).post("/portal/settings/",
                                             {**VALUES, "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    assert snapshot(alpha) == before
    assert events(alpha, "portal.settings") == []


@pytest.mark.parametrize("actor", ["anonymous", "owner", "clinician", "front_desk", "billing"])
def test_only_clients_have_the_settings_page(alpha, beta, actor) -> None:
    http = alpha.http(None if actor == "anonymous" else getattr(alpha, actor))
    before = snapshot(alpha)
    assert http.get("/portal/settings/").status_code == (302 if actor == "anonymous" else 404)
    assert http.post("/portal/settings/", VALUES).status_code == (
        302 if actor == "anonymous" else 404)
    assert snapshot(alpha) == before


def test_default_notifications_are_all_on() -> None:
    assert default_notifications() == {
        "email": {"reminders": True, "messages": True, "assessments": True},
        "push": {"reminders": True, "messages": True, "assessments": True},
    }


# --- signing out everywhere ---------------------------------------------------------------------

def test_sign_out_everywhere_ends_every_session(alpha, beta) -> None:
    phone, laptop = alpha.http(alpha.client), alpha.http(alpha.client)
    beta_session = beta.http(beta.client)  # same id, same email, other practice
    clinician = alpha.http(alpha.clinician)
    assert session_count(alpha, alpha.client.pk) == 2

    response = phone.post("/portal/account/sign-out-everywhere/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?signed_out=everywhere"
    assert session_count(alpha, alpha.client.pk) == 0
    for device in (phone, laptop):
        page = device.get("/portal/")
        assert page.status_code == 302
        assert page["Location"].startswith("/accounts/sign-in/")
    assert events(alpha, "auth.signed_out_everywhere")[0][4] == {"sessions_ended": 2}
    assert clinician.get("/clinic/clients/").status_code == 200
    assert beta_session.get("/portal/").status_code == 200
    assert session_count(beta, beta.client.pk) == 1


def test_sign_out_everywhere_is_post_only(alpha, beta) -> None:
    http = alpha.http(alpha.client)
    assert http.get("/portal/account/sign-out-everywhere/").status_code == 405
    assert session_count(alpha, alpha.client.pk) == 1


# --- session clocks ---------------------------------------------------------------------------

def age_session(world: PracticeWorld, http: Client, *, signed_in: float, idle: float) -> None:
    with schema_context(world.practice.schema_name):
        session = http.session
        now = int(time.time())
        session[SESSION_LOGIN_AT] = now - int(signed_in)
        session[SESSION_LAST_SEEN] = now - int(idle)
        session.save()
    connection.set_schema_to_public()


def test_a_client_idle_for_too_long_is_signed_out(alpha, beta) -> None:
    http = alpha.http(alpha.client)
    age_session(alpha, http, signed_in=40 * 60, idle=settings.SESSION_IDLE_SECONDS_CLIENT + 5)
    response = http.get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=%2Fportal%2F"
    assert session_count(alpha, alpha.client.pk) == 0
    assert [row[4] for row in events(alpha, "auth.session_expired")] == [{"reason": "idle"}]


def test_a_recently_active_client_stays_signed_in(alpha, beta) -> None:
    http = alpha.http(alpha.client)
    age_session(alpha, http, signed_in=40 * 60, idle=settings.SESSION_IDLE_SECONDS_CLIENT - 60)
    assert http.get("/portal/").status_code == 200
    # The visit counts as activity: the idle clock starts again.
    with schema_context(alpha.practice.schema_name):
        assert int(time.time()) - http.session[SESSION_LAST_SEEN] < 5
    connection.set_schema_to_public()


def test_staff_have_a_longer_idle_allowance(alpha, beta) -> None:
    http = alpha.http(alpha.clinician)
    age_session(alpha, http, signed_in=50 * 60, idle=settings.SESSION_IDLE_SECONDS_CLIENT + 5)
    assert http.get("/clinic/clients/").status_code == 200
    age_session(alpha, http, signed_in=90 * 60, idle=settings.SESSION_IDLE_SECONDS_STAFF + 5)
    assert http.get("/clinic/clients/").status_code == 302


def test_a_session_past_its_absolute_lifetime_ends_however_active(alpha, beta) -> None:
    http = alpha.http(alpha.client)
    beta_http = beta.http(beta.client)
    age_session(alpha, http, signed_in=settings.SESSION_ABSOLUTE_SECONDS + 5, idle=10)
    response = http.get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=%2Fportal%2F"
    assert [row[4] for row in events(alpha, "auth.session_expired")] == [
        {"reason": "absolute"}]
    assert beta_http.get("/portal/").status_code == 200
    assert events(beta, "auth.session_expired") == []
