"""Caseload and practice outcome reports: the owner sees every client's closed episodes, a
clinician their caseload's. Filters by instrument, clinician (owner), end reason and the date an
episode closed; a chart with its data table per instrument; CSV. Small cells never show a bare
percentage."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse

from practice.expected.selectors import path_figures
from practice.measurement.views_clinic.common import clinical_required, render_page
from practice.outcomes import selectors
from practice.outcomes.charts import rate_rows, rates_svg
from practice.outcomes.forms import report_filter_form, report_filters, report_zone
from practice.outcomes.maths import SMALL_CELL
from practice.outcomes.models import Episode
from practice.outcomes.selectors import InstrumentReport
from tenants.accounts.models import Role
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import SignedInRequest


def _section(report: InstrumentReport) -> dict[str, Any]:
    summary = report.summary
    return {
        "report": report, "summary": summary,
        "rows": [{"key": key, "label": label, "rate": rate}
                 for key, label, rate in rate_rows(summary)],
        "chart": None if summary.is_small else rates_svg(
            title=f"{report.title}: outcomes of {summary.episodes} closed episodes",
            summary=summary),
    }


@clinical_required
def outcome_report(request: SignedInRequest) -> HttpResponse:
    form = report_filter_form(request.tenant, request.user, request.GET or None)
    zone = report_zone(request.user)
    filters = report_filters(form, zone)
    report = selectors.outcome_report(request.user, filters,
                                      thresholds=request.tenant.reliable_change_thresholds)
    wants_csv = request.GET.get("format") == "csv"
    audit_record(action=Action.OUTCOMES_REPORT_EXPORTED if wants_csv else "outcomes.report_viewed",
                 actor=request.user, object_type="report", meta=RequestMeta.from_request(request),
                 detail={"episodes": report.episodes_closed,
                         "instrument": filters.instrument_key or "",
                         "clinician_id": filters.clinician_id,
                         "end_reason": filters.end_reason or ""})
    if wants_csv:
        return report_csv(report)
    reasons = dict(Episode.EndReason.choices)
    return render_page(request, "outcomes/report.html", {
        "form": form, "report": report, "zone": zone.key,
        "is_owner": request.user.role == Role.OWNER,
        "sections": [_section(item) for item in report.instruments],
        "combined": _section(report.combined) if report.combined else None,
        "by_reason": [(reasons.get(key, key), count)
                      for key, count in sorted(report.by_end_reason.items())],
        "small_cell": SMALL_CELL,
        "csv_query": _csv_query(request),
        "paths": path_figures(selectors.closed_episodes_for_report(request.user, filters)),
    }, status=400 if form.is_bound and not form.is_valid() else 200)


def _csv_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    return query.urlencode()


CSV_COLUMNS = ["instrument", "episodes_closed", "paired", "completeness_percent", "at_caseness",
               "reliable_improvement", "reliable_improvement_percent", "no_reliable_change",
               "no_reliable_change_percent", "reliable_deterioration",
               "reliable_deterioration_percent", "recovery", "recovery_denominator",
               "recovery_percent", "reliable_recovery", "reliable_recovery_percent",
               "mean_baseline", "mean_final", "effect_size", "average_length_days",
               "average_measures", "note"]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _number(value: float | None, places: int = 2) -> str:
    return "" if value is None else f"{value:.{places}f}"


def report_csv(report: selectors.OutcomeReport) -> HttpResponse:
    """One row per instrument. A percentage over fewer than five episodes is left empty and the
    note says so; counts are always given."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for item in [*report.instruments, *([report.combined] if report.combined else [])]:
        summary = item.summary
        small = summary.paired < SMALL_CELL
        writer.writerow([
            item.instrument_key, summary.episodes, summary.paired,
            _percent(summary.completeness.percent), summary.at_caseness,
            summary.reliable_improvement.count, _percent(summary.reliable_improvement.percent),
            summary.no_reliable_change.count, _percent(summary.no_reliable_change.percent),
            summary.reliable_deterioration.count,
            _percent(summary.reliable_deterioration.percent),
            summary.recovery.count, summary.recovery.denominator,
            _percent(summary.recovery.percent), summary.reliable_recovery.count,
            _percent(summary.reliable_recovery.percent),
            _number(summary.mean_baseline), _number(summary.mean_final),
            "" if small else _number(summary.effect_size),
            _number(summary.average_length_days, 1), _number(summary.average_measures, 1),
            f"fewer than {SMALL_CELL} episodes in some cells: counts only, no rate"
            if small or summary.recovery.is_small else "",
        ])
    return response

