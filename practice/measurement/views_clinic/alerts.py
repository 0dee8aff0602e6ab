"""The alert inbox and what a clinician does with an alert. Never behind a module: risk alerts
are never off."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from practice.measurement import selectors, services
from practice.measurement.forms import SNOOZE_CHOICES, AlertResolveForm, AlertSnoozeForm
from practice.measurement.models import Alert
from practice.measurement.views_clinic.common import back, clinical_required, render_page
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInRequest

# A clinician with hundreds of open alerts reads them a page at a time (urgent first): each
# alert is a card with three forms, and rendering them all cost more than everything else.
ALERTS_PAGE_SIZE = 25

# --- alerts (never behind a module: risk is never off) -----------------------------------------

@clinical_required
def alert_inbox(request: SignedInRequest) -> HttpResponse:
    page = Paginator(selectors.alert_inbox(request.user), ALERTS_PAGE_SIZE).get_page(
        request.GET.get("page"))
    audit_record(action=Action.ALERT_INBOX_VIEWED, actor=request.user, object_type="alert_inbox",
                 meta=RequestMeta.from_request(request),
                 detail={"alert_ids": [alert.pk for alert in page]})
    return render_page(request, "practice/clinic/alerts.html", {
        "alerts": page, "page": page, "now": timezone.now(),
        "resolve_form": AlertResolveForm(), "snooze_form": AlertSnoozeForm(),
    })


def _alert(request: SignedInRequest, alert_id: int) -> Alert:
    try:
        return selectors.alert_for_staff(request.user, alert_id)
    except Alert.DoesNotExist:
        raise Http404 from None


def _alert_action(request: SignedInRequest, alert_id: int,
                  act: Callable[[Alert], str]) -> HttpResponse:
    alert = _alert(request, alert_id)
    try:
        done = act(alert)
    except Alert.DoesNotExist:
        raise Http404 from None
    except services.MeasurementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return back(request, reverse("clinic:alerts"))


@require_POST
@clinical_required
def alert_acknowledge(request: SignedInRequest, alert_id: int) -> HttpResponse:
    def act(alert: Alert) -> str:
        services.alert_acknowledge(alert_id=alert.pk, actor=request.actor)
        return "Alert acknowledged."

    return _alert_action(request, alert_id, act)


@require_POST
@clinical_required
def alert_resolve(request: SignedInRequest, alert_id: int) -> HttpResponse:
    def act(alert: Alert) -> str:
        form = AlertResolveForm(request.POST)
        if not form.is_valid():
            raise services.MeasurementError("Add a note saying how this was resolved.")
        services.alert_resolve(alert_id=alert.pk, note=form.cleaned_data["note"],
                               actor=request.actor)
        return "Alert resolved."

    return _alert_action(request, alert_id, act)


@require_POST
@clinical_required
def alert_snooze(request: SignedInRequest, alert_id: int) -> HttpResponse:
    def act(alert: Alert) -> str:
        form = AlertSnoozeForm(request.POST)
        if not form.is_valid():
            raise services.MeasurementError("Choose how long to snooze for.")
        services.alert_snooze(alert_id=alert.pk, until=timezone.now() + form.delta,
                              actor=request.actor)
        chosen = dict(SNOOZE_CHOICES)[form.cleaned_data["duration"]]
        return f"Alert snoozed for {chosen}."

    return _alert_action(request, alert_id, act)
