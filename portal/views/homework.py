"""The client's homework: what to do and by when, marked done with a reflection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from portal.pages import audit_read, client_required, render_local
from practice.care import selectors, services
from practice.care.forms import CompletionForm
from practice.care.models import Homework, HomeworkCompletion
from tenants.audit.actions import Action
from tenants.requests import SignedInRequest


@dataclass(frozen=True)
class HomeworkRow:
    homework: Homework
    due_on: date
    is_done: bool
    is_overdue: bool
    completions: list[HomeworkCompletion]


@require_safe
@client_required
def homework_list(request: SignedInRequest) -> HttpResponse:
    today = selectors.client_today(request.user)
    rows = []
    for item in selectors.homework_for_client(request.user, active_only=True):
        due_on = services.current_occurrence(item, today)
        completions = list(item.completions.all())
        is_done = any(completion.due_on == due_on for completion in completions)
        rows.append(HomeworkRow(homework=item, due_on=due_on, is_done=is_done,
                                is_overdue=not is_done and due_on < today,
                                completions=completions))
    audit_read(request, Action.PORTAL_HOMEWORK_VIEWED)
    return render_local(request, "portal/care/homework.html",
                        {"rows": rows, "form": CompletionForm()})


@require_POST
@client_required
def homework_done(request: SignedInRequest, homework_id: int) -> HttpResponse:
    form = CompletionForm(request.POST)
    reflection = form.cleaned_data["reflection"] if form.is_valid() else ""
    try:
        services.homework_complete(homework_id=homework_id, reflection=reflection,
                                   today=selectors.client_today(request.user),
                                   actor=request.actor)
    except Homework.DoesNotExist:
        raise Http404 from None
    except services.CareError as error:
        messages.info(request, str(error))
    else:
        messages.success(request, _("Marked done. Thank you."))
    return HttpResponseRedirect(reverse("portal:homework:list"))
