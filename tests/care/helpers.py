"""A practice ready for care between sessions: the client on the clinician's care team (with
consent accepted, as after an invitation), a second clinician who is not on it, and a client of
another practice with look-alike data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tenants.models import Practice
from tests.conftest import PASSWORD, PracticeWorld

CLIENT_ZONE = "America/Chicago"


def page_text(response) -> str:
    """The page as a person sees it: each render masks the CSRF token differently and has
    its own CSP nonce."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"| nonce="[^"]*"', "",
                  response.content.decode())


def _accept_consent(user: User) -> None:
    """The portal asks for consent before anything else; a client in these tests has given it."""
    try:
        from portal.consent import current_consent
        from portal.invitations import consent_accept
    except ImportError:  # the consent step is not there: nothing to accept
        return
    consent_accept(user=user, version=current_consent().version)


@dataclass
class CareWorld:
    world: PracticeWorld
    outsider: User  # a clinician not on the client's care team

    @property
    def practice(self) -> Practice:
        return self.world.practice

    @property
    def schema(self) -> str:
        return self.world.practice.schema_name

    def http(self, user: User | None = None) -> Client:
        return self.world.http(user)

    def people(self) -> dict[str, User | None]:
        """Everyone of the authorisation matrix, by name."""
        return {"anonymous": None, "client": self.world.client,
                "front_desk": self.world.front_desk, "billing": self.world.billing,
                "outsider": self.outsider, "clinician": self.world.clinician,
                "owner": self.world.owner}


def prepare(world: PracticeWorld) -> CareWorld:
    with schema_context(world.practice.schema_name):
        profile, _ = ClientProfile.objects.get_or_create(user=world.client,
                                                         defaults={"timezone": CLIENT_ZONE})
        profile.clinicians.add(world.clinician)
        outsider = User.objects.create_user("other-clinician@example.org", PASSWORD,
                                            full_name="Otto Other", role=Role.CLINICIAN)
        _accept_consent(world.client)
    connection.set_schema_to_public()
    return CareWorld(world=world, outsider=outsider)


def client_today() -> date:
    return timezone.now().astimezone(ZoneInfo(CLIENT_ZONE)).date()


def turn_off(world: PracticeWorld, module: str) -> None:
    modules = [key for key in world.practice.enabled_modules if key != module]
    Practice.objects.filter(pk=world.practice.pk).update(enabled_modules=modules)
    world.practice.refresh_from_db()


def audit_actions(world: PracticeWorld, prefix: str = "") -> list[tuple[str, str]]:
    """(action, object_type) of the practice's audit events starting with `prefix`, in order."""
    with schema_context(world.practice.schema_name):
        rows = list(AuditEvent.objects.filter(action__startswith=prefix).order_by("pk")
                    .values_list("action", "object_type"))
    connection.set_schema_to_public()
    return rows


def audit_details(world: PracticeWorld, prefix: str = "") -> list[dict]:
    with schema_context(world.practice.schema_name):
        rows = list(AuditEvent.objects.filter(action__startswith=prefix).order_by("pk")
                    .values_list("detail", flat=True))
    connection.set_schema_to_public()
    return rows


def contact_rows(section: str, rows: list[tuple[str, str, str]], initial: int = 0) -> dict:
    """The safety-plan form's contact formset as a browser posts it: (name, relationship,
    phone) a row."""
    data = {f"{section}-TOTAL_FORMS": str(len(rows)), f"{section}-INITIAL_FORMS": str(initial)}
    for index, (name, relationship, phone) in enumerate(rows):
        data |= {f"{section}-{index}-name": name,
                 f"{section}-{index}-relationship": relationship,
                 f"{section}-{index}-phone": phone}
    return data


NO_CONTACTS = contact_rows("help_contacts", []) | contact_rows("professionals", [])
