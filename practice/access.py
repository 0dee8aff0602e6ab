"""Who may see which client. A client outside one's reach and a client that does not exist look
the same (DoesNotExist -> 404): existence never leaks."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.accounts.models import Role, User

CLINICAL_ROLES = frozenset({Role.OWNER, Role.CLINICIAN})


def sees_clinical_data(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role in CLINICAL_ROLES


def clients_visible_to(user: User) -> QuerySet[User]:
    """Clients whose clinical data `user` may see: the owner all, a clinician their caseload."""
    clients = User.objects.filter(role=Role.CLIENT)
    if not sees_clinical_data(user):
        return clients.none()
    if user.role == Role.OWNER:
        return clients
    return clients.filter(client_profile__clinicians=user)


def client_for_staff(user: User, client_id: int) -> User:
    """The client, if `user` may see their clinical data; else User.DoesNotExist."""
    return clients_visible_to(user).select_related("client_profile").get(pk=client_id)


# The code of an API refusal because of the person's role: the API answers it as 404, exactly
# like a missing object, as pages do (controlplane.errors.api_exception_handler).
ROLE_DENIED = "role_not_allowed"
