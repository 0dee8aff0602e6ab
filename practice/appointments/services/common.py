"""What the appointment services share: the refusal they raise, who may do what, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.access import Capability, holds, reaches_whole_practice, roles_with
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.services import audit_record
from tenants.db import connection


class BookingError(Exception):
    """A refused booking action; the message is fit to show to whoever asked."""


class SlotTaken(BookingError):
    """Someone else got the time first (the database's exclusion constraint decided)."""


SLOT_TAKEN = "That time was just taken. Please choose another."


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def require_booking_staff(user: User) -> None:
    if not holds(user, Capability.APPOINTMENTS):
        raise PermissionError("Only the owner, clinicians and front desk do this.")


def require_owner(user: User) -> None:
    if not holds(user, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice owner does this.")


def require_client(user: User) -> None:
    if not holds(user, Capability.OWN_RECORD):
        raise PermissionError("Only clients do this.")


def may_manage_schedule_of(user: User, clinician: User) -> bool:
    """A clinician manages their own hours; the owner and front desk anyone's."""
    if not holds(user, Capability.APPOINTMENTS) or clinician.role not in roles_with(
            Capability.HOLD_CASELOAD):
        return False
    return reaches_whole_practice(user, Capability.APPOINTMENTS) or user.pk == clinician.pk


def audit(action: str, actor: Actor | None, object_type: str, object_id: Any,
          **detail: Any) -> None:
    """An audit row in the caller's transaction: ids, statuses and flags, never free text. No
    actor (or one without a user) is the scheduler: recorded as "system"."""
    is_system = actor is None or actor.user is None
    audit_record(action=action, actor=actor, object_type=object_type, object_id=object_id,
                 detail=detail, actor_role="system" if is_system else None)


def waitlist_offer_freed_on_commit(appointment_id: int, starts_at: datetime,
                                   ends_at: datetime) -> None:
    """Once the cancellation commits, ask the worker to offer the freed time to the waitlist
    (the periodic job catches any wake-up that is lost)."""
    schema_name = connection.schema_name

    def send() -> None:
        from practice.appointments.tasks import waitlist_offer_freed_job

        with schema_context(schema_name):
            waitlist_offer_freed_job.send(appointment_id, starts_at.isoformat(),
                                           ends_at.isoformat())

    transaction.on_commit(send, robust=True)
