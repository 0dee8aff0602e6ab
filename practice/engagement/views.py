"""Staff pages of the alert engine: the owner's rule settings, and journaling assigned to a
client (from the client's journal page)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from practice.engagement import rules, services
from practice.engagement.forms import JournalingForm, RuleSettingsForm
from practice.measurement.views_clinic.common import back, clinical_required
from practice.views import owner_required
from tenants.accounts.models import User
from tenants.requests import SignedInRequest


@require_http_methods(["GET", "POST"])
@owner_required
def rule_settings(request: SignedInRequest) -> HttpResponse:
    states = rules.rule_states()
    form = RuleSettingsForm(request.POST or None, states=states)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.rule_settings_update(changes=form.changes(), actor=request.actor)
            except services.EngagementError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Alert rules saved. They apply from the next check, "
                                          "within the hour.")
                return HttpResponseRedirect(reverse("engagement:rules"))
    immediate = [state for state in states.values() if state.rule.is_immediate]
    return render(request, "engagement/rules.html",
                  {"form": form, "immediate": immediate},
                  status=400 if request.method == "POST" else 200)


@require_POST
@clinical_required
def journaling(request: SignedInRequest, client_id: int) -> HttpResponse:
    form = JournalingForm(request.POST)
    default = reverse("care:journal:client", args=[client_id])
    if not form.is_valid():
        messages.error(request, "Choose to assign journaling or to stop it.")
        return back(request, default)
    try:
        if form.cleaned_data["action"] == "assign":
            services.journaling_assign(client_id=client_id, actor=request.actor)
            messages.success(request, "Journaling assigned. You will hear if no entry comes "
                                      "for a while.")
        else:
            services.journaling_end(client_id=client_id, actor=request.actor)
            messages.success(request, "Journaling is no longer assigned.")
    except User.DoesNotExist:
        raise Http404 from None
    return back(request, default)
