"""The client progress report and the utilization-review export as branded PDFs (fpdf2, as forms
and invoices). Deterministic: dated by the moment given (the generation time), so the same
records and moment give the same bytes. Each chart is drawn with lines on the page, with the
numbers in the table beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from branding.pdf import BrandedPdf, Column, logo_png_for
from branding.values import Branding
from practice.outcomes.client_selectors import ClientWindow, InstrumentSeries
from practice.outcomes.models import Episode

if TYPE_CHECKING:  # the expected paths build on episodes: imported for their types only
    from practice.expected.selectors import ExpectedView, SupportEntry

LINE = (31, 78, 121)
AXIS = (150, 156, 164)


@dataclass(frozen=True)
class Provenance:
    generated_by: str
    generated_at: datetime
    zone: ZoneInfo


@dataclass(frozen=True)
class Sections:
    """What a disclosure's copy of the report carries: its notice, printed first (a 42 CFR
    Part 2 package's §2.32 notice), and only the sections its release covers."""

    notice: str = ""
    include_goals: bool = True
    include_engagement: bool = True


def _number(value: object) -> str:
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
    return text or "0"


def _signed(value: float) -> str:
    if round(value, 2) == 0:
        return "0"
    return ("+" if value > 0 else "-") + _number(abs(value))


def _chart(pdf: BrandedPdf, series: InstrumentSeries) -> None:
    """A small line chart of the scores over time (the table that follows has the numbers)."""
    points = series.points
    if len(points) < 2:
        return
    height, width = 38.0, pdf.text_width
    if pdf.will_page_break(height + 6):
        pdf.add_page()
    top, left = pdf.get_y() + 1, pdf.l_margin + 10
    values = [float(point.total) for point in points]
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1, low - 1
    first, last = points[0].submitted_at, points[-1].submitted_at
    span = (last - first).total_seconds() or 1.0
    plot_width = width - 12

    def xy(index: int) -> tuple[float, float]:
        moment = points[index].submitted_at
        x = left + (moment - first).total_seconds() / span * plot_width
        y = top + height - (values[index] - low) / (high - low) * height
        return x, y

    pdf.set_draw_color(*AXIS)
    pdf.line(left, top, left, top + height)
    pdf.line(left, top + height, left + plot_width, top + height)
    pdf.set_font(pdf.family, "", 7)
    pdf.set_xy(pdf.l_margin, top - 1)
    pdf.cell(9, 3, _number(high), align="R")
    pdf.set_xy(pdf.l_margin, top + height - 2)
    pdf.cell(9, 3, _number(low), align="R")
    pdf.set_draw_color(*LINE)
    pdf.set_fill_color(*LINE)
    pdf.set_line_width(0.5)
    for index in range(1, len(points)):
        pdf.line(*xy(index - 1), *xy(index))
    for index in range(len(points)):
        x, y = xy(index)
        pdf.circle(x=x, y=y, radius=0.8, style="F")
    pdf.set_line_width(0.2)
    pdf.set_y(top + height + 4)


def _expected(pdf: BrandedPdf, view: ExpectedView | None) -> None:
    """The expected path at the latest score, in words (the page shades it on the chart)."""
    if view is None or view.reading.latest is None or view.reading.stratum is None:
        return
    # A reading with an expected band has the score it was read at.
    latest, stratum = view.reading.latest, view.reading.stratum
    score = cast(float, view.reading.latest_score)
    source = (f"this practice's own curve from {stratum.episodes} episodes"
              if stratum.episodes else "the default path")
    pdf.paragraph(
        f"Expected path ({source}, {stratum.version}): at {view.reading.unit} "
        f"{latest.time:.0f} people who start at a baseline of {view.path.tail.baseline:g} are "
        f"expected between "
        f"{_number(latest.lower)} and {_number(latest.upper)}; the latest score is "
        f"{_number(score)}. Status: {view.reading.words}.")


def _support(pdf: BrandedPdf, entries: list[SupportEntry], zone: ZoneInfo) -> None:
    if not entries:
        return
    pdf.heading("Clinical support questions")
    for entry in entries:
        pdf.paragraph(f"Not on track, {entry.alert.created_at.astimezone(zone):%-d %b %Y}: "
                      f"{entry.alert.summary}")
        if not entry.answers:
            pdf.paragraph("Not answered yet.", muted=True)
            continue
        pdf.table((Column("Question", 0.45), Column("Answer", 0.55)),
                  [[item["question"], item["answer_label"]
                    + (f": {item['note']}" if item["note"] else "")]
                   for item in entry.questions])


def _series_section(pdf: BrandedPdf, series: InstrumentSeries, zone: ZoneInfo,
                    expected: ExpectedView | None = None) -> None:
    pdf.heading(series.title)
    baseline, latest = series.baseline, series.latest
    if baseline is None or latest is None:
        return
    summary = (f"Baseline {_number(baseline.total)}"
               + (f" ({baseline.band_label})" if baseline.band_label else "")
               + f" on {baseline.submitted_at.astimezone(zone):%-d %b %Y}; latest "
               + f"{_number(latest.total)}"
               + (f" ({latest.band_label})" if latest.band_label else "")
               + f" on {latest.submitted_at.astimezone(zone):%-d %b %Y}"
               + f"; change {_signed(float(latest.total - baseline.total))}"
               + f" over {len(series.points)} scores.")
    pdf.paragraph(summary)
    if series.outcome is not None:
        parts = []
        if series.outcome.significance_label:
            parts.append(f"Reliable and clinically significant change (Jacobson-Truax): "
                         f"{series.outcome.significance_label}.")
        if series.outcome.talking_therapies_label:
            parts.append(f"NHS Talking Therapies class: "
                         f"{series.outcome.talking_therapies_label}.")
        if not parts:
            parts.append("No published reliable-change threshold for this instrument.")
        pdf.paragraph(" ".join(parts))
    _expected(pdf, expected)
    _chart(pdf, series)
    rows = []
    previous = None
    for point in series.points:
        change = "" if previous is None else _signed(float(point.total - baseline.total))
        rows.append([f"{point.submitted_at.astimezone(zone):%-d %b %Y}", _number(point.total),
                     point.band_label, change, "; ".join(point.advisories)])
        previous = point
    pdf.table((Column("Date", 0.16), Column("Score", 0.1, "R"), Column("Band", 0.28),
               Column("From baseline", 0.14, "R"), Column("Advisories", 0.32)), rows)


def _engagement(pdf: BrandedPdf, window: ClientWindow) -> None:
    pdf.heading("Homework and engagement")
    homework = window.homework
    done = (f"{homework.completed} of {homework.due} completed" if homework.due
            else "none due")
    pdf.facts([("Homework", done),
               ("Check-ins", str(window.engagement.check_ins)),
               ("Sign-ins to the portal", str(window.engagement.sign_ins)),
               ("Messages from the client", str(window.engagement.messages_from_client))])


def _goals(pdf: BrandedPdf, window: ClientWindow) -> None:
    pdf.heading("Goals")
    if not window.goals:
        pdf.paragraph("No goals recorded.", muted=True)
        return
    pdf.table((Column("Goal", 0.42), Column("Status", 0.2), Column("Target", 0.14),
               Column("Latest", 0.12, "R"), Column("Updates", 0.12, "R")),
              [[goal.title, goal.status, goal.target,
                "" if goal.latest_value is None else _number(goal.latest_value),
                str(goal.entries)] for goal in window.goals])


def _provenance(pdf: BrandedPdf, branding: Branding, provenance: Provenance) -> None:
    pdf.paragraph(
        f"Generated from the records of {branding.display_name} by "
        f"{provenance.generated_by} on "
        f"{provenance.generated_at.astimezone(provenance.zone):%-d %B %Y at %H:%M} "
        f"({provenance.zone.key}). Confidential health information.", muted=True, size=8.5)


def progress_pdf(*, window: ClientWindow, episode: Episode | None, branding: Branding,
                 provenance: Provenance, sections: Sections | None = None,
                 expected: dict[str, ExpectedView] | None = None,
                 support: list[SupportEntry] | None = None) -> bytes:
    """The progress report; a disclosure's copy prints its `sections` only."""
    sections = sections or Sections()
    zone = provenance.zone
    pdf = BrandedPdf(branding=branding, title="Client progress report",
                     created_at=provenance.generated_at, logo_png=logo_png_for(branding))
    pdf.title_block("Client progress report", window.client.full_name)
    if sections.notice:
        pdf.heading("Notice")
        pdf.paragraph(sections.notice)
    facts = [("Client", window.client.full_name)]
    if episode is not None:
        ended = (f"{episode.ended_at.astimezone(zone):%-d %B %Y} "
                 f"({episode.get_end_reason_display().lower()})" if episode.ended_at
                 else "open")
        facts += [("Episode of care", f"from {episode.started_at.astimezone(zone):%-d %B %Y}; "
                                      f"ended: {ended}"),
                  ("Clinician", episode.clinician.full_name if episode.clinician else "")]
    else:
        end = window.end or provenance.generated_at
        facts.append(("Period", f"{window.start.astimezone(zone):%-d %B %Y} to "
                                f"{end.astimezone(zone):%-d %B %Y}"))
    pdf.facts(facts)
    _provenance(pdf, branding, provenance)
    pdf.paragraph("Baseline is the first score of each instrument in this episode. Reliable "
                  "change uses each instrument's published threshold in points; clinically "
                  "significant change also needs the score to cross the clinical cut-off.",
                  muted=True, size=8.5)
    for series in window.series:
        _series_section(pdf, series, zone, (expected or {}).get(series.instrument_key))
    if not window.series:
        pdf.paragraph("No scored measures in this episode.", muted=True)
    if sections.include_goals:
        _goals(pdf, window)
    if sections.include_engagement:
        _engagement(pdf, window)
    _support(pdf, support or [], zone)
    return pdf.to_bytes()


def utilization_pdf(*, window: ClientWindow, branding: Branding, provenance: Provenance) -> bytes:
    zone = provenance.zone
    pdf = BrandedPdf(branding=branding, title="Utilization review",
                     created_at=provenance.generated_at, logo_png=logo_png_for(branding))
    end = window.end or provenance.generated_at
    pdf.title_block("Utilization review", window.client.full_name)
    pdf.facts([("Client", window.client.full_name),
               ("Period", f"{window.start.astimezone(zone):%-d %B %Y} to "
                          f"{end.astimezone(zone):%-d %B %Y}")])
    _provenance(pdf, branding, provenance)
    pdf.heading("Sessions")
    attended = [a for a in window.appointments if a.status == "completed"]
    missed = [a for a in window.appointments if a.status in ("no_show", "late_cancelled")]
    pdf.paragraph(f"{len(attended)} attended, {len(missed)} missed.")
    if window.appointments:
        pdf.table((Column("Date", 0.3), Column("Status", 0.3), Column("Clinician", 0.4)),
                  [[f"{a.starts_at.astimezone(zone):%-d %b %Y %H:%M}", a.get_status_display(),
                    a.clinician.full_name] for a in window.appointments])
    for series in window.series:
        _series_section(pdf, series, zone)
    _engagement(pdf, window)
    return pdf.to_bytes()
