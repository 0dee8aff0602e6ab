"""Two-step sign-in for the platform's own people (the control plane host). Billing staff must use
it (billing/views.py sends them here until they have); it is the same mechanism as a practice's
people (django-otp TOTP with recovery codes, portal/security.py), with its devices in the public
schema."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import security
from portal.account_forms import CodeForm
from tenants.accounts.models import PLATFORM_ROLES
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInRequest

ISSUER = "Tandem platform"


def _next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse("billing_staff:list")


def _platform_user(request: SignedInRequest) -> None:
    if request.user.role not in PLATFORM_ROLES or not request.user.is_active:
        raise Http404


@require_http_methods(["GET", "POST"])
@login_required
def mfa_setup(request: SignedInRequest) -> HttpResponse:
    """Scan, confirm with a code, keep the recovery codes."""
    _platform_user(request)
    user = request.user
    if security.mfa_is_on(user):
        if not user.is_verified():
            return HttpResponseRedirect(f"{reverse('platform_mfa_verify')}?next={_next(request)}")
        return HttpResponseRedirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = security.mfa_enable(user=user, token=form.cleaned_data["code"].replace(" ", ""),
                                    meta=RequestMeta.from_request(request))
        if codes is not None:
            otp_login(request, TOTPDevice.objects.get(user=user, confirmed=True))
            request.session[security.SESSION_MFA_PENDING] = False
            return render(request, "platform/mfa_codes.html",
                          {"codes": codes, "next": _next(request)})
        form.add_error("code", "That code did not work. Check the time on your phone and try "
                               "the newest code.")
    device = security.totp_pending_device(user)
    return render(request, "platform/mfa_setup.html", {
        "form": form, "next": _next(request),
        "qr_svg": security.totp_qr_svg(device, issuer=ISSUER),
        "secret": security.totp_secret_text(device),
    }, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@login_required
def mfa_verify(request: SignedInRequest) -> HttpResponse:
    """After the password: a code from the authenticator app, or one recovery code."""
    _platform_user(request)
    if request.user.is_verified():
        return HttpResponseRedirect(_next(request))
    if not security.mfa_is_on(request.user):
        return HttpResponseRedirect(f"{reverse('platform_mfa')}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        meta = RequestMeta.from_request(request)
        device = match_token(request.user, form.cleaned_data["code"].strip().replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            request.session[security.SESSION_MFA_PENDING] = False
            method = "recovery_code" if isinstance(device, StaticDevice) else "totp"
            audit_record(action="auth.mfa_verified", actor=request.user, object_type="user",
                         object_id=request.user.pk, meta=meta, detail={"method": method})
            return HttpResponseRedirect(_next(request))
        audit_record(action="auth.mfa_failed", actor=request.user, object_type="user",
                     object_id=request.user.pk, meta=meta)
        form.add_error("code", "That code did not work. Try the newest code, or a recovery code.")
    return render(request, "platform/mfa_verify.html", {"form": form, "next": _next(request)},
                  status=400 if request.method == "POST" else 200)
