"""A clinician's appointments as an iCalendar feed (RFC 5545), for their calendar app.

A feed leaves the practice for someone else's servers, so it says as little as it can: clients
appear by initials unless the clinician chose full names, and nothing clinical is in it (no
notes, no scores). Times are UTC; calendar apps show them in their own timezone."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from practice.appointments.models import Appointment, ClinicianCalendar


def initials(full_name: str) -> str:
    """"Chris Client" -> "C.C."; a client without a name is "Client"."""
    letters = [part[0].upper() for part in full_name.split() if part[:1].isalpha()]
    return "".join(f"{letter}." for letter in letters[:3]) or "Client"


def event_title(appointment: Appointment, *, full_names: bool) -> str:
    who = appointment.client.full_name if full_names else initials(appointment.client.full_name)
    return f"{who}: {appointment.appointment_type.name}"


def clinician_feed(*, calendar: ClinicianCalendar, appointments: list[Appointment],
                   now: datetime, practice_name: str, host: str) -> bytes:
    feed = Calendar()
    feed.add("prodid", "-//Tandem//Appointments//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", f"{practice_name} sessions")
    feed.add("x-published-ttl", "PT1H")
    for appointment in appointments:
        event = Event()
        event.add("uid", f"appointment-{appointment.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("sequence", appointment.schedule_version)
        event.add("summary", event_title(appointment, full_names=calendar.feed_full_names))
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        if appointment.is_video and appointment.video_link:
            event.add("location", appointment.video_link)
            event.add("url", appointment.video_link)
        else:
            event.add("location", "In person")
        feed.add_component(event)
    return feed.to_ical()
