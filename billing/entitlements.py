"""What a practice's plan entitles it to, and the checks that hold it there.

Pure reads of the plan catalogue (billing.plans) plus counts in the practice's own schema. The
checks refuse adding beyond a limit with a message fit to show, naming the limit and the way up
(the owner's billing page); they never remove or hide existing data: a practice over its limit
after a downgrade keeps every staff member and client, it just cannot add more.

A practice without a plan yet (blank `plan_key`: its trial) gets the largest plan's
entitlements, so it can try everything it could buy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django_tenants.utils import schema_context

from billing.plans import PLANS, Plan
from tenants.accounts.models import STAFF_ROLES, Role, User
from tenants.db import connection
from tenants.models import Practice

UPGRADE_URL = "/billing/"
LARGEST_PLAN: Plan = max(PLANS, key=lambda plan: (plan.seats, plan.active_clients,
                                                   len(plan.modules)))
_BY_KEY = {plan.key: plan for plan in PLANS}


class EntitlementError(Exception):
    """Adding this would go beyond the plan; the message is fit to show (to the owner)."""

    upgrade_url = UPGRADE_URL

    def __init__(self, message: str, *, limit: int, used: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.used = used


@dataclass(frozen=True)
class Entitlements:
    plan: Plan
    is_trial: bool

    @property
    def seats(self) -> int:
        return self.plan.seats

    @property
    def active_clients(self) -> int:
        return self.plan.active_clients

    @property
    def modules(self) -> frozenset[str]:
        return self.plan.modules

    @property
    def practice_instruments(self) -> bool:
        return self.plan.practice_instruments

    @property
    def phrase(self) -> str:
        """"your trial" or "your Solo plan", for messages."""
        return "your trial" if self.is_trial else f"your {self.plan.name} plan"

    @property
    def label(self) -> str:
        return self.phrase[0].upper() + self.phrase[1:]


def entitlements_for(practice: Practice) -> Entitlements:
    """The practice's entitlements. A blank plan key is the trial: the largest plan. An unknown
    key (a retired plan) also gets the largest plan: a mistake of ours must not take anything
    away from a paying practice."""
    plan = _BY_KEY.get(practice.plan_key)
    if plan is None:
        return Entitlements(plan=LARGEST_PLAN, is_trial=not practice.plan_key)
    return Entitlements(plan=plan, is_trial=False)


def plan_allows_module(practice: Practice, key: str) -> bool:
    """May the practice use this module at all? (Whether it is switched on is the practice's
    own setting, `Practice.has_module`; a module is in use only when both say yes.)"""
    return key in entitlements_for(practice).modules


def module_in_use(practice: Practice, key: str) -> bool:
    return practice.has_module(key) and plan_allows_module(practice, key)


def plan_allows_practice_instruments(practice: Practice) -> bool:
    return entitlements_for(practice).practice_instruments


@contextmanager
def _in_schema(practice: Practice) -> Iterator[None]:
    """Counts are taken in the practice's own schema, whichever schema the caller is in."""
    if connection.schema_name == practice.schema_name:
        yield
        return
    with schema_context(practice.schema_name):
        yield


def staff_seats_used(practice: Practice) -> int:
    with _in_schema(practice):
        return User.objects.filter(role__in=STAFF_ROLES, is_active=True).count()


def active_clients_count(practice: Practice) -> int:
    with _in_schema(practice):
        return User.objects.filter(role=Role.CLIENT, is_active=True).count()


def _upgrade_hint() -> str:
    return f"Upgrade the plan on the billing page ({UPGRADE_URL})"


def entitlement_lock(practice: Practice) -> None:
    """Serialise limit checks of one practice: call inside the transaction, before counting.
    Without it, two requests at the last seat (or client place) could both count N-1 and pass."""
    list(Practice.objects.select_for_update().filter(pk=practice.pk).values_list("pk"))


def entitlement_check_new_staff(practice: Practice, *, open_invitations: int = 0) -> None:
    """Raise EntitlementError unless one more staff member fits the plan's seats.

    `open_invitations` counts invitations already sent and not yet accepted: each holds a seat,
    so every invitation that was sent can be accepted."""
    entitlements = entitlements_for(practice)
    used = staff_seats_used(practice) + open_invitations
    if used >= entitlements.seats:
        pending = f" (including {open_invitations} open invitations)" if open_invitations else ""
        raise EntitlementError(
            f"{entitlements.label} includes {entitlements.seats} staff seats and "
            f"{used} are taken{pending}. {_upgrade_hint()}, or remove someone's access or "
            "revoke an invitation first. Nobody's access was changed.",
            limit=entitlements.seats, used=used,
        )


def entitlement_check_new_client(practice: Practice, *, open_invitations: int = 0) -> None:
    """Raise EntitlementError unless one more client with portal access fits the plan.

    For the client invitation service to call (inside its transaction) before it creates an
    invitation or an account; `open_invitations` as for staff."""
    entitlements = entitlements_for(practice)
    used = active_clients_count(practice) + open_invitations
    if used >= entitlements.active_clients:
        pending = f" (including {open_invitations} open invitations)" if open_invitations else ""
        raise EntitlementError(
            f"{entitlements.label} includes {entitlements.active_clients} active clients and "
            f"{used} are taken{pending}. {_upgrade_hint()} to add more clients. Existing "
            "clients keep their access.",
            limit=entitlements.active_clients, used=used,
        )


def entitlement_check_practice_instruments(practice: Practice) -> None:
    """Raise EntitlementError unless the plan lets the practice define its own instruments.
    Instruments it already published stay assignable and every score stays readable."""
    entitlements = entitlements_for(practice)
    if not entitlements.practice_instruments:
        raise EntitlementError(
            f"Defining your own instruments is not included in {entitlements.phrase}. "
            f"{_upgrade_hint()} to create or change them. Instruments already published can "
            "still be assigned.",
            limit=0, used=0,
        )
