from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from branding.selectors import branding_for


def branding(request: HttpRequest) -> dict[str, Any]:
    """`branding` on every page of a practice host (None on the control plane)."""
    tenant: Any = getattr(request, "tenant", None)
    if getattr(tenant, "pk", None) is None:
        return {"branding": None}
    return {"branding": branding_for(tenant)}
