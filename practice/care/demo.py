"""Demo care between sessions for the demo client (Jordan Rivera): goals with milestones and a
progress history, homework (a weekly breathing practice done most weeks, a thought record due
soon, one finished task), journal entries (shared and private), the practice's resource library
with a curated set for Jordan, and a Stanley-Brown safety plan with Jordan's own additions.

Written through the care services (so audit rows and rules hold as in life), then dated back so
the history reads naturally. Idempotent: nothing is added once the client has a goal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from practice.care import selectors, services
from practice.care.models import Goal, GoalProgress, Homework, HomeworkCompletion, JournalEntry
from practice.care.services import ResourceInput
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.models import Practice

DEMO_CLIENT = "client@demo.localhost"
DEMO_CLINICIAN = "clinician@demo.localhost"

LIBRARY = [
    ResourceInput(kind="text", title="Box breathing, step by step",
                  description="Four counts in, hold, out, hold: two minutes.",
                  body="Sit comfortably. Breathe in for a count of four. Hold for four. Breathe "
                       "out for four. Hold for four. Repeat for two minutes, and notice how your "
                       "shoulders feel before and after."),
    ResourceInput(kind="text", title="Thought record: how to fill it in",
                  description="Situation, thought, feeling, evidence, a balanced thought.",
                  body="When your mood drops, write down: where you were, what went through "
                       "your mind, what you felt (0 to 100), the evidence for and against the "
                       "thought, and a more balanced way to see it."),
    ResourceInput(kind="link", title="988 Suicide & Crisis Lifeline",
                  description="Call or text 988, any time.", url="https://988lifeline.org/"),
    ResourceInput(kind="link", title="Sleep hygiene tips",
                  description="Small habits that help sleep come easier.",
                  url="https://www.sleepfoundation.org/sleep-hygiene"),
]
CURATED = ("Box breathing, step by step", "Thought record: how to fill it in",
           "988 Suicide & Crisis Lifeline")

SAFETY_PLAN: dict[str, list[Any]] = {
    "warning_signs": ["Staying in bed past noon", "Skipping meals",
                      "Thinking \"nothing is going to change\""],
    "coping_strategies": ["Box breathing for two minutes", "A walk around the block",
                          "A hot shower and a playlist"],
    "distractions": ["The coffee shop on Main Street", "Calling my sister Ana",
                     "The public library"],
    "help_contacts": [
        {"name": "Ana", "relationship": "sister", "phone": "(555) 010-4411"},
        {"name": "Marcus", "relationship": "friend", "phone": "(555) 010-7720"}],
    "professionals": [
        {"name": "Dr. Maya Ellison", "relationship": "therapist", "phone": "(555) 010-2030"},
        {"name": "988 Suicide & Crisis Lifeline", "relationship": "", "phone": "988"}],
    "environment_safety": ["Keep medication in the locked box; Ana holds the key"],
    "reasons_for_living": ["My nephew Leo", "Finishing my course", "My cat, Pepper"],
}


@transaction.atomic
def seed(practice: Practice, *, now: datetime | None = None) -> bool:
    """Seed inside the practice's schema; False when there was nothing to do."""
    client = User.objects.filter(email=DEMO_CLIENT).first()
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if client is None or clinician is None:
        return False
    return seed_for(client=client, clinician=clinician, now=now or timezone.now())


def seed_for(*, client: User, clinician: User, now: datetime) -> bool:
    """The demo's care data for `client`, written by `clinician` (on their care team)."""
    if Goal.objects.filter(client=client).exists():
        return False
    today = selectors.client_today(client)
    _goals(client, clinician, now)
    resources = _library(client, clinician)
    _homework(client, clinician, now, today, resources)
    _journal(client, now)
    services.safety_plan_save(client_id=client.pk, sections=SAFETY_PLAN, actor=Actor.of(clinician))
    services.safety_plan_client_add(section="coping", text="Texting Marcus a silly photo",
                                    actor=Actor.of(client))
    services.safety_plan_client_add(section="reason", text="Seeing the ocean again",
                                    actor=Actor.of(client))
    return True


def _back_date(model: Any, pk: int, when: datetime, field: str = "created_at") -> None:
    model.objects.filter(pk=pk).update(**{field: when})


def _goals(client: User, clinician: User, now: datetime) -> None:
    sleep = services.goal_create(
        client_id=client.pk, title="Sleep by 11 pm on weeknights",
        description="A steady bedtime makes mornings easier.", target_value=Decimal(5),
        target_unit="nights a week", milestones=["Phone off at 10:30", "Same wake-up time",
                                                 "Five nights in a row"],
        actor=Actor.of(clinician))
    _back_date(Goal, sleep.pk, now - timedelta(weeks=8))
    for weeks_ago, nights, note in ((7, 1, "Hard week."), (5, 2, ""), (3, 3, "Phone in the "
                                    "kitchen helps."), (1, 4, "Almost there.")):
        entry = services.goal_progress_record(goal_id=sleep.pk, value=Decimal(nights), note=note,
                                              actor=Actor.of(client))
        _back_date(GoalProgress, entry.pk, now - timedelta(weeks=weeks_ago))
    people = services.goal_create(
        client_id=client.pk, title="See a friend every week",
        description="Plans that are easy to keep: coffee, a walk, a call.",
        milestones=["Text one person", "Make one plan"], actor=Actor.of(clinician))
    _back_date(Goal, people.pk, now - timedelta(weeks=6))
    entry = services.goal_progress_record(goal_id=people.pk, note="Coffee with Marcus on Sunday.",
                                          actor=Actor.of(client))
    _back_date(GoalProgress, entry.pk, now - timedelta(days=4))
    done = services.goal_create(client_id=client.pk, title="Book a check-up with my GP",
                                actor=Actor.of(clinician))
    _back_date(Goal, done.pk, now - timedelta(weeks=12))
    services.goal_set_status(goal_id=done.pk, status=Goal.Status.ACHIEVED,
                             actor=Actor.of(clinician))


def _library(client: User, clinician: User) -> dict[str, int]:
    resources = {data.title: services.resource_create(data=data, actor=Actor.of(clinician)).pk
                 for data in LIBRARY}
    for title in CURATED:
        services.resource_share(client_id=client.pk, resource_id=resources[title],
                                actor=Actor.of(clinician))
    return resources


def _homework(client: User, clinician: User, now: datetime, today: date,
              resources: dict[str, int]) -> None:
    started = today - timedelta(weeks=4)
    breathing = services.homework_assign(
        client_id=client.pk, instructions="Box breathing for two minutes, once a day.",
        due_on=started, repeats_weekly=True,
        resource_id=resources["Box breathing, step by step"], actor=Actor.of(clinician))
    _back_date(Homework, breathing.pk, now - timedelta(weeks=4, days=1))
    reflections = ["Did it five days out of seven.", "", "Easier in the evening."]
    HomeworkCompletion.objects.bulk_create([
        HomeworkCompletion(homework=breathing, due_on=started + timedelta(weeks=week),
                           reflection=reflections[week],
                           completed_at=now - timedelta(weeks=4 - week, days=1))
        for week in range(3)])
    thought = services.homework_assign(
        client_id=client.pk, instructions="Fill in one thought record on an evening your mood "
                                          "drops; bring it on Thursday.",
        due_on=today + timedelta(days=2),
        resource_id=resources["Thought record: how to fill it in"], actor=Actor.of(clinician))
    _back_date(Homework, thought.pk, now - timedelta(days=3))
    finished = services.homework_assign(
        client_id=client.pk, instructions="List three things that went well this week.",
        due_on=today - timedelta(weeks=2), actor=Actor.of(clinician))
    _back_date(Homework, finished.pk, now - timedelta(weeks=3))
    HomeworkCompletion.objects.create(homework=finished, due_on=finished.due_on,
                                      reflection="Walk by the river, a good call, a long sleep.",
                                      completed_at=now - timedelta(weeks=2))


def _journal(client: User, now: datetime) -> None:
    for days_ago, body, is_shared in (
            (12, "Rough morning. Stayed in bed until eleven, then made myself walk to the shop. "
                 "Felt a bit better after.", True),
            (6, "Something I don't want to talk about yet. Writing it down helps.", False),
            (2, "Tried the breathing before the team meeting. Still nervous, but I spoke up "
                "once.", True)):
        entry = services.journal_entry_create(body=body, is_shared=is_shared,
                                              actor=Actor.of(client))
        _back_date(JournalEntry, entry.pk, now - timedelta(days=days_ago))
