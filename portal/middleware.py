"""Session rules for every signed-in person: idle timeout and absolute lifetime; and, on practice
hosts, the second sign-in step (TOTP or a recovery code) and the owner's rule that staff must
have one."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from portal import security
from tenants.audit.services import RequestMeta, audit_record

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
        idle_limit = (settings.SESSION_IDLE_SECONDS_CLIENT if user.is_client
                      else settings.SESSION_IDLE_SECONDS_STAFF)
        reason = ("absolute" if now - login_at > settings.SESSION_ABSOLUTE_SECONDS
                  else "idle" if now - last_seen > idle_limit else "")
        if reason:
            if security.in_practice_schema() or user.is_operator:
                audit_record(action="auth.session_expired", actor=user, object_type="user",
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
