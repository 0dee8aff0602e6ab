"""The owner's settings: enabled modules, messaging policy, instrument set, subdomain.

Each change is one transaction with an audit event carrying the old and new value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from billing.entitlements import UPGRADE_URL, entitlements_for, plan_allows_module
from practice.access import Capability, holds
from practice.models import SafetyPlan
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.services import RequestMeta, audit_record
from tenants.features import MODULE_KEYS, MessagingPolicyKind, enabled_modules
from tenants.models import Practice


class ConfigurationError(Exception):
    """A refused setting; the message is fit to show."""


def _active_safety_plans_block() -> str | None:
    count = SafetyPlan.objects.filter(is_active=True).count()
    if count:
        plural = "a client has an active safety plan" if count == 1 else (
            f"{count} clients have active safety plans")
        return (f"The safety plan stays on while any client has one: {plural}. Close those "
                "plans first; clients must always reach their plan.")
    return None


# What must be true before a module may be turned off (module key -> reason it may not).
MODULE_OFF_GUARDS: dict[str, Callable[[], str | None]] = {
    "safety_plan": _active_safety_plans_block,
}


def _require_owner(acting_user: User) -> None:
    if not holds(acting_user, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice owner changes the practice's settings.")


def _save(practice_id: int, field: str, value: Any, acting_user: User,
          meta: RequestMeta | None) -> Practice:
    practice = Practice.objects.select_for_update().get(pk=practice_id)
    old = getattr(practice, field)
    if old == value:
        return practice
    setattr(practice, field, value)
    practice.save(update_fields=[field])
    audit_record(action=f"settings.{field}_changed", actor=acting_user, object_type="practice",
                 object_id=practice.pk, meta=meta, detail={"from": old, "to": value})
    return practice


@transaction.atomic
def practice_modules_update(*, practice_id: int, enabled: list[str], actor: Actor) -> Practice:
    _require_owner(actor.person)
    unknown = sorted(set(enabled) - MODULE_KEYS)
    if unknown:
        raise ConfigurationError(f"Unknown modules: {', '.join(unknown)}.")
    practice = Practice.objects.get(pk=practice_id)
    current = practice.enabled_modules
    # Turning on a module outside the plan is refused; one already on stays on (and gated).
    outside_plan = [module.label for module in enabled_modules(list(set(enabled) - set(current)))
                    if not plan_allows_module(practice, module.key)]
    if outside_plan:
        labels = " and ".join([", ".join(outside_plan[:-1]), outside_plan[-1]] if len(
            outside_plan) > 1 else outside_plan)
        raise ConfigurationError(
            f"{labels} {'is' if len(outside_plan) == 1 else 'are'} not included in "
            f"{entitlements_for(practice).phrase}. Upgrade the plan on the billing page "
            f"({UPGRADE_URL}) to turn {'it' if len(outside_plan) == 1 else 'them'} on."
        )
    for key in sorted(set(current) - set(enabled)):
        guard = MODULE_OFF_GUARDS.get(key)
        reason = guard() if guard else None
        if reason:
            raise ConfigurationError(reason)
    ordered = [key for key in sorted(MODULE_KEYS) if key in set(enabled)]
    return _save(practice_id, "enabled_modules", ordered, actor.person, actor.meta)


@transaction.atomic
def practice_messaging_policy_update(*, practice_id: int, policy: str, actor: Actor) -> Practice:
    _require_owner(actor.person)
    if policy not in dict(MessagingPolicyKind.CHOICES):
        raise ConfigurationError("Choose one of the messaging policies.")
    return _save(practice_id, "messaging_policy", policy, actor.person, actor.meta)


@transaction.atomic
def practice_instruments_update(*, practice_id: int, keys: list[str], actor: Actor,
                                thresholds: dict[str, float] | None = None) -> Practice:
    from practice.measurement.library import get_definition, shipped_keys

    _require_owner(actor.person)
    available = set(shipped_keys())
    unknown = sorted(set(keys) - available | set(thresholds or {}) - available)
    if unknown:
        raise ConfigurationError(f"Unknown instruments: {', '.join(unknown)}.")
    for key, value in (thresholds or {}).items():
        if get_definition(key).reliable_change is not None:
            raise ConfigurationError(f"{get_definition(key).title} has a published "
                                     "reliable-change value; it cannot be overridden.")
        if value <= 0:
            raise ConfigurationError("A reliable-change value must be above 0.")
    _save(practice_id, "instrument_keys", sorted(set(keys)), actor.person, actor.meta)
    ordered = dict(sorted((thresholds or {}).items()))
    return _save(practice_id, "reliable_change_thresholds", ordered, actor.person, actor.meta)
