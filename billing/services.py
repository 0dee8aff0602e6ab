"""Billing writes: trials, Checkout and the Customer Portal, mirroring Stripe's subscriptions into
the practice's billing state, and the billing staff's actions.

Stripe is called before the database transaction opens (a network call must not hold row locks);
the rows and the audit event are then written in one transaction. What goes to Stripe about a
practice is its id, its name and its owner's email: never anything about its clients.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from billing import stripe_client
from billing.models import Price, StripeEvent, Subscription, SubscriptionStatus
from billing.plans import PLAN_KEYS, TRIAL_DAYS, plan, plan_for_lookup_key
from billing.selectors import BANNER_CACHE_KEY
from practice.access import Capability, holds
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.models import BillingState, Practice

logger = logging.getLogger(__name__)

# Who sees the billing console: billing staff, and operators (read-only unless they also hold
# the billing-staff permission). Who acts on subscriptions: `may_manage_billing`.
BILLING_ROLES = frozenset({Role.OPERATOR, Role.BILLING_STAFF})
MANAGE_BILLING_PERMISSION = "billing.manage_subscriptions"


def may_manage_billing(user: User) -> bool:
    """Trial extensions, coupons and cancellations: the billing-staff role, or an operator who
    was also given it (the permission `billing.manage_subscriptions`)."""
    if not user.is_active:
        return False
    if user.role == Role.BILLING_STAFF:
        return True
    return user.role == Role.OPERATOR and user.has_perm(MANAGE_BILLING_PERMISSION)


class BillingError(Exception):
    """Something the person asking can fix or should know (shown to them as is)."""


# --- trials and the Stripe customer ---------------------------------------------------------

@transaction.atomic
def subscription_start_trial(
    *, practice: Practice, actor: Actor = Actor.SYSTEM
) -> Subscription:
    """A new practice's card-less trial. Idempotent: an existing record is returned as is.

    The Stripe customer is created afterwards by a job (`create_stripe_customer`), so signup
    never waits on Stripe."""
    existing = Subscription.objects.filter(practice=practice).first()
    if existing is not None:
        return existing
    subscription = Subscription.objects.create(
        practice=practice,
        status=SubscriptionStatus.TRIALING,
        trial_end=timezone.now() + timedelta(days=TRIAL_DAYS),
    )
    Practice.objects.filter(pk=practice.pk).update(billing_state=BillingState.TRIALING)
    practice.billing_state = BillingState.TRIALING
    audit_record(
        action=Action.BILLING_TRIAL_STARTED, actor=actor,
        actor_role="" if actor.user else "system", object_type="practice",
        object_id=practice.pk, detail={"days": TRIAL_DAYS},
    )

    def enqueue() -> None:
        from billing.tasks import create_stripe_customer

        create_stripe_customer.send(practice.pk)

    transaction.on_commit(enqueue)
    return subscription


def subscription_ensure(*, practice: Practice) -> Subscription:
    """The practice's billing record, with a trial counted from its creation if it has none
    (practices made before billing existed)."""
    subscription = Subscription.objects.filter(practice=practice).first()
    if subscription is not None:
        return subscription
    with transaction.atomic():
        subscription, _ = Subscription.objects.get_or_create(
            practice=practice,
            defaults={
                "status": SubscriptionStatus.TRIALING,
                "trial_end": practice.created_at + timedelta(days=TRIAL_DAYS),
            },
        )
    return subscription


def _owner_email(practice: Practice) -> str:
    with schema_context(practice.schema_name):
        email = (
            User.objects.filter(role=Role.OWNER, is_active=True)
            .order_by("date_joined", "pk").values_list("email", flat=True).first()
        )
    return email or ""


def stripe_customer_ensure(*, practice_id: int) -> Subscription:
    """Create the practice's Stripe customer if it has none yet. Idempotent."""
    practice = Practice.objects.get(pk=practice_id)
    subscription = subscription_ensure(practice=practice)
    if subscription.stripe_customer_id:
        return subscription
    customer = stripe_client.customer_create(
        practice_id=practice.pk, practice_name=practice.name,
        owner_email=_owner_email(practice),
    )
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.stripe_customer_id:
            # Another request won the race; the extra customer stays empty in Stripe.
            logger.warning("practice %s got a second Stripe customer", practice.pk)
            return subscription
        subscription.stripe_customer_id = customer["id"]
        subscription.save(update_fields=["stripe_customer_id", "updated_at"])
        audit_record(
            action=Action.BILLING_CUSTOMER_CREATED, actor=None, actor_role="system",
            object_type="practice", object_id=practice.pk,
        )
    return subscription


# --- the owner: Checkout and the Customer Portal -------------------------------------------

def checkout_session_start(
    *, practice: Practice, plan_key: str, interval: str, actor: Actor,
    success_url: str, cancel_url: str,
) -> str:
    """A Stripe Checkout session for this plan; the URL to send the owner to."""
    if not holds(actor.person, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice's owner manages its subscription.")
    if plan_key not in PLAN_KEYS:
        raise BillingError("Choose one of the plans.")
    lookup_key = plan(plan_key).lookup_key(interval)
    price = Price.objects.filter(lookup_key=lookup_key, is_active=True).first()
    if price is None:
        raise BillingError("This plan cannot be bought right now. Please try again later.")
    subscription = stripe_customer_ensure(practice_id=practice.pk)
    if subscription.stripe_subscription_id and subscription.status not in (
        SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED,
    ):
        # A second subscription would charge twice: plan changes go through the portal.
        raise BillingError("You already have a subscription. Change your plan under "
                           "“Manage card and invoices”.")
    trial_end = None
    if (subscription.status == SubscriptionStatus.TRIALING and subscription.trial_end
            and subscription.trial_end > timezone.now() + timedelta(hours=48)):
        # Stripe refuses a trial ending within 48 hours; a shorter remainder is simply charged.
        trial_end = stripe_client.timestamp(subscription.trial_end)
    session = stripe_client.checkout_session_create(
        customer_id=subscription.stripe_customer_id, price_id=price.stripe_price_id,
        success_url=success_url, cancel_url=cancel_url, practice_id=practice.pk,
        trial_end=trial_end,
    )
    with transaction.atomic():
        audit_record(
            action=Action.BILLING_CHECKOUT_STARTED, actor=actor, object_type="practice",
            object_id=practice.pk, detail={"plan": plan_key, "interval": interval},
        )
    return str(session["url"])


def portal_session_start(
    *, practice: Practice, actor: Actor, return_url: str
) -> str:
    """A Stripe Customer Portal session (card, plan changes, invoices); the URL to go to."""
    if not holds(actor.person, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice's owner manages its subscription.")
    subscription = stripe_customer_ensure(practice_id=practice.pk)
    session = stripe_client.portal_session_create(
        customer_id=subscription.stripe_customer_id, return_url=return_url
    )
    with transaction.atomic():
        audit_record(
            action=Action.BILLING_PORTAL_OPENED, actor=actor, object_type="practice",
            object_id=practice.pk,
        )
    return str(session["url"])


# --- webhooks: record once, then mirror the current subscription ----------------------------

@dataclass(frozen=True)
class EventIds:
    event_id: str
    type: str
    object_id: str
    subscription_id: str
    customer_id: str


def _id_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is not None and hasattr(value, "get"):
        return str(value.get("id") or "")
    return ""


def event_ids(event: Any) -> EventIds:
    """The ids a verified event refers to (the job fetches the objects themselves)."""
    obj = event["data"]["object"]
    kind = obj.get("object", "")
    subscription_id = ""
    if kind == "subscription":
        subscription_id = obj.get("id", "")
    elif kind in ("invoice", "checkout.session"):
        subscription_id = _id_of(obj.get("subscription"))
        parent = obj.get("parent") or {}
        if not subscription_id and parent.get("subscription_details"):
            subscription_id = _id_of(parent["subscription_details"].get("subscription"))
    customer_id = obj.get("id", "") if kind == "customer" else _id_of(obj.get("customer"))
    return EventIds(
        event_id=event["id"], type=event["type"], object_id=obj.get("id", "") or "",
        subscription_id=subscription_id or "", customer_id=customer_id or "",
    )


def stripe_event_record(*, ids: EventIds) -> StripeEvent | None:
    """Record a verified event once and enqueue its processing; None for a duplicate."""
    with transaction.atomic():
        event, created = StripeEvent.objects.get_or_create(
            event_id=ids.event_id,
            defaults={"type": ids.type, "object_id": ids.object_id,
                      "subscription_id": ids.subscription_id, "customer_id": ids.customer_id},
        )
        if not created:
            return None

        def enqueue() -> None:
            from billing.tasks import process_stripe_event

            process_stripe_event.send(event.event_id)

        transaction.on_commit(enqueue)
    return event


def stripe_event_process(*, event_id: str) -> None:
    """Process a recorded event: fetch its subscription's current state from Stripe and mirror
    it. Idempotent; a failure is recorded and raised so the job is retried."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(event_id=event_id)
        if event.processed_at is not None:
            return
        event.attempts += 1
        event.save(update_fields=["attempts"])
    try:
        if event.subscription_id:
            current = stripe_client.subscription_retrieve(event.subscription_id)
            subscription_sync(stripe_subscription=current)
    except Exception as error:
        StripeEvent.objects.filter(pk=event.pk).update(last_error=repr(error)[:2000])
        raise
    StripeEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), last_error="")


def stripe_events_requeue(*, older_than: timedelta = timedelta(minutes=30)) -> int:
    """Send again the events still unprocessed after a while (the broker lost the message, or
    every retry failed while Stripe was down): no state change is lost."""
    from billing.tasks import process_stripe_event

    stale = list(StripeEvent.objects.filter(
        processed_at__isnull=True, received_at__lte=timezone.now() - older_than,
    ).values_list("event_id", flat=True)[:1000])
    for event_id in stale:
        process_stripe_event.send(event_id)
    return len(stale)


def _moment(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _price_of(item: Any) -> tuple[str, str]:
    """(price id, lookup key) of a subscription item; the lookup key from our mirror when
    Stripe's object does not carry it."""
    price = item.get("price") or item.get("plan") or {}
    price_id = _id_of(price)
    lookup_key = price.get("lookup_key") if hasattr(price, "get") else None
    if not lookup_key:
        lookup_key = (
            Price.objects.filter(stripe_price_id=price_id)
            .values_list("lookup_key", flat=True).first()
        )
    return price_id, lookup_key or ""


_STATE_OF_STATUS: dict[str, BillingState] = {
    SubscriptionStatus.TRIALING: BillingState.TRIALING,
    SubscriptionStatus.ACTIVE: BillingState.ACTIVE,
    SubscriptionStatus.PAST_DUE: BillingState.PAST_DUE,
    SubscriptionStatus.UNPAID: BillingState.UNPAID,
    SubscriptionStatus.PAUSED: BillingState.UNPAID,
    SubscriptionStatus.CANCELED: BillingState.CANCELED,
    SubscriptionStatus.INCOMPLETE_EXPIRED: BillingState.CANCELED,
}


def billing_state_for(subscription: Subscription, now: datetime) -> str | None:
    """The practice's billing state for this record; None keeps the current one (an incomplete
    first payment changes nothing yet)."""
    if subscription.status == SubscriptionStatus.PAST_DUE and (
        subscription.grace_until is not None and subscription.grace_until <= now
    ):
        return BillingState.UNPAID
    if (subscription.status == SubscriptionStatus.TRIALING
            and not subscription.stripe_subscription_id
            and subscription.trial_end is not None and subscription.trial_end <= now):
        # The card-less trial is over and nothing was bought: read-only until they pay.
        return BillingState.CANCELED
    return _STATE_OF_STATUS.get(subscription.status)


@transaction.atomic
def subscription_sync(*, stripe_subscription: Any) -> Subscription | None:
    """Mirror Stripe's current subscription object onto the practice's record and state."""
    customer_id = _id_of(stripe_subscription.get("customer"))
    record = (
        Subscription.objects.select_for_update().select_related("practice")
        .filter(stripe_customer_id=customer_id).first()
    )
    if record is None:
        logger.warning("Stripe subscription %s belongs to no practice", stripe_subscription["id"])
        return None
    status = stripe_subscription["status"]
    if (record.stripe_subscription_id and record.stripe_subscription_id != stripe_subscription["id"]
            and status in (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)):
        # An older subscription ending does not undo the practice's current one.
        return record
    if status == SubscriptionStatus.INCOMPLETE and record.status == SubscriptionStatus.TRIALING:
        return record
    now = timezone.now()
    item = stripe_subscription["items"]["data"][0]
    price_id, lookup_key = _price_of(item)
    found = plan_for_lookup_key(lookup_key)
    was_past_due = record.status == SubscriptionStatus.PAST_DUE
    record.stripe_subscription_id = stripe_subscription["id"]
    record.stripe_price_id = price_id
    if found is not None:
        record.plan_key, record.interval = found[0].key, found[1]
    record.status = status
    record.trial_end = _moment(stripe_subscription.get("trial_end"))
    record.current_period_end = _moment(
        stripe_subscription.get("current_period_end") or item.get("current_period_end")
    )
    record.cancel_at = _moment(stripe_subscription.get("cancel_at"))
    if status == SubscriptionStatus.PAST_DUE:
        if not (was_past_due and record.grace_until):
            record.grace_until = now + timedelta(days=settings.PAST_DUE_GRACE_DAYS)
    else:
        record.grace_until = None
    discount = stripe_subscription.get("discount")
    if discount and discount.get("coupon"):
        record.coupon_id = _id_of(discount["coupon"])
    record.save()
    _practice_apply(record, now, reason="stripe")
    return record


def _practice_apply(record: Subscription, now: datetime, *, reason: str,
                    actor: Actor = Actor.SYSTEM) -> None:
    """Set the practice's billing state and plan from its record (audited when they change)."""
    practice = Practice.objects.select_for_update().get(pk=record.practice_id)
    state = billing_state_for(record, now) or practice.billing_state
    plan_key = record.plan_key or practice.plan_key
    if (state, plan_key) != (practice.billing_state, practice.plan_key):
        audit_record(
            action=Action.BILLING_STATE_CHANGED, actor=actor,
            actor_role="" if actor.user else reason, object_type="practice",
            object_id=practice.pk, detail={"from": practice.billing_state, "to": state,
                    "plan_from": practice.plan_key, "plan_to": plan_key},
        )
        Practice.objects.filter(pk=practice.pk).update(billing_state=state, plan_key=plan_key)
    transaction.on_commit(lambda: banner_forget(practice.schema_name))


def banner_forget(schema_name: str) -> None:
    with schema_context(schema_name):
        cache.delete(BANNER_CACHE_KEY)


def grace_periods_expire() -> int:
    """Practices whose payment failed and whose grace period is over turn read-only."""
    now = timezone.now()
    due = list(Subscription.objects.filter(
        status=SubscriptionStatus.PAST_DUE, grace_until__lte=now,
        practice__billing_state=BillingState.PAST_DUE,
    ).values_list("pk", flat=True))
    return sum(1 for pk in due if _reapply(pk, now))


def trials_expire() -> int:
    """Card-less trials that ended without a purchase turn read-only. Not while billing is not
    configured (no Stripe keys): nobody could buy, so nobody is locked out for not buying."""
    if not stripe_client.is_configured():
        return 0
    now = timezone.now()
    due = list(Subscription.objects.filter(
        status=SubscriptionStatus.TRIALING, stripe_subscription_id="", trial_end__lte=now,
        practice__billing_state=BillingState.TRIALING,
    ).values_list("pk", flat=True))
    return sum(1 for pk in due if _reapply(pk, now))


@transaction.atomic
def subscription_grace_end_now(*, practice_id: int) -> bool:
    """The demo's stand-in for the grace period's days passing (`billing_demo … end-grace`):
    the grace period ends now and the practice turns read-only as the hourly job would make
    it. False if the practice is not in a grace period."""
    record = Subscription.objects.select_for_update().filter(
        practice_id=practice_id, status=SubscriptionStatus.PAST_DUE,
        grace_until__isnull=False).first()
    if record is None:
        return False
    now = timezone.now()
    record.grace_until = now
    record.save(update_fields=["grace_until", "updated_at"])
    audit_record(action="billing.grace_ended_early", actor=None, actor_role="demo",
                 object_type="practice", object_id=practice_id)
    _practice_apply(record, now, reason="system")
    return True


@transaction.atomic
def _reapply(subscription_pk: int, now: datetime) -> bool:
    record = Subscription.objects.select_for_update().get(pk=subscription_pk)
    _practice_apply(record, now, reason="system")
    return True


# --- billing staff and operators --------------------------------------------------------------

def _require_billing_staff(acting_user: User) -> None:
    if not may_manage_billing(acting_user):
        raise PermissionError("Only billing staff manage subscriptions.")


def subscription_extend_trial(
    *, practice_id: int, days: int, actor: Actor
) -> Subscription:
    _require_billing_staff(actor.person)
    if not 1 <= days <= 90:
        raise BillingError("A trial can be extended by 1 to 90 days.")
    practice = Practice.objects.get(pk=practice_id)
    record = subscription_ensure(practice=practice)
    if record.status != SubscriptionStatus.TRIALING:
        raise BillingError("Only a practice on its trial can have the trial extended.")
    now = timezone.now()
    new_end = max(record.trial_end or now, now) + timedelta(days=days)
    if record.stripe_subscription_id:
        stripe_client.subscription_modify(
            record.stripe_subscription_id, trial_end=stripe_client.timestamp(new_end)
        )
    with transaction.atomic():
        record = Subscription.objects.select_for_update().get(pk=record.pk)
        previous = record.trial_end
        record.trial_end = new_end
        record.save(update_fields=["trial_end", "updated_at"])
        audit_record(
            action=Action.BILLING_TRIAL_EXTENDED, actor=actor, object_type="practice",
            object_id=practice.pk, detail={"days": days,
                                           "from": previous.isoformat() if previous else None,
                    "to": new_end.isoformat()},
        )
        _practice_apply(record, now, reason="staff", actor=actor)
    return record


def subscription_apply_coupon(
    *, practice_id: int, coupon_id: str, actor: Actor
) -> Subscription:
    _require_billing_staff(actor.person)
    coupon_id = coupon_id.strip()
    practice = Practice.objects.get(pk=practice_id)
    record = subscription_ensure(practice=practice)
    if not record.stripe_subscription_id:
        raise BillingError("This practice has no Stripe subscription yet to apply a coupon to.")
    try:
        stripe_client.coupon_retrieve(coupon_id)
    except stripe_client.StripeError as error:
        raise BillingError(f"Stripe has no coupon {coupon_id!r}.") from error
    stripe_client.subscription_modify(
        record.stripe_subscription_id, discounts=[{"coupon": coupon_id}]
    )
    with transaction.atomic():
        record = Subscription.objects.select_for_update().get(pk=record.pk)
        record.coupon_id = coupon_id
        record.save(update_fields=["coupon_id", "updated_at"])
        audit_record(
            action=Action.BILLING_COUPON_APPLIED, actor=actor, object_type="practice",
            object_id=practice.pk, detail={"coupon": coupon_id},
        )
    return record


def subscription_cancel(
    *, practice_id: int, actor: Actor
) -> Subscription:
    """Cancel now. The practice turns read-only (nothing is deleted)."""
    _require_billing_staff(actor.person)
    practice = Practice.objects.get(pk=practice_id)
    record = subscription_ensure(practice=practice)
    if record.status == SubscriptionStatus.CANCELED:
        raise BillingError("This subscription is already canceled.")
    if record.stripe_subscription_id:
        stripe_client.subscription_cancel(record.stripe_subscription_id)
    now = timezone.now()
    with transaction.atomic():
        record = Subscription.objects.select_for_update().get(pk=record.pk)
        previous = record.status
        record.status = SubscriptionStatus.CANCELED
        record.grace_until = None
        record.save(update_fields=["status", "grace_until", "updated_at"])
        audit_record(
            action=Action.BILLING_SUBSCRIPTION_CANCELED, actor=actor, object_type="practice",
            object_id=practice.pk, detail={"from": previous},
        )
        _practice_apply(record, now, reason="staff", actor=actor)
    return record
