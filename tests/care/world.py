"""A client with something in every care module, each piece carrying a marker that must never
show where it should not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django_tenants.utils import schema_context

from practice.care.models import (
    ClientResource,
    Goal,
    GoalProgress,
    Homework,
    JournalEntry,
    Resource,
)
from practice.models import SafetyPlan
from tests.care.helpers import CareWorld, client_today

MARKER = "MARK-7f3"


@dataclass(frozen=True)
class CareIds:
    client: int
    goal: int
    homework: int
    journal: int
    resource: int


def fill(care: CareWorld) -> CareIds:
    world = care.world
    with schema_context(care.schema):
        goal = Goal.objects.create(client=world.client, title=f"{MARKER} goal",
                                   created_by=world.clinician)
        GoalProgress.objects.create(goal=goal, author=world.client, note=f"{MARKER} progress")
        resource = Resource.objects.create(kind="text", title=f"{MARKER} resource",
                                           body=f"{MARKER} body", created_by=world.clinician)
        ClientResource.objects.create(client=world.client, resource=resource,
                                      shared_by=world.clinician)
        homework = Homework.objects.create(client=world.client,
                                           instructions=f"{MARKER} homework",
                                           due_on=client_today() - timedelta(days=1),
                                           created_by=world.clinician)
        journal = JournalEntry.objects.create(client=world.client, body=f"{MARKER} shared",
                                              is_shared=True)
        JournalEntry.objects.create(client=world.client, body=f"{MARKER} private")
        SafetyPlan.objects.create(client=world.client, warning_signs=[f"{MARKER} sign"],
                                  help_contacts=[{"name": f"{MARKER} Sam", "relationship": "",
                                                  "phone": "555 0100"}])
    connection.set_schema_to_public()
    return CareIds(client=world.client.pk, goal=goal.pk, homework=homework.pk,
                   journal=journal.pk, resource=resource.pk)


def snapshot(care: CareWorld) -> dict[str, list]:
    """Everything the care pages can change, to assert a refused request changed nothing."""
    with schema_context(care.schema):
        state = {
            "goals": list(Goal.objects.order_by("pk").values_list("title", "status")),
            "progress": list(GoalProgress.objects.order_by("pk").values_list("goal_id", "note")),
            "homework": list(Homework.objects.order_by("pk").values_list(
                "instructions", "is_active", "completions__due_on")),
            "journal": list(JournalEntry.objects.order_by("pk").values_list("body", "is_shared")),
            "resources": list(Resource.objects.order_by("pk").values_list("title",
                                                                          "is_archived")),
            "shares": list(ClientResource.objects.order_by("pk").values_list("client_id",
                                                                             "resource_id")),
            "plans": list(SafetyPlan.objects.order_by("pk").values_list(
                "warning_signs", "client_coping_strategies")),
        }
    connection.set_schema_to_public()
    return state
