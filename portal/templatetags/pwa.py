"""`{% offline_optin %}`: the safety plan page's "keep it on this device" section, with the names
the service worker uses (portal/pwa.py), so the two never disagree."""

from __future__ import annotations

import json

from django import template

from portal.pwa import SAVED_CACHE, saved_paths

register = template.Library()


@register.inclusion_tag("portal/pwa/_offline_optin.html")
def offline_optin() -> dict[str, str]:
    return {"saved_cache": SAVED_CACHE, "saved_urls": json.dumps(saved_paths())}
