"""Completing a questionnaire: one question per screen (the default) or all on one page, each
answer saved as the client goes, a check of the answers, submission, and the result.

A submitted response never changes: any attempt goes to the service, which refuses, and the
client is told so (the database refuses too)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal import selectors
from portal.forms import (
    SKIP_LABEL,
    AnswersForm,
    Question,
    first_open,
    next_applicable,
    questions,
    risk_answered,
    text_item,
)
from portal.pages import audit_read, client_required, client_zone, number, render_local
from portal.services import MOOD_KEY
from portal.views.dashboard import definitions_for, due_items
from portal.views.wording import (
    change_text,
    direction,
    score_sentence,
    short_title,
    threshold_for,
)
from practice.measurement import services
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import UnknownInstrument
from practice.measurement.models import Response
from practice.measurement.selectors import (
    change_summary,
    instrument_definition,
    score_history,
)
from practice.measurement.services import MeasurementError, SubmitOutcome
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta
from tenants.requests import SignedInRequest

OPEN = (Response.Status.PENDING, Response.Status.IN_PROGRESS)
LAYOUTS = ("one", "all")
LAYOUT_SESSION_KEY = "portal.assessment_layout"


def _own_response(request: SignedInRequest, response_id: int) -> Response:
    """The client's own response; another client's is as missing as one that never existed."""
    try:
        return selectors.client_response(request.user, response_id)
    except Response.DoesNotExist:
        raise Http404 from None


def _definition(response: Response) -> InstrumentDefinition:
    try:
        return instrument_definition(response.instrument_key, response.definition_version)
    except UnknownInstrument:
        raise Http404 from None


def _url(name: str, response: Response) -> str:
    return reverse(f"portal:assessments:{name}", args=[response.pk])


def _question_url(response: Response, number_: int) -> str:
    return f"{_url('answer', response)}?q={number_}"


def _layout(request: HttpRequest) -> str:
    """One question per screen unless the client chose all on one page (remembered)."""
    chosen = request.GET.get("layout") or request.POST.get("layout")
    if chosen in LAYOUTS:
        request.session[LAYOUT_SESSION_KEY] = chosen
        return chosen
    remembered = request.session.get(LAYOUT_SESSION_KEY)
    return remembered if remembered in LAYOUTS else "one"


def _position(raw: str | None, count: int) -> int:
    try:
        return min(max(int(raw or 1), 1), count)
    except ValueError:
        return 1


def _refused(request: SignedInRequest, response: Response, error: MeasurementError) -> HttpResponse:
    """A change the service refused (a submitted or closed response): say so, change nothing."""
    return render_local(request, "portal/assessments/refused.html", {
        "message": str(error), "response": response,
        "is_submitted": response.status == Response.Status.SUBMITTED,
    }, status=409)


def _closed(request: SignedInRequest, response: Response) -> HttpResponse | None:
    """A submitted response shows its result; a missed one says it is no longer open."""
    if response.status == Response.Status.SUBMITTED:
        return HttpResponseRedirect(_url("result", response))
    if response.status not in OPEN:
        return render_local(request, "portal/assessments/closed.html", {"response": response})
    return None


# --- list --------------------------------------------------------------------------------------

@require_safe
@client_required
def assessment_list(request: SignedInRequest) -> HttpResponse:
    client = request.user
    zone = client_zone(request)
    due = due_items(client, timezone.now(), zone)
    results = selectors.recent_results(client, exclude=(MOOD_KEY,))
    definitions = definitions_for({row.instrument_key for row in results})
    result_rows = [{"response": row, "score": number(row.total),
                    "title": short_title(definitions[row.instrument_key])}
                   for row in results if row.instrument_key in definitions]
    audit_read(request, Action.PORTAL_ASSESSMENTS_VIEWED)
    return render_local(request, "portal/assessments/list.html",
                        {"due": due, "results": result_rows}, zone=zone)


# --- answering ---------------------------------------------------------------------------------

def _answer_context(response: Response, definition: InstrumentDefinition, layout: str,
                    position: int, form: AnswersForm | None = None) -> dict[str, Any]:
    asked = questions(definition, response.answers)
    context: dict[str, Any] = {
        "response": response, "definition": definition, "title": short_title(definition),
        "layout": layout, "count": len(asked), "form": form,
        "show_crisis_help": risk_answered(definition, response.answers),
        "note_item": text_item(definition), "note": response.note,
    }
    if layout == "all":
        context["questions"] = asked
    else:
        context["question"] = asked[position - 1]
        context["position"] = position
        context["is_last"] = next_applicable(asked, position, 1) is None
        context["has_previous"] = next_applicable(asked, position, -1) is not None
    return context


@require_http_methods(["GET", "POST"])
@client_required
def answer(request: SignedInRequest, response_id: int) -> HttpResponse:
    response = _own_response(request, response_id)
    if request.method == "POST":
        return _answer_post(request, response)
    closed = _closed(request, response)
    if closed is not None:
        return closed
    definition = _definition(response)
    layout = _layout(request)
    position = (_position(request.GET["q"], len(definition.choice_items)) if "q" in request.GET
                else first_open(questions(definition, response.answers)))
    audit_read(request, Action.PORTAL_RESPONSE_VIEWED, object_type="response",
               object_id=response.pk)
    return render_local(request, "portal/assessments/answer.html",
                        _answer_context(response, definition, layout, position))


def _answer_post(request: SignedInRequest, response: Response) -> HttpResponse:
    definition = _definition(response)
    layout = _layout(request)
    position = _position(request.POST.get("q"), len(definition.choice_items))
    items = (list(definition.choice_items) if layout == "all"
             else [definition.choice_items[position - 1]])
    form = AnswersForm(request.POST, definition=definition, items=items,
                       with_note=layout == "all" and text_item(definition) is not None)
    is_valid = form.is_valid()
    try:
        # Even a refused change goes to the service, which is the one to say no.
        response = services.response_save_answers(
            client=request.user, response_id=response.pk,
            answers=form.answers() if is_valid else {}, note=form.note() if is_valid else None)
    except MeasurementError as error:
        return _refused(request, response, error)
    if not is_valid:
        return render_local(request, "portal/assessments/answer.html",
                            _answer_context(response, definition, layout, position, form),
                            status=400)
    action = request.POST.get("action", "next")
    asked = questions(definition, response.answers)
    if action == "later":
        messages.success(request, _("Your answers are saved. You can finish this "
                                    "questionnaire later from your home page."))
        return HttpResponseRedirect(reverse("portal:dashboard"))
    if action == "submit":
        return _submit(request, response, definition, note=None,
                       confirm_missing=bool(request.POST.get("confirm_missing")))
    if layout == "one" and action in ("back", "next"):
        # Questions the skip logic leaves out are passed over, both ways.
        following = next_applicable(asked, position, -1 if action == "back" else 1)
        if action == "back":
            return HttpResponseRedirect(_question_url(response, following or position))
        if following is not None:
            return HttpResponseRedirect(_question_url(response, following))
    return HttpResponseRedirect(_url("review", response))


# --- checking and submitting -------------------------------------------------------------------

def _review(request: SignedInRequest, response: Response, definition: InstrumentDefinition, *,
            status: int = 200, errors: list[str] | None = None,
            missing: list[Question] | None = None,
            outcome: SubmitOutcome | None = None) -> HttpResponse:
    asked = questions(definition, response.answers)
    unanswered = [question for question in asked
                  if question.needs_answer and question.state == "unanswered"]
    return render_local(request, "portal/assessments/review.html", {
        "response": response, "definition": definition, "title": short_title(definition),
        "questions": asked, "unanswered": unanswered, "errors": errors or [],
        "missing": missing or [], "note_item": text_item(definition), "note": response.note,
        "show_crisis_help": (outcome.show_crisis_help if outcome is not None
                             else risk_answered(definition, response.answers)),
        "clinician_told": bool(outcome and outcome.alerts),
    }, status=status)


@require_safe
@client_required
def review(request: SignedInRequest, response_id: int) -> HttpResponse:
    response = _own_response(request, response_id)
    closed = _closed(request, response)
    if closed is not None:
        return closed
    audit_read(request, Action.PORTAL_RESPONSE_VIEWED, object_type="response",
               object_id=response.pk)
    return _review(request, response, _definition(response))


@require_POST
@client_required
def submit(request: SignedInRequest, response_id: int) -> HttpResponse:
    response = _own_response(request, response_id)
    definition = _definition(response)
    note = request.POST.get("note") if text_item(definition) is not None else None
    return _submit(request, response, definition, note=note,
                   confirm_missing=bool(request.POST.get("confirm_missing")))


def _submit(request: SignedInRequest, response: Response, definition: InstrumentDefinition, *,
            note: str | None, confirm_missing: bool) -> HttpResponse:
    if response.status in OPEN:
        asked = questions(definition, response.answers)
        critical_open = [q for q in asked
                         if q.is_critical and q.is_applicable and q.state == "unanswered"]
        if critical_open:
            # A risk question is never skipped silently: the client answers it or says so.
            return _review(request, response, definition, status=400, errors=[
                _("Question %(number)s needs an answer. If you'd rather not answer it, choose "
                  "“%(skip)s”.") % {"number": q.number, "skip": SKIP_LABEL}
                for q in critical_open])
        unanswered = [q for q in asked if q.needs_answer and q.state == "unanswered"]
        if unanswered and not confirm_missing:
            return _review(request, response, definition, status=400)
    try:
        outcome = services.response_submit(client=request.user, response_id=response.pk,
                                           note=note[:2000] if note is not None else None,
                                           meta=RequestMeta.from_request(request))
    except MeasurementError as error:
        return _refused(request, response, error)
    if not outcome.submitted:
        by_key = {q.key: q for q in questions(definition, outcome.response.answers)}
        return _review(request, outcome.response, definition, status=400, outcome=outcome,
                       missing=[by_key[key] for key in outcome.missing_items if key in by_key])
    return HttpResponseRedirect(_url("result", outcome.response))


# --- the result --------------------------------------------------------------------------------

@require_safe
@client_required
def result(request: SignedInRequest, response_id: int) -> HttpResponse:
    response = _own_response(request, response_id)
    if response.status != Response.Status.SUBMITTED:
        return HttpResponseRedirect(_url("answer", response))
    definition = _definition(response)
    history = score_history(request.user, response.instrument_key)
    threshold = threshold_for(definition, request.tenant.reliable_change_thresholds or {})
    change = change_summary(definition, history, threshold)
    subscales = [{"title": subscale.title, "score": number(response.subscales.get(subscale.key)),
                  "band": (response.subscale_bands.get(subscale.key) or {}).get("label", "")}
                 for subscale in definition.subscales if subscale.key in response.subscales]
    audit_read(request, Action.PORTAL_RESULT_VIEWED, object_type="response", object_id=response.pk)
    return render_local(request, "portal/assessments/result.html", {
        "response": response, "definition": definition, "title": short_title(definition),
        "show_crisis_help": bool(response.flags),
        "score": score_sentence(definition, response.total) if response.is_scored else "",
        "direction": direction(definition) if response.total is not None else "",
        "subscales": subscales,
        "change": (change_text(definition, change, threshold)
                   if len(history) > 1 and history[-1].pk == response.pk else None),
        "estimated": response.prorated,
    })
