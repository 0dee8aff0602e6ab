"""The practice's side: a new practice's card-less trial and Stripe customer (nothing about its
clients goes to Stripe), the owner's billing page with Checkout and the Customer Portal, who may
see it, and the banners for a trial ending and a failed payment."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.template import engines
from django.test import Client, RequestFactory
from django.utils import timezone
from django_tenants.utils import schema_context

from billing import services
from billing.context_processors import billing_banner
from billing.models import Subscription
from billing.selectors import Banner
from billing.stripe_client import timestamp
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.models import BillingState, Practice
from tests.billing.conftest import FakeStripe, with_customer
from tests.conftest import PASSWORD, PracticeWorld

CLIENT_NAME = "Chris Client"


def _roles(world: PracticeWorld) -> dict[str, Any]:
    return {"client": world.client, "front_desk": world.front_desk,
            "clinician": world.clinician, "billing": world.billing}


# --- trial and customer ------------------------------------------------------------------------

def test_signup_starts_a_card_less_trial_and_its_job_makes_the_customer(
    db: Any, public_http: Client, fake: FakeStripe, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = public_http.post("/signup/", {
            "practice_name": "Gamma Care", "subdomain": "gamma", "owner_name": "Gabriel Owner",
            "owner_email": "gabriel@example.org", "owner_password": PASSWORD,
        })
    assert response.status_code == 200
    practice = Practice.objects.get(subdomain="gamma")
    record = Subscription.objects.get(practice=practice)
    assert (practice.billing_state, practice.plan_key, record.status,
            record.stripe_customer_id) == (BillingState.TRIALING, "", "trialing", "")
    expected_end = timezone.now() + timedelta(days=14)
    assert abs((record.trial_end - expected_end).total_seconds()) < 60
    assert list(AuditEvent.objects.filter(action="billing.trial_started").values_list(
        "actor_role", "object_id", "detail")) == [("system", str(practice.pk), {"days": 14})]

    # The on-commit hook enqueues the customer job; run the job's work as the worker would.
    assert len(callbacks) == 1
    record = services.stripe_customer_ensure(practice_id=practice.pk)
    customer = fake.customer(record.stripe_customer_id)
    assert (customer["name"], customer["email"], customer["metadata"],
            customer["description"], customer["phone"], customer["address"]) == (
        "Gamma Care", "gabriel@example.org", {"practice_id": str(practice.pk)}, None, None, None)
    # Idempotent: a second run makes no second customer.
    assert services.stripe_customer_ensure(practice_id=practice.pk).stripe_customer_id == (
        record.stripe_customer_id)


def test_no_client_data_reaches_stripe(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    record = with_customer(alpha)
    url = services.checkout_session_start(
        practice=alpha.practice, plan_key="solo", interval="month", actor=Actor.of(alpha.owner),
        success_url="http://alpha.localhost/billing/?checkout=success",
        cancel_url="http://alpha.localhost/billing/?checkout=canceled",
    )
    customer = fake.customer(record.stripe_customer_id)
    session = fake.checkout_session(url.rsplit("/", 1)[1])
    sent = json.dumps([customer, session])
    for value in (CLIENT_NAME, alpha.client.email, alpha.clinician.email, "Casey Clinician"):
        assert value not in sent
    assert customer["metadata"] == {"practice_id": str(alpha.practice.pk)}
    assert session["subscription_data"]["metadata"] == {"practice_id": str(alpha.practice.pk)}


# --- the owner's page ------------------------------------------------------------------------

def test_the_owner_sees_the_billing_page(alpha: PracticeWorld, fake: FakeStripe) -> None:
    with_customer(alpha)
    response = alpha.http(alpha.owner).get("/billing/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Trial (with Program features)" in body
    assert "Continue to payment" in body
    assert "Manage card and invoices" in body


@pytest.mark.parametrize("path", ["/billing/", "/billing/checkout/", "/billing/portal/"])
def test_only_the_owner_reaches_billing(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, path: str,
) -> None:
    record = with_customer(alpha)
    for role, user in _roles(alpha).items():
        http = alpha.http(user)
        response = http.get(path) if path == "/billing/" else http.post(
            path, {"plan": "solo", "interval": "month"})
        assert response.status_code == 404, role
        assert "Manage card" not in response.content.decode()
    connection.set_schema_to_public()
    assert Subscription.objects.get(pk=record.pk).stripe_subscription_id == ""
    with schema_context(alpha.practice.schema_name):
        assert AuditEvent.objects.filter(action__startswith="billing.").count() == 0


@pytest.mark.parametrize("path", ["/billing/", "/billing/checkout/", "/billing/portal/"])
def test_anonymous_and_other_practices_are_sent_to_sign_in(
    alpha: PracticeWorld, beta: PracticeWorld, path: str
) -> None:
    anonymous = alpha.http()
    response = anonymous.get(path) if path == "/billing/" else anonymous.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    # Beta's owner, signed in on beta's host, is a stranger on alpha's.
    stranger = Client(HTTP_HOST=alpha.host)
    stranger.cookies = beta.http(beta.owner).cookies
    response = stranger.get("/billing/")
    assert response.status_code == 302
    connection.set_schema_to_public()
    assert Subscription.objects.count() == 0


def test_checkout_redirects_to_stripe_with_the_chosen_price_and_the_rest_of_the_trial(
    alpha: PracticeWorld, beta: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    record = with_customer(alpha)
    response = alpha.http(alpha.owner).post(
        "/billing/checkout/", {"plan": "group", "interval": "year"})
    assert response.status_code == 303
    assert response["Location"].startswith(f"{fake.url}/_config/checkout/cs_test_")
    session = fake.checkout_session(response["Location"].rsplit("/", 1)[1])
    assert (session["mode"], session["customer"], session["client_reference_id"],
            session["line_items"], session["success_url"], session["cancel_url"]) == (
        "subscription", record.stripe_customer_id, str(alpha.practice.pk),
        [{"price": prices["tandem_group_yearly"], "quantity": "1"}],
        "http://alpha.localhost/billing/?checkout=success",
        "http://alpha.localhost/billing/?checkout=canceled")
    assert session["subscription_data"]["trial_end"] == str(timestamp(record.trial_end))
    with schema_context(alpha.practice.schema_name):
        assert list(AuditEvent.objects.filter(action="billing.checkout_started").values_list(
            "actor_id", "detail")) == [(alpha.owner.pk, {"plan": "group", "interval": "year"})]
    with schema_context(beta.practice.schema_name):
        assert AuditEvent.objects.filter(action__startswith="billing.").count() == 0


def test_checkout_refuses_an_unknown_plan(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    with_customer(alpha)
    http = alpha.http(alpha.owner)
    response = http.post("/billing/checkout/", {"plan": "platinum", "interval": "month"})
    assert (response.status_code, response["Location"]) == (302, "/billing/")
    assert "Choose a plan" in http.get("/billing/").content.decode()


def test_portal_redirects_to_stripe_for_the_practice_customer(
    alpha: PracticeWorld, fake: FakeStripe
) -> None:
    record = with_customer(alpha)
    response = alpha.http(alpha.owner).post("/billing/portal/")
    assert response.status_code == 303
    assert response["Location"].startswith(f"{fake.url}/_config/portal/bps_")
    session = fake.portal_session(response["Location"].rsplit("/", 1)[1])
    assert (session["customer"], session["return_url"]) == (
        record.stripe_customer_id, "http://alpha.localhost/billing/")


def test_the_page_makes_a_missing_customer_on_first_use(
    alpha: PracticeWorld, fake: FakeStripe
) -> None:
    """Practices made before billing existed get their record and customer when first used."""
    response = alpha.http(alpha.owner).post("/billing/portal/")
    assert response.status_code == 303
    record = Subscription.objects.get(practice=alpha.practice)
    assert fake.customer(record.stripe_customer_id)["name"] == "Alpha Therapy"


def test_the_owner_of_a_read_only_practice_can_still_pay(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    with_customer(alpha)
    Practice.objects.filter(pk=alpha.practice.pk).update(billing_state=BillingState.CANCELED)
    http = alpha.http(alpha.owner)
    assert http.get("/billing/").status_code == 200
    assert http.post("/billing/checkout/", {"plan": "solo", "interval": "month"}).status_code == 303


# --- banners -----------------------------------------------------------------------------------

def _banner(world: PracticeWorld, user: Any) -> Any:
    request = RequestFactory().get("/", HTTP_HOST=world.host)
    request.tenant = Practice.objects.get(pk=world.practice.pk)
    request.user = user
    with schema_context(world.practice.schema_name):
        return billing_banner(request).get("billing_banner")


def test_banner_for_a_trial_ending_within_three_days(
    alpha: PracticeWorld, beta: PracticeWorld
) -> None:
    services.subscription_start_trial(practice=alpha.practice)
    services.subscription_start_trial(practice=beta.practice)
    ends = timezone.now() + timedelta(days=2, hours=3)
    Subscription.objects.filter(practice=alpha.practice).update(trial_end=ends)
    assert _banner(alpha, alpha.owner) == Banner("trial_ending", 3, ends)
    assert _banner(alpha, alpha.clinician) == Banner("trial_ending", 3, ends)
    assert _banner(alpha, alpha.client) is None
    assert _banner(beta, beta.owner) is None  # 14 days left


def test_banner_for_a_failed_payment_and_the_cached_read(
    alpha: PracticeWorld, django_assert_num_queries: Any
) -> None:
    services.subscription_start_trial(practice=alpha.practice)
    grace = timezone.now() + timedelta(days=7)
    Subscription.objects.filter(practice=alpha.practice).update(
        status="past_due", grace_until=grace)
    Practice.objects.filter(pk=alpha.practice.pk).update(billing_state=BillingState.PAST_DUE)
    services.banner_forget(alpha.practice.schema_name)
    assert _banner(alpha, alpha.owner) == Banner("past_due", 7, grace)
    request = RequestFactory().get("/", HTTP_HOST=alpha.host)
    request.tenant = Practice.objects.get(pk=alpha.practice.pk)
    request.user = alpha.owner
    with schema_context(alpha.practice.schema_name), django_assert_num_queries(0):
        assert billing_banner(request)["billing_banner"] == Banner("past_due", 7, grace)


def test_the_banner_partial_renders_for_owner_and_staff(alpha: PracticeWorld) -> None:
    template = engines["django"].from_string('{% include "billing/banner.html" %}')
    banner = Banner("past_due", 5, timezone.now() + timedelta(days=5))
    with schema_context(alpha.practice.schema_name):
        owner_html = template.render({"billing_banner": banner, "user": alpha.owner})
        staff_html = template.render({"billing_banner": banner, "user": alpha.clinician})
        nothing = template.render({"billing_banner": None, "user": alpha.owner})
    assert "A payment failed" in owner_html and 'href="/billing/"' in owner_html
    assert "Ask the practice owner" in staff_html and 'href="/billing/"' not in staff_html
    assert nothing.strip() == ""


def test_the_banner_shows_on_practice_pages(alpha: PracticeWorld, settings: Any) -> None:
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    if "billing.context_processors.billing_banner" not in processors:
        settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {
            **settings.TEMPLATES[0]["OPTIONS"],
            "context_processors": [*processors, "billing.context_processors.billing_banner"],
        }}]
    services.subscription_start_trial(practice=alpha.practice)
    Subscription.objects.filter(practice=alpha.practice).update(
        trial_end=timezone.now() + timedelta(days=1))
    body = alpha.http(alpha.owner).get("/").content.decode()
    assert "Your trial ends in 1 day" in body


def test_checkout_refuses_a_second_subscription(
    alpha: PracticeWorld, fake: FakeStripe, prices: dict[str, str]
) -> None:
    from billing.services import subscription_sync
    from billing.stripe_client import subscription_retrieve

    record = with_customer(alpha)
    subscription_id = fake.subscribe(
        record.stripe_customer_id, prices["tandem_solo_monthly"], "active")
    subscription_sync(stripe_subscription=subscription_retrieve(subscription_id))
    http = alpha.http(alpha.owner)
    page = http.get("/billing/").content.decode()
    assert "Continue to payment" not in page
    response = http.post("/billing/checkout/", {"plan": "group", "interval": "month"})
    assert (response.status_code, response["Location"]) == (302, "/billing/")
    assert "You already have a subscription." in http.get("/billing/").content.decode()
    with schema_context(alpha.practice.schema_name):
        assert AuditEvent.objects.filter(action="billing.checkout_started").count() == 0
