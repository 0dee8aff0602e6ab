"""Choosing a timezone (client settings, staff preferences, the practice's rules, a clinician's
hours): the likely zones first (the one already chosen, the practice's, and the common zones of
the United States), then every zone grouped by region (<optgroup>), each read as
"New York (EST, UTC−05:00)". The list is searched by typing a city's first letters, which every
browser's <select> does; on a device with scripts, config/static/js/timezone.js also puts
the device's own zone first among the suggestions. A zone is valid only when zoneinfo knows it:
the choices are built from zoneinfo, and TimezoneField checks the value against it again."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from practice.appointments.models import DEFAULT_TIMEZONE, BookingSettings
from practice.notifications.models import NotificationSettings

# The United States first: the product's crisis numbers (988, 911) are American.
COMMON_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
                "America/Puerto_Rico")
REGIONS: dict[str, Promise] = {
    "America": _("Americas"), "Europe": _("Europe"), "Africa": _("Africa"), "Asia": _("Asia"),
    "Australia": _("Australia"), "Pacific": _("Pacific"), "Atlantic": _("Atlantic"),
    "Indian": _("Indian Ocean"), "Antarctica": _("Antarctica"), "Arctic": _("Arctic"),
}
UTC_NAME = "UTC"


def practice_zones() -> list[str]:
    """The practice's own zones, likely for its people: its booking timezone (clinicians'
    hours start in it) and its notification default, when set (two queries)."""
    booking = BookingSettings.objects.values_list("timezone", flat=True).first()
    default = NotificationSettings.objects.values_list("default_timezone", flat=True).first()
    return [zone for zone in (booking or DEFAULT_TIMEZONE, default) if zone and zone != UTC_NAME]


def _listed_zones() -> set[str]:
    """The zones of zone.tab (one line per zone a country uses; no backward-compatible
    aliases such as "America/Buenos_Aires" or "Australia/ACT"), from the tzdata package."""
    try:
        text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is installed
        return set(available_timezones())
    return {line.split("\t")[2] for line in text.splitlines()
            if line and not line.startswith("#")}


@cache
def zone_names() -> tuple[str, ...]:
    """The zones offered: those of the regions that zoneinfo knows, aliases left out."""
    known = available_timezones()
    return tuple(sorted(name for name in _listed_zones() & known
                        if "/" in name and name.split("/", 1)[0] in REGIONS))


def is_zone(name: str) -> bool:
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _offset(moment: datetime) -> str:
    delta = moment.utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "+" if minutes >= 0 else "−"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_label(name: str, *, now: datetime | None = None) -> str:
    """"America/New_York" -> "New York (EST, UTC−05:00)" (the offset of `now`, so summer time
    shows as such); "America/Argentina/Buenos_Aires" -> "Buenos Aires, Argentina (UTC−03:00)"."""
    if name == UTC_NAME:
        return "UTC (UTC+00:00)"
    local = (now or timezone.now()).astimezone(ZoneInfo(name))
    parts = [part.replace("_", " ") for part in name.split("/")[1:]]
    place = ", ".join([parts[-1], *reversed(parts[:-1])])
    abbreviation = local.tzname() or ""
    shown = f"{abbreviation}, " if abbreviation.isalpha() else ""
    return f"{place} ({shown}{_offset(local)})"


@cache
def _grouped(day: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Every zone under its region, by label; computed once a day (offsets follow the day)."""
    now = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    for name in zone_names():
        groups[name.split("/", 1)[0]].append((name, zone_label(name, now=now)))
    return tuple((region, tuple(sorted(rows, key=lambda row: row[1])))
                 for region, rows in groups.items() if rows)


def timezone_choices(*, likely: Iterable[str] = (), include_utc: bool = False,
                     now: datetime | None = None) -> list[tuple[Any, Any]]:
    """Grouped choices: "Suggested" (the `likely` zones, then the common ones), then each
    region. The regions repeat the suggested zones, so a city is where one looks for it."""
    now = now or timezone.now()
    suggested = []
    for name in [*likely, *COMMON_ZONES]:
        if name and is_zone(name) and name not in suggested:
            suggested.append(name)
    choices: list[tuple[Any, Any]] = [
        (_("Suggested"), [(name, zone_label(name, now=now)) for name in suggested])]
    if include_utc:
        choices.append((UTC_NAME, zone_label(UTC_NAME)))
    for region, rows in _grouped(now.date().isoformat()):
        choices.append((REGIONS[region], list(rows)))
    return choices


def offer_likely_zones(form: forms.Form, *names: str) -> None:
    """Put the zone already chosen and the practice's own first in these fields' lists."""
    zones = practice_zones()
    for name in names:
        field = form.fields[name]
        assert isinstance(field, TimezoneField)
        current = form.initial.get(name) or field.initial or ""
        field.set_likely([str(current), *zones])


class TimezoneSelect(forms.Select):
    """A <select> that names its script (the device's zone first, when scripts run)."""

    template_name = "widgets/timezone_select.html"

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"data-timezone": "", **(attrs or {})}, choices)


class TimezoneField(forms.ChoiceField):
    """A timezone chosen from the grouped list; any value zoneinfo does not know is refused
    with a message (never a 500 later, when the zone is used)."""

    widget = TimezoneSelect

    def __init__(self, *, likely: Iterable[str] = (), include_utc: bool = False,
                 blank_label: str | Promise | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {
            "invalid_choice": _("Choose a timezone from the list.")})
        super().__init__(**kwargs)
        self.include_utc = include_utc
        self.blank_label = blank_label
        self.set_likely(likely)

    def set_likely(self, likely: Iterable[str]) -> None:
        choices = timezone_choices(likely=likely, include_utc=self.include_utc)
        if self.blank_label is not None:
            choices.insert(0, ("", self.blank_label))
        self.choices = choices
        self._offered = {value for _group, rows in choices if isinstance(rows, list)
                         for value, _label in rows} | set(zone_names())
        if self.include_utc:
            self._offered.add(UTC_NAME)

    def valid_value(self, value: Any) -> bool:
        """One of the offered values (the regions' zones; the one already chosen, even an
        older alias such as "US/Eastern"), and a zone zoneinfo knows."""
        if value == "" and self.blank_label is not None:
            return True
        return (isinstance(value, str) and value in self._offered
                and (value == UTC_NAME or is_zone(value)))
