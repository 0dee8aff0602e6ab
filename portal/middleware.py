"""Session rules for every signed-in person: idle timeout and absolute lifetime; and, on practice
hosts, the second sign-in step (TOTP or a recovery code) and the owner's rule that staff must
have one; the consent a client must have accepted before any portal page or API answer; and the
language a client chose."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import translation

from portal import security
from portal.security import consent_is_current
from portal.selectors import client_language
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInRequest

# A session's last-seen time is written at most this often, so ordinary pages cost no write.
LAST_SEEN_RESOLUTION = 60


def _sign_in_redirect(request: HttpRequest) -> HttpResponse:
    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
    return HttpResponseRedirect(reverse("login") + (f"?{query}" if query else ""))


class SessionLifetimeMiddleware:
    """Ends a session idle for too long (30 minutes for clients by default) or older than the
    absolute lifetime (12 hours), whatever it has been doing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        session = request.session
        now = int(time.time())
        login_at = session.get(security.SESSION_LOGIN_AT)
        last_seen = session.get(security.SESSION_LAST_SEEN)
        if login_at is None or last_seen is None:
            # A session from before these rules: its clock starts now.
            session[security.SESSION_LOGIN_AT] = login_at = now
            session[security.SESSION_LAST_SEEN] = last_seen = now
        idle_limit = (settings.SESSION_IDLE_SECONDS_CLIENT if user.is_client or user.is_proxy
                      else settings.SESSION_IDLE_SECONDS_STAFF)
        reason = ("absolute" if now - login_at > settings.SESSION_ABSOLUTE_SECONDS
                  else "idle" if now - last_seen > idle_limit else "")
        if reason:
            if security.in_practice_schema() or user.is_operator:
                audit_record(action=Action.AUTH_SESSION_EXPIRED, actor=user, object_type="user",
                             object_id=user.pk, meta=RequestMeta.from_request(request),
                             detail={"reason": reason})
            logout(request)
            return _sign_in_redirect(request)
        if now - last_seen >= LAST_SEEN_RESOLUTION:
            session[security.SESSION_LAST_SEEN] = now
        return self.get_response(request)


def _exempt(path: str, *prefixes: str) -> bool:
    return path.startswith(prefixes)


class SecondFactorMiddleware:
    """After the password, a person with an authenticator must give a code before anything
    else; with the owner's rule on, staff without one must set one up first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is None or not user.is_authenticated or not security.in_practice_schema()
                or user.is_verified()):
            return self.get_response(request)
        path = request.path
        always_open = (reverse("logout"), "/static/", "/portal/help/", "/manifest.webmanifest")
        verify = reverse("portal:account_verify")
        if request.session.get(security.SESSION_MFA_PENDING):
            if _exempt(path, verify, *always_open):
                return self.get_response(request)
            return HttpResponseRedirect(f"{verify}?{urlencode({'next': request.get_full_path()})}")
        if user.is_practice_staff and security.staff_mfa_required(request):
            setup = reverse("portal:account_mfa")
            if _exempt(path, setup, verify, *always_open):
                return self.get_response(request)
            return HttpResponseRedirect(setup)
        return self.get_response(request)


# Portal addresses a client reaches before accepting: the consent page itself, crisis help,
# the account's sign-in pages, an invitation link, and the installed app's service worker and
# its page for when there is no network.
CONSENT_FREE_PREFIXES = ("/portal/consent/", "/portal/help/", "/portal/account/",
                         "/portal/invitation/", "/portal/sw.js", "/portal/offline/",
                         "/portal/install/")
CONSENT_REQUIRED_CODE = "consent_required"


class ClientConsentMiddleware:
    """A client who has not accepted the current consent reaches no portal page (they are
    sent to read it) and no API answer (403), whatever view serves it: a page added later is
    covered without anyone remembering to."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is None or not user.is_authenticated or not user.is_client
                or not security.in_practice_schema()):
            return self.get_response(request)
        path = request.path_info
        gated_page = path.startswith("/portal/") and not path.startswith(CONSENT_FREE_PREFIXES)
        gated_api = path.startswith("/api/")
        # A signed-in client (checked above).
        if not (gated_page or gated_api) or consent_is_current(cast(SignedInRequest, request)):
            return self.get_response(request)
        if gated_api:
            return JsonResponse({"detail": "Accept the portal's consent first.",
                                 "code": CONSENT_REQUIRED_CODE}, status=403)
        next_url = request.get_full_path() if request.method == "GET" else reverse(
            "portal:dashboard")
        return HttpResponseRedirect(f"{reverse('portal:consent')}?{urlencode({'next': next_url})}")


class ClientLanguageMiddleware:
    """Portal pages in the language the client chose (kept in the session from sign-in, so a
    page costs no query for it). Staff pages are in English, whatever the browser asks for;
    people not signed in get the language their browser prefers (LocaleMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and security.in_practice_schema():
            if user.is_client:
                language = request.session.get(security.SESSION_LANGUAGE)
                if language is None:
                    language = client_language(user)
                    request.session[security.SESSION_LANGUAGE] = language
            else:
                language = settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
