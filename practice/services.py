"""Writes inside a practice: staff invitations and roles, and the audit of signing in and out."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from billing.entitlements import (
    EntitlementError,
    entitlement_check_new_staff,
    entitlement_lock,
)
from branding.selectors import branding_for
from config.emails import send_branded_email
from practice.access import Capability, holds
from practice.models import StaffInvitation
from practice.selectors import staff_member_get
from tenants.accounts.models import STAFF_ROLES, Role, User, email_normalise
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.models import Practice
from tenants.selectors import practice_url

INVITATION_LIFETIME = timedelta(days=7)


class StaffError(Exception):
    """A refused staff change; the message is fit to show."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_owner(acting_user: User) -> None:
    if not holds(acting_user, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice owner manages staff.")


@transaction.atomic
def staff_invite(
    *, email: str, full_name: str, role: str, actor: Actor,
) -> StaffInvitation:
    _require_owner(actor.person)
    email = email_normalise(email)
    if role not in STAFF_ROLES:
        raise StaffError("Choose a staff role.")
    if User.objects.with_email(email).exists():
        raise StaffError("Someone with this email already has an account in this practice.")
    entitlement_lock(actor.in_practice)
    _require_seat(actor.in_practice, open_invitations=StaffInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now(),
    ).exclude(email=email).count())
    # A new invitation replaces any open one to the same address.
    StaffInvitation.objects.filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation.objects.create(
        email=email,
        full_name=full_name.strip(),
        role=role,
        token_hash=hash_token(token),
        invited_by=actor.person,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit_record(
        action=Action.STAFF_INVITED, actor=actor, object_type="staff_invitation",
        object_id=invitation.pk, detail={"role": role},
    )
    link = practice_url(actor.in_practice.subdomain, f"/staff/invitations/accept/{token}/")
    branding = branding_for(actor.in_practice)
    transaction.on_commit(
        lambda: send_branded_email(
            branding=branding,
            to=email,
            subject=f"You're invited to join {branding.display_name} on Tandem",
            template="practice/email/staff_invitation",
            context={"link": link, "role": Role(role).label,
                     "expires_days": INVITATION_LIFETIME.days},
        )
    )
    return invitation


def _require_seat(practice: Practice, *, open_invitations: int = 0,
                  invitee: bool = False) -> None:
    """The plan's staff seats (billing.entitlements); existing staff are never touched."""
    try:
        entitlement_check_new_staff(practice, open_invitations=open_invitations)
    except EntitlementError as error:
        if not invitee:
            raise StaffError(str(error)) from error
        raise StaffError(
            f"{practice.name}'s plan has no free staff seat ({error.limit} seats, all taken). "
            f"Ask the practice owner to upgrade the plan ({error.upgrade_url}); your invitation "
            "stays valid until it expires."
        ) from error


@transaction.atomic
def staff_invitation_accept(
    *, practice: Practice, token: str, full_name: str, password: str,
    meta: RequestMeta | None = None,
) -> User:
    # Lock the row: two submissions of one link create one account.
    invitation = (
        StaffInvitation.objects.select_for_update().filter(token_hash=hash_token(token)).first()
    )
    if invitation is None or not invitation.is_open:
        raise StaffError("This invitation link is no longer valid. Ask the practice for a new one.")
    entitlement_lock(practice)
    _require_seat(practice, invitee=True)
    user = User(email=invitation.email, full_name=full_name.strip() or invitation.full_name,
                role=invitation.role)
    validate_password(password, user=user)
    user.set_password(password)
    user.save()
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    audit_record(
        action=Action.STAFF_INVITATION_ACCEPTED, actor=user, object_type="staff_invitation",
        object_id=invitation.pk, meta=meta,
    )
    return user


@transaction.atomic
def staff_invitation_revoke(
    *, invitation_id: int, actor: Actor
) -> StaffInvitation:
    _require_owner(actor.person)
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation_id)
    if invitation.is_open:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(action=Action.STAFF_INVITATION_REVOKED, actor=actor,
                     object_type="staff_invitation", object_id=invitation.pk)
    return invitation


def _other_active_owners(user: User) -> int:
    return User.objects.filter(role=Role.OWNER, is_active=True).exclude(pk=user.pk).count()


@transaction.atomic
def staff_role_change(
    *, user_id: int, role: str, actor: Actor
) -> User:
    _require_owner(actor.person)
    if role not in STAFF_ROLES:
        raise StaffError("Choose a staff role.")
    member = staff_member_get(user_id)
    if member is None:
        raise User.DoesNotExist
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.role == role:
        return member
    if member.role == Role.OWNER and _other_active_owners(member) == 0:
        raise StaffError("The practice needs at least one owner. Make someone else owner first.")
    previous = member.role
    member.role = role
    member.save(update_fields=["role"])
    audit_record(action=Action.STAFF_ROLE_CHANGED, actor=actor, object_type="user",
                 object_id=member.pk, detail={"from": previous, "to": role})
    return member


@transaction.atomic
def staff_remove(*, user_id: int, actor: Actor) -> User:
    """Take away a staff member's access. Nothing they wrote is deleted."""
    _require_owner(actor.person)
    member = staff_member_get(user_id)
    if member is None:
        raise User.DoesNotExist
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.role == Role.OWNER and _other_active_owners(member) == 0:
        raise StaffError("The practice needs at least one owner. Make someone else owner first.")
    member.is_active = False
    member.save(update_fields=["is_active"])
    # Inactive users fail authentication on their next request: their sessions end now.
    audit_record(action=Action.STAFF_REMOVED, actor=actor, object_type="user",
                 object_id=member.pk, detail={"role": member.role})
    return member


@transaction.atomic
def auth_event_record(
    *, action: str, user: User | None, meta: RequestMeta, detail: dict[str, str] | None = None
) -> None:
    """Sign-in, sign-out, failed sign-in, password reset: who and when, never the password."""
    audit_record(action=action, actor=user, object_type="user" if user else "",
                 object_id=user.pk if user else "", meta=meta, detail=detail)
