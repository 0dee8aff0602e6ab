"""The gate and helpers of every client page, the portal's own and each feature's
(`views_portal`): clients only, reads audited, times in the client's zone. Features import
this, never `portal.views` (an import-linter contract)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from portal import security
from portal.invitations import client_visible_modules
from practice.access import Capability, declares, holds
from practice.measurement.services import client_timezone
from tenants.audit.services import RequestMeta, audit_record
from tenants.features import MODULE_KEYS
from tenants.requests import SignedInRequest


def client_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in clients only. Anyone else signed in gets 404: staff have no portal, and the
    portal's pages do not announce themselves to them."""

    @wraps(view)
    @login_required
    def wrapper(request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not holds(request.user, Capability.OWN_RECORD):
            raise Http404
        if not security.consent_is_current(request):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('portal:consent')}?{query}")
        if not module_is_visible(request):
            raise Http404
        return view(request, *args, **kwargs)

    return declares(Capability.OWN_RECORD)(wrapper)


def client_has_module(request: SignedInRequest, key: str) -> bool:
    """The practice has the module on and staff chose it for this client: what a page should
    offer them."""
    if not request.tenant.has_module(key):
        return False
    if security.SESSION_MODULES not in request.session:
        request.session[security.SESSION_MODULES] = client_visible_modules(request.user)
    visible = request.session[security.SESSION_MODULES]
    return visible is None or key in visible


def module_is_visible(request: SignedInRequest) -> bool:
    """A module page the practice has on may still be one staff did not choose for this
    client: that page is as missing to them as a page that does not exist."""
    match = getattr(request, "resolver_match", None)
    keys = [name for name in (match.namespaces if match else []) if name in MODULE_KEYS]
    if not keys:
        return True
    if security.SESSION_MODULES not in request.session:
        request.session[security.SESSION_MODULES] = client_visible_modules(request.user)
    visible = request.session[security.SESSION_MODULES]
    return visible is None or all(key in visible for key in keys)


def audit_read(request: HttpRequest, action: str, *, object_type: str = "client",
               object_id: int | None = None) -> None:
    """A read of the client's own data. Never any value in the detail: ids only."""
    audit_record(action=action, actor=request.user, object_type=object_type,
                 object_id=object_id if object_id is not None else request.user.pk,
                 meta=RequestMeta.from_request(request))


def client_zone(request: SignedInRequest) -> ZoneInfo:
    """The client's timezone, read once per request."""
    zone = getattr(request, "_portal_client_zone", None)
    if zone is None:
        try:
            zone = ZoneInfo(client_timezone(request.user))
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        request._portal_client_zone = zone  # type: ignore[attr-defined]  # a per-request cache
    return zone


def render_local(request: SignedInRequest, template: str, context: dict[str, Any],
                 *, status: int = 200, zone: ZoneInfo | None = None) -> HttpResponse:
    """Render with dates and times in the client's own timezone."""
    with timezone.override(zone or client_zone(request)):
        return render(request, template, context, status=status)


def number(value: Decimal | float | int | None) -> str:
    """A score as people write it: 11, not 11.00; 10.5 when prorated."""
    if value is None:
        return ""
    rounded = round(Decimal(str(value)), 1)
    return str(int(rounded)) if rounded == rounded.to_integral_value() else str(rounded)
