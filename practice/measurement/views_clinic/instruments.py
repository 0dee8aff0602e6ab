"""Practice-defined instruments (a JSON editor in the shipped definition format, publish) and the
scoring preview for any instrument. Nothing is saved by the preview."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.entitlements import (
    EntitlementError,
    entitlement_check_practice_instruments,
    plan_allows_practice_instruments,
)
from practice.measurement import selectors, services
from practice.measurement.definitions import DefinitionError, InstrumentDefinition
from practice.measurement.forms import InstrumentDefinitionForm, ScoringPreviewForm
from practice.measurement.library import UnknownInstrument, get_definition, shipped_keys
from practice.measurement.models import PracticeInstrument
from practice.measurement.scoring import (
    IncompleteResponse,
    InvalidAnswers,
    ScoreResult,
    critical_option_verdicts,
    score,
)
from practice.measurement.views_clinic.common import clinical_required, render_page
from practice.measurement.views_clinic.sections import number_text
from tenants.requests import PracticeRequest, SignedInRequest

# --- practice-defined instruments and the scoring preview --------------------------------------

STARTER_DEFINITION = {
    "key": "my_instrument",
    "version": 1,
    "title": "My instrument",
    "stem": "Over the last 2 weeks, how often have you been bothered by the following?",
    "items": [
        {"key": "q1", "text": "First question", "options": [
            {"label": "Not at all", "points": 0}, {"label": "Several days", "points": 1},
            {"label": "More than half the days", "points": 2},
            {"label": "Nearly every day", "points": 3}]},
        {"key": "q2", "text": "Second question", "reverse_keyed": True, "options": [
            {"label": "Not at all", "points": 0}, {"label": "Several days", "points": 1},
            {"label": "More than half the days", "points": 2},
            {"label": "Nearly every day", "points": 3}]},
    ],
    "bands": [{"key": "low", "label": "Low", "lower": 0, "upper": 2},
              {"key": "high", "label": "High", "lower": 3, "upper": 6}],
    "critical_items": [],
    "missing_rule": {"kind": "refuse", "max_missing": 0},
}


@clinical_required
def instrument_list(request: SignedInRequest) -> HttpResponse:
    offered = [key for key in request.tenant.instrument_keys if key in shipped_keys()]
    practice_defined: dict[str, list[PracticeInstrument]] = {}
    for row in selectors.practice_instrument_versions():
        practice_defined.setdefault(row.key, []).append(row)
    return render_page(request, "practice/clinic/instruments.html", {
        "offered": [get_definition(key) for key in offered],
        "others": [get_definition(key) for key in shipped_keys() if key not in offered],
        "may_define": plan_allows_practice_instruments(request.tenant),
        "practice_defined": [{"key": key, "latest": rows[0], "versions": rows,
                              "has_draft": rows[0].status == PracticeInstrument.Status.DRAFT}
                             for key, rows in practice_defined.items()],
    })


def _plan_refusal(request: PracticeRequest) -> HttpResponse | None:
    """Defining instruments is a plan entitlement (billing.entitlements)."""
    try:
        entitlement_check_practice_instruments(request.tenant)
    except EntitlementError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("clinic:assessments:instrument_list"))
    return None


def _definition_editor(request: SignedInRequest, *, key: str | None, initial: str,
                       heading: str) -> HttpResponse:
    if (refusal := _plan_refusal(request)) is not None:
        return refusal
    form = InstrumentDefinitionForm(request.POST or None, initial={"definition": initial})
    if request.method == "POST" and form.is_valid():
        try:
            row = services.practice_instrument_save(
                data=form.cleaned_data["definition"], key=key, actor=request.actor)
        except DefinitionError as error:
            for message in error.messages:
                form.add_error("definition", message)
        else:
            messages.success(request, f"Draft saved: {row.title}, version {row.version}. Check "
                                      "it with sample answers, then publish it.")
            return HttpResponseRedirect(
                reverse("clinic:assessments:instrument_preview", args=[row.key])
                + f"?version={row.version}")
    return render_page(request, "practice/clinic/instrument_form.html",
                       {"form": form, "key": key, "heading": heading},
                       status=400 if request.method == "POST" else 200)


@clinical_required
def instrument_create(request: SignedInRequest) -> HttpResponse:
    return _definition_editor(request, key=None, heading="New instrument",
                              initial=json.dumps(STARTER_DEFINITION, indent=2))


@clinical_required
def instrument_edit(request: SignedInRequest, key: str) -> HttpResponse:
    try:
        row = selectors.practice_instrument_latest(key)
    except PracticeInstrument.DoesNotExist:
        raise Http404 from None
    heading = (f"Edit {row.title} (draft, version {row.version})"
               if row.status == PracticeInstrument.Status.DRAFT
               else f"Edit {row.title}: saving starts version {row.version + 1}")
    return _definition_editor(request, key=key, heading=heading,
                              initial=json.dumps(row.definition, indent=2, ensure_ascii=False))


FLAGS_CHECKED = "I have checked which answers raise the flag"


@require_POST
@clinical_required
def instrument_publish(request: SignedInRequest, key: str) -> HttpResponse:
    """Publish the open draft. A draft with critical items is published only from its preview,
    where each critical item's answers are listed with their points and whether they raise the
    flag, and only with the confirmation ticked."""
    if (refusal := _plan_refusal(request)) is not None:
        return refusal
    try:
        latest = selectors.practice_instrument_latest(key)
    except PracticeInstrument.DoesNotExist:
        raise Http404 from None
    if (latest.status == PracticeInstrument.Status.DRAFT
            and latest.definition.get("critical_items")
            and request.POST.get("flags_checked") != "yes"):
        messages.error(request, f"Not published: tick “{FLAGS_CHECKED}” below the critical "
                                "items' answers, then publish.")
        return HttpResponseRedirect(
            reverse("clinic:assessments:instrument_preview", args=[key])
            + f"?version={latest.version}")
    try:
        row = services.practice_instrument_publish(key=key, actor=request.actor)
    except PracticeInstrument.DoesNotExist:
        raise Http404 from None
    except services.MeasurementError as error:
        messages.error(request, str(error))
    except DefinitionError as error:
        messages.error(request, "Not published: " + "; ".join(error.messages))
    else:
        messages.success(request, f"Published {row.title}, version {row.version}. Clinicians "
                                  "can assign it now.")
    return HttpResponseRedirect(reverse("clinic:assessments:instrument_list"))


@clinical_required
def instrument_preview(request: SignedInRequest, key: str) -> HttpResponse:
    """Score sample answers with any instrument, shipped or practice-defined (drafts too).
    Nothing is saved."""
    raw_version = request.GET.get("version") or None
    if raw_version is not None and not raw_version.isdigit():
        raise Http404
    version = int(raw_version) if raw_version is not None else None
    try:
        definition = selectors.instrument_definition_for_preview(key, version)
    except UnknownInstrument:
        raise Http404 from None
    except DefinitionError as error:
        return render_page(request, "practice/clinic/instrument_preview.html",
                           {"key": key, "problems": error.messages, "version": version})
    form = ScoringPreviewForm(request.POST or None, definition=definition)
    result: ScoreResult | None = None
    incomplete: IncompleteResponse | None = None
    if request.method == "POST" and form.is_valid():
        try:
            result = score(definition, form.answers(), sex=form.sex())
        except IncompleteResponse as refused:
            incomplete = refused
        except InvalidAnswers as error:
            form.add_error(None, str(error))
    is_shipped = key in shipped_keys()
    return render_page(request, "practice/clinic/instrument_preview.html", {
        "key": key, "definition": definition, "version": version, "form": form,
        "result": result, "incomplete": incomplete,
        "flags": result.flags if result else incomplete.flags if incomplete else (),
        "subscale_rows": _subscale_results(definition, result),
        "is_shipped": is_shipped,
        "critical_tables": _critical_tables(definition),
        "publishable": not is_shipped and _is_open_draft(request, key, definition.version),
        "flags_checked_label": FLAGS_CHECKED,
    })


def _critical_tables(definition: InstrumentDefinition) -> list[dict[str, Any]]:
    """Each critical item with every answer, the points it scores and whether it raises the
    flag, computed by the scoring code exactly as a submitted answer is."""
    return [{"item": definition.item(critical.item), "critical": critical,
             "options": critical_option_verdicts(definition, critical)}
            for critical in definition.critical_items]


def _is_open_draft(request: PracticeRequest, key: str, version: int) -> bool:
    try:
        latest = selectors.practice_instrument_latest(key)
    except PracticeInstrument.DoesNotExist:
        return False
    return (latest.status == PracticeInstrument.Status.DRAFT and latest.version == version
            and plan_allows_practice_instruments(request.tenant))


def _subscale_results(definition: InstrumentDefinition,
                      result: ScoreResult | None) -> list[dict[str, str]]:
    if result is None:
        return []
    rows = []
    for subscale in definition.subscales:
        band = result.subscale_bands.get(subscale.key)
        value = result.subscales.get(subscale.key)
        rows.append({"title": subscale.title, "score": number_text(value),
                     "band": band.label if band else ""})
    return rows
