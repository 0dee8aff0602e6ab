"""Crisis help: the practice's crisis line, 988 (call or text) and 911, each one tap. Never
behind a module, never behind a sign-in: anyone on the practice's host can open it.

Beside it, for a signed-in client, "ask my clinician to contact me urgently": a confirmation
page, then one urgent alert for their clinicians. Its address is outside /portal/help/ on
purpose: that prefix stays open before the second sign-in step, and raising an alert must not."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.pages import audit_read, client_required, client_zone, render_local
from portal.services import urgent_contact_open, urgent_contact_request
from practice.access import Capability, declares
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


@declares(Capability.PUBLIC)  # the crisis options are for anyone, signed in or not
@require_safe
def crisis_help(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/help.html")


@require_http_methods(["GET", "POST"])
@client_required
def urgent_contact(request: SignedInRequest) -> HttpResponse:
    zone = client_zone(request)
    if request.method == "POST":
        outcome = urgent_contact_request(actor=request.actor)
        if outcome.created:
            messages.success(request, _("Sent. Your clinician has been asked to contact you "
                                        "urgently."))
        else:
            sent_at = outcome.alert.created_at.astimezone(zone)
            messages.info(request, _(
                "You already asked at %(time)s and that request is still waiting, so we did "
                "not send another. Your clinician will contact you as soon as they can.") % {
                "time": formats.time_format(sent_at, "TIME_FORMAT")})
        return HttpResponseRedirect(reverse("portal:urgent_contact"))
    audit_read(request, Action.PORTAL_URGENT_CONTACT_VIEWED)
    return render_local(request, "portal/urgent_contact.html",
                        {"waiting": urgent_contact_open(request.user)}, zone=zone)
