"""A client's answers as the clinician reads them: one section per instrument with its trend
chart(s), change from the first and previous score, reliable change, the NHS Talking Therapies
class, and the history with entered-in-error responses listed as such (and left out of the
charts)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.dateformat import format as date_format

from practice.expected.selectors import ExpectedView, expected_range_words
from practice.measurement import selectors
from practice.measurement.charts import (
    ExactEnds,
    ExpectedOverlay,
    Point,
    needs_weekly_means,
    signed_change,
    trend_svg,
    trend_table,
    weekly_means,
)
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.models import Response
from practice.measurement.scoring import TalkingTherapiesClass
from practice.measurement.views_clinic.common import url_for_each
from tenants.models import Practice

TALKING_THERAPIES_LABELS = {
    TalkingTherapiesClass.RELIABLE_RECOVERY: "Reliable recovery",
    TalkingTherapiesClass.RECOVERY: "Recovery",
    TalkingTherapiesClass.RELIABLE_IMPROVEMENT: "Reliable improvement",
    TalkingTherapiesClass.RELIABLE_DETERIORATION: "Reliable deterioration",
    TalkingTherapiesClass.NO_RELIABLE_CHANGE: "No reliable change",
}

HISTORY_ROWS_SHOWN = 12


@dataclass
class HistoryRow:
    response: Response
    score_text: str
    band: str
    summary: str  # the score and band in words; subscales for instruments without a total
    from_baseline: str = ""
    from_previous: str = ""
    reliable: str = ""
    reliable_key: str = ""
    talking_therapies: str = ""
    subscales: list[tuple[str, str, str]] = field(default_factory=list)  # title, score, band
    # Read by the client page's table, a row per response: written here once rather than
    # looked up through the response (and a URL reversed) in the template for each row.
    when_text: str = ""  # "7 Dec 2026 20:15" in the client's timezone
    in_error: bool = False
    error_url: str = ""  # the entered-in-error form's action
    flags: list[tuple[str, Any]] = field(default_factory=list)  # "Risk" or "Risk unknown", item


@dataclass
class Chart:
    title: str
    svg: str
    table: list[dict[str, Any]]  # oldest first; the newest rows only unless shown all
    hidden: int = 0  # rows of the table not shown


@dataclass
class InstrumentSection:
    key: str
    title: str
    definition: InstrumentDefinition
    charts: list[Chart]
    rows: list[HistoryRow]  # newest first
    hidden: int
    change: selectors.Change
    talking_therapies: str
    has_total: bool
    latest_band: str  # of the latest response in the charts
    # The open episode's expected path of this instrument (practice.expected), if any.
    expected: ExpectedView | None = None

    @property
    def from_baseline_text(self) -> str:
        return signed_text(self.change.from_baseline)

    @property
    def from_previous_text(self) -> str:
        return signed_text(self.change.from_previous)


def chart_definition(definition: InstrumentDefinition, practice: Practice,
                     sex: str | None) -> InstrumentDefinition:
    """The definition as charts and change read it: the practice's reliable-change threshold
    where none is published, and the client's sex-specific bands where cut-offs depend on sex."""
    changes: dict[str, Any] = {}
    if definition.has_total and definition.reliable_change is None:
        threshold = (practice.reliable_change_thresholds or {}).get(definition.key)
        if threshold:
            changes["reliable_change"] = threshold
    if not definition.bands and definition.sex_bands and definition.bands_for(sex):
        changes["bands"] = definition.bands_for(sex)
    return replace(definition, **changes) if changes else definition


def signed_text(value: Any) -> str:
    return signed_change(None if value is None else float(value))


def number_text(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    return str(int(number)) if number == int(number) else f"{number:g}"


def _chart_points(points: list[Point]) -> tuple[list[Point], bool]:
    """The points a chart draws: a long dense (daily) series as weekly means."""
    if needs_weekly_means(points):
        return weekly_means(points), True
    return points, False


AVERAGED_WORDS = {"week": " (weekly averages)", "month": " (monthly averages)"}


def _total_chart_points(series: selectors.ChartSeries | None, points: list[Point],
                        zone: ZoneInfo) -> tuple[list[Point], str, ExactEnds | None]:
    """What the total's chart draws, the words saying it is averaged, and (when averaged) the
    exact first and last scores and their count, which its description and reliable-change
    marks read. Without a series read in SQL: ``points`` (every score), a long dense series as
    weekly means."""
    if series is None:
        drawn, weekly = _chart_points(points)
        ends = ExactEnds(points[0], points[-1], len(points)) if weekly else None
        return drawn, AVERAGED_WORDS["week"] if weekly else "", ends
    drawn = [(moment.astimezone(zone), value) for moment, value in series.points]
    if not series.is_averaged:
        return drawn, "", None
    return drawn, AVERAGED_WORDS[series.unit], ExactEnds(points[0], points[-1], series.count)


def _window(count: int, limit: int | None, show_all: bool) -> list[int]:
    """The positions of the newest ``limit`` of ``count`` rows (all when shown all)."""
    if show_all or limit is None:
        return list(range(count))
    return list(range(max(0, count - limit), count))


def _subscale_charts(definition: InstrumentDefinition, valid: list[selectors.ScorePoint],
                     zone: ZoneInfo, rows_shown: int | None, show_all: bool) -> list[Chart]:
    charts = []
    for subscale in definition.subscales:
        if not subscale.bands:
            continue
        view = replace(definition, title=subscale.title, bands=subscale.bands, sex_bands=(),
                       reliable_change=None, clinical_cutoff=None, subscales=(),
                       has_total=True, key=f"{definition.key}_{subscale.key}")
        points = [(point.submitted_at.astimezone(zone), float(point.subscales[subscale.key]))
                  for point in valid if subscale.key in point.subscales]
        title = f"{definition.title}: {subscale.title}"
        drawn, weekly = _chart_points(points)
        charts.append(Chart(
            title + (" (weekly averages)" if weekly else ""),
            trend_svg(definition=view, points=drawn, mark_reliable_change=False, title=title),
            trend_table(view, points, _window(len(points), rows_shown, show_all)),
            hidden=len(points) - len(_window(len(points), rows_shown, show_all))))
    return charts


def _history_rows(definition: InstrumentDefinition, responses: list[Response],
                  table: dict[int, dict[str, Any]], zone: ZoneInfo) -> list[HistoryRow]:
    titles = {subscale.key: subscale.title for subscale in definition.subscales}
    error_url = url_for_each("clinic:assessments:response_entered_in_error")
    rows = []
    for response in responses:
        data = table.get(response.pk, {})
        talking = data.get("talking_therapies")
        subscales = [(titles.get(key, key), number_text(value),
                      ((response.subscale_bands or {}).get(key) or {}).get("label", ""))
                     for key, value in (response.subscales or {}).items()]
        if response.total is not None:
            summary = number_text(response.total) + (f" {response.band_label}"
                                                 if response.band_label else "")
        else:
            summary = "; ".join(f"{title} {value}" + (f" ({band})" if band else "")
                                for title, value, band in subscales) or response.band_label
        rows.append(HistoryRow(
            response=response, score_text=number_text(response.total),
            band=response.band_label, summary=summary,
            from_baseline=data.get("from_baseline_text", ""),
            from_previous=data.get("from_previous_text", ""),
            reliable=data.get("reliable_text", ""),
            reliable_key=data["reliable"].value if data.get("reliable") else "",
            talking_therapies=TALKING_THERAPIES_LABELS.get(talking, "") if talking else "",
            subscales=subscales,
            when_text=(date_format(response.submitted_at.astimezone(zone), "j M Y H:i")
                       if response.submitted_at else ""),
            in_error=response.entered_in_error_at is not None,
            error_url=error_url(response.pk),
            flags=[("Risk" if flag.get("kind") == "risk" else "Risk unknown", flag.get("item"))
                   for flag in response.flags or []],
        ))
    return rows


def instrument_sections(history: selectors.WindowedHistory,  # noqa: PLR0913 - keyword options
                        catalog: selectors.DefinitionCatalog, practice: Practice,
                        zone: ZoneInfo, sex: str | None, *, show_all: str = "",
                        limit: int | None = HISTORY_ROWS_SHOWN, with_charts: bool = True,
                        skip: frozenset[str] = frozenset(),
                        expected: dict[str, ExpectedView] | None = None
                        ) -> list[InstrumentSection]:
    """One section per instrument the client has answered: chart(s), change, history (newest
    first: the responses ``history`` lists, ``limit`` rows unless the instrument is
    ``show_all``). Change, reliable change and bands are computed only for the rows listed,
    each against the instrument's whole series; a chart of more than a year of daily scores
    draws weekly means."""
    sections = []
    for key in history.keys:
        if key in skip:
            continue
        definition = catalog.get(key, history.versions[key])
        if definition is None:
            continue
        view = chart_definition(definition, practice, sex)
        valid = history.points.get(key, [])
        listed = history.rows.get(key, [])
        points = [(point.submitted_at.astimezone(zone), float(point.total)) for point in valid]
        position = {point.pk: index for index, point in enumerate(valid)}
        wanted = [position[response.pk] for response in listed if response.pk in position]
        table = trend_table(view, points, wanted)
        charts = []
        path = (expected or {}).get(key)
        if with_charts and view.has_total:
            drawn, averaged, exact_ends = _total_chart_points(history.charts.get(key), points,
                                                              zone)
            charts.append(Chart(
                view.title + averaged,
                trend_svg(definition=view, points=drawn, mark_reliable_change=True,
                          title=f"{view.title}: scores over time{averaged}",
                          expected=ExpectedOverlay(path.band, expected_range_words(path),
                                                   path.chart_axis) if path else None,
                          exact_ends=exact_ends),
                table))
        if with_charts:
            charts += _subscale_charts(view, valid, zone, limit, show_all == key)
        by_pk = {valid[index].pk: row for index, row in zip(sorted(wanted), table, strict=True)}
        rows = _history_rows(view, listed, by_pk, zone)
        rows.reverse()
        change = selectors.change_summary(view, valid)
        sections.append(InstrumentSection(
            key=key, title=view.title, definition=view, charts=charts, rows=rows,
            hidden=history.counts.get(key, 0) - len(rows), change=change,
            talking_therapies=TALKING_THERAPIES_LABELS.get(change.talking_therapies, "")
            if change.talking_therapies else "",
            has_total=view.has_total,
            latest_band=valid[-1].band_label if valid else "", expected=path))
    return sections

