"""Goals end to end: the clinician writes a goal with a target and milestones, the client sees it
and records progress, the clinician sees the whole history; nothing reaches the other practice."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django_tenants.utils import schema_context

from practice.care.models import Goal, GoalProgress
from tests.care.helpers import audit_actions, audit_details, page_text, prepare


def goals_of(world) -> list[tuple[str, str, list[tuple[Decimal | None, str]]]]:
    with schema_context(world.practice.schema_name):
        rows = [(goal.title, goal.status,
                 [(entry.value, entry.note) for entry in goal.progress_entries.order_by("pk")])
                for goal in Goal.objects.order_by("pk")]
    connection.set_schema_to_public()
    return rows


def test_clinician_writes_a_goal_client_records_progress_history_is_kept(alpha, beta) -> None:
    care, other = prepare(alpha), prepare(beta)
    staff = care.http(alpha.clinician)
    url = f"/care/clients/{alpha.client.pk}/goals/"
    response = staff.post(url, {"title": "Walk more", "description": "Short walks after work",
                                "target_value": "3", "target_unit": "walks a week",
                                "milestones": "One walk this week\n\nTwo walks a week\n"})
    assert response.status_code == 302
    assert response["Location"] == url
    with schema_context(alpha.practice.schema_name):
        goal = Goal.objects.get()
        assert [m.text for m in goal.milestones.all()] == ["One walk this week",
                                                          "Two walks a week"]
        assert goal.target_value == Decimal("3.00")
        assert goal.created_by_id == alpha.clinician.pk
    connection.set_schema_to_public()

    client = care.http(alpha.client)
    page = client.get("/portal/goals/")
    assert page.status_code == 200
    text = page_text(page)
    assert "Walk more" in text
    assert "Two walks a week" in text
    assert "3 walks a week" in text

    for value, note in (("1", "One walk on Sunday"), ("2", "Two this week")):
        saved = client.post(f"/portal/goals/{goal.pk}/progress/", {"value": value, "note": note})
        assert saved.status_code == 302
    assert client.post(f"/portal/goals/{goal.pk}/progress/", {"value": "", "note": " "}) \
        .status_code == 302
    assert goals_of(alpha) == [("Walk more", "active", [
        (Decimal("1.00"), "One walk on Sunday"), (Decimal("2.00"), "Two this week")])]

    page = page_text(client.get("/portal/goals/"))
    assert page.index("One walk on Sunday") < page.index("Two this week")

    staff_page = page_text(staff.get(url))
    assert "One walk on Sunday" in staff_page
    assert "Two this week" in staff_page
    assert staff.post(f"/care/goals/{goal.pk}/progress/",
                      {"note": "Keep going"}).status_code == 302
    assert staff.post(f"/care/goals/{goal.pk}/status/",
                      {"status": "achieved"}).status_code == 302
    assert goals_of(alpha)[0][1] == "achieved"
    assert goals_of(alpha)[0][2][-1] == (None, "Keep going")
    assert "from your clinician" in page_text(client.get("/portal/goals/"))

    assert [action for action, _ in audit_actions(alpha, "goal.")] == [
        "goal.created", "goal.progress_recorded", "goal.progress_recorded",
        "goal.progress_recorded", "goal.status_changed"]
    for detail in audit_details(alpha, "goal."):
        assert "Walk" not in str(detail)
        assert "walk" not in str(detail)
    assert ("portal.goals_viewed", "client") in audit_actions(alpha, "portal.goals")
    assert ("care.goals_viewed", "client") in audit_actions(alpha, "care.goals")

    # The other practice: untouched, and its client sees none of it.
    assert goals_of(other.world) == []
    assert "Walk more" not in page_text(other.http(beta.client).get("/portal/goals/"))
    # The same ids on beta's host reach nothing.
    assert other.http(beta.client).post(f"/portal/goals/{goal.pk}/progress/",
                                        {"note": "x"}).status_code == 404
    assert other.http(beta.clinician).get(url).status_code == 200  # beta's own client, no goals
    assert "Walk more" not in page_text(other.http(beta.clinician).get(url))


def test_a_client_cannot_record_progress_on_another_clients_goal(alpha, beta) -> None:
    care = prepare(alpha)
    prepare(beta)
    from tenants.accounts.models import Role, User
    with schema_context(alpha.practice.schema_name):
        second = User.objects.create_user("second@example.org", "correct-horse-battery-9",
                                          full_name="Sam Second", role=Role.CLIENT)
        goal = Goal.objects.create(client=second, title="Sleep", created_by=alpha.clinician)
    connection.set_schema_to_public()
    response = care.http(alpha.client).post(f"/portal/goals/{goal.pk}/progress/",
                                            {"note": "mine"})
    assert response.status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert GoalProgress.objects.count() == 0
    connection.set_schema_to_public()
    assert "Sleep" not in page_text(care.http(alpha.client).get("/portal/goals/"))
