"""Writes for care between sessions. Staff writes reach a client only through
practice.access.client_for_staff (a client out of reach raises User.DoesNotExist, the same as a
missing one); client writes touch only the client's own rows. Every write leaves an audit row in
its transaction, with ids and flags only, never the text people wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from practice.access import Capability, client_for_staff, holds
from practice.care import contacts
from practice.care.models import (
    ClientResource,
    Goal,
    GoalMilestone,
    GoalProgress,
    Homework,
    HomeworkCompletion,
    JournalEntry,
    Resource,
)
from practice.models import SafetyPlan
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record

SAFETY_TEXT_SECTIONS = ("warning_signs", "coping_strategies", "distractions",
                        "environment_safety", "reasons_for_living")
SAFETY_CONTACT_SECTIONS = ("help_contacts", "professionals")
CLIENT_SAFETY_SECTIONS = {"coping": "client_coping_strategies",
                          "reason": "client_reasons_for_living"}
MAX_ITEMS = 30
MAX_ITEM_LENGTH = 300


class CareError(Exception):
    """A request the service refuses, with a message for the person who made it."""


def _require_clinical(acting_user: User) -> None:
    if not holds(acting_user, Capability.CLINICAL_RECORD):
        raise PermissionError("Only the owner and clinicians do this.")


def _require_client(acting_user: User) -> None:
    if not (acting_user.is_active and acting_user.is_client):
        raise PermissionError("Only the client does this.")


def _audit(action: str, actor: Actor, object_type: str, object_id: int,
           **detail: Any) -> None:
    audit_record(action=action, actor=actor, object_type=object_type, object_id=object_id,
                 detail=detail)


# --- goals -------------------------------------------------------------------------------------

@transaction.atomic
def goal_create(*, client_id: int, title: str, description: str = "",
                target_value: Decimal | None = None, target_unit: str = "",
                milestones: list[str] | None = None, actor: Actor) -> Goal:
    _require_clinical(actor.person)
    client = client_for_staff(actor.person, client_id)
    if not title.strip():
        raise CareError("Give the goal a title.")
    goal = Goal.objects.create(client=client, title=title.strip(), description=description,
                               target_value=target_value, target_unit=target_unit.strip(),
                               created_by=actor.person)
    steps = [text.strip() for text in (milestones or []) if text.strip()][:MAX_ITEMS]
    GoalMilestone.objects.bulk_create([GoalMilestone(goal=goal, text=text[:200], position=index)
                                       for index, text in enumerate(steps)])
    _audit(Action.GOAL_CREATED, actor, "goal", goal.pk, client_id=client.pk,
           milestones=len(steps), has_target=target_value is not None)
    return goal


@transaction.atomic
def goal_set_status(*, goal_id: int, status: str, actor: Actor) -> Goal:
    _require_clinical(actor.person)
    goal = Goal.objects.select_for_update().get(pk=goal_id)
    client_for_staff(actor.person, goal.client_id)
    if status not in Goal.Status.values:
        raise CareError("Choose active, achieved or no longer working on it.")
    previous = goal.status
    goal.status = status
    goal.save(update_fields=["status"])
    _audit(Action.GOAL_STATUS_CHANGED, actor, "goal", goal.pk,
           client_id=goal.client_id,
           old=previous, new=status)
    return goal


def _goal_for(acting_user: User, goal_id: int) -> Goal:
    """The goal if `acting_user` is its client or on its client's care team."""
    if acting_user.is_client:
        return Goal.objects.get(pk=goal_id, client=acting_user)
    _require_clinical(acting_user)
    goal = Goal.objects.get(pk=goal_id)
    try:
        client_for_staff(acting_user, goal.client_id)
    except User.DoesNotExist:
        raise Goal.DoesNotExist from None
    return goal


@transaction.atomic
def goal_progress_record(*, goal_id: int, value: Decimal | None = None, note: str = "",
                         actor: Actor) -> GoalProgress:
    """A new progress entry by the client or a clinician on their team; older entries stay."""
    if not actor.person.is_active:
        raise PermissionError("Inactive account.")
    goal = _goal_for(actor.person, goal_id)
    if value is None and not note.strip():
        raise CareError("Write a note or give a number.")
    entry = GoalProgress.objects.create(goal=goal, author=actor.person, value=value,
                                        note=note.strip())
    _audit(Action.GOAL_PROGRESS_RECORDED, actor, "goal", goal.pk,
           client_id=goal.client_id, entry_id=entry.pk, has_value=value is not None)
    return entry


# --- resources ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResourceInput:
    kind: str
    title: str
    description: str = ""
    url: str = ""
    body: str = ""
    file: UploadedFile | None = field(default=None, compare=False)


@transaction.atomic
def resource_create(*, data: ResourceInput, actor: Actor) -> Resource:
    """A library item. A file goes to the default storage, which keeps each practice's files
    under its own folder."""
    _require_clinical(actor.person)
    if data.kind == Resource.Kind.LINK and not data.url:
        raise CareError("A link needs its address.")
    if data.kind == Resource.Kind.TEXT and not data.body.strip():
        raise CareError("A text needs its text.")
    if data.kind == Resource.Kind.FILE and data.file is None:
        raise CareError("Choose the file to upload.")
    if data.kind not in Resource.Kind.values:
        raise CareError("Choose a link, a text or a file.")
    resource = Resource(kind=data.kind, title=data.title.strip(), description=data.description,
                        url=data.url if data.kind == Resource.Kind.LINK else "",
                        body=data.body if data.kind == Resource.Kind.TEXT else "",
                        created_by=actor.user)
    if data.kind == Resource.Kind.FILE and data.file is not None:
        resource.file.save(data.file.name or "file", data.file, save=False)
    resource.save()
    _audit(Action.RESOURCE_CREATED, actor, "resource", resource.pk, kind=data.kind)
    return resource


@transaction.atomic
def resource_archive(*, resource_id: int, actor: Actor) -> Resource:
    """Out of the library and out of every client's set; nothing is deleted."""
    _require_clinical(actor.person)
    resource = Resource.objects.select_for_update().get(pk=resource_id)
    if not resource.is_archived:
        resource.is_archived = True
        resource.save(update_fields=["is_archived"])
        _audit(Action.RESOURCE_ARCHIVED, actor, "resource", resource.pk)
    return resource


@transaction.atomic
def resource_share(*, client_id: int, resource_id: int, actor: Actor) -> ClientResource:
    _require_clinical(actor.person)
    client = client_for_staff(actor.person, client_id)
    resource = Resource.objects.get(pk=resource_id, is_archived=False)
    share, created = ClientResource.objects.get_or_create(
        client=client, resource=resource, defaults={"shared_by": actor.person})
    if created:
        _audit(Action.RESOURCE_SHARED, actor, "resource", resource.pk,
               client_id=client.pk)
    return share


@transaction.atomic
def resource_unshare(*, client_id: int, resource_id: int, actor: Actor) -> int:
    _require_clinical(actor.person)
    client = client_for_staff(actor.person, client_id)
    removed, _ = ClientResource.objects.filter(client=client, resource_id=resource_id).delete()
    if removed:
        _audit(Action.RESOURCE_UNSHARED, actor, "resource", resource_id,
               client_id=client.pk)
    return removed


# --- homework ----------------------------------------------------------------------------------

@transaction.atomic
def homework_assign(*, client_id: int, instructions: str, due_on: date,
                    repeats_weekly: bool = False, resource_id: int | None = None,
                    actor: Actor) -> Homework:
    _require_clinical(actor.person)
    client = client_for_staff(actor.person, client_id)
    if not instructions.strip():
        raise CareError("Describe the task.")
    resource = None
    if resource_id is not None:
        resource = Resource.objects.filter(pk=resource_id, is_archived=False).first()
        if resource is None:
            raise CareError("That resource is not in the library.")
    homework = Homework.objects.create(client=client, instructions=instructions.strip(),
                                       due_on=due_on, repeats_weekly=repeats_weekly,
                                       resource=resource, created_by=actor.person)
    if resource is not None:
        ClientResource.objects.get_or_create(client=client, resource=resource,
                                             defaults={"shared_by": actor.person})
    _audit(Action.HOMEWORK_ASSIGNED, actor, "homework", homework.pk,
           client_id=client.pk, repeats_weekly=repeats_weekly,
           resource_id=resource.pk if resource else None)
    return homework


@transaction.atomic
def homework_end(*, homework_id: int, actor: Actor) -> Homework:
    _require_clinical(actor.person)
    homework = Homework.objects.select_for_update().get(pk=homework_id)
    try:
        client_for_staff(actor.person, homework.client_id)
    except User.DoesNotExist:
        raise Homework.DoesNotExist from None
    if homework.is_active:
        homework.is_active = False
        homework.ended_at = timezone.now()
        homework.save(update_fields=["is_active", "ended_at"])
        _audit(Action.HOMEWORK_ENDED, actor, "homework", homework.pk,
               client_id=homework.client_id)
    return homework


def current_occurrence(homework: Homework, today: date) -> date:
    """The occurrence the client works on now: the due date, or for a weekly task the first
    weekly date on or after today."""
    if not homework.repeats_weekly or today <= homework.due_on:
        return homework.due_on
    weeks = -(-(today - homework.due_on).days // 7)
    return homework.due_on + timedelta(weeks=weeks)


@transaction.atomic
def homework_complete(*, homework_id: int, reflection: str = "", today: date,
                      actor: Actor) -> HomeworkCompletion:
    """The client marks the current occurrence done (`today` in the client's timezone)."""
    _require_client(actor.person)
    homework = Homework.objects.get(pk=homework_id, client=actor.user, is_active=True)
    occurrence = current_occurrence(homework, today)
    try:
        with transaction.atomic():
            completion = HomeworkCompletion.objects.create(
                homework=homework, due_on=occurrence, reflection=reflection.strip())
    except IntegrityError:
        raise CareError(_("You already marked this one done.")) from None
    _audit(Action.HOMEWORK_COMPLETED, actor, "homework", homework.pk,
           completion_id=completion.pk, has_reflection=bool(reflection.strip()))
    return completion


# --- journal -----------------------------------------------------------------------------------

@transaction.atomic
def journal_entry_create(*, body: str, is_shared: bool, actor: Actor) -> JournalEntry:
    _require_client(actor.person)
    if not body.strip():
        raise CareError(_("Write something first."))
    entry = JournalEntry.objects.create(client=actor.person, body=body.strip(),
                                        is_shared=is_shared)
    _audit(Action.JOURNAL_ENTRY_CREATED, actor, "journal_entry", entry.pk,
           is_shared=is_shared)
    return entry


@transaction.atomic
def journal_entry_set_sharing(*, entry_id: int, is_shared: bool, actor: Actor) -> JournalEntry:
    _require_client(actor.person)
    entry = JournalEntry.objects.select_for_update().get(pk=entry_id, client=actor.user)
    if entry.is_shared != is_shared:
        entry.is_shared = is_shared
        entry.save(update_fields=["is_shared"])
        _audit(Action.JOURNAL_SHARING_CHANGED, actor, "journal_entry", entry.pk,
               is_shared=is_shared)
    return entry


# --- safety plan -------------------------------------------------------------------------------

def _clean_texts(items: list[str]) -> list[str]:
    cleaned = [item.strip()[:MAX_ITEM_LENGTH] for item in items if item and item.strip()]
    return cleaned[:MAX_ITEMS]


def _clean_contacts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Structured contacts, each with a phone that is tap-to-call; a contact the old free-text
    plan left unreadable may stay flagged with its text until the clinician fixes it."""
    cleaned: list[dict[str, Any]] = []
    for item in items:
        if item.get("needs_review"):
            text = (item.get("text") or "").strip()[:contacts.TEXT_MAX]
            if text:
                cleaned.append({"text": text, "needs_review": True})
            continue
        name = (item.get("name") or "").strip()
        relationship = (item.get("relationship") or "").strip()
        phone = (item.get("phone") or "").strip()
        if not (name or relationship or phone):
            continue
        if not name or len(name) > contacts.NAME_MAX:
            raise CareError("Every contact needs a name.")
        if len(relationship) > contacts.RELATIONSHIP_MAX or len(phone) > contacts.PHONE_MAX:
            raise CareError("A contact's relationship or phone number is too long.")
        try:
            contacts.phone_tel(phone)
        except contacts.PhoneError as error:
            raise CareError(str(error)) from None
        cleaned.append({"name": name, "relationship": relationship, "phone": phone})
    return cleaned[:MAX_ITEMS]


@transaction.atomic
def safety_plan_save(*, client_id: int, sections: dict[str, list[Any]], actor: Actor) -> SafetyPlan:
    """Write the clinician's sections of the client's active plan (one is created if none is
    active). The client's own additions are left as they are."""
    _require_clinical(actor.person)
    client = client_for_staff(actor.person, client_id)
    plan = (SafetyPlan.objects.select_for_update().filter(client=client, is_active=True)
            .order_by("-created_at", "-pk").first())
    if plan is None:
        plan = SafetyPlan(client=client)
    for name in SAFETY_TEXT_SECTIONS:
        setattr(plan, name, _clean_texts(sections.get(name, [])))
    for name in SAFETY_CONTACT_SECTIONS:
        setattr(plan, name, _clean_contacts(sections.get(name, [])))
    created = plan.pk is None
    plan.save()
    _audit(Action.SAFETY_PLAN_CREATED if created else Action.SAFETY_PLAN_UPDATED, actor,
           "safety_plan", plan.pk, client_id=client.pk)
    return plan


@transaction.atomic
def safety_plan_client_add(*, section: str, text: str, actor: Actor) -> SafetyPlan:
    """The client adds a coping strategy or a reason for living of their own."""
    _require_client(actor.person)
    field_name = CLIENT_SAFETY_SECTIONS.get(section)
    if field_name is None:
        raise CareError(_("Choose a coping strategy or a reason for living."))
    text = text.strip()[:MAX_ITEM_LENGTH]
    if not text:
        raise CareError(_("Write what you want to add."))
    plan = (SafetyPlan.objects.select_for_update().filter(client=actor.user, is_active=True)
            .order_by("-created_at", "-pk").first())
    if plan is None:
        raise SafetyPlan.DoesNotExist
    items = list(getattr(plan, field_name))
    if len(items) >= MAX_ITEMS:
        raise CareError(_("This list is full."))
    setattr(plan, field_name, [*items, text])
    plan.save(update_fields=[field_name, "updated_at"])
    _audit(Action.SAFETY_PLAN_CLIENT_ADDED, actor, "safety_plan", plan.pk,
           section=section)
    return plan
