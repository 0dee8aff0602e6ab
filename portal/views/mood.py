"""The daily mood check-in: a number from 0 to 10 and an optional note, on one screen, with the
last 14 days beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal import selectors
from portal.forms import MoodForm
from portal.pages import audit_read, client_required, client_zone, number, render_local
from portal.services import mood_checkin_submit
from practice.measurement.services import MeasurementError
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta
from tenants.requests import SignedInRequest

if TYPE_CHECKING:
    from practice.measurement.models import Response

DAYS = 14


@dataclass(frozen=True)
class MoodDay:
    day: date
    mood: str  # "" when there was no check-in that day
    percent: int
    note: str


def _last_days(request: SignedInRequest, zone: ZoneInfo) -> list[MoodDay]:
    """The latest check-in of each of the last 14 local days, newest first."""
    today = timezone.now().astimezone(zone).date()
    first = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first, time.min, tzinfo=zone)
    latest: dict[date, Response] = {}
    for entry in selectors.mood_entries(request.user, since):
        submitted_at = cast(datetime, entry.submitted_at)  # mood entries are submitted
        latest[submitted_at.astimezone(zone).date()] = entry
    days = []
    for offset in range(DAYS):
        day = today - timedelta(days=offset)
        found = latest.get(day)
        value = float(found.total) if found is not None and found.total is not None else None
        days.append(MoodDay(day=day, mood=number(value) if value is not None else "",
                            percent=round(value * 10) if value is not None else 0,
                            note=found.note if found is not None else ""))
    return days


@require_http_methods(["GET", "POST"])
@client_required
def checkin(request: SignedInRequest) -> HttpResponse:
    form = MoodForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                mood_checkin_submit(client=request.user, mood=form.cleaned_data["mood"],
                                    note=form.cleaned_data["note"],
                                    meta=RequestMeta.from_request(request))
            except MeasurementError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Saved. Thank you for checking in."))
                return HttpResponseRedirect(reverse("portal:mood_checkin:checkin"))
        status = 400
    audit_read(request, Action.PORTAL_MOOD_VIEWED)
    zone = client_zone(request)
    return render_local(request, "portal/mood/checkin.html",
                        {"form": form, "days": _last_days(request, zone)}, status=status,
                        zone=zone)
