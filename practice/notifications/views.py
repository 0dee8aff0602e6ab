"""Pages of notification settings: a staff member's own preferences, a client's own quiet hours,
and the owner's practice-wide rules and delivery log. Each answers 404 to whoever it is not for,
so its existence does not leak."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.pages import client_required
from practice.access import Capability, requires
from practice.notifications import selectors, services
from practice.notifications.forms import (
    ClientQuietHoursForm,
    PracticeNotificationSettingsForm,
    StaffPreferenceForm,
    preference_field,
)
from practice.notifications.models import CHANNELS, Notification
from practice.views import owner_required
from tenants.audit.services import RequestMeta
from tenants.requests import SignedInRequest

LOG_PAGE_SIZE = 50


staff_required = requires(Capability.STAFF_AREA)


def _posted(request: HttpRequest) -> Any:
    """The form's data on a POST, even an empty one (all boxes unticked); None otherwise."""
    return request.POST if request.method == "POST" else None


def _own_quiet_hours(data: dict[str, Any]) -> dict[str, Any]:
    return {"quiet_hours_start": data["quiet_hours_start"],
            "quiet_hours_end": data["quiet_hours_end"]}


@staff_required
def preferences(request: SignedInRequest) -> HttpResponse:
    """A staff member's own: which kinds reach them by email and by push, their timezone and
    quiet hours."""
    row = selectors.preference_for(request.user)
    channels = row.channels if row else {}
    initial: dict[str, Any] = {
        "timezone": row.timezone if row else "",
        "quiet_hours_start": row.quiet_hours_start if row else None,
        "quiet_hours_end": row.quiet_hours_end if row else None,
    }
    for channel in CHANNELS:
        for preference, is_on in (channels.get(channel) or {}).items():
            initial[preference_field(channel, preference)] = is_on
    if row is None:
        initial.update({name: True for name in StaffPreferenceForm().fields
                        if name.startswith(CHANNELS)})
    form = StaffPreferenceForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preference_update(
                user=request.user, meta=RequestMeta.from_request(request),
                values=services.PersonalChoice(channels=form.channels(),
                                               timezone=form.cleaned_data["timezone"],
                                               **_own_quiet_hours(form.cleaned_data)))
        except services.NotificationSettingsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Your notification settings were saved.")
            return HttpResponseRedirect(reverse("notifications:preferences"))
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/preferences.html", {
        "form": form, "practice_rules": selectors.notification_settings(),
    }, status=status)


@client_required
def client_quiet_hours(request: SignedInRequest) -> HttpResponse:
    """A client's own quiet hours (which notifications they get is in their portal settings)."""
    row = selectors.preference_for(request.user)
    form = ClientQuietHoursForm(_posted(request), initial={
        "quiet_hours_start": row.quiet_hours_start if row else None,
        "quiet_hours_end": row.quiet_hours_end if row else None,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preference_update(
                user=request.user, meta=RequestMeta.from_request(request),
                values=services.PersonalChoice(channels=None, timezone="",
                                               **_own_quiet_hours(form.cleaned_data)))
        except services.NotificationSettingsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your quiet hours were saved."))
            return HttpResponseRedirect(reverse("notifications:quiet_hours"))
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/client_quiet_hours.html", {
        "form": form, "practice_rules": selectors.notification_settings(),
    }, status=status)


@owner_required
def practice_settings(request: SignedInRequest) -> HttpResponse:
    """The owner's: the practice's quiet hours and default timezone."""
    rules = selectors.notification_settings()
    form = PracticeNotificationSettingsForm(_posted(request), initial={
        "quiet_hours_enabled": rules.quiet_hours_enabled,
        "quiet_hours_start": rules.quiet_hours_start,
        "quiet_hours_end": rules.quiet_hours_end,
        "default_timezone": rules.default_timezone,
    })
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.notification_settings_update(
                actor=request.actor, values=services.QuietHoursChoice(
                    enabled=data["quiet_hours_enabled"], start=data["quiet_hours_start"],
                    end=data["quiet_hours_end"], default_timezone=data["default_timezone"]))
        except services.NotificationSettingsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Notification settings saved.")
            return HttpResponseRedirect(reverse("notifications:settings"))
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/practice_settings.html", {"form": form},
                  status=status)


@owner_required
def delivery_log(request: SignedInRequest) -> HttpResponse:
    """What the pipeline did: per notification its kind, channel, the recipient's role, status
    and attempts. No one's name, no content."""
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    if status not in selectors.LOG_STATUSES:
        status = ""
    if channel not in CHANNELS:
        channel = ""
    rows = selectors.delivery_log(status=status or None, channel=channel or None)
    page = Paginator(rows, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.delivery_counts()
    return render(request, "notifications/delivery_log.html", {
        "page": page, "status": status, "channel": channel, "now": timezone.now(),
        "status_choices": [(value, label, counts[value])
                           for value, label in Notification.Status.choices],
        "channels": Notification.Channel.choices,
    })
