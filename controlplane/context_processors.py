from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    practice = tenant if getattr(tenant, "pk", None) else None
    return {
        "practice": practice,
        "site_name": practice.name if practice else "Tandem",
        "platform_domain": settings.PLATFORM_DOMAIN,
    }
