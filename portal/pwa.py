"""What the practice's service worker keeps and where (portal/templates/portal/pwa/sw.js): the
app shell always, the safety plan and crisis help only while the client opts in on a device. The
worker's configuration and the opt-in section (portal/templatetags/pwa.py) both read it here, so
the two never disagree."""

from __future__ import annotations

import hashlib
import json

from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation

from branding.selectors import branding_for
from tenants.requests import PracticeRequest

SHELL_CACHE_PREFIX = "tandem-shell-"
SAVED_CACHE = "tandem-saved"
SHELL_STATIC = ("css/tandem.css", "portal/portal.css", "portal/pwa.js")


def saved_paths() -> list[str]:
    """The pages a client can keep on a device for use with no network."""
    return [reverse("portal:safety_plan:plan"), reverse("portal:help")]


def service_worker_config(request: PracticeRequest) -> dict[str, object]:
    branding = branding_for(request.tenant)
    shell = [static(path) for path in SHELL_STATIC]
    # The offline page in the client's language (it is fetched without cookies): a change of
    # language is a new address, so a new shell cache.
    offline = f"{reverse('portal:offline')}?lang={translation.get_language() or 'en'}"
    icon = branding.asset_path("icon-192")
    # A new shell (a deploy's hashed file names, a new logo, a new name or crisis line on the
    # offline page) is a new cache; the old one goes.
    brand = [branding.display_name, branding.crisis_line, branding.primary_color]
    version = hashlib.sha256(json.dumps([shell, offline, icon, brand]).encode()).hexdigest()[:12]
    return {
        "shellCache": f"{SHELL_CACHE_PREFIX}{version}",
        "shellPrefix": SHELL_CACHE_PREFIX,
        "savedCache": SAVED_CACHE,
        "shell": [*shell, icon],
        "offline": offline,
        "saved": saved_paths(),
        "portal": reverse("portal:dashboard"),
        "signOut": reverse("logout"),
        "name": branding.short_name or branding.display_name,
        "icon": icon,
    }
