"""API permissions shared by the whole API (per-resource ones live with their resource)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsSignedInPracticeStaff(BasePermission):
    """A signed-in, active member of the practice's staff (any staff role, never a client).

    Guards the OpenAPI schema: it maps every endpoint, which is for the people who build on
    the API, not for anyone who finds the address."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active
                    and user.is_practice_staff)
