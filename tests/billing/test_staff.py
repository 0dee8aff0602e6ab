"""Billing staff and operators on the control plane: the subscriptions with state and MRR, a
practice's billing record, and extend trial / apply coupon / cancel, each through Stripe and
audited in the public schema. Nobody else gets in."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import stripe
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from billing import services
from billing.models import Price, Subscription
from billing.services import subscription_sync
from billing.stripe_client import subscription_retrieve
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.models import BillingState, Practice
from tests.billing.conftest import FakeStripe, public_client, with_customer
from tests.conftest import PracticeWorld


def _subscribe(world: PracticeWorld, fake: FakeStripe, price_id: str, status: str) -> str:
    record = with_customer(world)
    subscription_id = fake.subscribe(record.stripe_customer_id, price_id, status)
    subscription_sync(stripe_subscription=subscription_retrieve(subscription_id))
    return subscription_id


def _billing_audit() -> list[tuple[Any, ...]]:
    with schema_context("public"):
        return list(AuditEvent.objects.filter(action__startswith="billing.").exclude(
            action__in=["billing.trial_started", "billing.customer_created",
                        "billing.state_changed"],
        ).order_by("id").values_list("action", "actor_id", "actor_role", "object_id", "detail"))


def test_the_list_shows_states_and_mrr(
    alpha: PracticeWorld, beta: PracticeWorld, practice_factory: Any, fake: FakeStripe,
    prices: dict[str, str], billing_staff: User,
) -> None:
    gamma = practice_factory("gamma", "Gamma Care", emails_prefix="g-")
    delta = practice_factory("delta", "Delta Health", emails_prefix="d-")
    _subscribe(alpha, fake, prices["tandem_group_monthly"], "active")      # 149.00
    _subscribe(beta, fake, prices["tandem_solo_yearly"], "active")         # 490.00 / 12
    _subscribe(gamma, fake, prices["tandem_program_monthly"], "past_due")  # not income
    services.subscription_start_trial(practice=delta.practice)
    Subscription.objects.filter(practice=delta.practice).update(
        trial_end=timezone.now() + timedelta(days=2))

    response = public_client(billing_staff).get("/billing/")
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'id="mrr">\$189\.83<', body)  # 14900 + round(49000 / 12) = 18983
    assert re.search(r'id="trials-ending">1<', body)
    assert re.search(r'id="failed-payments">1<', body)
    for name, state in [("Alpha Therapy", "Active"), ("Beta Counselling", "Active"),
                        ("Gamma Care", "Payment failed (grace period)"), ("Delta Health", "Trial")]:
        assert re.search(rf">{name}</a></td>\s*<td>{re.escape(state)}</td>", body), name
    # Counts and money only: never a practice's people.
    for leaked in ("Chris Client", "client@example.org", "Casey Clinician"):
        assert leaked not in body


def test_the_list_costs_a_fixed_number_of_queries(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, prices: dict[str, str],
    billing_staff: User, django_assert_max_num_queries: Any,
) -> None:
    _subscribe(alpha, fake, prices["tandem_group_monthly"], "active")
    _subscribe(beta, fake, prices["tandem_solo_yearly"], "active")
    http = public_client(billing_staff)
    # Every practice (with and without a billing record), the dunning list, and the billing
    # staff's second-step device: 14 whatever the number of practices.
    with django_assert_max_num_queries(14):
        assert http.get("/billing/").status_code == 200


def test_operators_see_billing_too(
    alpha: PracticeWorld, fake: FakeStripe, operator: User
) -> None:
    with_customer(alpha)
    http = public_client(operator)
    assert http.get("/billing/").status_code == 200
    assert http.get(f"/billing/practices/{alpha.practice.pk}/").status_code == 200


def test_the_billing_record(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, prices: dict[str, str],
    billing_staff: User,
) -> None:
    subscription_id = _subscribe(alpha, fake, prices["tandem_group_monthly"], "active")
    response = public_client(billing_staff).get(f"/billing/practices/{alpha.practice.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert subscription_id in body
    assert re.search(r'id="billing-state">Active<', body)
    assert "billing.state_changed" in body
    assert "Beta Counselling" not in body
    assert public_client(billing_staff).get("/billing/practices/999999/").status_code == 404


@pytest.mark.parametrize("path", ["/billing/", "/billing/practices/{pk}/"])
def test_anonymous_is_sent_to_sign_in(alpha: PracticeWorld, path: str) -> None:
    response = public_client().get(path.format(pk=alpha.practice.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/?next=/billing/")


@pytest.mark.parametrize("action", ["extend-trial", "apply-coupon", "cancel"])
def test_anonymous_actions_change_nothing(alpha: PracticeWorld, fake: FakeStripe,
                                          action: str) -> None:
    record = with_customer(alpha)
    before = Subscription.objects.filter(pk=record.pk).values().get()
    response = public_client().post(f"/billing/practices/{alpha.practice.pk}/{action}/",
                                    {"days": 5, "coupon_id": "X"})
    assert response.status_code == 302
    assert Subscription.objects.filter(pk=record.pk).values().get() == before
    assert _billing_audit() == []


def test_practice_people_have_no_control_plane_billing(
    alpha: PracticeWorld, fake: FakeStripe
) -> None:
    with_customer(alpha)
    for user in (alpha.owner, alpha.billing, alpha.client):
        http = alpha.http(user)
        # On their own host these pages do not exist ...
        assert http.get(f"/billing/practices/{alpha.practice.pk}/").status_code == 404
        response = http.post(f"/billing/practices/{alpha.practice.pk}/cancel/")
        assert response.status_code == 404
    # ... and a practice's session means nothing on the platform's host.
    stranger = public_client()
    stranger.cookies = alpha.http(alpha.owner).cookies
    assert stranger.get("/billing/").status_code == 302
    assert Practice.objects.get(pk=alpha.practice.pk).billing_state == BillingState.TRIALING
    assert _billing_audit() == []


def test_a_public_user_without_a_billing_role_gets_404(alpha: PracticeWorld) -> None:
    with schema_context("public"):
        someone = User.objects.create_user("someone@tandem.test", "x" * 12, full_name="Some One",
                                           role="owner")
    http = public_client(someone)
    assert http.get("/billing/").status_code == 404
    assert http.post(f"/billing/practices/{alpha.practice.pk}/cancel/").status_code == 404


def test_extend_a_card_less_trial(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, billing_staff: User
) -> None:
    record = with_customer(alpha)
    with_customer(beta)
    beta_before = Subscription.objects.filter(practice=beta.practice).values().get()
    response = public_client(billing_staff).post(
        f"/billing/practices/{alpha.practice.pk}/extend-trial/", {"days": 10},
        HTTP_USER_AGENT="pytest")
    assert response.status_code == 302
    record_after = Subscription.objects.get(pk=record.pk)
    assert record_after.trial_end == record.trial_end + timedelta(days=10)
    assert _billing_audit() == [(
        "billing.trial_extended", billing_staff.pk, "billing_staff", str(alpha.practice.pk),
        {"days": 10, "from": record.trial_end.isoformat(),
         "to": record_after.trial_end.isoformat()})]
    assert Subscription.objects.filter(practice=beta.practice).values().get() == beta_before


def test_extend_a_stripe_trial_and_an_ended_trial_comes_back(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str], billing_staff: User
) -> None:
    subscription_id = _subscribe(alpha, fake, prices["tandem_solo_monthly"], "trialing")
    services.subscription_extend_trial(practice_id=alpha.practice.pk, days=7,
                                       actor=Actor.of(billing_staff))
    record = Subscription.objects.get(practice=alpha.practice)
    assert fake.subscription(subscription_id)["trial_end"] == int(record.trial_end.timestamp())

    # A card-less trial that ended (read-only) is brought back by an extension.
    other = Subscription.objects.get(pk=record.pk)
    Subscription.objects.filter(pk=other.pk).update(
        stripe_subscription_id="", trial_end=timezone.now() - timedelta(days=1))
    assert services.trials_expire() == 1
    assert Practice.objects.get(pk=alpha.practice.pk).billing_state == BillingState.CANCELED
    services.subscription_extend_trial(practice_id=alpha.practice.pk, days=3,
                                       actor=Actor.of(billing_staff))
    assert Practice.objects.get(pk=alpha.practice.pk).billing_state == BillingState.TRIALING


def test_apply_a_coupon(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str], billing_staff: User
) -> None:
    subscription_id = _subscribe(alpha, fake, prices["tandem_group_monthly"], "active")
    coupon_id = f"HALF{alpha.practice.pk}X{Price.objects.count()}"
    stripe.Coupon.create(id=coupon_id, percent_off=50, duration="once")
    http = public_client(billing_staff)
    response = http.post(f"/billing/practices/{alpha.practice.pk}/apply-coupon/",
                         {"coupon_id": coupon_id})
    assert response.status_code == 302
    assert fake.subscription(subscription_id)["discount"]["coupon"]["id"] == coupon_id
    assert Subscription.objects.get(practice=alpha.practice).coupon_id == coupon_id
    assert _billing_audit() == [("billing.coupon_applied", billing_staff.pk, "billing_staff",
                                 str(alpha.practice.pk), {"coupon": coupon_id})]


def test_an_unknown_coupon_changes_nothing(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str], billing_staff: User
) -> None:
    subscription_id = _subscribe(alpha, fake, prices["tandem_group_monthly"], "active")
    http = public_client(billing_staff)
    response = http.post(f"/billing/practices/{alpha.practice.pk}/apply-coupon/",
                         {"coupon_id": "NO_SUCH_COUPON"}, follow=True)
    assert "Stripe has no coupon &#x27;NO_SUCH_COUPON&#x27;." in response.content.decode()
    assert fake.subscription(subscription_id)["discount"] is None
    assert Subscription.objects.get(practice=alpha.practice).coupon_id == ""
    assert _billing_audit() == []


def test_cancel(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, prices: dict[str, str],
    billing_staff: User,
) -> None:
    subscription_id = _subscribe(alpha, fake, prices["tandem_group_monthly"], "active")
    _subscribe(beta, fake, prices["tandem_group_monthly"], "active")
    response = public_client(billing_staff).post(f"/billing/practices/{alpha.practice.pk}/cancel/")
    assert response.status_code == 302
    assert fake.subscription(subscription_id)["status"] == "canceled"
    assert Practice.objects.get(pk=alpha.practice.pk).billing_state == BillingState.CANCELED
    assert Practice.objects.get(pk=beta.practice.pk).billing_state == BillingState.ACTIVE
    assert _billing_audit() == [("billing.subscription_canceled", billing_staff.pk,
                                 "billing_staff", str(alpha.practice.pk), {"from": "active"})]
    with schema_context("public"):
        changed = AuditEvent.objects.filter(action="billing.state_changed").order_by("-id").first()
    assert (changed.actor_id, changed.detail["to"]) == (billing_staff.pk, "canceled")


def test_services_refuse_anyone_but_billing_staff(alpha: PracticeWorld, fake: FakeStripe) -> None:
    with_customer(alpha)
    for call in (
        lambda: services.subscription_extend_trial(practice_id=alpha.practice.pk, days=3,
                                                   actor=Actor.of(alpha.owner)),
        lambda: services.subscription_apply_coupon(practice_id=alpha.practice.pk,
                                                   coupon_id="X", actor=Actor.of(alpha.owner)),
        lambda: services.subscription_cancel(practice_id=alpha.practice.pk,
                                             actor=Actor.of(alpha.owner)),
    ):
        with pytest.raises(PermissionError):
            call()
    assert _billing_audit() == []


def test_sync_stripe_prices_is_idempotent(fake: FakeStripe, db: Any) -> None:
    call_command("sync_stripe_prices", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = dict(Price.objects.values_list("lookup_key", "stripe_price_id"))
    call_command("sync_stripe_prices", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert dict(Price.objects.values_list("lookup_key", "stripe_price_id")) == first
    assert sorted(first) == sorted([
        "tandem_solo_monthly", "tandem_solo_yearly", "tandem_group_monthly",
        "tandem_group_yearly", "tandem_program_monthly", "tandem_program_yearly"])
    listed = stripe.Price.list(lookup_keys=["tandem_group_yearly"])
    assert [(p["id"], p["unit_amount"], p["recurring"]["interval"]) for p in listed.data] == [
        (first["tandem_group_yearly"], 149000, "year")]
    assert Price.objects.get(lookup_key="tandem_group_yearly").monthly_amount == 12417
