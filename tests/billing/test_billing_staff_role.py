"""The billing-staff role on the control plane, on its own: two-step sign-in required (set up at
the first visit), the whole fleet's billing (every practice, trials and practices with no Stripe
customer included, dunning), and billing actions; none of the operator's provisioning actions.
Operators see billing read-only unless they also hold the role."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.models import Permission
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from billing.models import Subscription
from tenants.accounts.models import User
from tenants.audit.models import AuditEvent
from tenants.models import Practice, PracticeState
from tests.billing.conftest import FakeStripe, public_client, with_customer
from tests.conftest import PracticeWorld


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _trial_end(world: PracticeWorld) -> Any:
    return Subscription.objects.get(practice=world.practice).trial_end


def test_billing_staff_set_up_a_second_step_before_anything(
    alpha: PracticeWorld, beta: PracticeWorld, billing_staff: User
) -> None:
    http = public_client(billing_staff, second_step=False)
    first = http.get("/billing/")
    assert first.status_code == 302
    assert first["Location"] == "/accounts/two-step/?next=%2Fbilling%2F"
    assert http.get(f"/billing/practices/{alpha.practice.pk}/").status_code == 302
    page = http.get(first["Location"])
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    with schema_context("public"):
        device = TOTPDevice.objects.get(user=billing_staff, confirmed=False)
    wrong = http.post("/accounts/two-step/", {"code": "000000", "next": "/billing/"})
    assert wrong.status_code == 400
    assert http.get("/billing/").status_code == 302
    time.sleep(1.1)  # django-otp refuses any code for a second after a wrong one
    done = http.post("/accounts/two-step/", {"code": _code(device), "next": "/billing/"})
    assert done.status_code == 200
    assert "Keep these recovery codes" in done.content.decode()
    assert http.get("/billing/").status_code == 200
    with schema_context("public"):
        assert list(AuditEvent.objects.filter(action__startswith="auth.mfa")
                    .values_list("action", flat=True)) == ["auth.mfa_enabled"]


def test_billing_staff_with_an_authenticator_give_a_code_each_session(
    alpha: PracticeWorld, beta: PracticeWorld, billing_staff: User
) -> None:
    with schema_context("public"):
        device = TOTPDevice.objects.create(user=billing_staff, name="app", confirmed=True)
    http = public_client(billing_staff, second_step=False)
    response = http.get("/billing/")
    assert response["Location"] == "/accounts/two-step/verify/?next=%2Fbilling%2F"
    refused = http.post("/accounts/two-step/verify/", {"code": "123456", "next": "/billing/"})
    assert refused.status_code == 400
    assert http.get("/billing/").status_code == 302
    time.sleep(1.1)  # django-otp refuses any code for a second after a wrong one
    passed = http.post("/accounts/two-step/verify/", {"code": _code(device),
                                                       "next": "/billing/"})
    assert passed.status_code == 302 and passed["Location"] == "/billing/"
    assert http.get("/billing/").status_code == 200
    with schema_context("public"):
        assert list(AuditEvent.objects.filter(action__startswith="auth.mfa")
                    .values_list("action", flat=True).order_by("pk")) == [
            "auth.mfa_failed", "auth.mfa_verified"]


def test_billing_staff_are_refused_every_operator_action(
    alpha: PracticeWorld, beta: PracticeWorld, billing_staff: User
) -> None:
    http = public_client(billing_staff)
    audit_before = list(AuditEvent.objects.values_list("pk", flat=True))
    assert http.get("/operator/").status_code == 404
    for action in ["suspend", "reactivate", "schedule-deletion"]:
        path = f"/operator/practices/{alpha.practice.pk}/{action}/"
        assert http.get(path).status_code == 404
        assert http.post(path, {"confirm": "alpha"}).status_code == 404
    for path in ["/operator/fleet/", "/operator/migrations/"]:
        assert http.get(path).status_code == 404
        assert http.post(path).status_code == 404
    states = dict(Practice.objects.values_list("subdomain", "state"))
    assert states == {"alpha": PracticeState.ACTIVE, "beta": PracticeState.ACTIVE}
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == audit_before


def test_operators_see_billing_read_only(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, operator: User
) -> None:
    with_customer(alpha)
    before = _trial_end(alpha)
    http = public_client(operator)
    page = http.get("/billing/")
    assert page.status_code == 200
    assert "You see billing read-only" in page.content.decode()
    record = http.get(f"/billing/practices/{alpha.practice.pk}/").content.decode()
    assert "Extend trial" not in record and "Read-only:" in record
    for action, data in [("extend-trial", {"days": "7"}), ("apply-coupon", {"coupon_id": "X"}),
                         ("cancel", {})]:
        response = http.post(f"/billing/practices/{alpha.practice.pk}/{action}/", data)
        assert response.status_code == 404, action
    assert _trial_end(alpha) == before
    assert Practice.objects.get(pk=alpha.practice.pk).billing_state == "trialing"
    assert not AuditEvent.objects.filter(action__startswith="billing.trial_extended").exists()


def test_an_operator_who_also_holds_the_billing_role_acts(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, operator: User
) -> None:
    with_customer(alpha)
    before = _trial_end(alpha)
    with schema_context("public"):
        operator.user_permissions.add(Permission.objects.get(codename="manage_subscriptions"))
        operator = User.objects.get(pk=operator.pk)  # permissions are cached on the object
    http = public_client(operator)
    assert "Extend trial" in http.get(
        f"/billing/practices/{alpha.practice.pk}/").content.decode()
    response = http.post(f"/billing/practices/{alpha.practice.pk}/extend-trial/", {"days": "7"})
    assert response.status_code == 302
    assert (_trial_end(alpha) - before).days == 7
    assert Subscription.objects.filter(practice=beta.practice).count() == 0


def test_the_console_lists_every_practice_with_plan_and_state(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, billing_staff: User,
    django_assert_num_queries: Any,
) -> None:
    with_customer(alpha)  # a trial with a Stripe customer; beta has no billing record at all
    http = public_client(billing_staff)
    http.get("/billing/")
    with django_assert_num_queries(14):
        page = http.get("/billing/").content.decode()
    assert "Alpha Therapy</a></td>\n    <td>Trial</td>" in page
    assert "Beta Counselling</a></td>\n    <td>Trial</td>" in page
    assert page.count("<td>none yet</td>") == 1
    assert page.count("<td>yes</td>") == 1
    assert '<dd id="count-trialing">2</dd>' in page
    assert "No failed payments." in page
