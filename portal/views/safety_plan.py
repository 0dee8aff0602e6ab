"""The client's safety plan (Stanley-Brown), one tap from every portal page, every phone number
tap-to-call. The page lives at a stable address (/portal/safety-plan/) and carries no per-request
token of its own (the form for adding to it is on its own page), so a service worker can keep a
copy for use with no network."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from portal.pages import audit_read, client_required, render_local
from practice.care import selectors, services
from practice.care.forms import SafetyAddForm
from practice.care.wording import contacts
from practice.models import SafetyPlan
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


@require_safe
@client_required
def plan(request: SignedInRequest) -> HttpResponse:
    safety_plan = selectors.active_safety_plan(request.user)
    audit_read(request, Action.PORTAL_SAFETY_PLAN_VIEWED)
    response = render_local(request, "portal/care/safety_plan.html", {
        "plan": safety_plan,
        "help_contacts": contacts(safety_plan.help_contacts) if safety_plan else [],
        "professionals": contacts(safety_plan.professionals) if safety_plan else []})
    # Private to this person's device; a service worker may keep it for offline use.
    response["Cache-Control"] = "private, no-cache"
    return response


@require_http_methods(["GET", "POST"])
@client_required
def add(request: SignedInRequest) -> HttpResponse:
    if selectors.active_safety_plan(request.user) is None:
        raise Http404
    form = SafetyAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.safety_plan_client_add(
                    section=form.cleaned_data["section"], text=form.cleaned_data["text"],
                    actor=request.actor)
            except SafetyPlan.DoesNotExist:
                raise Http404 from None
            except services.CareError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Added to your safety plan."))
                return HttpResponseRedirect(reverse("portal:safety_plan:plan"))
        status = 400
    return render_local(request, "portal/care/safety_plan_add.html", {"form": form},
                        status=status)
