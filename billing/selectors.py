"""Billing reads: the billing staff's overview and a practice's record, and the banner a
practice's staff see. Counts and money only: never a practice's clinical data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from billing.models import Price, StripeEvent, Subscription, SubscriptionStatus
from billing.plans import PLAN_KEYS, PLANS
from tenants.audit.models import AuditEvent
from tenants.models import BillingState, Practice

BANNER_CACHE_KEY = "billing:banner"  # per practice: cache keys carry the schema
TRIAL_ENDING_DAYS = 3
BANNER_CACHE_SECONDS = 60 * 60


@dataclass(frozen=True)
class Overview:
    mrr: int  # smallest currency unit, per month
    currency: str
    counts: dict[str, int]
    trials_ending: int
    failed_payments: int


def subscription_list() -> list[Subscription]:
    return list(Subscription.objects.select_related("practice").order_by("practice__name"))


@dataclass(frozen=True)
class BillingRow:
    practice: Practice
    subscription: Subscription | None
    monthly: int  # what it brings in a month now (0 unless active)

    @property
    def has_customer(self) -> bool:
        return bool(self.subscription and self.subscription.stripe_customer_id)


def practice_billing_rows() -> list[BillingRow]:
    """Every practice with its plan and billing state, whether or not it has a billing record
    or a Stripe customer yet (two queries, whatever the number of practices)."""
    subscriptions = {sub.practice_id: sub for sub in Subscription.objects.all()}
    amounts = _monthly_by_price()
    rows = []
    for practice in Practice.objects.order_by("name"):
        subscription = subscriptions.get(practice.pk)
        monthly = (amounts.get(subscription.stripe_price_id, 0)
                   if subscription and subscription.status == SubscriptionStatus.ACTIVE else 0)
        rows.append(BillingRow(practice, subscription, monthly))
    return rows


def dunning() -> list[Subscription]:
    """Failed payments being chased: past due (in grace) or unpaid, soonest grace end first."""
    return list(
        Subscription.objects.select_related("practice")
        .filter(status__in=[SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID])
        .order_by("grace_until", "practice__name")
    )


def _monthly_by_price() -> dict[str, int]:
    return {price.stripe_price_id: price.monthly_amount for price in Price.objects.all()}


def overview(now: datetime | None = None) -> Overview:
    """MRR is the sum of the active subscriptions' monthly-equivalent prices (a trial, a failed
    payment or a canceled subscription brings in nothing yet)."""
    now = now or timezone.now()
    prices = _monthly_by_price()
    active = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).values_list(
        "stripe_price_id", flat=True
    )
    counts = dict(
        Practice.objects.values_list("billing_state").annotate(n=Count("pk")).order_by()
    )
    return Overview(
        mrr=sum(prices.get(price_id, 0) for price_id in active),
        currency=Price.objects.values_list("currency", flat=True).first() or "usd",
        counts={state: counts.get(state, 0) for state in BillingState.values},
        trials_ending=Subscription.objects.filter(
            status=SubscriptionStatus.TRIALING,
            trial_end__gt=now, trial_end__lte=now + timedelta(days=TRIAL_ENDING_DAYS),
        ).count(),
        failed_payments=Subscription.objects.filter(
            Q(status=SubscriptionStatus.PAST_DUE) | Q(status=SubscriptionStatus.UNPAID)
        ).count(),
    )


def monthly_amounts() -> dict[str, int]:
    return _monthly_by_price()


def billing_record(practice_id: int) -> tuple[Practice, Subscription | None]:
    practice = Practice.objects.get(pk=practice_id)
    return practice, Subscription.objects.filter(practice=practice).first()


def billing_events(practice_id: int, limit: int = 50) -> list[AuditEvent]:
    """The practice's billing trail from the public schema's audit events."""
    return list(
        AuditEvent.objects.filter(
            object_type="practice", object_id=str(practice_id), action__startswith="billing."
        )[:limit]
    )


def stripe_events_for(subscription: Subscription | None, limit: int = 20) -> list[StripeEvent]:
    if subscription is None or not subscription.stripe_customer_id:
        return []
    query = Q(customer_id=subscription.stripe_customer_id)
    if subscription.stripe_subscription_id:
        query |= Q(subscription_id=subscription.stripe_subscription_id)
    return list(StripeEvent.objects.filter(query)[:limit])


def plan_choices() -> list[tuple[str, str]]:
    return [(plan.key, plan.name) for plan in PLANS if plan.key in PLAN_KEYS]


# --- the practice's banner ----------------------------------------------------------------------

@dataclass(frozen=True)
class BannerFacts:
    billing_state: str
    trial_end: datetime | None
    grace_until: datetime | None


@dataclass(frozen=True)
class Banner:
    kind: str  # "trial_ending" | "past_due" (read-only has its own banner)
    days_left: int
    until: datetime | None


def banner_facts(practice: Practice) -> BannerFacts:
    """The cached facts behind the banner (one cache read on a warm page)."""
    facts = cache.get(BANNER_CACHE_KEY)
    if facts is None:
        row = (
            Subscription.objects.filter(practice_id=practice.pk)
            .values_list("trial_end", "grace_until").first()
        )
        trial_end, grace_until = row if row else (None, None)
        facts = BannerFacts(practice.billing_state, trial_end, grace_until)
        cache.set(BANNER_CACHE_KEY, facts, BANNER_CACHE_SECONDS)
    return facts


def banner_for(practice: Practice, now: datetime | None = None) -> Banner | None:
    now = now or timezone.now()
    # The practice row (loaded with every request) is fresher than the cache for the state.
    facts = banner_facts(practice)
    state = practice.billing_state
    if state == BillingState.TRIALING and facts.trial_end is not None:
        left = facts.trial_end - now
        if timedelta(0) < left <= timedelta(days=TRIAL_ENDING_DAYS):
            return Banner("trial_ending", _days(left), facts.trial_end)
    if state == BillingState.PAST_DUE:
        until = facts.grace_until
        return Banner("past_due", _days(until - now) if until else 0, until)
    return None


def _days(delta: timedelta) -> int:
    """Whole days left, counting a part day as one."""
    seconds = max(delta.total_seconds(), 0)
    return int(-(-seconds // 86400))
