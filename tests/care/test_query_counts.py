"""Goal and journal pages, staff and client: the number of queries does not grow with the
history (pinned)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from practice.care.models import Goal, GoalMilestone, GoalProgress, JournalEntry
from tests.care.helpers import prepare


def _add(world, goals: int) -> None:
    with schema_context(world.practice.schema_name):
        for index in range(goals):
            goal = Goal.objects.create(client=world.client, title=f"Goal {index}",
                                       created_by=world.clinician)
            GoalMilestone.objects.create(goal=goal, text="Step")
            for author in (world.client, world.clinician):
                GoalProgress.objects.create(goal=goal, author=author, note="n")
            JournalEntry.objects.create(client=world.client, body="shared", is_shared=True)
            JournalEntry.objects.create(client=world.client, body="private")
    connection.set_schema_to_public()


def test_goal_and_journal_pages_pin_their_query_counts(alpha, beta) -> None:
    care = prepare(alpha)
    prepare(beta)
    staff, client = care.http(alpha.clinician), care.http(alpha.client)
    pages = ((staff, f"/care/clients/{alpha.client.pk}/goals/"),
             (staff, f"/care/clients/{alpha.client.pk}/journal/"),
             (client, "/portal/goals/"), (client, "/portal/journal/"))

    def counts() -> tuple[int, ...]:
        result = []
        for http, path in pages:
            with CaptureQueriesContext(connection) as queries:
                assert http.get(path).status_code == 200, path
            result.append(len(queries))
        return tuple(result)

    _add(alpha, 1)
    counts()  # warm the cached branding
    small = counts()
    _add(alpha, 7)
    assert counts() == small == (12, 11, 10, 8)  # staff pages: +1 unread-messages count
