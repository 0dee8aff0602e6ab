"""Writes of secure messaging. Every one asks the practice's policy (`policies.py`) and leaves an
audit row in its transaction, with ids and flags only, never what anyone wrote.

A conversation or message outside someone's reach raises DoesNotExist, exactly like one that
does not exist; a rule of the policy that refuses something the person can see raises
MessagingRefused with a message for them. Sending a message enqueues the "new secure message"
notice in the same transaction (the notification outbox delivers it two minutes later if it is
still unread)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from practice.access import Capability, holds
from practice.messaging import selectors
from practice.messaging.models import (
    MAX_BODY_LENGTH,
    MAX_SUBJECT_LENGTH,
    Conversation,
    Message,
    MessageRead,
    MessageRevision,
    MessagingSettings,
)
from practice.messaging.notifications import MESSAGE_WAITING
from practice.messaging.policies import CLINICAL_ROLES, MessagingPolicy, Thread
from practice.notifications.services import notification_enqueue
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import audit_record
from tenants.models import Practice

NOTICE_DELAY = timedelta(minutes=2)
MAX_CLOSE_NOTE_LENGTH = 300
MAX_RESPONSE_TIME_LENGTH = 120
# Control characters other than tab and newline have no place in a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class MessagingRefused(Exception):
    """The policy refuses this, with a message for the person who asked."""


class InvalidText(MessagingRefused):
    """What was written cannot be kept as it is (empty, too long)."""


def clean_body(body: str) -> str:
    """Plain text as written: newlines normalised, control characters dropped, trimmed."""
    text = _CONTROL.sub("", (body or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise InvalidText(_("Write a message."))
    if len(text) > MAX_BODY_LENGTH:
        raise InvalidText(_("A message can be at most %(limit)d characters (this one has "
                                 "%(length)d).") % {"limit": MAX_BODY_LENGTH,
                                                     "length": len(text)})
    return text


def _clean_subject(subject: str) -> str:
    text = " ".join(_CONTROL.sub("", subject or "").split())
    if len(text) > MAX_SUBJECT_LENGTH:
        raise InvalidText(_("A subject can be at most %(limit)d characters.")
                               % {"limit": MAX_SUBJECT_LENGTH})
    return text


def _audit(action: str, actor: Actor | None, conversation: Conversation,
           **detail: object) -> None:
    """No actor (or one without a user) is the scheduler: recorded as "system"."""
    is_system = actor is None or actor.user is None
    audit_record(action=action, actor=actor, object_type="conversation",
                 object_id=conversation.pk,
                 detail={"client_id": conversation.client_id, **detail},
                 actor_role="system" if is_system else None)


def _locked(conversation_id: int) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation_id)


def _visible_thread(policy: MessagingPolicy, user: User,
                    conversation: Conversation) -> Thread:
    thread = selectors.thread_of(conversation)
    if not policy.may_view(selectors.person(user), thread):
        raise Conversation.DoesNotExist
    link = conversation.proxy_link
    if user.is_proxy and (link is None or link.revoked_at is not None
                          or link.accepted_at is None):
        raise Conversation.DoesNotExist
    return thread


# --- sending -----------------------------------------------------------------------------------

def _portal_side(user: User) -> bool:
    """The client, or a proxy in their own conversation: the side the practice writes to."""
    return user.is_client or user.is_proxy


def _recipients(policy: MessagingPolicy, conversation: Conversation, thread: Thread,
                author: User) -> list[User]:
    """Who hears of a new message: the client (or the proxy of a proxy's conversation, while
    their link is in force) hears of the practice's; the staff taking part (still able to see
    it) hear of the portal side's, or the client's clinicians if none can."""
    if not _portal_side(author):
        link = conversation.proxy_link  # None unless a proxy thread
        reader = link.proxy if link is not None else conversation.client
        if link is not None and link.revoked_at is not None:
            return []
        return [reader] if reader.is_active else []
    staff = [user for user in conversation.participants.filter(is_active=True)
             if policy.may_view(selectors.person(user), thread)]
    if staff:
        return staff
    return list(User.objects.filter(pk__in=thread.care_team, is_active=True))


def _post(policy: MessagingPolicy, conversation: Conversation, thread: Thread, author: User,
          body: str, now: datetime) -> Message:
    portal_side = _portal_side(author)
    message = Message.objects.create(conversation=conversation, author=author,
                                     from_client=portal_side, body=body, created_at=now)
    conversation.last_message_at = now
    if portal_side:
        conversation.last_client_message_at = now
    else:
        conversation.last_staff_message_at = now
        conversation.participants.add(author)
    conversation.save(update_fields=["last_message_at", "last_client_message_at",
                                     "last_staff_message_at"])
    audience = ("staff" if portal_side
                else "proxy" if conversation.is_proxy_thread else "client")
    for recipient in _recipients(policy, conversation, thread, author):
        notification_enqueue(
            recipient=recipient, kind=MESSAGE_WAITING.key, not_before=now + NOTICE_DELAY,
            idempotency_key=f"message:{message.pk}:{recipient.pk}",
            context={"conversation_id": conversation.pk, "message_id": message.pk,
                     "audience": audience})
    return message


@transaction.atomic
def conversation_start(*, actor: Actor, body: str, subject: str = "",
                       client_id: int | None = None, staff_id: int | None = None) -> Conversation:
    """A new conversation with its first message: staff name the client (`client_id`), a client
    names the clinician (`staff_id`). Someone out of the starter's reach is as missing as one
    that does not exist (User.DoesNotExist); a client whose practice does not let clients start
    conversations is refused (MessagingRefused)."""
    policy = selectors.policy_of(actor.in_practice)
    starter = selectors.person(actor.person)
    if not actor.person.is_active:
        raise User.DoesNotExist
    if actor.person.is_proxy:
        raise User.DoesNotExist  # a proxy starts through proxy_conversation_start
    if actor.person.is_client:
        if not policy.client_may_start(starter):
            raise MessagingRefused(_("Your practice starts conversations with you; you can reply "
                                   "to any open one."))
        client = actor.person
        # A missing id (None) finds no one: User.DoesNotExist, as for anyone out of reach.
        staff = User.objects.get(pk=staff_id, role__in=CLINICAL_ROLES, is_active=True)  # type: ignore[misc]
        team = selectors.care_team(client.pk)
        if not policy.client_may_address(starter, selectors.person(staff), care_team=team):
            raise User.DoesNotExist
    else:
        client = User.objects.get(pk=client_id, role=Role.CLIENT, is_active=True)  # type: ignore[misc]
        team = selectors.care_team(client.pk)
        if not policy.staff_may_start(starter, care_team=team):
            raise User.DoesNotExist
        if not selectors.client_sees_messaging(client.pk):
            raise MessagingRefused(_("Messages are not among this client's portal modules; "
                                     "add them on the client's portal access page first."))
        staff = actor.person
    text = clean_body(body)
    now = timezone.now()
    conversation = Conversation.objects.create(
        client=client, subject=_clean_subject(subject), started_by=actor.person, created_at=now,
        last_message_at=now)
    conversation.participants.add(staff)
    thread = Thread(client_id=client.pk, care_team=team, participants=frozenset({staff.pk}))
    message = _post(policy, conversation, thread, actor.person, text, now)
    _audit(Action.MESSAGING_CONVERSATION_STARTED, actor, conversation,
           message_id=message.pk, staff_id=staff.pk, policy=policy.kind)
    return conversation


def _proxy_link_in_force(proxy_link_id: int) -> Any:
    """The proxy link (practice.family.models.ProxyLink, read through the conversation's own
    key so messaging stays below the family feature), accepted and not revoked; else
    User.DoesNotExist."""
    link_model: Any = Conversation._meta.get_field("proxy_link").related_model
    link = (link_model.objects.select_related("proxy", "client")
            .filter(pk=proxy_link_id, accepted_at__isnull=False, revoked_at__isnull=True)
            .first())
    if link is None or not link.proxy.is_active:
        raise User.DoesNotExist
    return link


@transaction.atomic
def proxy_conversation_start(*, proxy_link_id: int, actor: Actor,
                             body: str, subject: str = "") -> Conversation:
    """A proxy's conversation with the practice about the client, with its first message:
    started by staff who may start one with the client under the policy, or by the proxy where
    the policy lets clients start. The caller (practice.family.services) has already checked
    that the link's tier shows the proxy messages; the client never sees it."""
    policy = selectors.policy_of(actor.in_practice)
    starter = selectors.person(actor.person)
    link = _proxy_link_in_force(proxy_link_id)
    client = link.client
    team = selectors.care_team(client.pk)
    if not actor.person.is_active:
        raise User.DoesNotExist
    if actor.person.is_proxy:
        if actor.person.pk != link.proxy_id:
            raise User.DoesNotExist
        if not policy.client_may_start(starter):
            raise MessagingRefused(_("The practice writes first; you can reply to any open "
                                     "conversation."))
        participants: frozenset[int] = frozenset()
    else:
        if not policy.staff_may_start(starter, care_team=team):
            raise User.DoesNotExist
        participants = frozenset({actor.person.pk})
    text = clean_body(body)
    now = timezone.now()
    conversation = Conversation.objects.create(
        client=client, proxy_link_id=proxy_link_id, subject=_clean_subject(subject),
        started_by=actor.person, created_at=now, last_message_at=now)
    if participants:
        conversation.participants.add(actor.person)
    thread = Thread(client_id=client.pk, care_team=team, participants=participants,
                    proxy_id=link.proxy_id)
    message = _post(policy, conversation, thread, actor.person, text, now)
    _audit(Action.MESSAGING_CONVERSATION_STARTED, actor, conversation,
           message_id=message.pk, proxy_link_id=proxy_link_id, policy=policy.kind)
    return conversation


@transaction.atomic
def message_send(*, conversation_id: int, body: str, actor: Actor) -> Message:
    policy = selectors.policy_of(actor.in_practice)
    conversation = _locked(conversation_id)
    thread = _visible_thread(policy, actor.person, conversation)
    if not policy.may_post(selectors.person(actor.person), thread):
        if not conversation.is_open:
            raise MessagingRefused(_("This conversation is closed."))
        raise MessagingRefused(_("Only the clinicians on this client's care team write here."))
    message = _post(policy, conversation, thread, actor.person, clean_body(body), timezone.now())
    _audit(Action.MESSAGING_MESSAGE_SENT, actor, conversation,
           message_id=message.pk)
    return message


@transaction.atomic
def message_edit(*, message_id: int, body: str, actor: Actor) -> Message:
    """A new text for one's own message in an open conversation; the earlier text is kept as a
    revision. The same text again changes nothing."""
    policy = selectors.policy_of(actor.in_practice)
    message = Message.objects.select_for_update().get(pk=message_id)
    conversation = Conversation.objects.get(pk=message.conversation_id)
    try:
        thread = _visible_thread(policy, actor.person, conversation)
    except Conversation.DoesNotExist:
        raise Message.DoesNotExist from None
    if not policy.may_edit(selectors.person(actor.person), author_id=message.author_id,
                           thread=thread):
        raise MessagingRefused(_("You can edit only your own messages, while the conversation "
                               "is open."))
    text = clean_body(body)
    if text == message.body:
        return message
    now = timezone.now()
    MessageRevision.objects.create(message=message, body=message.body,
                                   written_at=message.edited_at or message.created_at,
                                   replaced_at=now, replaced_by=actor.person)
    message.body = text
    message.edited_at = now
    message.save(update_fields=["body", "edited_at"])
    _audit(Action.MESSAGING_MESSAGE_EDITED, actor, conversation,
           message_id=message.pk)
    return message


# --- reading -----------------------------------------------------------------------------------

@transaction.atomic
def conversation_read(*, conversation_id: int, actor: Actor) -> int:
    """`acting_user` opened the conversation: the other side's messages are now read by them
    (read receipts), and the view is audited. Returns how many became read."""
    policy = selectors.policy_of(actor.in_practice)
    conversation = Conversation.objects.get(pk=conversation_id)
    _visible_thread(policy, actor.person, conversation)
    now = timezone.now()
    unread = list(conversation.messages.filter(from_client=not _portal_side(actor.person))
                  .exclude(reads__reader=actor.person).values_list("pk", flat=True))
    MessageRead.objects.bulk_create(
        [MessageRead(message_id=pk, reader=actor.user, read_at=now) for pk in unread],
        ignore_conflicts=True)
    _audit(Action.MESSAGING_CONVERSATION_VIEWED, actor, conversation,
           newly_read=len(unread))
    return len(unread)


# --- closing -----------------------------------------------------------------------------------

def _close(conversation: Conversation, *, reason: str, by: User | None, note: str,
           now: datetime) -> None:
    conversation.state = Conversation.State.CLOSED
    conversation.closed_at = now
    conversation.closed_by = by
    conversation.close_reason = reason
    conversation.close_note = note
    conversation.save(update_fields=["state", "closed_at", "closed_by", "close_reason",
                                     "close_note"])


@transaction.atomic
def conversation_close(*, conversation_id: int, actor: Actor,
                       note: str = "") -> Conversation:
    policy = selectors.policy_of(actor.in_practice)
    conversation = _locked(conversation_id)
    thread = _visible_thread(policy, actor.person, conversation)
    if not policy.may_close(selectors.person(actor.person), thread):
        if not conversation.is_open:
            raise MessagingRefused(_("This conversation is already closed."))
        raise MessagingRefused(_("Only the practice's staff on this client's care team close "
                               "this conversation."))
    note = " ".join(_CONTROL.sub("", note or "").split())
    if len(note) > MAX_CLOSE_NOTE_LENGTH:
        raise InvalidText(f"A note can be at most {MAX_CLOSE_NOTE_LENGTH} characters.")
    _close(conversation, reason=Conversation.CloseReason.STAFF, by=actor.user, note=note,
           now=timezone.now())
    _audit(Action.MESSAGING_CONVERSATION_CLOSED, actor, conversation,
           reason=Conversation.CloseReason.STAFF, has_note=bool(note))
    return conversation


@transaction.atomic
def conversation_reopen(*, conversation_id: int, actor: Actor) -> Conversation:
    """Open again; under reply-only the 48 hours start over from now."""
    policy = selectors.policy_of(actor.in_practice)
    conversation = _locked(conversation_id)
    thread = _visible_thread(policy, actor.person, conversation)
    if not policy.may_reopen(selectors.person(actor.person), thread):
        if conversation.is_open:
            raise MessagingRefused(_("This conversation is already open."))
        raise MessagingRefused(_("Only the practice's staff on this client's care team reopen "
                               "this conversation."))
    previous_reason = conversation.close_reason
    conversation.state = Conversation.State.OPEN
    conversation.reopened_at = timezone.now()
    conversation.closed_at = None
    conversation.closed_by = None
    conversation.close_reason = ""
    conversation.close_note = ""
    conversation.save(update_fields=["state", "reopened_at", "closed_at", "closed_by",
                                     "close_reason", "close_note"])
    conversation.participants.add(actor.person)
    _audit(Action.MESSAGING_CONVERSATION_REOPENED, actor, conversation,
           previous_reason=previous_reason)
    return conversation


@transaction.atomic
def conversations_auto_close(*, practice: Practice, now: datetime | None = None) -> list[int]:
    """Close every open conversation the practice's policy says is due (reply-only: 48 hours
    after the last staff message or reopening, unanswered). The practice's rule acts, so the
    audit row has no person. Returns the ids closed."""
    now = now or timezone.now()
    policy = selectors.policy_of(practice)
    closed = []
    due = (selectors.conversations_due_to_close(policy, now)
           .select_for_update(skip_locked=True).order_by("pk"))
    for conversation in due:
        thread = Thread(client_id=conversation.client_id, is_open=conversation.is_open,
                        last_staff_message_at=conversation.last_staff_message_at,
                        last_client_message_at=conversation.last_client_message_at,
                        reopened_at=conversation.reopened_at)
        if not policy.is_due_to_close(thread, now):
            continue
        _close(conversation, reason=Conversation.CloseReason.NO_REPLY, by=None, note="",
               now=now)
        _audit(Action.MESSAGING_CONVERSATION_CLOSED, None, conversation,
               reason=Conversation.CloseReason.NO_REPLY, has_note=False)
        closed.append(conversation.pk)
    return closed


# --- settings ----------------------------------------------------------------------------------

@transaction.atomic
def messaging_settings_update(*, expected_response_time: str, front_desk_sees_messages: bool,
                              actor: Actor,
                              expected_response_time_es: str = "") -> MessagingSettings:
    if not holds(actor.person, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice owner changes messaging settings.")
    text = " ".join(_CONTROL.sub("", expected_response_time or "").split())
    if not text:
        raise InvalidText(_("Say how soon clients can expect an answer."))
    spanish = " ".join(_CONTROL.sub("", expected_response_time_es or "").split())
    if max(len(text), len(spanish)) > MAX_RESPONSE_TIME_LENGTH:
        raise InvalidText(f"Keep it to {MAX_RESPONSE_TIME_LENGTH} characters.")
    settings, _created = MessagingSettings.objects.select_for_update().get_or_create(pk=1)
    changed = sorted(
        name for name, value in (("expected_response_time", text),
                                 ("expected_response_time_es", spanish),
                                 ("front_desk_sees_messages", front_desk_sees_messages))
        if getattr(settings, name) != value)
    settings.expected_response_time = text
    settings.expected_response_time_es = spanish
    settings.front_desk_sees_messages = front_desk_sees_messages
    settings.updated_at = timezone.now()
    settings.updated_by = actor.user
    settings.save()
    audit_record(action=Action.MESSAGING_SETTINGS_CHANGED, actor=actor,
                 object_type="messaging_settings", object_id=1, detail={"changed": changed,
                         "front_desk_sees_messages": front_desk_sees_messages})
    return settings
