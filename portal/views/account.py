"""The account side of signing in: the client's settings, the second step (TOTP or a recovery
code) for anyone in the practice, turning it on and off, signing out everywhere, and the owner's
rule that all staff use a second step."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from branding.selectors import branding_for
from controlplane.auth_views import CLEAR_SITE_DATA
from portal import security
from portal.account_forms import ClientSettingsForm, CodeForm, StaffMfaRuleForm
from portal.models import ClientAccess, default_notifications
from portal.pages import client_required, client_zone
from portal.services import ClientSettings, client_settings_update
from practice.access import Capability, declares, requires
from practice.measurement.services import client_timezone
from practice.notifications.push_selectors import push_panel_context
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInRequest


def _practice_only(request: HttpRequest) -> None:
    """These pages exist on practice hosts only."""
    if not security.in_practice_schema():
        raise Http404


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return ""


# --- settings --------------------------------------------------------------------------------

def _settings_initial(request: SignedInRequest) -> dict[str, Any]:
    user = request.user
    access = ClientAccess.objects.filter(user=user).first()
    notifications = access.notifications if access else default_notifications()
    initial: dict[str, Any] = {
        "full_name": user.full_name,
        "preferred_name": access.preferred_name if access else "",
        "pronouns": access.pronouns if access else "",
        "timezone": client_timezone(user),
        "language": access.language if access else "en",
    }
    for channel, kinds in notifications.items():
        for kind, is_on in kinds.items():
            initial[f"notify_{channel}_{kind}"] = is_on
    return initial


@client_required
def settings_page(request: SignedInRequest) -> HttpResponse:
    form = ClientSettingsForm(request.POST or None, initial=_settings_initial(request))
    saved = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client_settings_update(
            client=request.user, meta=RequestMeta.from_request(request),
            values=ClientSettings(
                full_name=data["full_name"], preferred_name=data["preferred_name"],
                pronouns=data["pronouns"], timezone=data["timezone"],
                language=data["language"], notifications=form.notifications()))
        # The next page is in the language just chosen.
        request.session[security.SESSION_LANGUAGE] = data["language"]
        return HttpResponseRedirect(reverse("portal:settings") + "?saved=1")
    saved = request.GET.get("saved") == "1"
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/settings.html", {
        "form": form, "saved": saved, "mfa_is_on": security.mfa_is_on(request.user),
        "zone": client_zone(request).key, **push_panel_context(request.user)}, status=status)


# --- the second step -------------------------------------------------------------------------

@declares(Capability.OWN_ACCOUNT)
@login_required
def verify(request: SignedInRequest) -> HttpResponse:
    """After the password: a code from the authenticator app, or one recovery code."""
    _practice_only(request)
    next_url = _safe_next(request)
    if request.user.is_verified():
        return HttpResponseRedirect(next_url or reverse("home"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip().replace(" ", "")
        device = match_token(request.user, code)
        meta = RequestMeta.from_request(request)
        if device is not None:
            otp_login(request, device)
            request.session[security.SESSION_MFA_PENDING] = False
            method = "recovery_code" if isinstance(device, StaticDevice) else "totp"
            audit_record(action=Action.AUTH_MFA_VERIFIED, actor=request.user, object_type="user",
                         object_id=request.user.pk, meta=meta, detail={"method": method})
            return HttpResponseRedirect(next_url or reverse("home"))
        audit_record(action=Action.AUTH_MFA_FAILED, actor=request.user, object_type="user",
                     object_id=request.user.pk, meta=meta)
        form.add_error("code", _("That code did not work. Try the newest code, or a recovery "
                                 "code."))
    return render(request, "portal/account/verify.html", {"form": form, "next": next_url},
                  status=400 if request.method == "POST" else 200)


@declares(Capability.OWN_ACCOUNT)
@login_required
def mfa(request: SignedInRequest) -> HttpResponse:
    """Turn the second step on (scan, confirm with a code, keep the recovery codes) or off."""
    _practice_only(request)
    user = request.user
    meta = RequestMeta.from_request(request)
    is_on = security.mfa_is_on(user)
    if is_on and not user.is_verified():
        # Enrolled in another session: this one proves it first.
        return HttpResponseRedirect(f"{reverse('portal:account_verify')}?next={request.path}")
    form = CodeForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "is_on": is_on,
                               "required": user.is_practice_staff
                               and security.staff_mfa_required(request)}
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip().replace(" ", "")
        if is_on:
            if match_token(user, code) is None:
                form.add_error("code", _("That code did not work."))
            elif context["required"]:
                form.add_error(None, _("Your practice requires a second step for staff."))
            else:
                security.mfa_disable(user=user, meta=meta)
                return HttpResponseRedirect(reverse("portal:account_mfa"))
        else:
            codes = security.mfa_enable(user=user, token=code, meta=meta)
            if codes is None:
                form.add_error("code", _("That code did not work. Check the time on your "
                                         "phone and try the newest code."))
            else:
                device = TOTPDevice.objects.get(user=user, confirmed=True)
                otp_login(request, device)
                request.session[security.SESSION_MFA_PENDING] = False
                return render(request, "portal/account/recovery_codes.html", {"codes": codes})
    if not is_on:
        device = security.totp_pending_device(user)
        issuer = branding_for(request.tenant).display_name
        context.update(qr_svg=security.totp_qr_svg(device, issuer=issuer),
                       secret=security.totp_secret_text(device))
    return render(request, "portal/account/mfa.html", context,
                  status=400 if request.method == "POST" else 200)


@declares(Capability.OWN_ACCOUNT)
@require_POST
@login_required
def sign_out_everywhere(request: SignedInRequest) -> HttpResponse:
    _practice_only(request)
    security.sessions_end_everywhere(user=request.user, meta=RequestMeta.from_request(request))
    logout(request)
    response = HttpResponseRedirect(reverse("login") + "?signed_out=everywhere")
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


# --- the owner's rule ------------------------------------------------------------------------

@requires(Capability.MANAGE_PRACTICE)
def staff_mfa_rule(request: SignedInRequest) -> HttpResponse:
    _practice_only(request)
    form = StaffMfaRuleForm(request.POST or None,
                            initial={"require_staff_mfa": security.staff_mfa_required()})
    if request.method == "POST" and form.is_valid():
        security.practice_security_update(
            require_staff_mfa=form.cleaned_data["require_staff_mfa"], actor=request.actor)
        return HttpResponseRedirect(reverse("portal:account_staff_mfa") + "?saved=1")
    return render(request, "portal/account/staff_mfa.html",
                  {"form": form, "saved": request.GET.get("saved") == "1"})
