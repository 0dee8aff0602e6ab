"""API permissions shared by the whole API (per-resource ones live with their resource)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from practice.access import ROLE_DENIED, Capability, holds


class IsSignedInPracticeStaff(BasePermission):
    """A signed-in, active member of the practice's staff (any staff role, never a client):
    the holders of STAFF_AREA in the capability table (practice.access).

    Guards the OpenAPI schema: it maps every endpoint, which is for the people who build on
    the API, not for anyone who finds the address. Signed out: 403; signed in without the
    capability: 404, like every role refusal of the API."""

    capabilities = frozenset({Capability.STAFF_AREA})
    message = "The API's map is for the practice's staff."
    code = ROLE_DENIED

    def has_permission(self, request: Request, view: APIView) -> bool:
        return holds(request.user, Capability.STAFF_AREA)
