"""The staff home: one Today page per role. The owner sees the practice at a glance, a
clinician their day and who needs attention, the front desk the day's appointments,
invitations and forms (never anything clinical)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from practice.measurement.views_clinic.common import url_for_each
from practice.messaging.context_processors import UnreadMessages, unread_messages
from practice.today import selectors
from practice.today.charts import bar_chart
from tenants.accounts.models import Role
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.requests import PracticeRequest, SignedInRequest


def _owner_context(request: PracticeRequest) -> dict[str, Any]:
    now = timezone.now()
    data = selectors.owner_today(practice=request.tenant, now=now)
    labels = [month.month.strftime("%b") for month in data.months]
    completed = [month.completed for month in data.months]
    total = sum(completed)
    chart = bar_chart(
        title="Measures completed per month, last 12 months", labels=labels, values=completed,
        summary=f"{total} measures completed in 12 months; {completed[-1]} so far this month.")
    return {"data": data, "chart": chart, "now": now}


def _clinician_context(request: SignedInRequest) -> dict[str, Any]:
    now = timezone.now()
    data = selectors.clinician_today(request.user, practice=request.tenant, now=now)
    audit_record(action=Action.CLIENT_TODAY_VIEWED, actor=request.user, object_type="today",
                 meta=RequestMeta.from_request(request),
                 detail={"client_ids": sorted({session.appointment.client_id
                                               for session in data.sessions}
                                              | {entry.client.pk for entry in data.attention})})
    assessments_on = request.tenant.has_module("assessments")
    return {"data": data, "now": now, "assessments_on": assessments_on,
            "attention_rows": attention_rows_html(data.attention, assessments_on=assessments_on),
            "today_sessions": [s for s in data.sessions if s.day == "today"],
            "tomorrow_sessions": [s for s in data.sessions if s.day == "tomorrow"]}


def attention_rows_html(entries: list[selectors.Attention], *, assessments_on: bool
                        ) -> SafeString:
    """The attention table's rows, written here rather than by the template (25 rows with their
    badges and links cost the template engine half of Today's rendering). Every value is
    escaped by format_html; the badges are ui/badge.html's and expected/_badge.html's markup."""
    client_url = url_for_each("clinic:assessments:client")
    rows = []
    for entry in entries:
        name = entry.client.full_name
        path = entry.path
        rows.append(format_html(
            '<tr>\n      <th scope="row">{}{}{}</th>\n'
            '      <td><ul class="reasons">{}</ul></td>\n      <td>{}</td>\n    </tr>', name,
            mark_safe(' <span class="status status-danger">Urgent</span>')  # noqa: S308
            if entry.is_urgent else "",
            format_html(' <span class="status status-{} path-status" data-colour="{}">{}</span>',
                        path.css, path.colour, path.words) if path else "",
            format_html_join("", "<li>{}</li>", ((reason,) for reason in entry.reasons)),
            format_html('<a href="{}">Open<span class="visually-hidden"> {}</span></a>',
                        client_url(entry.client.pk), name) if assessments_on else ""))
    return mark_safe("\n    ".join(rows))  # noqa: S308 - each row built by format_html


def _nav_counts(request: SignedInRequest, clinician: dict[str, Any]) -> dict[str, Any]:
    """The navigation's alert and unread-message counts, as the page already counted them (the
    same queries as the context processors', which then do not run again)."""
    data = clinician["data"]
    counts: dict[str, Any] = {"clinic_alert_count": data.alert_count}
    if data.unread_messages is not None and unread_messages(request):
        counts["messaging_unread"] = UnreadMessages(lambda: data.unread_messages)
    return counts


@login_required
def today(request: SignedInRequest) -> HttpResponse:
    user = request.user
    if user.is_client:
        return HttpResponseRedirect(reverse("portal:dashboard"))
    if user.is_proxy:
        return HttpResponseRedirect(reverse("family:home"))
    if user.role == Role.OWNER:
        context = _owner_context(request)
        # The owner is often a clinician too: their own day, under the practice's figures.
        context["c"] = _clinician_context(request)
        context.update(_nav_counts(request, context["c"]))
        return render(request, "practice/today/owner.html", context)
    if user.role == Role.CLINICIAN:
        c = _clinician_context(request)
        return render(request, "practice/today/clinician.html",
                      {"c": c, **_nav_counts(request, c)})
    if user.role == Role.FRONT_DESK:
        now = timezone.now()
        data = selectors.front_desk_today(user, now=now)
        return render(request, "practice/today/front_desk.html", {"data": data, "now": now})
    return render(request, "practice/staff_home.html")
