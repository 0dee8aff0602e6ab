"""The one place that talks to Stripe: configured from settings, nothing else sets api_key or
api_base. What we send about a practice is its id, name and owner's email: never PHI."""

from __future__ import annotations

import calendar
from datetime import datetime
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParamsSubscriptionData

StripeError = stripe.StripeError
NOT_CONFIGURED = ("Billing is not configured on this server (no Stripe keys): nothing can be "
                  "bought or changed here. Practices keep their trial.")


class NotConfigured(Exception):
    """No STRIPE_SECRET_KEY on this server (e.g. `make run` on a laptop): billing is off and
    nothing is sent to Stripe. Production refuses to start without the keys."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def webhooks_configured() -> bool:
    return bool(settings.STRIPE_WEBHOOK_SECRET)


def _plain(obj: Any) -> dict[str, Any]:
    """Stripe objects as plain dicts (stripe-python's objects are not dicts)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


_TIMEOUT_SECONDS = 15  # stripe-python waits 80 s by default; a page must not hang that long


def _configure() -> None:
    if not is_configured():
        raise NotConfigured(NOT_CONFIGURED)
    stripe.api_key = settings.STRIPE_SECRET_KEY
    stripe.api_base = settings.STRIPE_API_BASE
    stripe.max_network_retries = 1
    if not isinstance(stripe.default_http_client, stripe.RequestsClient):
        stripe.default_http_client = stripe.RequestsClient(timeout=_TIMEOUT_SECONDS)


def timestamp(moment: datetime) -> int:
    return calendar.timegm(moment.utctimetuple())


def customer_create(*, practice_id: int, practice_name: str, owner_email: str) -> Any:
    _configure()
    # The idempotency key makes a retried job or a double click reuse the first customer.
    return _plain(stripe.Customer.create(
        name=practice_name,
        email=owner_email,
        metadata={"practice_id": str(practice_id)},
        idempotency_key=f"tandem-customer-practice-{practice_id}",
    ))


def subscription_retrieve(subscription_id: str) -> Any:
    _configure()
    return _plain(stripe.Subscription.retrieve(subscription_id))


def subscription_modify(subscription_id: str, **fields: Any) -> Any:
    _configure()
    return _plain(stripe.Subscription.modify(subscription_id, **fields))


def subscription_cancel(subscription_id: str) -> Any:
    _configure()
    return _plain(stripe.Subscription.cancel(subscription_id))


def subscription_create(*, customer_id: str, price_id: str, trial_end: int | None) -> Any:
    """A subscription made directly (the demo's seed and `billing_demo`; owners go through
    Checkout). On a trial nothing is charged until it ends."""
    _configure()
    # `plan`: a price id works as a plan id in Stripe, and localstripe knows only plans.
    fields: dict[str, Any] = {"customer": customer_id, "items": [{"plan": price_id}]}
    if trial_end is not None:
        fields["trial_end"] = trial_end
    return _plain(stripe.Subscription.create(**fields))


def coupon_retrieve(coupon_id: str) -> Any:
    _configure()
    return _plain(stripe.Coupon.retrieve(coupon_id))


def checkout_session_create(
    *, customer_id: str, price_id: str, success_url: str, cancel_url: str,
    practice_id: int, trial_end: int | None,
) -> Any:
    _configure()
    subscription_data: SessionCreateParamsSubscriptionData = {
        "metadata": {"practice_id": str(practice_id)}}
    if trial_end is not None:
        # What is left of the card-less trial carries over: no charge before it ends.
        subscription_data["trial_end"] = trial_end
    return _plain(stripe.checkout.Session.create(
        mode="subscription",
        customer=customer_id,
        client_reference_id=str(practice_id),
        line_items=[{"price": price_id, "quantity": 1}],
        subscription_data=subscription_data,
        success_url=success_url,
        cancel_url=cancel_url,
    ))


def portal_session_create(*, customer_id: str, return_url: str) -> Any:
    _configure()
    return _plain(
        stripe.billing_portal.Session.create(customer=customer_id, return_url=return_url)
    )


def product_upsert(*, product_id: str, name: str) -> Any:
    _configure()
    try:
        product = _plain(stripe.Product.retrieve(product_id))
    except stripe.InvalidRequestError:
        return _plain(stripe.Product.create(id=product_id, name=name))
    if product.get("name") != name:
        product = _plain(stripe.Product.modify(product_id, name=name))
    return product


def price_by_lookup_key(lookup_key: str) -> Any | None:
    _configure()
    prices = stripe.Price.list(lookup_keys=[lookup_key], active=True, limit=1)
    return _plain(prices.data[0]) if prices.data else None


def price_create(
    *, product_id: str, lookup_key: str, unit_amount: int, currency: str, interval: str
) -> Any:
    _configure()
    return _plain(stripe.Price.create(
        product=product_id,
        unit_amount=unit_amount,
        currency=currency,
        recurring={"interval": interval},
        lookup_key=lookup_key,
        transfer_lookup_key=True,
    ))


def price_deactivate(price_id: str) -> Any:
    _configure()
    return _plain(stripe.Price.modify(price_id, active=False))


def construct_event(payload: bytes, signature: str) -> Any:
    if not webhooks_configured():  # an empty secret would verify anyone's HMAC
        raise NotConfigured(NOT_CONFIGURED)
    return _plain(stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET,
        tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
    ))


SignatureVerificationError = stripe.SignatureVerificationError
