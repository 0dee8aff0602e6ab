"""Signing in and out and resetting a password, on the control plane and on every practice host.

Each event is audited in the schema of the host it happened on. Lockout after repeated failures
is django-axes'; password-reset requests are rate limited by django-ratelimit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as django_auth
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from branding.selectors import branding_for
from controlplane.emails import branding_email_context, sender_for
from practice.forms import SignInForm
from tenants.accounts.models import User, email_normalise
from tenants.audit.services import RequestMeta, audit_record

HANDOFF_SALT = "tandem.login-handoff"
CLEAR_SITE_DATA = '"cache", "storage"'


def _site_name(request: HttpRequest) -> str:
    tenant = getattr(request, "tenant", None)
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

    def form_valid(self, form: SignInForm) -> HttpResponse:
        response = super().form_valid(form)
        _audit(self.request, "auth.signed_in", form.get_user())
        return response

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        email = email_normalise(form.data.get("username") or "")
        known = User.objects.with_email(email).first() if email else None
        _audit(self.request, "auth.sign_in_failed", None,
               **({"user_id": str(known.pk)} if known else {}))
        return super().form_invalid(form)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        _audit(request, "auth.signed_out", request.user)
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
        tenant = getattr(self.request, "tenant", None)
        branding = branding_for(tenant) if getattr(tenant, "pk", None) else None
        self.from_email = sender_for(branding.sender_name if branding else "Tandem")
        self.extra_email_context = {"site_name": _site_name(self.request),
                                    **branding_email_context(branding)}
        email = email_normalise(form.cleaned_data["email"])
        _audit(self.request, "auth.password_reset_requested",
               User.objects.with_email(email).filter(is_active=True).first())
        return super().form_valid(form)


class PasswordResetDoneView(django_auth.PasswordResetDoneView):
    template_name = "auth/password_reset_done.html"


class PasswordResetConfirmView(django_auth.PasswordResetConfirmView):
    template_name = "auth/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        _audit(self.request, "auth.password_reset_completed", form.user)
        return response


class PasswordResetCompleteView(django_auth.PasswordResetCompleteView):
    template_name = "auth/password_reset_complete.html"


# The hand-off from the control plane's signup to the new practice's own host.

def handoff_token(*, schema_name: str, user_id: int, nonce: str) -> str:
    return signing.dumps({"s": schema_name, "u": user_id, "n": nonce}, salt=HANDOFF_SALT)


@method_decorator(csrf_exempt, name="dispatch")
class HandoffView(django_auth.LoginView):
    """Accepts a signed, single-use, short-lived token posted by the control plane."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            payload = signing.loads(
                request.POST.get("token", ""), salt=HANDOFF_SALT,
                max_age=settings.LOGIN_HANDOFF_MAX_AGE,
            )
        except signing.BadSignature:
            return HttpResponseBadRequest("This sign-in link has expired. Please sign in.")
        if payload.get("s") != connection.schema_name:
            return HttpResponseBadRequest("This sign-in link is not for this practice.")
        if not cache.add(f"handoff:{payload['n']}", 1, timeout=settings.LOGIN_HANDOFF_MAX_AGE * 2):
            return HttpResponseBadRequest("This sign-in link was already used. Please sign in.")
        user = User.objects.filter(pk=payload["u"], is_active=True).first()
        if user is None:
            return HttpResponseBadRequest("This sign-in link is not valid. Please sign in.")
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        _audit(request, "auth.signed_in", user, via="signup")
        return HttpResponseRedirect(reverse("home"))
