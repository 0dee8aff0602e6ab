"""Caregiver-reported measures on a schedule: staff assign a parent report to a proxy about the
client, weekly; the same schedule as a client's own assignments (practice.measurement.schedule)
makes one occurrence due at a time in the proxy's calendar (America/New_York here), an older
one unanswered is missed, never piled up; the proxy sees what is due on their pages and the
API, is reminded once per occurrence without PHI, and each report is stored with its informant
and its occurrence. Pinned clock across the due dates; the look-alike practice is untouched."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from practice.family import services
from practice.family.instruments import PARENT_REPORT, SELF_REPORT
from practice.family.models import (
    CaregiverAssignment,
    CaregiverReport,
    ClientAgeFacts,
    FamilySettings,
    ProxyLink,
)
from practice.measurement import services as measurement_services
from practice.models import ClientProfile
from practice.notifications import delivery, kinds
from practice.notifications.models import Notification
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.features import MODULE_KEYS
from tests.conftest import PASSWORD, PracticeWorld
from tests.family.helpers import proxy_linked

NEW_YORK = ZoneInfo("America/New_York")
ANSWERS = {"q1": 1, "q2": 1, "q3": 1, "q4": 0}


def _world(world: PracticeWorld) -> tuple[User, int]:
    world.practice.enabled_modules = list(MODULE_KEYS)
    world.practice.save(update_fields=["enabled_modules"])
    with schema_context(world.practice.schema_name):
        teen = world.client
        ClientProfile.objects.get_or_create(user=teen)[0].clinicians.add(world.clinician)
        FamilySettings.objects.create(self_consent_age=14)
        ClientAgeFacts.objects.create(client=teen, birth_date=date(2014, 1, 1))
        for definition in (PARENT_REPORT, SELF_REPORT):
            measurement_services.practice_instrument_save(data=definition,
                                                          actor=Actor.of(world.clinician))
            measurement_services.practice_instrument_publish(key=definition["key"],
                                                             actor=Actor.of(world.clinician))
        parent = proxy_linked(teen, email="pat@example.org", tier_key="logistics")
        return parent, ProxyLink.objects.get(proxy=parent).pk


@pytest.fixture
def family(clock, alpha: PracticeWorld, beta: PracticeWorld) -> tuple[User, int]:
    _world(beta)
    return _world(alpha)


def _due(http, teen_id: int) -> list[tuple[str, datetime]]:
    rows = http.get(f"/api/v1/family/clients/{teen_id}/questionnaires").json()
    return [(row["occurrence_date"], datetime.fromisoformat(row["due_at"])) for row in rows]


def _end_of(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=NEW_YORK)


def _reminders(world: PracticeWorld) -> int:
    with schema_context(world.practice.schema_name):
        return services.caregiver_reminders_enqueue()


def test_a_weekly_parent_report_falls_due_is_reminded_and_answered(clock, alpha, beta, family,
                                                                     mailbox) -> None:
    parent, link_id = family
    teen = alpha.client
    # Wednesday 17 June 2026, 14:00 in New York: a weekly report from today.
    assigned = alpha.http(alpha.clinician).post(
        f"/family/staff/clients/{teen.pk}/caregiver/",
        {"link": link_id, "instrument_key": "family_mood_parent",
         "compare_with": "family_mood_self", "frequency": "weekly", "starts_on": "2026-06-17"})
    assert assigned.status_code == 302
    with schema_context(alpha.practice.schema_name):
        assignment = CaregiverAssignment.objects.get()
        assert (assignment.frequency, assignment.starts_on) == ("weekly", date(2026, 6, 17))
        assert AuditEvent.objects.filter(action="family.caregiver_assigned",
                                         object_id=assignment.pk).count() == 1
    http = alpha.http(parent)
    # Due by the end of the day before the next occurrence, in the proxy's timezone.
    assert _due(http, teen.pk) == [("2026-06-17", _end_of("2026-06-23"))]
    page = http.get(f"/family/{teen.pk}/").content.decode()
    assert "Family mood check (parent report)" in page and "due by 23 Jun 2026" in page
    # No reminder while the due moment is more than a day away; one, once, within the day.
    assert _reminders(alpha) == 0
    clock.at("2026-06-23T12:00:00+00:00")
    http = alpha.http(parent)  # signed in again after the jump
    assert _reminders(alpha) == 1
    assert _reminders(alpha) == 0
    with schema_context(alpha.practice.schema_name):
        [notice] = Notification.objects.filter(recipient=parent)
        assert (notice.kind, notice.channel, notice.context) == (
            "caregiver_report_due", "email",
            {"assignment_id": assignment.pk, "occurrence": "2026-06-17"})
        assert kinds.get(notice.kind).is_still_due(notice) is True
        delivery.deliver(notice, kinds.get(notice.kind), schema_name=alpha.practice.schema_name)
    [email] = mailbox.to("pat@example.org")
    text = email.as_string()
    assert "/family/" in text and "questionnaire is waiting" in text
    assert all(word not in text for word in ("Chris", "mood", "Family mood", "parent report"))

    # Answered through the API: stored with its informant and occurrence; nothing due after.
    questions = http.get(f"/api/v1/family/clients/{teen.pk}/questionnaires/{assignment.pk}")
    assert [item["key"] for item in questions.json()["items"]] == ["q1", "q2", "q3", "q4"]
    answered = http.post(f"/api/v1/family/clients/{teen.pk}/questionnaires/{assignment.pk}",
                         {"answers": ANSWERS}, content_type="application/json")
    assert answered.status_code == 201
    assert answered.json()["occurrence_date"] == "2026-06-17"
    assert _due(http, teen.pk) == []
    assert http.post(f"/api/v1/family/clients/{teen.pk}/questionnaires/{assignment.pk}",
                     {"answers": ANSWERS}, content_type="application/json").status_code == 404
    assert http.get(f"/family/{teen.pk}/questionnaires/{assignment.pk}/").status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert kinds.get(notice.kind).is_still_due(notice) is False

    # Next Wednesday, 08:00 in New York: the new week's occurrence.
    clock.at("2026-06-24T12:00:00+00:00")
    http = alpha.http(parent)  # signed in again after the jump
    assert _due(http, teen.pk) == [("2026-06-24", _end_of("2026-06-30"))]
    # Left unanswered, it is missed when the next one opens: one at a time, never a pile.
    clock.at("2026-07-01T03:30:00+00:00")  # still 30 June in New York
    http = alpha.http(parent)  # signed in again after the jump
    assert _due(http, teen.pk) == [("2026-06-24", _end_of("2026-06-30"))]
    assert _reminders(alpha) == 1
    clock.at("2026-07-01T12:00:00+00:00")
    http = alpha.http(parent)  # signed in again after the jump
    assert _due(http, teen.pk) == [("2026-07-01", _end_of("2026-07-07"))]
    with schema_context(alpha.practice.schema_name):
        stale = Notification.objects.get(context__occurrence="2026-06-24")
        assert kinds.get(stale.kind).is_still_due(stale) is False  # skipped, not sent
    answered = http.post(f"/family/{teen.pk}/questionnaires/{assignment.pk}/",
                         {"q1": "2", "q2": "2", "q3": "2", "q4": "0"})
    assert answered.status_code == 302
    with schema_context(alpha.practice.schema_name):
        assert list(CaregiverReport.objects.order_by("occurrence_date").values_list(
            "occurrence_date", "informant_id", "relationship", "total")) == [
            (date(2026, 6, 17), parent.pk, "parent", 3), (date(2026, 7, 1), parent.pk,
                                                           "parent", 6)]
        # The client's own history holds none of it.
        assert not teen.responses.exists()
    # Ended by staff: nothing more falls due.
    clock.at("2026-07-08T12:00:00+00:00")
    http = alpha.http(parent)  # signed in again after the jump
    assert len(_due(http, teen.pk)) == 1
    ended = alpha.http(alpha.clinician).post(
        f"/family/staff/clients/{teen.pk}/caregiver/{assignment.pk}/end/")
    assert ended.status_code == 302
    assert _due(http, teen.pk) == []
    assert _reminders(alpha) == 0
    with schema_context(alpha.practice.schema_name):
        assert AuditEvent.objects.filter(action="family.caregiver_ended",
                                         object_id=assignment.pk).count() == 1
    with schema_context(beta.practice.schema_name):
        assert (CaregiverAssignment.objects.count(), CaregiverReport.objects.count(),
                Notification.objects.count()) == (0, 0, 0)


def test_who_may_assign_and_see_what_is_due(clock, alpha, beta, family) -> None:
    parent, link_id = family
    teen = alpha.client
    with schema_context(alpha.practice.schema_name):
        outsider = User.objects.create_user("other.clinician@example.org", PASSWORD,
                                            full_name="Otto Outsider", role=Role.CLINICIAN)
        other_parent = proxy_linked(
            User.objects.create_user("kid@example.org", PASSWORD, full_name="Kim Kid",
                                     role=Role.CLIENT),
            email="other.parent@example.org", tier_key="full")
    form = {"link": link_id, "instrument_key": "family_mood_parent", "frequency": "daily"}
    path = f"/family/staff/clients/{teen.pk}/caregiver/"
    for user in (outsider, alpha.front_desk, alpha.billing, teen, parent):
        assert alpha.http(user).post(path, form).status_code == 404, user.full_name
    assert beta.http(beta.clinician).post(path, form).status_code == 302  # its own teen
    bad = alpha.http(alpha.clinician).post(path, {**form, "starts_on": "2026-06-20",
                                                  "ends_on": "2026-06-10"}, follow=True)
    assert "The end date is before the start date." in bad.content.decode()
    assert alpha.http(alpha.clinician).post(path, form).status_code == 302
    with schema_context(alpha.practice.schema_name):
        assignment = CaregiverAssignment.objects.get()
    assert len(_due(alpha.http(parent), teen.pk)) == 1
    for user in (other_parent, alpha.clinician):
        http = alpha.http(user)
        assert http.get(f"/api/v1/family/clients/{teen.pk}/questionnaires").status_code == 404
        assert http.post(f"/api/v1/family/clients/{teen.pk}/questionnaires/{assignment.pk}",
                         {"answers": ANSWERS}, content_type="application/json"
                         ).status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert CaregiverReport.objects.count() == 0
