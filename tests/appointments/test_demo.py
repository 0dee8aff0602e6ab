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
        assert rows == [("completed", "in_person"), ("no_show", "video"),
                        ("completed", "in_person"), ("completed", "video"),
                        ("booked", "video"), ("booked", "in_person")]
        assert Appointment.objects.filter(starts_at__gt=now).count() == 2
        assert AppointmentType.objects.count() == 3
        assert WeeklyAvailability.objects.count() == 8
    connection.set_schema_to_public()
    alpha.practice.refresh_from_db()
    assert "booking" in alpha.practice.enabled_modules
