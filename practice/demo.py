"""The demo practice `make run` seeds. Later capabilities extend it so the demo shows them."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from practice.demo_logins import DEMO_PASSWORD, DEMO_SUBDOMAIN, OPERATOR_EMAIL
from tenants.accounts.models import Role, User
from tenants.selectors import practice_by_subdomain
from tenants.services import PracticeSignup, platform_user_create, practice_provision

_PEOPLE = [
    ("clinician@demo.localhost", "Dr. Maya Ellison", Role.CLINICIAN),
    ("frontdesk@demo.localhost", "Sam Ortiz", Role.FRONT_DESK),
    ("client@demo.localhost", "Jordan Rivera", Role.CLIENT),
]


def seed_demo() -> bool:
    """Create the operator and the demo practice unless they exist. Returns True if created."""
    connection.set_schema_to_public()
    if not User.objects.filter(email=OPERATOR_EMAIL).exists():
        platform_user_create(email=OPERATOR_EMAIL, password=DEMO_PASSWORD,
                             full_name="Platform Operator", role=Role.OPERATOR)
    if practice_by_subdomain(DEMO_SUBDOMAIN) is not None:
        return False
    practice, _owner = practice_provision(
        signup=PracticeSignup(
            practice_name="Riverside Counseling",
            subdomain=DEMO_SUBDOMAIN,
            owner_name="Alex Morgan",
            owner_email="owner@demo.localhost",
            owner_password=DEMO_PASSWORD,
        ),
        acting_user=None,
    )
    with schema_context(practice.schema_name):
        for email, name, role in _PEOPLE:
            User.objects.create_user(email, DEMO_PASSWORD, full_name=name, role=role)
    return True
