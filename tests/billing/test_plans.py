"""The plan catalogue: entitlements are ours, prices are found in Stripe by lookup key."""

from __future__ import annotations

import pytest

from billing.plans import (
    CORE_MODULES,
    PLANS,
    Interval,
    plan,
    plan_for_lookup_key,
    plan_for_practice,
)
from tenants.features import MODULE_KEYS


def test_the_catalogue() -> None:
    assert [(p.key, p.seats, p.active_clients, p.practice_instruments) for p in PLANS] == [
        ("solo", 2, 40, False), ("group", 10, 300, True), ("program", 50, 2000, True)]
    assert plan("solo").modules == CORE_MODULES | {"messaging"}
    assert plan("group").modules == CORE_MODULES | {"messaging", "documents", "booking"}
    assert plan("program").modules == MODULE_KEYS
    assert plan("solo").allows_module("booking") is False
    lookup_keys = [p.lookup_key(i) for p in PLANS for i in (Interval.MONTH, Interval.YEAR)]
    assert len(set(lookup_keys)) == 6


def test_lookups() -> None:
    assert plan_for_practice("").key == "program"
    assert plan_for_practice("retired-plan").key == "program"
    assert plan_for_practice("solo").key == "solo"
    assert plan_for_lookup_key("tandem_program_yearly") == (plan("program"), "year")
    assert plan_for_lookup_key("someone_elses_price") is None
    with pytest.raises(ValueError):
        plan("solo").lookup_key("week")
