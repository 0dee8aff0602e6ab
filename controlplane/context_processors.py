from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from tenants.features import enabled_modules


def platform(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    practice = tenant if getattr(tenant, "pk", None) else None
    user = getattr(request, "user", None)
    modules = enabled_modules(practice.enabled_modules) if practice else ()
    return {
        "practice": practice,
        "site_name": "Tandem",
        "platform_domain": settings.PLATFORM_DOMAIN,
        # Menus list only enabled modules that have pages for this kind of user.
        "menu_modules": [
            module for module in modules
            if (module.client_url if getattr(user, "is_client", False) else module.staff_url)
        ],
    }
