"""Staff pages for care between sessions (`/care/`): a client's goals, homework, journal (shared
entries in full; of a private entry only its date), resource set and safety plan, the practice's
resource library and the caseload's homework completion.

Owner and clinicians only; anyone else signed in gets the not-found page, and a client out of
reach is as missing as one that does not exist. Every page showing a client's data leaves a read
event (ids only). Each module's pages sit under the module's namespace, so the module gate
answers 404 while the practice has it off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from practice.care import selectors, services
from practice.care.forms import (
    CONTACT_SECTIONS,
    GoalForm,
    GoalStatusForm,
    HomeworkForm,
    ProgressForm,
    ResourceForm,
    SafetyPlanForm,
    ShareForm,
    contact_formsets,
    lines,
)
from practice.care.models import Goal, Homework, Resource
from practice.care.wording import contacts
from practice.measurement.views_clinic.common import (
    client_or_404,
    client_zone,
    clinical_required,
    read_event,
)
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.requests import PracticeRequest, SignedInRequest

MODULE_PAGES = (("goals", "Goals", "care:goals:client"),
                ("homework", "Homework", "care:homework:client"),
                ("journal", "Journal", "care:journal:client"),
                ("resources", "Resources", "care:resources:client"),
                ("safety_plan", "Safety plan", "care:safety_plan:client"))


def _render(request: PracticeRequest, template: str, client: User | None,
            context: dict[str, Any], status: int = 200) -> HttpResponse:
    if client is not None:
        context["client"] = client
        context["care_links"] = [(label, reverse(name, args=[client.pk]))
                                 for key, label, name in MODULE_PAGES
                                 if request.tenant.has_module(key)]
    with timezone.override(client_zone(client) if client is not None else None):
        return render(request, template, context, status=status)



# --- goals -------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@clinical_required
def goals(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    form = GoalForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            services.goal_create(client_id=client.pk, title=data["title"],
                                 description=data["description"],
                                 target_value=data["target_value"],
                                 target_unit=data["target_unit"],
                                 milestones=lines(data["milestones"]), actor=request.actor)
            messages.success(request, "Goal added.")
            return HttpResponseRedirect(reverse("care:goals:client", args=[client.pk]))
        status = 400
    read_event(request, Action.CARE_GOALS_VIEWED, client)
    return _render(request, "practice/care/goals.html", client, {
        "goals": selectors.goals_for_client(client), "form": form,
        "progress_form": ProgressForm(), "statuses": Goal.Status.choices}, status)


def _staff_goal(request: SignedInRequest, goal_id: int) -> Goal:
    goal = Goal.objects.filter(pk=goal_id).only("id", "client_id").first()
    if goal is None:
        raise Http404
    client_or_404(request, goal.client_id)
    return goal


@require_POST
@clinical_required
def goal_progress(request: SignedInRequest, goal_id: int) -> HttpResponse:
    goal = _staff_goal(request, goal_id)
    form = ProgressForm(request.POST)
    if form.is_valid():
        services.goal_progress_record(goal_id=goal.pk, value=form.cleaned_data["value"],
                                      note=form.cleaned_data["note"], actor=request.actor)
        messages.success(request, "Progress noted.")
    else:
        messages.error(request, "Write a note or give a number.")
    return HttpResponseRedirect(reverse("care:goals:client", args=[goal.client_id]))


@require_POST
@clinical_required
def goal_status(request: SignedInRequest, goal_id: int) -> HttpResponse:
    goal = _staff_goal(request, goal_id)
    form = GoalStatusForm(request.POST)
    if form.is_valid():
        services.goal_set_status(goal_id=goal.pk, status=form.cleaned_data["status"],
                                 actor=request.actor)
        messages.success(request, "Goal updated.")
    return HttpResponseRedirect(reverse("care:goals:client", args=[goal.client_id]))


# --- homework ----------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@clinical_required
def homework(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    form = HomeworkForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            services.homework_assign(
                client_id=client.pk, instructions=data["instructions"], due_on=data["due_on"],
                repeats_weekly=data["repeats_weekly"],
                resource_id=data["resource"].pk if data["resource"] else None,
                actor=request.actor)
            messages.success(request, "Homework assigned.")
            return HttpResponseRedirect(reverse("care:homework:client", args=[client.pk]))
        status = 400
    read_event(request, Action.CARE_HOMEWORK_VIEWED, client)
    items = selectors.homework_for_client(client)
    today = selectors.client_today(client)
    done = {item.pk: len(item.completions.all()) for item in items}
    return _render(request, "practice/care/homework.html", client, {
        "items": items, "form": form,
        "rate": selectors.completion_rate(items, done, today)}, status)


@require_POST
@clinical_required
def homework_end(request: SignedInRequest, homework_id: int) -> HttpResponse:
    try:
        item = services.homework_end(homework_id=homework_id, actor=request.actor)
    except Homework.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Homework ended.")
    return HttpResponseRedirect(reverse("care:homework:client", args=[item.client_id]))


@clinical_required
def homework_caseload(request: SignedInRequest) -> HttpResponse:
    rows = selectors.homework_rates_for_caseload(request.user)
    audit_record(action=Action.CARE_HOMEWORK_CASELOAD_VIEWED, actor=request.user,
                 object_type="caseload", meta=request.actor.meta,
                 detail={"client_ids": [row.client.pk for row in rows]})
    return _render(request, "practice/care/homework_caseload.html", None, {"rows": rows})


# --- journal -----------------------------------------------------------------------------------

@clinical_required
def journal(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    read_event(request, Action.CARE_JOURNAL_VIEWED, client)
    return _render(request, "practice/care/journal.html", client,
                   {"entries": selectors.journal_for_staff(client)})


# --- resources ---------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@clinical_required
def library(request: SignedInRequest) -> HttpResponse:
    form = ResourceForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.resource_create(
                    data=services.ResourceInput(
                        kind=data["kind"], title=data["title"], description=data["description"],
                        url=data["url"], body=data["body"], file=data["file"]),
                    actor=request.actor)
            except services.CareError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Added to the library.")
                return HttpResponseRedirect(reverse("care:resources:library"))
        status = 400
    return _render(request, "practice/care/library.html", None,
                   {"resources": selectors.resource_library(), "form": form}, status)


@require_POST
@clinical_required
def resource_archive(request: SignedInRequest, resource_id: int) -> HttpResponse:
    try:
        services.resource_archive(resource_id=resource_id, actor=request.actor)
    except Resource.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Removed from the library.")
    return HttpResponseRedirect(reverse("care:resources:library"))


@clinical_required
def resource_file(request: SignedInRequest, resource_id: int) -> HttpResponseBase:
    resource = Resource.objects.filter(pk=resource_id, kind=Resource.Kind.FILE).first()
    if resource is None or not resource.file:
        raise Http404
    return FileResponse(resource.file.open("rb"), as_attachment=True,
                        filename=(resource.file.name or "").rsplit("/", 1)[-1])


@require_http_methods(["GET", "POST"])
@clinical_required
def client_resources(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    form = ShareForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.resource_share(client_id=client.pk,
                                    resource_id=form.cleaned_data["resource"].pk,
                                    actor=request.actor)
            messages.success(request, "Added to the client's resources.")
            return HttpResponseRedirect(reverse("care:resources:client", args=[client.pk]))
        status = 400
    read_event(request, Action.CARE_RESOURCES_VIEWED, client)
    shared = selectors.resources_for_client(client)
    shared_ids = {resource.pk for resource in shared}
    return _render(request, "practice/care/client_resources.html", client, {
        "shared": shared, "form": form,
        "available": [item for item in selectors.resource_library()
                      if item.pk not in shared_ids]}, status)


@require_POST
@clinical_required
def client_resource_remove(request: SignedInRequest, client_id: int,
                           resource_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    services.resource_unshare(client_id=client.pk, resource_id=resource_id,
                              actor=request.actor)
    messages.success(request, "Removed from the client's resources.")
    return HttpResponseRedirect(reverse("care:resources:client", args=[client.pk]))


# --- safety plan -------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@clinical_required
def safety_plan(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    plan = selectors.active_safety_plan(client)
    form = SafetyPlanForm(request.POST or None, initial=SafetyPlanForm.initial_from(plan))
    formsets = contact_formsets(request.POST or None, plan)
    status = 200
    if request.method == "POST":
        contacts_valid = all([formset.is_valid() for formset in formsets.values()])
        if form.is_valid() and not contacts_valid:
            form.add_error(None, "Check the contacts below: each needs a name and a phone "
                                 "number the client can tap to call.")
        if form.is_valid() and contacts_valid:
            try:
                services.safety_plan_save(client_id=client.pk, sections=form.sections(formsets),
                                          actor=request.actor)
            except services.CareError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Safety plan saved.")
                return HttpResponseRedirect(reverse("care:safety_plan:client",
                                                    args=[client.pk]))
        status = 400
    read_event(request, Action.CARE_SAFETY_PLAN_VIEWED, client)
    return _render(request, "practice/care/safety_plan.html", client, {
        "plan": plan, "form": form,
        "contact_sections": [(formsets[section], label) for section, label in CONTACT_SECTIONS],
        "help_contacts": contacts(plan.help_contacts) if plan else [],
        "professionals": contacts(plan.professionals) if plan else []}, status)
