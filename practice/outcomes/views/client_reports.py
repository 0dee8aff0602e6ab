"""One client's documents: the progress report of an episode (page and branded PDF) and the
utilization-review export for a date range (PDF and CSV). Owner and clinicians (their
caseload); everyone else, and a client out of reach, get the not-found page. Generating either
is audited (ids and kind only)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from branding.selectors import branding_for
from practice.expected.selectors import (
    HELD_STATUSES,
    ExpectedView,
    expected_range_words,
    path_for_series,
    path_model_sets,
    support_for_client,
)
from practice.measurement.charts import (
    ExactEnds,
    ExpectedOverlay,
    monthly_means,
    trend_svg,
    trend_table,
    weekly_means,
)
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.selectors import CHART_POINTS
from practice.measurement.views_clinic.common import (
    client_or_404,
    client_zone,
    clinical_required,
    render_page,
)
from practice.outcomes import client_selectors, selectors
from practice.outcomes.forms import DateRangeForm
from practice.outcomes.models import Episode
from practice.outcomes.pdf import Provenance, progress_pdf, utilization_pdf
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInRequest


def _audit(request: HttpRequest, action: Action, client: User, detail: dict[str, Any]) -> None:
    audit_record(action=action, actor=request.user, object_type="client", object_id=client.pk,
                 meta=RequestMeta.from_request(request), detail=detail)


def _file(body: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    # No name in the file name: it lands in download folders and browser histories.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _episode(request: HttpRequest, client: User) -> Episode | None:
    """The chosen episode (404 if it is not this client's), else the current one, else None."""
    raw = request.GET.get("episode", "")
    try:
        return client_selectors.episode_of_client(client, int(raw) if raw.isdigit() else None)
    except Episode.DoesNotExist:
        raise Http404 from None


def _points(series: client_selectors.InstrumentSeries) -> list[tuple[datetime, float]]:
    return [(point.submitted_at, float(point.total)) for point in series.points]


def _paths(window: client_selectors.ClientWindow) -> dict[str, Any]:
    """Each instrument's expected path over the episode (where the instrument has one)."""
    models = path_model_sets()
    held = [appointment.starts_at for appointment in window.appointments
            if appointment.status in HELD_STATUSES]
    paths = {series.instrument_key: path_for_series(models, series.instrument_key,
                                                    _points(series), sessions=held,
                                                    episode_start=window.start)
             for series in window.series}
    return {key: path for key, path in paths.items() if path is not None}


def _support(client: User, episode: Episode) -> list[Any]:
    return [entry for entry in support_for_client(client)
            if entry.alert.created_at >= episode.started_at
            and (episode.ended_at is None or entry.alert.created_at <= episode.ended_at)]


def _drawn(points: list[tuple[datetime, float]], zone: tzinfo
           ) -> tuple[list[tuple[datetime, float]], str, ExactEnds | None]:
    """What the page's chart draws, as the client page's charts do: every score up to
    CHART_POINTS, else weekly means, else monthly ones (in the client's timezone), with the
    words saying so and the exact first and last scores, which the description and the
    reliable-change marks read."""
    if len(points) <= CHART_POINTS:
        return points, "", None
    local = [(moment.astimezone(zone), value) for moment, value in points]
    drawn, words = weekly_means(local), " (weekly averages)"
    if len(drawn) > CHART_POINTS:
        drawn, words = monthly_means(local), " (monthly averages)"
    return drawn, words, ExactEnds(local[0], local[-1], len(points))


# The page's table of an instrument lists the newest this many scores, each still read against
# the baseline (every score: "Show all", and the PDF); the chart draws them all.
REPORT_ROWS = 26


def _charts(window: client_selectors.ClientWindow, zone: tzinfo,
            show_all: str = "") -> list[dict[str, Any]]:
    charts = []
    paths = _paths(window)
    for series in window.series:
        definition = window.catalog.get(series.instrument_key)
        points = _points(series)
        path = paths.get(series.instrument_key)
        shown = (len(points) if show_all == series.instrument_key
                 else min(len(points), REPORT_ROWS))
        charts.append({
            "series": series,
            "path": path,
            "svg": _svg(definition, points, zone, series.title, path)
            if definition is not None and len(points) > 1 else None,
            "table": (trend_table(definition, points, range(len(points) - shown, len(points)))
                      if definition is not None else []),
            "hidden": len(points) - shown if definition is not None else 0,
            "advisories": [(point.submitted_at, advisory) for point in series.points
                           for advisory in point.advisories],
        })
    return charts


def _svg(definition: InstrumentDefinition, points: list[tuple[datetime, float]], zone: tzinfo,
         title: str, path: ExpectedView | None) -> str:
    drawn, words, ends = _drawn(points, zone)
    return trend_svg(definition=definition, points=drawn, mark_reliable_change=True,
                     title=f"{title} over the episode{words}",
                     expected=ExpectedOverlay(path.band, expected_range_words(path),
                                              path.chart_axis) if path else None,
                     exact_ends=ends)


@clinical_required
def progress_report(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    episode = _episode(request, client)
    if episode is None:  # never invited, so never in treatment: nothing to report yet
        return render_page(request, "outcomes/progress.html", {
            "client": client, "episode": None, "client_tz": client_zone(client).key})
    now = timezone.now()
    window = client_selectors.episode_window(
        client, episode, now=now, thresholds=request.tenant.reliable_change_thresholds)
    as_pdf = request.GET.get("format") == "pdf"
    _audit(request, Action.CLIENT_PROGRESS_REPORT_GENERATED, client,
           {"episode_id": episode.pk, "format": "pdf" if as_pdf else "page"})
    zone = client_zone(client)
    if as_pdf:
        body = progress_pdf(window=window, episode=episode,
                            branding=branding_for(request.tenant),
                            provenance=Provenance(request.user.full_name, now, zone),
                            expected=_paths(window), support=_support(client, episode))
        return _file(body, "application/pdf", f"progress-report-{episode.pk}.pdf")
    return render_page(request, "outcomes/progress.html", {
        "client": client, "episode": episode, "window": window,
        "charts": _charts(window, zone, request.GET.get("all", "")),
        "client_tz": zone.key, "episodes": selectors.episodes_for_client(client),
        "support": _support(client, episode),
    })


def _range(form: DateRangeForm, client: User, now: datetime) -> tuple[datetime, datetime]:
    zone = client_zone(client)
    data = form.cleaned_data
    end_day = data.get("end") or now.astimezone(zone).date()
    start_day = data.get("start") or end_day - timedelta(days=90)
    return (datetime.combine(start_day, time.min, tzinfo=zone),
            datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=zone))


@clinical_required
def utilization_review(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    form = DateRangeForm(request.GET or None)
    wanted = request.GET.get("format")
    if wanted not in ("pdf", "csv") or not form.is_valid():
        return render_page(request, "outcomes/utilization.html", {
            "client": client, "form": form if form.is_bound else DateRangeForm()},
            status=400 if form.is_bound and not form.is_valid() else 200)
    now = timezone.now()
    start, end = _range(form, client, now)
    window = client_selectors.client_window(
        client, start=start, end=end, now=now,
        thresholds=request.tenant.reliable_change_thresholds)
    _audit(request, Action.CLIENT_UTILIZATION_REVIEW_GENERATED, client,
           {"format": wanted, "start": start.date().isoformat(),
            "end": (end - timedelta(days=1)).date().isoformat()})
    provenance = Provenance(request.user.full_name, now, client_zone(client))
    if wanted == "pdf":
        body = utilization_pdf(window=window, branding=branding_for(request.tenant),
                               provenance=provenance)
        return _file(body, "application/pdf", "utilization-review.pdf")
    return _file(utilization_csv(window, request.tenant.name, provenance),
                 "text/csv; charset=utf-8", "utilization-review.csv")


def utilization_csv(window: client_selectors.ClientWindow, practice_name: str,
                    provenance: Provenance) -> str:
    """One row per fact: sessions, scores (band, change from the first in the period,
    advisories), homework and engagement counts; the first rows say where it came from."""
    zone = provenance.zone
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "date", "item", "value", "band", "change_from_first", "detail"])
    writer.writerow(["generated", provenance.generated_at.astimezone(zone).isoformat(), "",
                     "", "", "", f"Generated from the records of {practice_name} by "
                     f"{provenance.generated_by}"])
    writer.writerow(["client", "", window.client.full_name, "", "", "", ""])
    for appointment in window.appointments:
        writer.writerow(["session", appointment.starts_at.astimezone(zone).isoformat(),
                         appointment.appointment_type.name, appointment.get_status_display(),
                         "", "", ""])
    for series in window.series:
        first = series.points[0].total if series.points else None
        for point in series.points:
            writer.writerow(["score", point.submitted_at.astimezone(zone).isoformat(),
                             series.title, f"{point.total.normalize():f}", point.band_label,
                             f"{(point.total - first).normalize():f}" if first is not None
                             else "", "; ".join(point.advisories)])
    homework = window.homework
    writer.writerow(["homework", "", "completed of due", f"{homework.completed}/{homework.due}",
                     "", "", ""])
    engagement = window.engagement
    writer.writerow(["engagement", "", "check-ins", engagement.check_ins, "", "", ""])
    writer.writerow(["engagement", "", "sign-ins", engagement.sign_ins, "", "", ""])
    writer.writerow(["engagement", "", "messages from client",
                     engagement.messages_from_client, "", "", ""])
    return out.getvalue()
