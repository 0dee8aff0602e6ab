"""Optional two-step sign-in (django-otp): a person turns on TOTP with a QR code drawn on the
server, keeps ten recovery codes, and from then on a password alone is not enough. An owner can
require it of every staff member. The look-alike practice is never affected."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from portal.models import PracticeSecurity
from tenants.accounts.models import User
from tests.conftest import PASSWORD, PracticeWorld
from tests.portal.test_invitations import events


@pytest.fixture(autouse=True)
def _no_throttle(settings: Any) -> None:
    """A wrong code followed at once by a right one (django-otp would otherwise make the right
    one wait a second)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What the person's authenticator app shows (steps_ahead: that many 30-second steps on)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def device_of(world: PracticeWorld, user: User) -> TOTPDevice:
    with schema_context(world.practice.schema_name):
        device = TOTPDevice.objects.get(user=user)
    connection.set_schema_to_public()
    return device


def enrol(world: PracticeWorld, user: User) -> tuple[Client, list[str]]:
    http = world.http(user)
    page = http.get("/portal/account/mfa/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "QR code for your authenticator app" in body
    device = device_of(world, user)
    assert device.confirmed is False
    done = http.post("/portal/account/mfa/", {"code": code_for(device)})
    assert done.status_code == 200
    codes = list(done.context["codes"])
    assert len(codes) == 10
    for code in codes:
        assert code in done.content.decode()
    return http, codes


def sign_in(world: PracticeWorld, user: User) -> Client:
    http = world.http()
    response = http.post("/accounts/sign-in/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return http


def test_a_client_turns_on_totp_and_then_needs_a_code_to_sign_in(alpha, beta) -> None:
    _, codes = enrol(alpha, alpha.client)
    assert device_of(alpha, alpha.client).confirmed is True
    assert [row[0] for row in events(alpha, "auth.mfa")] == ["auth.mfa_enabled"]

    http = sign_in(alpha, alpha.client)
    held = http.get("/portal/")
    assert held.status_code == 302
    assert held["Location"] == "/portal/account/verify/?next=%2Fportal%2F"
    assert http.get("/portal/assessments/").status_code == 302
    assert http.get("/portal/help/").status_code == 200  # help never waits
    wrong = http.post("/portal/account/verify/", {"code": "000000", "next": "/portal/"})
    assert wrong.status_code == 400
    assert http.get("/portal/").status_code == 302
    device = device_of(alpha, alpha.client)
    right = http.post("/portal/account/verify/",
                      {"code": code_for(device, steps_ahead=1), "next": "/portal/"})
    assert right.status_code == 302
    assert right["Location"] == "/portal/"
    assert http.get("/portal/").status_code == 200
    assert [(row[0], row[4]) for row in events(alpha, "auth.mfa")] == [
        ("auth.mfa_enabled", {}), ("auth.mfa_failed", {}),
        ("auth.mfa_verified", {"method": "totp"})]
    # Beta's client with the same id and email signs in with a password alone.
    beta_http = sign_in(beta, beta.client)
    assert beta_http.get("/portal/").status_code == 200
    assert events(beta, "auth.mfa") == []


def test_a_recovery_code_works_once(alpha, beta) -> None:
    _, codes = enrol(alpha, alpha.client)

    first = sign_in(alpha, alpha.client)
    used = first.post("/portal/account/verify/", {"code": codes[0]})
    assert used.status_code == 302
    assert first.get("/portal/").status_code == 200
    with schema_context(alpha.practice.schema_name):
        assert StaticToken.objects.filter(device__user=alpha.client).count() == 9
    connection.set_schema_to_public()

    second = sign_in(alpha, alpha.client)
    again = second.post("/portal/account/verify/", {"code": codes[0]})
    assert again.status_code == 400
    assert second.get("/portal/").status_code == 302
    assert second.post("/portal/account/verify/", {"code": codes[1]}).status_code == 302
    assert [row[4] for row in events(alpha, "auth.mfa_verified")] == [
        {"method": "recovery_code"}, {"method": "recovery_code"}]


def test_turning_totp_off_needs_a_code(alpha, beta) -> None:
    http, _ = enrol(alpha, alpha.client)
    refused = http.post("/portal/account/mfa/", {"code": "123456"})
    assert refused.status_code == 400
    assert device_of(alpha, alpha.client).confirmed is True
    device = device_of(alpha, alpha.client)
    off = http.post("/portal/account/mfa/", {"code": code_for(device, steps_ahead=1)})
    assert off.status_code == 302
    with schema_context(alpha.practice.schema_name):
        assert TOTPDevice.objects.filter(user=alpha.client).count() == 0
    connection.set_schema_to_public()
    assert sign_in(alpha, alpha.client).get("/portal/").status_code == 200


def test_the_owner_can_require_mfa_for_all_staff(alpha, beta,
                                                 django_capture_on_commit_callbacks) -> None:
    clinician = alpha.http(alpha.clinician)
    assert clinician.get("/clinic/clients/").status_code == 200
    # Only the owner sets the rule.
    for user in (alpha.clinician, alpha.front_desk, alpha.billing, alpha.client):
        response = alpha.http(user).post("/portal/account/staff-mfa/",
                                         {"require_staff_mfa": "on"})
        assert response.status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert PracticeSecurity.objects.count() == 0
    connection.set_schema_to_public()

    with django_capture_on_commit_callbacks(execute=True):
        saved = alpha.http(alpha.owner).post("/portal/account/staff-mfa/",
                                             {"require_staff_mfa": "on"})
    assert saved.status_code == 302
    assert events(alpha, "practice.security_changed")[0][4] == {
        "require_staff_mfa": {"from": False, "to": True}}

    # Staff without a second step set one up before anything else; clients are not affected.
    for path in ("/clinic/clients/", "/", "/clients/"):
        held = clinician.get(path)
        assert held.status_code == 302
        assert held["Location"] == "/portal/account/mfa/"
    page = clinician.get("/portal/account/mfa/")
    assert page.status_code == 200
    assert "requires two-step sign-in for staff" in page.content.decode()
    assert alpha.http(alpha.client).get("/portal/").status_code == 200
    # Beta's clinician (same id, same email) is not held.
    assert beta.http(beta.clinician).get("/clinic/clients/").status_code == 200

    clinician, _ = enrol(alpha, alpha.clinician)
    assert clinician.get("/clinic/clients/").status_code == 200
    # While the rule is on, it cannot be turned off by the staff member.
    device = device_of(alpha, alpha.clinician)
    kept = clinician.post("/portal/account/mfa/", {"code": code_for(device, steps_ahead=1)})
    assert kept.status_code == 400
    assert device_of(alpha, alpha.clinician).confirmed is True
    # A later sign-in asks for the code.
    fresh = sign_in(alpha, alpha.clinician)
    assert fresh.get("/clinic/clients/")["Location"] == (
        "/portal/account/verify/?next=%2Fclinic%2Fclients%2F")
