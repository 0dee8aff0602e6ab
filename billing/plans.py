"""The plan catalogue: what each plan entitles a practice to.

Entitlements live here, with us; prices live in Stripe and are found by their lookup keys
(`manage.py sync_stripe_prices` creates them there from the amounts below and mirrors them into
`billing.models.Price`). `Practice.plan_key` holds a `Plan.key`; a practice without a plan yet
(on its trial) gets `TRIAL_PLAN_KEY`'s entitlements.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenants.features import MODULE_KEYS

# Modules every plan includes; the rest are what the plans are told apart by.
PLAN_GATED_MODULES: frozenset[str] = frozenset({"messaging", "documents", "booking", "billing"})
CORE_MODULES: frozenset[str] = MODULE_KEYS - PLAN_GATED_MODULES


class Interval:
    MONTH = "month"
    YEAR = "year"

    CHOICES = ((MONTH, "Monthly"), (YEAR, "Yearly"))


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    monthly_lookup_key: str
    yearly_lookup_key: str
    # Staff seats (owner, clinicians, front desk, billing) and clients with portal access.
    seats: int
    active_clients: int
    # Every module key the plan allows (core modules included).
    modules: frozenset[str]
    # May the practice define its own instruments?
    practice_instruments: bool
    # What sync_stripe_prices creates in Stripe (smallest currency unit).
    monthly_amount: int
    yearly_amount: int
    currency: str = "usd"

    def lookup_key(self, interval: str) -> str:
        if interval == Interval.MONTH:
            return self.monthly_lookup_key
        if interval == Interval.YEAR:
            return self.yearly_lookup_key
        raise ValueError(f"unknown interval {interval!r}")

    def allows_module(self, key: str) -> bool:
        return key in self.modules


PLANS: tuple[Plan, ...] = (
    Plan(
        key="solo",
        name="Solo",
        monthly_lookup_key="tandem_solo_monthly",
        yearly_lookup_key="tandem_solo_yearly",
        seats=2,
        active_clients=40,
        modules=CORE_MODULES | {"messaging"},
        practice_instruments=False,
        monthly_amount=4900,
        yearly_amount=49000,
    ),
    Plan(
        key="group",
        name="Group",
        monthly_lookup_key="tandem_group_monthly",
        yearly_lookup_key="tandem_group_yearly",
        seats=10,
        active_clients=300,
        modules=CORE_MODULES | {"messaging", "documents", "booking"},
        practice_instruments=True,
        monthly_amount=14900,
        yearly_amount=149000,
    ),
    Plan(
        key="program",
        name="Program",
        monthly_lookup_key="tandem_program_monthly",
        yearly_lookup_key="tandem_program_yearly",
        seats=50,
        active_clients=2000,
        modules=MODULE_KEYS,
        practice_instruments=True,
        monthly_amount=49900,
        yearly_amount=499000,
    ),
)
PLAN_KEYS: frozenset[str] = frozenset(plan.key for plan in PLANS)
_BY_KEY = {plan.key: plan for plan in PLANS}
_BY_LOOKUP_KEY: dict[str, tuple[Plan, str]] = {
    **{plan.monthly_lookup_key: (plan, Interval.MONTH) for plan in PLANS},
    **{plan.yearly_lookup_key: (plan, Interval.YEAR) for plan in PLANS},
}

# A trial gets the middle plan's entitlements, so the practice can try what it would buy.
TRIAL_PLAN_KEY = "program"  # a trial can try everything it could buy
TRIAL_DAYS = 14


def plan(key: str) -> Plan:
    """The plan with this key (KeyError for an unknown key)."""
    return _BY_KEY[key]


def plan_for_practice(plan_key: str) -> Plan:
    """The entitlements of a practice whose `plan_key` is this (blank or unknown: the trial's)."""
    return _BY_KEY.get(plan_key) or _BY_KEY[TRIAL_PLAN_KEY]


def plan_for_lookup_key(lookup_key: str) -> tuple[Plan, str] | None:
    """(plan, interval) for a Stripe price lookup key, or None if it is not one of ours."""
    return _BY_LOOKUP_KEY.get(lookup_key)
