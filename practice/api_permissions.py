"""The API's side of the capability table (practice.access): one permission class per set of
capabilities. A role that holds none of them is refused with the ROLE_DENIED code, which the
API answers as 404, like a missing object (config.errors.api_exception_handler)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from practice.access import ROLE_DENIED, Capability, holds


class _Holds(BasePermission):
    capabilities: frozenset[Capability] = frozenset()
    message = "You cannot do this here."
    code = ROLE_DENIED

    def has_permission(self, request: Request, view: APIView) -> bool:
        return any(holds(request.user, capability)
                   for capability in self.capabilities)


def holding(*capabilities: Capability) -> list[Any]:
    """`permission_classes` for an endpoint open to the holders of any of `capabilities`."""
    names = "".join(capability.title().replace("_", "") for capability in capabilities)
    permission = type(f"Holds{names}", (_Holds,), {"capabilities": frozenset(capabilities)})
    return [IsAuthenticated, permission]


def capabilities_of(view_class: type[APIView]) -> frozenset[Capability]:
    """The capabilities an endpoint is open to (for the access matrix)."""
    found: set[Capability] = set()
    for permission in getattr(view_class, "permission_classes", []):
        found |= getattr(permission, "capabilities", frozenset())
    return frozenset(found)


def require(user: Any, capability: Capability) -> None:
    """For a method narrower than its endpoint (clients read, staff write): refuse a person who
    does not hold `capability`, answered as 404 like the endpoint's own refusal."""
    if not holds(user, capability):
        raise PermissionDenied(_Holds.message, code=ROLE_DENIED)
