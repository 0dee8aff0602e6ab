"""The installable portal: the service worker, the page it shows with no network, and how to
install the practice's app on a phone.

The service worker is served from /portal/sw.js by this view (per practice host, so it names that
practice's icon and pages) with `Service-Worker-Allowed: /`: registered with scope "/", it also
answers the app's start URL ("/") and sees the sign-out post. It keeps the app shell (styles,
script, icon, the offline page) always; the safety plan and crisis help only when the client
opts in on that device (a cache named `SAVED_CACHE`, made and deleted by pwa.js on the safety
plan page). Signing out deletes every cache: the worker on seeing the sign-out post, and the
browser itself on the sign-out answer's `Clear-Site-Data` header."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.http import require_safe

from portal.pwa import saved_paths, service_worker_config
from practice.access import Capability, declares
from tenants.requests import PracticeRequest


@declares(Capability.PUBLIC)
@require_safe
def service_worker(request: PracticeRequest) -> HttpResponse:
    body = render_to_string("portal/pwa/sw.js", {
        "config": json.dumps(service_worker_config(request), sort_keys=True)})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Always asked afresh, so a deploy reaches every installed app at its next visit.
    response["Cache-Control"] = "no-cache"
    return response


@declares(Capability.PUBLIC)
@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    """What the app shows with no network. Kept by the worker without cookies, so it holds
    nothing about anyone: crisis numbers, and links to the pages saved on the device. Without
    cookies the page cannot know the client's language, so the worker asks for it by name
    (`?lang=`, from the signed-in client's choice when the worker was served)."""
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        response = render(request, "portal/pwa/offline.html", {"saved": saved_paths()})
    response["Cache-Control"] = "no-cache"
    response["Content-Language"] = language
    return response


@declares(Capability.PUBLIC)
@require_safe
def install(request: HttpRequest) -> HttpResponse:
    """How to put the practice's app on a phone's home screen (iOS, Android, computers)."""
    return render(request, "portal/pwa/install.html")
