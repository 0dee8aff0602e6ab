from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from billing.entitlements import plan_allows_module
from portal.security import SESSION_MODULES
from tenants.features import enabled_modules


def platform(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    practice = tenant if getattr(tenant, "pk", None) else None
    user = getattr(request, "user", None)
    # A module outside the practice's plan is hidden even while the practice has it on.
    modules = enabled_modules([key for key in practice.enabled_modules
                               if plan_allows_module(practice, key)]) if practice else ()
    if practice and getattr(user, "is_client", False) and hasattr(request, "session"):
        # Staff may have chosen fewer modules for this client (kept in the session at sign-in).
        chosen = request.session.get(SESSION_MODULES)
        if chosen is not None:
            modules = tuple(module for module in modules if module.key in chosen)
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
