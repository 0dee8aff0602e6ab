"""The client's goals: what they are working on with their clinician, the milestones, and a
progress history they add to (an entry is never overwritten)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from portal.pages import audit_read, client_required, render_local
from practice.care import selectors, services
from practice.care.forms import ProgressForm
from practice.care.models import Goal
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


@require_safe
@client_required
def goal_list(request: SignedInRequest) -> HttpResponse:
    audit_read(request, Action.PORTAL_GOALS_VIEWED)
    return render_local(request, "portal/care/goals.html", {
        "goals": selectors.goals_for_client(request.user), "form": ProgressForm()})


@require_POST
@client_required
def goal_progress(request: SignedInRequest, goal_id: int) -> HttpResponse:
    form = ProgressForm(request.POST)
    if not form.is_valid():
        if not Goal.objects.filter(pk=goal_id, client=request.user).exists():
            raise Http404
        messages.error(request, _("Write a note or give a number."))
        return HttpResponseRedirect(reverse("portal:goals:list"))
    try:
        services.goal_progress_record(goal_id=goal_id, value=form.cleaned_data["value"],
                                      note=form.cleaned_data["note"], actor=request.actor)
    except Goal.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Progress saved. Well done for keeping track."))
    return HttpResponseRedirect(reverse("portal:goals:list") + f"#goal-{goal_id}")
