"""Web Push on the person's own devices: the device list, the browser subscribing and turning
itself off (JSON, from portal/static/portal/pwa.js), turning a listed device off, and "send me a
test notification". For everyone signed in on a practice host, clients and staff alike; each
person only ever sees and changes their own devices."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST, require_safe

from portal import security
from practice.access import Capability, declares
from practice.notifications import push_services
from practice.notifications.models import PushSubscription
from practice.notifications.push_selectors import push_panel_context
from tenants.requests import SignedInRequest

MAX_BODY_BYTES = 4096


def practice_person_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in on this practice's host; a client has accepted the consent now in force."""

    @wraps(view)
    @login_required
    def wrapper(request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not security.in_practice_schema():
            raise Http404
        if request.user.is_client and not security.consent_is_current(request):
            if request.method != "GET":
                raise Http404
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('portal:consent')}?{query}")
        return view(request, *args, **kwargs)

    return declares(Capability.OWN_ACCOUNT)(wrapper)


def _back(request: HttpRequest) -> str:
    candidate = request.POST.get("next", "")
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse("notifications:push_devices")


def _json_body(request: HttpRequest) -> Any:
    if len(request.body) > MAX_BODY_BYTES:
        return None
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None


@require_safe
@practice_person_required
def push_devices(request: SignedInRequest) -> HttpResponse:
    template = ("notifications/push_devices_client.html" if request.user.is_client
                else "notifications/push_devices_staff.html")
    return render(request, template, push_panel_context(request.user))


@require_POST
@practice_person_required
def push_subscribe(request: SignedInRequest) -> HttpResponse:
    """The page's script posts `PushSubscription.toJSON()`; answers 201 with the device."""
    try:
        subscription = push_services.browser_subscription_parse(_json_body(request))
        row = push_services.push_subscription_save(
            subscription=subscription, actor=request.actor,
            user_agent=request.headers.get("User-Agent", ""))
    except push_services.PushSubscriptionRefused as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    return JsonResponse({"id": row.pk, "device_label": row.device_label}, status=201)


@require_POST
@practice_person_required
def push_unsubscribe(request: SignedInRequest) -> HttpResponse:
    """A listed device (form: `subscription` id) or this browser (JSON: its `endpoint`)."""
    is_json = request.content_type == "application/json"
    if is_json:
        data = _json_body(request)
        endpoint = data.get("endpoint") if isinstance(data, dict) else None
        target: dict[str, Any] = {"endpoint": endpoint if isinstance(endpoint, str) else ""}
    else:
        raw = request.POST.get("subscription", "")
        if not raw.isdigit():
            raise Http404
        target = {"subscription_id": int(raw)}
    try:
        push_services.push_subscription_delete(actor=request.actor,
                                               **target)
    except PushSubscription.DoesNotExist:
        raise Http404 from None
    if is_json:
        return HttpResponse(status=204)
    messages.success(request, _("Notifications are off for that device."))
    return HttpResponseRedirect(_back(request))


_TEST_MESSAGES = {
    push_services.PushTest.QUEUED: (
        messages.SUCCESS, gettext_noop("A test notification is on its way to your devices.")),
    push_services.PushTest.ALREADY_QUEUED: (
        messages.INFO,
        gettext_noop("A test notification is already on its way. Try again in a minute.")),
    push_services.PushTest.NO_DEVICE: (
        messages.WARNING, gettext_noop("Turn on notifications on this device first.")),
    push_services.PushTest.TURNED_OFF: (
        messages.WARNING,
        gettext_noop("Push notifications are turned off in your notification settings.")),
}


@require_POST
@practice_person_required
def push_test(request: SignedInRequest) -> HttpResponse:
    outcome = push_services.push_test_request(actor=request.actor)
    level, text = _TEST_MESSAGES[outcome]
    messages.add_message(request, level, _(text))
    return HttpResponseRedirect(_back(request))
