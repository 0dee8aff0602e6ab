"""What every portal page shares: clients only, reads audited, times in the client's zone."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from practice.measurement.services import client_timezone
from tenants.audit.services import RequestMeta, audit_record


def client_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in clients only. Anyone else signed in gets 404: staff have no portal, and the
    portal's pages do not announce themselves to them."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_client:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def audit_read(request: HttpRequest, action: str, *, object_type: str = "client",
               object_id: int | None = None) -> None:
    """A read of the client's own data. Never any value in the detail: ids only."""
    audit_record(action=action, actor=request.user, object_type=object_type,
                 object_id=object_id if object_id is not None else request.user.pk,
                 meta=RequestMeta.from_request(request))


def client_zone(request: HttpRequest) -> ZoneInfo:
    try:
        return ZoneInfo(client_timezone(request.user))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def render_local(request: HttpRequest, template: str, context: dict[str, Any],
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
