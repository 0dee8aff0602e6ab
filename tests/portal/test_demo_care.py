"""The demo client's care between sessions (practice/care/demo.py, called by `seed_demo`): goals,
homework, journal entries (private and shared), the resource library with a curated set, and a
safety plan; seeded once, through the services."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.care import demo
from practice.care.models import (
    ClientResource,
    Goal,
    GoalProgress,
    Homework,
    HomeworkCompletion,
    JournalEntry,
    Resource,
)
from practice.models import SafetyPlan
from tenants.audit.models import AuditEvent
from tests.portal.helpers import prepare


def counts() -> dict[str, object]:
    return {
        "goals": sorted(Goal.objects.values_list("status", flat=True)),
        "progress": GoalProgress.objects.count(),
        "homework": sorted(Homework.objects.values_list("repeats_weekly", flat=True)),
        "completions": HomeworkCompletion.objects.count(),
        "journal": sorted(JournalEntry.objects.values_list("is_shared", flat=True)),
        "library": Resource.objects.count(),
        "curated": ClientResource.objects.count(),
        "plan": list(SafetyPlan.objects.values_list(
            "client_coping_strategies", "client_reasons_for_living")),
    }


def test_the_demo_client_gets_care_between_sessions_once(alpha) -> None:
    prepare(alpha)
    with schema_context(alpha.practice.schema_name):
        assert demo.seed_for(client=alpha.client, clinician=alpha.clinician,
                             now=timezone.now()) is True
        first = counts()
        assert first == {
            "goals": ["achieved", "active", "active"], "progress": 5,
            "homework": [False, False, True], "completions": 4,
            "journal": [False, True, True], "library": 4,
            # The curated set (the homework's resources are in it already).
            "curated": 3,
            "plan": [(["Texting Marcus a silly photo"], ["Seeing the ocean again"])],
        }
        plan = SafetyPlan.objects.get()
        assert [contact["phone"] for contact in plan.help_contacts] == [
            "(555) 010-4411", "(555) 010-7720"]
        assert AuditEvent.objects.filter(action="journal.entry_created").count() == 3
        assert demo.seed_for(client=alpha.client, clinician=alpha.clinician,
                             now=timezone.now()) is False
        assert counts() == first
    connection.set_schema_to_public()
    home = alpha.http(alpha.client).get("/portal/").content.decode()
    assert "Sleep by 11 pm on weeknights" in home
    assert "Homework: Fill in one thought record" in home
