"""The demo's appointments: seeded through the services, twice gives the same."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.appointments import demo
from practice.appointments.models import Appointment, AppointmentType, WeeklyAvailability
from practice.models import ClientProfile
from tenants.accounts.models import Role, User


def test_demo_seed_is_idempotent(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        client = User.objects.create_user(demo.DEMO_CLIENT, "x", full_name="Jordan Rivera",
                                          role=Role.CLIENT)
        clinician = User.objects.create_user(demo.DEMO_CLINICIAN, "x", full_name="Dr. Maya",
                                             role=Role.CLINICIAN)
        ClientProfile.objects.create(user=client, timezone="America/New_York").clinicians.add(
            clinician)
        for _ in range(2):
            demo.seed(alpha.practice)
        now = timezone.now()
        rows = list(Appointment.objects.order_by("starts_at").values_list("status", "mode"))
        # Four weekly sessions held (one a no-show), tomorrow's at 09:00 (the clinician's day
        # tomorrow; today's belong to other demo clients), then two to come.
        assert rows == [("completed", "in_person"), ("no_show", "video"),
                        ("completed", "in_person"), ("completed", "video"),
                        ("booked", "in_person"), ("booked", "video"), ("booked", "in_person")]
        assert Appointment.objects.filter(starts_at__gt=now).count() == 3
        assert AppointmentType.objects.count() == 3
        assert WeeklyAvailability.objects.count() == 8
    connection.set_schema_to_public()
    alpha.practice.refresh_from_db()
    assert "booking" in alpha.practice.enabled_modules


def test_demo_scheduling_shows_series_a_waitlist_and_an_open_offer(alpha) -> None:
    from practice.appointments.models import (
        AppointmentSeries,
        SlotOffer,
        WaitlistEntry,
        WaitlistOffer,
    )

    with schema_context(alpha.practice.schema_name):
        clinician = User.objects.create_user(demo.DEMO_CLINICIAN, "x", full_name="Dr. Maya",
                                             role=Role.CLINICIAN)
        for email, name in ((demo.DEMO_CLIENT, "Jordan Rivera"),
                            ("taylor@demo.localhost", "Taylor Brooks"),
                            ("riley@demo.localhost", "Riley Chen"),
                            ("sam.lee@demo.localhost", "Sam Lee")):
            person = User.objects.create_user(email, "x", full_name=name, role=Role.CLIENT)
            ClientProfile.objects.create(user=person, timezone="America/New_York"
                                         ).clinicians.add(clinician)
        for _ in range(2):
            demo.seed(alpha.practice)
        assert sorted(AppointmentSeries.objects.values_list("frequency", "occurrences")) == [
            ("fortnightly", 6), ("weekly", None)]
        weekly = AppointmentSeries.objects.get(frequency="weekly")
        assert Appointment.objects.filter(series=weekly).count() == 12
        assert WaitlistEntry.objects.filter(status="waiting").count() == 2
        slot = SlotOffer.objects.get()
        assert slot.status == "open"
        assert sorted(WaitlistOffer.objects.values_list("entry__client__email", flat=True)) == [
            demo.DEMO_CLIENT, "sam.lee@demo.localhost"]
    connection.set_schema_to_public()


def test_seeded_sessions_step_past_the_clinicians_taken_hours(alpha) -> None:
    """Demo parts book at times derived from the clock; where one meets another's session at
    some hour of the day, it moves on an hour at a time (the demo seed once failed at 20:00
    UTC on the exclusion constraint)."""
    from datetime import timedelta

    from practice.appointments.selectors import clinician_free_from

    with schema_context(alpha.practice.schema_name):
        client = User.objects.create_user(demo.DEMO_CLIENT, "x", full_name="Jordan Rivera",
                                          role=Role.CLIENT)
        clinician = User.objects.create_user(demo.DEMO_CLINICIAN, "x", full_name="Dr. Maya",
                                             role=Role.CLINICIAN)
        ClientProfile.objects.create(user=client, timezone="America/New_York").clinicians.add(
            clinician)
        demo.seed(alpha.practice)
        taken = Appointment.objects.exclude(status="cancelled").order_by("starts_at").first()
        hour = timedelta(hours=1)
        length = taken.ends_at - taken.starts_at
        assert clinician_free_from(taken.clinician_id, taken.starts_at, length) >= (
            taken.starts_at + hour)
        free = clinician_free_from(taken.clinician_id, taken.starts_at, length)
        assert not Appointment.objects.filter(
            clinician_id=taken.clinician_id, starts_at__lt=free + length,
            ends_at__gt=free).exclude(status="cancelled").exists()
        assert clinician_free_from(taken.clinician_id, taken.starts_at - 5 * hour,
                                   timedelta(minutes=30)) == taken.starts_at - 5 * hour
