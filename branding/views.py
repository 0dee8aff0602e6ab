"""Public assets of a practice's brand: logo images (or initials icons) and the PWA manifest."""

from __future__ import annotations

import json
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext

from branding.logos import initials_icon
from branding.selectors import branding_for
from branding.services import logo_storage_path
from branding.values import LOGO_VARIANTS
from tenants.requests import PracticeRequest

_ICON_SIZES = {"icon-192": 192, "icon-512": 512, "maskable-512": 512, "favicon-32": 32,
               "apple-touch-180": 180, "email": 120}
YEAR = 60 * 60 * 24 * 365


def asset(request: PracticeRequest, version: int, variant: str) -> HttpResponseBase:
    if variant not in LOGO_VARIANTS:
        raise Http404
    branding = branding_for(request.tenant)
    if branding.has_logo:
        path = logo_storage_path(version, f"{variant}.png")
        if version != branding.logo_version or not default_storage.exists(path):
            raise Http404
        response: HttpResponseBase = FileResponse(default_storage.open(path, "rb"),
                                              content_type="image/png")
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response
    png = initials_icon(branding.display_name, branding.primary_color, branding.on_primary,
                        _ICON_SIZES[variant])
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def manifest(request: PracticeRequest) -> HttpResponse:
    branding = branding_for(request.tenant)
    body: dict[str, Any] = {
        "id": "/",
        "name": branding.display_name,
        "short_name": branding.short_name,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": branding.primary_color,
        "icons": [
            {"src": branding.asset_path("icon-192"), "sizes": "192x192", "type": "image/png"},
            {"src": branding.asset_path("icon-512"), "sizes": "512x512", "type": "image/png"},
            {"src": branding.asset_path("maskable-512"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
        # A long press on the installed app's icon: crisis help and the safety plan at once.
        "shortcuts": [{"name": gettext("Get help now"), "url": reverse("portal:help")}],
    }
    if request.tenant.has_module("safety_plan"):
        body["shortcuts"].append({"name": gettext("My safety plan"),
                                  "url": reverse("portal:safety_plan:plan")})
    response = HttpResponse(json.dumps(body), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response
