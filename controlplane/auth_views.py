"""Signing in and out and resetting a password, on the control plane and on every practice host.

Each event is audited in the schema of the host it happened on. Lockout after repeated failures
is django-axes'; password-reset requests are rate limited by django-ratelimit.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as django_auth
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from branding.selectors import branding_for
from config.emails import branding_email_context, sender_for
from practice.forms import SignInForm
from tenants.accounts.models import User, email_normalise
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.db import connection
from tenants.models import Practice
from tenants.selectors import practice_url

HANDOFF_SALT = "tandem.login-handoff"
CLEAR_SITE_DATA = '"cache", "storage"'


def _site_name(request: HttpRequest) -> str:
    tenant: Any = getattr(request, "tenant", None)
    return branding_for(tenant).display_name if getattr(tenant, "pk", None) else "Tandem"


def _audit(request: HttpRequest, action: str, user: User | None, **detail: str) -> None:
    audit_record(
        action=action, actor=user, object_type="user" if user else "",
        object_id=user.pk if user else "", meta=RequestMeta.from_request(request),
        detail=detail or None,
    )


class SignInView(django_auth.LoginView):
    form_class = SignInForm
    template_name = "auth/sign_in.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # LoginView sets `site_name` to the host name; the page shows the practice's name.
        context["site_name"] = _site_name(self.request)
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        _audit(self.request, Action.AUTH_SIGNED_IN, form.get_user())
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        email = email_normalise(form.data.get("username") or "")
        known = User.objects.with_email(email).first() if email else None
        _audit(self.request, Action.AUTH_SIGN_IN_FAILED, None,
               **({"user_id": str(known.pk)} if known else {}))
        return super().form_invalid(form)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        _audit(request, Action.AUTH_SIGNED_OUT, request.user)
    auth.logout(request)
    response = HttpResponseRedirect(reverse("login"))
    # The browser forgets what this site kept on the device: the service worker's caches (a
    # safety plan kept for offline use), its registration and the HTTP cache.
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
               ) -> HttpResponse:
    """Shown by django-axes once too many sign-ins have failed."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "auth/locked_out.html", {"minutes": minutes}, status=429)


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None
                     ) -> str | None:
    """django-axes' key for a sign-in attempt: the email in lower case, so that `Owner@...` and
    `owner@...` count against one account."""
    source = credentials if credentials else getattr(request, "data", request.POST)
    value = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return email_normalise(value) if isinstance(value, str) and value else None


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "auth/rate_limited.html", status=429)


class PasswordResetRequestView(django_auth.PasswordResetView):
    template_name = "auth/password_reset.html"
    email_template_name = "auth/email/password_reset.txt"
    html_email_template_name = "auth/email/password_reset.html"
    subject_template_name = "auth/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = email_normalise(request.POST.get("email") or "")
        limited = is_ratelimited(
            request, group="password-reset", key="ip", rate=settings.PASSWORD_RESET_RATE,
            method="POST", increment=True,
        ) | is_ratelimited(
            request, group="password-reset-email", key=lambda _g, _r: email or "-",
            rate=settings.PASSWORD_RESET_RATE, method="POST", increment=True,
        )
        if limited:
            return rate_limited(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        tenant: Any = getattr(self.request, "tenant", None)
        branding = branding_for(tenant) if getattr(tenant, "pk", None) else None
        self.from_email = sender_for(branding.sender_name if branding else "Tandem")
        self.extra_email_context = {"site_name": _site_name(self.request),
                                    **branding_email_context(branding)}
        email = email_normalise(form.cleaned_data["email"])
        _audit(self.request, Action.AUTH_PASSWORD_RESET_REQUESTED,
               User.objects.with_email(email).filter(is_active=True).first())
        return super().form_valid(form)


class PasswordResetDoneView(django_auth.PasswordResetDoneView):
    template_name = "auth/password_reset_done.html"


class PasswordResetConfirmView(django_auth.PasswordResetConfirmView):
    template_name = "auth/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _audit(self.request, Action.AUTH_PASSWORD_RESET_COMPLETED, form.user)
        return response


class PasswordResetCompleteView(django_auth.PasswordResetCompleteView):
    template_name = "auth/password_reset_complete.html"


# The hand-off from the control plane's signup (and from a subdomain rename) to the practice's
# own host. Sessions are host-only, so the page that made the practice posts a signed token to the
# new host, which signs the owner in there.

def handoff_token(*, schema_name: str, user_id: int, nonce: str) -> str:
    return signing.dumps({"s": schema_name, "u": user_id, "n": nonce}, salt=HANDOFF_SALT)


def handoff_page(request: HttpRequest, *, practice: Practice, user: User) -> HttpResponse:
    """The page that carries `user` over to `practice`'s host: a form posting a fresh token,
    submitted by static/controlplane/handoff.js (a button when scripts do not run)."""
    token = handoff_token(schema_name=practice.schema_name, user_id=user.pk,
                          nonce=secrets.token_urlsafe(16))
    response = render(request, "platform/handoff.html", {
        "practice": practice, "token": token,
        "action": practice_url(practice.subdomain, "/auth/handoff/"),
    })
    # The platform's pages say `Referrer-Policy: same-origin`, under which a browser sends
    # `Origin: null` on a cross-origin POST. This page (no secret in its URL) lets the browser
    # name its origin, which the hand-off checks.
    response["Referrer-Policy"] = "origin"
    # The token stays out of every cache (a shared computer's back button included).
    add_never_cache_headers(response)
    return response


def _is_platform_origin(origin: str) -> bool:
    """Whether `origin` is a page of this platform: the control plane or a practice host, on the
    platform's scheme and port. `null` (an opaque origin, or a page that hides its origin) is
    not."""
    try:
        parsed = urlsplit(origin)
        port = str(parsed.port) if parsed.port else ""
    except ValueError:  # a port that is not a number
        return False
    host = (parsed.hostname or "").lower()
    domain = settings.PLATFORM_DOMAIN.lower()
    return (
        parsed.scheme == settings.PLATFORM_SCHEME
        and port == (settings.PLATFORM_PORT or "")
        and (host == domain or host.endswith(f".{domain}"))
        and not parsed.path and not parsed.query
    )


def _handoff_refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "auth/handoff_refused.html", {"message": message}, status=400)


# Exempt from Django's CSRF check, and only this view: the browser arrives from another host,
# so it has no CSRF cookie here yet, and it cannot have one. The token is the proof instead: it
# is signed with SECRET_KEY (unforgeable), bound to this practice's schema (refused on any other
# host), valid for LOGIN_HANDOFF_MAX_AGE seconds and used at most once (its nonce is claimed in
# the cache before anyone is signed in). What the CSRF check would add, that the post comes from
# our own pages, is checked on the Origin header: a page elsewhere posting a token of its own
# (login CSRF, into a practice the attacker made) is refused. auth.login() rotates the session
# key, so a session planted on this host before the hand-off is not the one signed in.
@csrf_exempt
@require_POST
@never_cache
@sensitive_post_parameters("token")
def handoff(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin")
    if origin is not None and not _is_platform_origin(origin):
        return _handoff_refused(request, "This sign-in link did not come from us.")
    try:
        payload = signing.loads(
            request.POST.get("token", ""), salt=HANDOFF_SALT,
            max_age=settings.LOGIN_HANDOFF_MAX_AGE,
        )
    except signing.SignatureExpired:
        return _handoff_refused(request, "This sign-in link has expired.")
    except signing.BadSignature:
        return _handoff_refused(request, "This sign-in link is not valid.")
    if payload.get("s") != connection.schema_name:
        return _handoff_refused(request, "This sign-in link is not for this practice.")
    nonce_key = f"handoff:{connection.schema_name}:{payload['n']}"
    if not cache.add(nonce_key, 1, timeout=settings.LOGIN_HANDOFF_MAX_AGE * 2):
        return _handoff_refused(request, "This sign-in link was already used.")
    user = User.objects.filter(pk=payload["u"], is_active=True).first()
    if user is None:
        return _handoff_refused(request, "This sign-in link is not valid.")
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    _audit(request, Action.AUTH_SIGNED_IN, user, via="signup")
    return HttpResponseRedirect(reverse("home"))
