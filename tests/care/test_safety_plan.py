"""The safety plan end to end: the clinician writes the Stanley-Brown sections with the client,
the client reads it at its stable address with every number tap-to-call, adds coping strategies
and reasons for living of their own (which the clinician's next save keeps), and it is one tap
from every portal page."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from practice.models import SafetyPlan
from tests.care.helpers import (
    audit_actions,
    audit_details,
    contact_rows,
    page_text,
    prepare,
)

PLAN = {
    "warning_signs": "Not sleeping\nSkipping meals",
    "coping_strategies": "Go for a walk\nListen to music",
    "distractions": "Coffee shop on Main St\nCall my cousin",
    "environment_safety": "Give the pills to Sam",
    "reasons_for_living": "My dog Pepper",
    **contact_rows("help_contacts", [("Sam", "sister", "(555) 010-0199"),
                                     ("Alex", "", "+1 555 020 0288")]),
    **contact_rows("professionals", [("Dr Rivera", "", "555-030-0377"),
                                     ("County crisis team", "", "1-800-555-0466")]),
}


def plans(world) -> list[dict]:
    with schema_context(world.practice.schema_name):
        rows = list(SafetyPlan.objects.order_by("pk").values(
            "is_active", "warning_signs", "help_contacts", "professionals",
            "client_coping_strategies", "client_reasons_for_living", "coping_strategies"))
    connection.set_schema_to_public()
    return rows


def test_written_with_the_clinician_read_and_added_to_by_the_client(alpha, beta) -> None:
    care, other = prepare(alpha), prepare(beta)
    client = care.http(alpha.client)
    empty = client.get("/portal/safety-plan/")
    assert empty.status_code == 200
    assert "Your clinician will write your safety plan with you" in page_text(empty)
    assert client.get("/portal/safety-plan/add/").status_code == 404

    staff = care.http(alpha.clinician)
    url = f"/care/clients/{alpha.client.pk}/safety-plan/"
    assert staff.post(url, PLAN).status_code == 302
    assert plans(alpha) == [{
        "is_active": True, "warning_signs": ["Not sleeping", "Skipping meals"],
        "help_contacts": [
            {"name": "Sam", "relationship": "sister", "phone": "(555) 010-0199"},
            {"name": "Alex", "relationship": "", "phone": "+1 555 020 0288"}],
        "professionals": [
            {"name": "Dr Rivera", "relationship": "", "phone": "555-030-0377"},
            {"name": "County crisis team", "relationship": "", "phone": "1-800-555-0466"}],
        "client_coping_strategies": [], "client_reasons_for_living": [],
        "coping_strategies": ["Go for a walk", "Listen to music"]}]

    page = client.get("/portal/safety-plan/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-cache"
    body = page.content.decode()
    assert 'data-offline-cache="safety-plan"' in body
    for expected in ('<a class="call" href="tel:5550100199">Call Sam (sister): (555) 010-0199</a>',
                     '<a class="call" href="tel:+15550200288">Call Alex: +1 555 020 0288</a>',
                     '<a class="call" href="tel:5550300377">Call Dr Rivera: 555-030-0377</a>',
                     '<a class="call" href="tel:18005550466">Call County crisis team: '
                     '1-800-555-0466</a>',
                     '<a class="call" href="tel:988">'):
        assert expected in body
    for text in ("Not sleeping", "Coffee shop on Main St", "Give the pills to Sam",
                 "My dog Pepper", "1. Warning signs", "7. My reasons for living"):
        assert text in body
    # Only the sign-out form carries a token: the plan itself has no form.
    assert body.count("csrfmiddlewaretoken") == 1
    assert body.count("<form") == 1
    assert '<form method="post" action="/accounts/sign-out/"' in body

    assert client.post("/portal/safety-plan/add/", {"section": "coping",
                                                    "text": "Hold an ice cube"}).status_code == 302
    assert client.post("/portal/safety-plan/add/", {"section": "reason",
                                                    "text": "Seeing my niece grow up"}
                       ).status_code == 302
    assert client.post("/portal/safety-plan/add/", {"section": "warning_signs",
                                                    "text": "x"}).status_code == 400
    # The clinician saves again: the client's additions stay.
    assert staff.post(url, PLAN | {"warning_signs": "Not sleeping"}).status_code == 302
    saved = plans(alpha)
    assert len(saved) == 1
    assert saved[0]["warning_signs"] == ["Not sleeping"]
    assert saved[0]["client_coping_strategies"] == ["Hold an ice cube"]
    assert saved[0]["client_reasons_for_living"] == ["Seeing my niece grow up"]
    page = page_text(client.get("/portal/safety-plan/"))
    assert "Hold an ice cube <span class=\"meta\">(added by me)</span>" in page
    staff_page = page_text(staff.get(url))
    assert "Seeing my niece grow up" in staff_page
    assert 'Sam (sister): <a href="tel:5550100199">(555) 010-0199</a>' in staff_page

    assert [action for action, _ in audit_actions(alpha, "safety_plan.")] == [
        "safety_plan.created", "safety_plan.client_added", "safety_plan.client_added",
        "safety_plan.updated"]
    for detail in audit_details(alpha, "safety_plan."):
        assert "ice" not in str(detail)
        assert "555" not in str(detail)
    assert ("portal.safety_plan_viewed", "client") in audit_actions(alpha, "portal.safety")

    assert plans(other.world) == []
    assert "Pepper" not in page_text(other.http(beta.client).get("/portal/safety-plan/"))


def test_my_safety_plan_is_one_tap_from_every_portal_page(alpha, beta) -> None:
    care = prepare(alpha)
    prepare(beta)
    client = care.http(alpha.client)
    link = '<a class="safety-plan-link" href="/portal/safety-plan/">My safety plan</a>'
    for path in ("/portal/", "/portal/help/", "/portal/goals/", "/portal/homework/",
                 "/portal/journal/", "/portal/resources/", "/portal/safety-plan/",
                 "/portal/mood/", "/portal/assessments/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.content.decode().count(link) == 1, path
    # Not for people who are not the client.
    assert link not in care.http().get("/portal/help/").content.decode()
