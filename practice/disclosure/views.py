"""The recipient's download page (`/shared/<token>/`, namespace "shared"): open to anyone with
the link (Capability.PUBLIC), it reveals nothing without the one-time code given separately.
Used, expired, locked, unknown or wrong: the same "not valid" page, no hint which. Code
attempts are rate limited per address and per link (django-ratelimit; buckets carry the
practice's schema); every visit and attempt is audited."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from practice.access import Capability, declares
from practice.disclosure import policies, services
from practice.disclosure.forms import CodeForm
from tenants.audit.services import RequestMeta
from tenants.db import connection


def _limited(request: HttpRequest, token: str) -> bool:
    schema = connection.schema_name
    link_key = hashlib.sha256(token.encode()).hexdigest()[:32]
    by_address = is_ratelimited(
        request, group="disclosure-code-ip", rate=policies.CODE_RATE, method="POST",
        key=lambda _group, req: f"{schema}:{req.META.get('REMOTE_ADDR', '')}", increment=True)
    by_link = is_ratelimited(
        request, group="disclosure-code-link", rate=policies.CODE_RATE, method="POST",
        key=lambda _group, _req: f"{schema}:{link_key}", increment=True)
    return bool(by_address or by_link) and getattr(settings, "RATELIMIT_ENABLE", True)


@declares(Capability.PUBLIC)
@never_cache
@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    now, meta = timezone.now(), RequestMeta.from_request(request)
    if request.method == "POST":
        if _limited(request, token):
            return render(request, "disclosure/recipient/download.html",
                          {"form": CodeForm(), "limited": True}, status=429)
        form = CodeForm(request.POST)
        code = form.data.get("code", "") if form.is_valid() else ""
        opened = services.link_open(token=token, code=code, now=now, meta=meta)
        if opened.ok:
            response = HttpResponse(opened.body, content_type=opened.content_type)
            response["Content-Disposition"] = f'attachment; filename="{opened.filename}"'
            response["Cache-Control"] = "no-store, private"
            response["X-Content-Type-Options"] = "nosniff"
            return response
        return render(request, "disclosure/recipient/download.html",
                      {"form": CodeForm(), "refused": True,
                       "usable": services.link_exists(token, now) is not None}, status=403)
    usable = services.link_view_record(token=token, now=now, meta=meta)
    return render(request, "disclosure/recipient/download.html",
                  {"form": CodeForm(), "usable": usable, "days": policies.LINK_LIFETIME.days},
                  status=200 if usable else 404)
