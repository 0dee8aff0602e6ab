"""Homework end to end: assigned with a resource and a weekly repeat, marked done with a
reflection by the client, completion rates for the clinician (per client and across the
caseload, with pinned query counts)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from practice.care import services
from practice.care.models import Homework, HomeworkCompletion, Resource
from practice.care.selectors import occurrences_due
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tests.care.helpers import audit_actions, client_today, page_text, prepare
from tests.conftest import PASSWORD


def completions(world) -> list[tuple[str, str]]:
    with schema_context(world.practice.schema_name):
        rows = [(str(row.due_on), row.reflection)
                for row in HomeworkCompletion.objects.order_by("pk")]
    connection.set_schema_to_public()
    return rows


def test_assign_complete_and_see_the_completion_rate(alpha, beta) -> None:
    care, other = prepare(alpha), prepare(beta)
    with schema_context(alpha.practice.schema_name):
        resource = Resource.objects.create(kind="text", title="Breathing exercise",
                                           body="Breathe in for four.",
                                           created_by=alpha.clinician)
    connection.set_schema_to_public()
    today = client_today()
    staff = care.http(alpha.clinician)
    url = f"/care/clients/{alpha.client.pk}/homework/"
    assert staff.post(url, {"instructions": "Practise the breathing", "due_on": str(today),
                            "repeats_weekly": "on", "resource": resource.pk}
                      ).status_code == 302
    assert staff.post(url, {"instructions": "Write three good things",
                            "due_on": str(today - timedelta(days=2))}).status_code == 302
    with schema_context(alpha.practice.schema_name):
        breathing, gratitude = Homework.objects.order_by("pk")
        assert breathing.repeats_weekly is True
        assert breathing.resource_id == resource.pk
        # The task's resource joins the client's set.
        assert list(alpha.client.shared_resources.values_list("resource_id", flat=True)) == [
            resource.pk]
    connection.set_schema_to_public()

    client = care.http(alpha.client)
    page = page_text(client.get("/portal/homework/"))
    assert "Practise the breathing" in page
    assert "Breathing exercise" in page
    assert "Overdue since" in page  # the gratitude task was due two days ago

    assert client.post(f"/portal/homework/{breathing.pk}/done/",
                       {"reflection": "Calmer afterwards"}).status_code == 302
    # The same occurrence twice is refused, nothing added.
    assert client.post(f"/portal/homework/{breathing.pk}/done/",
                       {"reflection": "again"}).status_code == 302
    assert completions(alpha) == [(str(today), "Calmer afterwards")]
    assert "Done for" in page_text(client.get("/portal/homework/"))

    staff_page = page_text(staff.get(url))
    # Due so far: breathing today (done) and gratitude two days ago (not done).
    assert "Completion: 1 of 2 (50%)" in staff_page
    assert "Calmer afterwards" in staff_page
    caseload = page_text(staff.get("/care/homework/"))
    assert "1 of 2 (50%)" in caseload
    assert "Chris Client" in caseload

    assert staff.post(f"/care/homework/{gratitude.pk}/end/").status_code == 302
    assert "Write three good things" not in page_text(client.get("/portal/homework/"))
    assert client.post(f"/portal/homework/{gratitude.pk}/done/").status_code == 404

    assert [action for action, _ in audit_actions(alpha, "homework.")] == [
        "homework.assigned", "homework.assigned", "homework.completed", "homework.ended"]
    assert completions(other.world) == []
    assert "Practise the breathing" not in page_text(
        other.http(beta.client).get("/portal/homework/"))
    assert other.http(beta.client).post(f"/portal/homework/{breathing.pk}/done/"
                                        ).status_code == 404


def test_weekly_occurrences_and_rate() -> None:
    from datetime import date
    homework = Homework(due_on=date(2026, 1, 5), repeats_weekly=True)
    assert services.current_occurrence(homework, date(2026, 1, 1)) == date(2026, 1, 5)
    assert services.current_occurrence(homework, date(2026, 1, 5)) == date(2026, 1, 5)
    assert services.current_occurrence(homework, date(2026, 1, 6)) == date(2026, 1, 12)
    assert services.current_occurrence(homework, date(2026, 1, 12)) == date(2026, 1, 12)
    assert occurrences_due(homework, date(2026, 1, 4)) == 0
    assert occurrences_due(homework, date(2026, 1, 5)) == 1
    assert occurrences_due(homework, date(2026, 1, 18)) == 2
    assert occurrences_due(homework, date(2026, 1, 19)) == 3
    once = Homework(due_on=date(2026, 1, 5), repeats_weekly=False)
    assert services.current_occurrence(once, date(2026, 3, 1)) == date(2026, 1, 5)
    assert occurrences_due(once, date(2026, 3, 1)) == 1


def _many_clients_with_homework(world, count: int) -> None:
    with schema_context(world.practice.schema_name):
        for index in range(count):
            client = User.objects.create_user(f"many{index}@example.org", PASSWORD,
                                              full_name=f"Client {index}", role=Role.CLIENT)
            ClientProfile.objects.create(user=client).clinicians.add(world.clinician)
            for day in range(3):
                homework = Homework.objects.create(
                    client=client, instructions="Task", due_on=client_today() - timedelta(days=day),
                    created_by=world.clinician)
                HomeworkCompletion.objects.create(homework=homework, due_on=homework.due_on)
    connection.set_schema_to_public()


def test_list_pages_query_counts_do_not_grow(alpha, beta) -> None:
    care = prepare(alpha)
    prepare(beta)
    staff, client = care.http(alpha.clinician), care.http(alpha.client)

    def count(http, path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert http.get(path).status_code == 200
        return len(queries)

    homework_url = f"/care/clients/{alpha.client.pk}/homework/"
    with schema_context(alpha.practice.schema_name):
        first = Homework.objects.create(client=alpha.client, instructions="First",
                                        due_on=client_today(), created_by=alpha.clinician)
        HomeworkCompletion.objects.create(homework=first, due_on=first.due_on)
    connection.set_schema_to_public()
    for http, path in ((staff, "/care/homework/"), (staff, homework_url),
                       (client, "/portal/homework/")):
        count(http, path)  # warm the practice's cached branding and the session
    small = (count(staff, "/care/homework/"), count(staff, homework_url),
             count(client, "/portal/homework/"))
    _many_clients_with_homework(alpha, 4)
    with schema_context(alpha.practice.schema_name):
        for day in range(6):
            homework = Homework.objects.create(client=alpha.client, instructions=f"Task {day}",
                                               due_on=client_today(), created_by=alpha.clinician)
            HomeworkCompletion.objects.create(homework=homework, due_on=homework.due_on)
    connection.set_schema_to_public()
    large = (count(staff, "/care/homework/"), count(staff, homework_url),
             count(client, "/portal/homework/"))
    assert large == small
    assert small == (EXPECTED_CASELOAD, EXPECTED_CLIENT_PAGE, EXPECTED_PORTAL)


# Counted once and pinned: the same with one row as with many (routing, session, user, the
# rows, the audit row; the staff pages also count the alert badge).
EXPECTED_CASELOAD = 10  # +1: the navigation's unread-messages count
EXPECTED_CLIENT_PAGE = 12
EXPECTED_PORTAL = 10
