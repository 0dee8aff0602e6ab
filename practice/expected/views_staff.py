"""Staff pages: the owner's expected paths (defaults, the practice's own calibrations beside
them with the number of episodes behind each, adopting one, the settings), the clinical support
questions on a "not on track" alert, and a client's switch for seeing their expected range."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from practice.expected import policies, selectors, services
from practice.expected.charts import comparison_svg, curve_rows, typical_baseline
from practice.expected.forms import PathSettingsForm, ShareForm, SupportForm
from practice.expected.models import Calibration
from practice.measurement.library import get_definition
from practice.measurement.models import Alert
from practice.measurement.views_clinic.common import back, clinical_required
from practice.views import owner_required
from tenants.accounts.models import User
from tenants.requests import SignedInRequest


@dataclass(frozen=True)
class BandRow:
    instrument_key: str
    default: policies.Stratum
    adopted: Calibration | None
    proposed: Calibration | None
    baseline: float
    chart: str
    rows: list[dict[str, object]]

    @property
    def range_text(self) -> str:
        name = self.default.band.replace("_", " ")
        if self.default.upper == float("inf"):
            return f"{name} ({self.default.lower:g} and above)"
        return f"{name} ({self.default.lower:g} to below {self.default.upper:g})"


def _band_rows(key: str, model: policies.PathModel, saved: list[Calibration]) -> list[BandRow]:
    found = []
    title = get_definition(key).title.split(" (")[0]
    for stratum in model.strata:
        mine = [row for row in saved if row.instrument_key == key and row.band == stratum.band]
        adopted = next((row for row in mine if row.status == Calibration.Status.ADOPTED), None)
        proposed = next((row for row in mine if row.status == Calibration.Status.PROPOSED), None)
        shown = proposed or adopted
        own = (policies.Stratum(band=stratum.band, lower=stratum.lower, upper=stratum.upper,
                                k=shown.k, tolerance=shown.tolerance, version=shown.version,
                                source="", episodes=shown.episodes) if shown else None)
        baseline = typical_baseline(model, stratum)
        found.append(BandRow(
            instrument_key=key, default=stratum, adopted=adopted, proposed=proposed,
            baseline=baseline,
            chart=comparison_svg(model=model, default=stratum, practice=own, baseline=baseline,
                                 title=f"{title}, {stratum.band.replace('_', ' ')}: expected "
                                       f"score by week for a baseline of {baseline:g}"),
            rows=curve_rows(model, stratum, own, baseline)))
    return found


@require_http_methods(["GET", "POST"])
@owner_required
def paths(request: SignedInRequest) -> HttpResponse:
    current = selectors.path_settings()
    choices = services.follow_up_choices()
    form = PathSettingsForm(request.POST or None, choices=choices, initial={
        "is_shown_to_clients": current.is_shown_to_clients,
        "follow_up_instrument_key": current.follow_up_instrument_key})
    if request.method == "POST" and form.is_valid():
        try:
            services.path_settings_update(
                is_shown_to_clients=form.cleaned_data["is_shown_to_clients"],
                follow_up_instrument_key=form.cleaned_data["follow_up_instrument_key"],
                actor=request.actor)
        except services.PathError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Expected-path settings saved.")
            return HttpResponseRedirect(reverse("expected:paths"))
    saved = selectors.calibrations()
    instruments = [(key, get_definition(key).title, _band_rows(key, model, saved))
                   for key, model in policies.default_models().items()]
    return render(request, "expected/paths.html", {
        "form": form, "instruments": instruments, "minimum": policies.MINIMUM_EPISODES,
        "data": policies.default_data(),
    }, status=400 if request.method == "POST" else 200)


@require_POST
@owner_required
def calibrate(request: SignedInRequest, instrument_key: str) -> HttpResponse:
    try:
        made = services.calibration_run(instrument_key=instrument_key, actor=request.actor)
    except services.PathError as error:
        messages.error(request, str(error))
    else:
        if made:
            messages.success(request, f"Fitted {len(made)} band(s) to your own episodes. "
                                      "Compare them with the default, then adopt the ones "
                                      "you want.")
        else:
            messages.info(request, f"No band has {policies.MINIMUM_EPISODES} closed episodes "
                                   "with two scores or more yet: the default stays.")
    return HttpResponseRedirect(reverse("expected:paths") + f"#{instrument_key}")


@require_POST
@owner_required
def adopt(request: SignedInRequest, calibration_id: int) -> HttpResponse:
    try:
        row = services.calibration_adopt(calibration_id=calibration_id,
                                         actor=request.actor)
    except services.PathError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("expected:paths"))
    messages.success(request, "Adopted: this band's alerts and charts now use your practice's "
                              "curve.")
    return HttpResponseRedirect(reverse("expected:paths") + f"#{row.instrument_key}")


@require_POST
@owner_required
def restore_default(request: SignedInRequest, instrument_key: str, band: str) -> HttpResponse:
    services.calibration_restore_default(instrument_key=instrument_key, band=band,
                                         actor=request.actor)
    messages.success(request, "Back to the default path for this band.")
    return HttpResponseRedirect(reverse("expected:paths") + f"#{instrument_key}")


@require_http_methods(["GET", "POST"])
@clinical_required
def support(request: SignedInRequest, alert_id: int) -> HttpResponse:
    try:
        alert = selectors.not_on_track_alert_for_staff(request.user, alert_id)
    except Alert.DoesNotExist:
        raise Http404 from None
    existing = selectors.support_answers_for([alert]).get(alert.pk)
    form = SupportForm(request.POST or None,
                       initial_answers=existing.answers if existing else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.support_answers_save(alert_id=alert.pk, answers=form.answers(),
                                          actor=request.actor)
        except (services.PathError, Alert.DoesNotExist) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Answers saved. They appear in the review and the "
                                      "client report.")
            return HttpResponseRedirect(reverse("clinic:assessments:review",
                                                args=[alert.client_id]))
    return render(request, "expected/support.html", {"alert": alert, "form": form},
                  status=400 if request.method == "POST" else 200)


@require_POST
@clinical_required
def share(request: SignedInRequest, client_id: int) -> HttpResponse:
    form = ShareForm(request.POST)
    default = reverse("clinic:assessments:client", args=[client_id])
    if not form.is_valid():
        messages.error(request, "Choose to show or hide the expected range.")
        return back(request, default)
    try:
        row = services.client_path_share(client_id=client_id,
                                         is_shown=form.cleaned_data["is_shown"],
                                         actor=request.actor)
    except User.DoesNotExist:
        raise Http404 from None
    messages.success(request, "The client now sees their expected range." if row.is_shown
                     else "The client no longer sees their expected range.")
    return back(request, default)
