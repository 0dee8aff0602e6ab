"""The caseload, a client's page (assigning, ending an assignment, entered-in-error) and the
60-second pre-session review."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from portal.invitations import portal_state
from practice.expected.selectors import (
    client_sharing,
    expected_views,
    path_settings,
    support_for_client,
)
from practice.measurement import caseload as caseload_selectors
from practice.measurement import selectors, services
from practice.measurement.forms import (
    AlertResolveForm,
    AlertSnoozeForm,
    AssignForm,
    CaseloadFilterForm,
    EnteredInErrorForm,
    ReviewSinceForm,
)
from practice.measurement.models import Assignment, Response
from practice.measurement.schedule import local_today
from practice.measurement.views_clinic.common import (
    client_or_404,
    client_sex,
    client_url,
    client_zone,
    clinical_required,
    read_event,
    render_page,
    url_for_each,
)
from practice.measurement.views_clinic.sections import HISTORY_ROWS_SHOWN, instrument_sections
from tenants.accounts.models import User
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import PracticeRequest, SignedInRequest

REVIEW_DEFAULT_DAYS = 7


# --- caseload ----------------------------------------------------------------------------------

@clinical_required
def caseload(request: SignedInRequest) -> HttpResponse:
    """The caseload table: search, filters, sort and pages in the query string."""
    now = timezone.now()
    entries = caseload_selectors.caseload_entries(request.user, practice=request.tenant)
    options = caseload_selectors.caseload_options(
        entries, request.user, instrument=request.GET.get("instrument", ""))
    form = CaseloadFilterForm(request.GET or None, instruments=options.instruments,
                              bands=options.bands, clinicians=options.clinicians,
                              with_scores=request.tenant.has_module("assessments"))
    values = form.values() if form.is_bound else {}
    query = caseload_selectors.CaseloadQuery(
        search=(values.get("q") or "").strip(), clinician=values.get("clinician"),
        **{name: values.get(name) or "" for name in (
            "instrument", "band", "change", "reliable", "activity", "engagement", "episode")},
        sort=values.get("sort") or "name", descending=values.get("order") == "desc",
        page=values.get("page") or 1)
    page = caseload_selectors.caseload_page(entries, query, now=now)
    audit_record(action=Action.CLIENT_CASELOAD_VIEWED, actor=request.user, object_type="caseload",
                 meta=RequestMeta.from_request(request),
                 detail={"client_ids": [entry.client.pk for entry in page]})
    kept = request.GET.copy()
    kept.pop("page", None)
    return render_page(request, "practice/clinic/caseload.html", {
        "page": page, "rows": _caseload_rows_html(
            _caseload_rows(page), assessments_on=request.tenant.has_module("assessments")),
        "total": len(entries), "form": form,
        "filter_fields": _filter_fields(form), "query": query,
        "kept": kept.urlencode(), "filtered": any(
            values.get(name) for name in form.fields if name not in ("sort", "order", "page")),
        "sorts": caseload_selectors.SORTS,
    })


# The filter fields' HTML by the form's data and choices (a dozen widgets rendered through
# Django's widget templates cost a fifth of the page; the same few filters come back all day).
_FILTER_FIELDS: dict[tuple[Any, ...], str] = {}
FILTER_FIELDS_KEPT = 256


def _filter_fields(form: CaseloadFilterForm) -> str:
    """The form's visible fields, labels, help and errors: a function of its data and its
    fields' choices alone, so rendered once per distinct pair in a process."""
    query = cast(QueryDict, form.data)  # bound from request.GET
    data = tuple((name, tuple(query.getlist(name))) for name in form.fields
                 if name in form.data) if form.is_bound else None
    choices = tuple((name, tuple(getattr(field, "choices", ())))
                    for name, field in form.fields.items())
    key = (data, choices)
    html = _FILTER_FIELDS.get(key)
    if html is None:
        html = render_to_string("practice/clinic/_caseload_filters.html", {"form": form})
        if len(_FILTER_FIELDS) >= FILTER_FIELDS_KEPT:
            _FILTER_FIELDS.clear()
        _FILTER_FIELDS[key] = html
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, escaped there


RELIABLE_CSS = {"deterioration": "danger", "improvement": "ok"}
ENGAGEMENT_CSS = {"drifting": "warn", "engaged": "ok"}


def _caseload_rows(page: Any) -> list[dict[str, Any]]:
    """The page's rows as the table prints them: plain values, so that the template looks
    nothing up through the entries, their clients and headlines, nor reverses a URL, for each
    of its rows (what a row of the caseload cost)."""
    client_page = url_for_each("clinic:assessments:client")
    review_page = url_for_each("clinic:assessments:review")
    rows = []
    for entry in page:
        client = entry.client
        path = entry.path
        rows.append({
            "name": client.full_name, "inactive": not client.is_active,
            "url": client_page(client.pk), "review_url": review_page(client.pk),
            "team": ", ".join(name for _pk, name in entry.clinicians),
            "headlines": [{
                "title": headline.title, "latest": headline.latest_text, "band": headline.band,
                "change": headline.change_text, "reliable": headline.reliable_text,
                "reliable_css": RELIABLE_CSS.get(headline.reliable_key, "muted"),
            } for headline in entry.headlines],
            "last_activity": entry.last_activity,
            "engagement_css": ENGAGEMENT_CSS.get(entry.engagement, "muted"),
            "engagement": entry.engagement_label, "reasons": entry.engagement_reasons,
            "episode_css": "info" if entry.episode == "open" else "muted",
            "episode": entry.episode_label, "episode_end_reason": entry.episode_end_reason,
            "path": {"css": path.css, "colour": path.colour, "words": path.words,
                     "title": path.title} if path else None,
            "alerts": entry.open_risk_alerts,
        })
    return rows


def _caseload_rows_html(rows: list[dict[str, Any]], *, assessments_on: bool) -> SafeString:
    """The table's rows, written here rather than by the template: 25 rows of a dozen cells
    each cost the template engine a sixth of the page (a tenth here). Every value is escaped by
    format_html; the markup is the table's (practice/clinic/caseload.html)."""
    alerts_url = reverse("clinic:alerts")
    muted = mark_safe('<span class="muted">')  # noqa: S308 - constant markup
    parts = []
    for row in rows:
        name = (format_html('<a href="{}">{}</a>', row["url"], row["name"]) if assessments_on
                else conditional_escape(row["name"]))
        cells = [format_html('<th scope="row">{}{}</th>', name, mark_safe(
            ' <small class="muted">(inactive)</small>') if row["inactive"] else "")]  # noqa: S308
        cells.append(format_html("<td>{}</td>", row["team"]) if row["team"]
                     else mark_safe(f"<td>{muted}None</span></td>"))  # noqa: S308
        if assessments_on:
            cells.append(format_html("<td>{}</td>", format_html(
                '<ul class="headlines">{}</ul>', format_html_join("", (
                    '<li><span class="headline"><span class="headline-title">{}</span> '
                    "<strong>{}</strong>{}{}{}</span></li>"), (
                    (h["title"], h["latest"],
                     format_html(' <span class="muted">{}</span>', h["band"]) if h["band"]
                     else "",
                     format_html(" · {} since baseline", h["change"]) if h["change"] else "",
                     format_html(' <span class="status status-{}">{}</span>', h["reliable_css"],
                                 h["reliable"]) if h["reliable"] else "")
                    for h in row["headlines"])))
                if row["headlines"] else mark_safe(f"{muted}None yet</span>")))  # noqa: S308
        moment = row["last_activity"]
        cells.append(format_html("<td>{}</td>", date_format(localtime(moment), "j M Y"))
                     if moment else mark_safe(f"<td>{muted}Never</span></td>"))  # noqa: S308
        reasons = (format_html('<ul class="reasons small">{}</ul>', format_html_join(
            "", "<li>{}</li>", ((reason,) for reason in row["reasons"])))
            if row["reasons"] else "")
        cells.append(format_html('<td><span class="status status-{}">{}</span>{}</td>',
                                 row["engagement_css"], row["engagement"], reasons))
        cells.append(format_html(
            '<td><span class="status status-{}">{}</span>{}</td>', row["episode_css"],
            row["episode"], format_html(' <span class="small muted">{}</span>',
                                        row["episode_end_reason"])
            if row["episode_end_reason"] else ""))
        if assessments_on:
            path = row["path"]
            cells.append(format_html(
                '<td><span class="status status-{} path-status" data-colour="{}">{}</span> '
                '<span class="small muted">{}</span></td>', path["css"], path["colour"],
                path["words"], path["title"]) if path
                else mark_safe(f"<td>{muted}—</span></td>"))  # noqa: S308
        alerts = row["alerts"]
        cells.append(format_html(
            '<td><a class="urgent" href="{}">{}<span class="visually-hidden"> open risk alert{}'
            "</span></a></td>", alerts_url, alerts, pluralize(alerts)) if alerts
            else mark_safe("<td>0</td>"))  # noqa: S308
        if assessments_on:
            cells.append(format_html(
                '<td><a href="{}">60-second review<span class="visually-hidden"> of {}</span>'
                "</a></td>", row["review_url"], row["name"]))
        parts.append(format_html("<tr>\n    {}\n  </tr>", mark_safe(  # noqa: S308
            "\n    ".join(cells))))
    return mark_safe("\n  ".join(parts))  # noqa: S308 - each part built by format_html


def _assignment_rows(record: selectors.ClientRecord, now: datetime) -> list[dict[str, Any]]:
    due_by_assignment = {response.assignment_id: response for response in record.due
                         if response.assignment_id}
    rows = []
    for assignment in record.assignments:
        definition = record.catalog.get(assignment.instrument_key)
        due = due_by_assignment.get(assignment.pk)
        rows.append({
            "assignment": assignment,
            "title": definition.title if definition else assignment.instrument_key,
            "due": due,
            "overdue": bool(due and due.due_at and due.due_at < now),
            "missed": assignment.missed_count,
        })
    return rows


def _client_page(request: PracticeRequest, client: User, *, assign_form: AssignForm | None = None,
                 status: int = 200) -> HttpResponse:
    now = timezone.now()
    zone = client_zone(client)
    show_all = request.GET.get("all", "")
    record = selectors.client_record(client, newest=HISTORY_ROWS_SHOWN, show_all=show_all,
                                     zone=zone)
    skip = frozenset() if request.tenant.has_module("mood_checkin") else frozenset({"mood"})
    if assign_form is None:
        assign_form = AssignForm(instruments=selectors.instruments_offered(request.tenant),
                                 initial={"frequency": Assignment.Frequency.WEEKLY,
                                          "starts_on": local_today(now, zone.key)})
    read_event(request, Action.CLIENT_SCORES_VIEWED, client)
    return render_page(request, "practice/clinic/client.html", {
        "client": client,
        "client_tz": zone.key,
        "sections": instrument_sections(record.history, record.catalog, request.tenant, zone,
                                        client_sex(client), show_all=show_all, skip=skip,
                                        expected=expected_views(client, zone)),
        "path_sharing": client_sharing(client),
        "path_shown_to_clients": path_settings().is_shown_to_clients,
        "open_alerts": record.open_alerts,
        "portal": portal_state(client),
        "assignments": _assignment_rows(record, now),
        "due": record.due,
        "now": now,
        "assign_form": assign_form,
        "error_form": EnteredInErrorForm(),
        "resolve_form": AlertResolveForm(),
        "snooze_form": AlertSnoozeForm(),
    }, status=status)


@clinical_required
def client_detail(request: SignedInRequest, client_id: int) -> HttpResponse:
    return _client_page(request, client_or_404(request, client_id))


@require_POST
@clinical_required
def assign(request: SignedInRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    form = AssignForm(request.POST, instruments=selectors.instruments_offered(request.tenant))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.assignment_create(
                client_id=client.pk, instrument_key=data["instrument"],
                frequency=data["frequency"], starts_on=data["starts_on"],
                ends_on=data["ends_on"], actor=request.actor)
        except services.MeasurementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Assigned. The client sees it in their portal when it "
                                      "is due.")
            return HttpResponseRedirect(client_url(client.pk))
    return _client_page(request, client, assign_form=form, status=400)


@require_POST
@clinical_required
def assignment_end(request: SignedInRequest, assignment_id: int) -> HttpResponse:
    try:
        assignment = services.assignment_end(assignment_id=assignment_id,
                                             actor=request.actor)
    except Assignment.DoesNotExist:
        raise Http404 from None
    messages.success(request, "Assignment ended. Responses already given are kept.")
    return HttpResponseRedirect(client_url(assignment.client_id))


@require_POST
@clinical_required
def response_entered_in_error(request: SignedInRequest, response_id: int) -> HttpResponse:
    try:
        response = selectors.submitted_response_for_reader(request.user, response_id)
    except Response.DoesNotExist:
        raise Http404 from None
    form = EnteredInErrorForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why this response was entered in error (up to 500 "
                                "characters).")
        return HttpResponseRedirect(client_url(response.client_id))
    try:
        services.response_mark_entered_in_error(
            response_id=response.pk, reason=form.cleaned_data["reason"],
            actor=request.actor)
    except services.MeasurementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Marked entered in error. It is kept, listed as such, and "
                                  "no longer in the charts.")
    return HttpResponseRedirect(client_url(response.client_id))


# --- the pre-session review --------------------------------------------------------------------

def _review_since(request: HttpRequest, zone: ZoneInfo, now: datetime) -> tuple[
        ReviewSinceForm, datetime]:
    default = local_today(now, zone.key) - timedelta(days=REVIEW_DEFAULT_DAYS)
    form = ReviewSinceForm(request.GET if request.GET.get("since") else None,
                           initial={"since": default})
    day: date = default
    if form.is_bound and form.is_valid() and form.cleaned_data.get("since"):
        day = form.cleaned_data["since"]
    return form, datetime.combine(day, time.min, tzinfo=zone)


@clinical_required
def review(request: SignedInRequest, client_id: int) -> HttpResponse:
    """Everything since a date (by default the last 7 days, in the client's calendar): new
    responses with band and change, open risk flags, what is overdue."""
    client = client_or_404(request, client_id)
    now = timezone.now()
    zone = client_zone(client)
    form, since = _review_since(request, zone, now)
    data = selectors.pre_session_review(client, since=since, now=now)
    expected = expected_views(client, zone)
    sections = instrument_sections(data.history, data.catalog, request.tenant, zone,
                                   client_sex(client), limit=None, with_charts=False,
                                   expected=expected)
    recent = [{"section": section, "rows": section.rows} for section in sections
              if section.rows]
    overdue = [{"response": response,
                "title": (definition.title
                          if (definition := data.catalog.get(response.instrument_key))
                          else response.instrument_key)} for response in data.overdue]
    read_event(request, Action.CLIENT_REVIEW_VIEWED, client)
    return render_page(request, "practice/clinic/review.html", {
        "client": client, "client_tz": zone.key, "since": since, "form": form,
        "recent": recent, "sections": sections, "open_alerts": data.open_alerts,
        "overdue": overdue, "now": now,
        "paths": list(expected.values()),
        "support": support_for_client(client),
        "resolve_form": AlertResolveForm(), "snooze_form": AlertSnoozeForm(),
    })
