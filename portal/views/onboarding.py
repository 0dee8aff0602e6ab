"""Joining the portal: the invitation link (password and consent) and, when the consent text
changes, reading and accepting it again."""

from __future__ import annotations

from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from portal import invitations, security
from portal.account_forms import AcceptClientInvitationForm, ConsentForm
from portal.consent import current_consent
from practice.access import Capability, declares, requires
from tenants.audit.services import RequestMeta
from tenants.requests import SignedInRequest

REFUSED_STATUS = {"unknown": 404, "used": 410, "revoked": 410, "expired": 410}


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "portal/invitation_refused.html", {"reason": reason},
                  status=REFUSED_STATUS[reason])


@declares(Capability.PUBLIC)
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitations.invitation_by_token(token)
    if invitation is None:
        return _refused(request, "unknown")
    if invitation.status != "open":
        return _refused(request, invitation.status)
    consent = current_consent()
    form = AcceptClientInvitationForm(request.POST or None,
                                      initial={"version": consent.version})
    if request.method == "POST" and form.is_valid():
        try:
            client = invitations.client_invitation_accept(
                token=token, password=form.cleaned_data["password1"],
                consent_version=form.cleaned_data["version"],
                meta=RequestMeta.from_request(request))
        except invitations.InvitationRefused as refused:
            return _refused(request, refused.reason)
        except ValidationError as error:
            form.add_error("password1", error)
        except invitations.InvitationError as error:
            form.add_error(None, str(error))
        else:
            # login() ends anyone else's session on this device first.
            login(request, client, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(reverse("portal:dashboard"))
    return render(request, "portal/invitation_accept.html",
                  {"form": form, "consent": consent, "invitation": invitation},
                  status=400 if request.method == "POST" else 200)


@requires(Capability.OWN_RECORD)
def consent(request: SignedInRequest) -> HttpResponse:
    """Read and accept the consent text now in force (asked again when it changes)."""
    current = current_consent()
    form = ConsentForm(request.POST or None, initial={"version": current.version})
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            invitations.consent_accept(user=request.user, version=form.cleaned_data["version"],
                                       meta=RequestMeta.from_request(request))
        except invitations.InvitationError as error:
            form.add_error(None, str(error))
        else:
            request.session[security.SESSION_CONSENT_VERSION] = current.version
            return HttpResponseRedirect(next_url or reverse("portal:dashboard"))
    return render(request, "portal/consent.html",
                  {"form": form, "consent": current, "next": next_url},
                  status=400 if request.method == "POST" else 200)
