from __future__ import annotations

from django.db.models import QuerySet

from practice.models import StaffInvitation
from tenants.accounts.models import STAFF_ROLES, User


def staff_list() -> QuerySet[User]:
    return User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "full_name")


def staff_invitation_list() -> QuerySet[StaffInvitation]:
    return StaffInvitation.objects.select_related("invited_by").order_by("-created_at")[:50]


def staff_member_get(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, role__in=STAFF_ROLES).first()


def open_invitation_by_token_hash(token_hash: str) -> StaffInvitation | None:
    invitation = StaffInvitation.objects.filter(token_hash=token_hash).first()
    return invitation if invitation is not None and invitation.is_open else None
