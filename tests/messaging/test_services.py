"""Messaging's services on a real database: the 48-hour auto-close (at the boundary, not after
a reply, not under other policies, as the scheduled job), the "new secure message" notice (two
minutes later, only while unread), edit history, read receipts and plain-text bodies. A second
practice with look-alike data is never touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from config.scheduler import JOBS
from practice.messaging import services
from practice.messaging.models import Conversation, Message, MessageRead, MessageRevision
from practice.messaging.notifications import MESSAGE_WAITING, UNREAD_MESSAGES
from practice.messaging.tasks import messaging_auto_close
from practice.notifications import kinds
from practice.notifications.digest import sections
from practice.notifications.models import PushSubscription
from practice.notifications.services import notification_enqueue
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.messaging.helpers import MessagingWorld, prepare

HOURS_48 = timedelta(hours=48)


@pytest.fixture
def worlds(alpha, beta) -> tuple[MessagingWorld, MessagingWorld]:
    return prepare(alpha), prepare(beta)


def _age(home: MessagingWorld, conversation_id: int, by: timedelta) -> None:
    """Move a conversation's staff and client times back by `by`."""
    conversation = home.conversation(conversation_id)
    with home.schema():
        Conversation.objects.filter(pk=conversation_id).update(
            last_staff_message_at=conversation.last_staff_message_at - by,
            last_client_message_at=(conversation.last_client_message_at - by
                                    if conversation.last_client_message_at else None))


# --- the 48-hour auto-close ----------------------------------------------------------------------

def test_reply_only_closes_exactly_48_hours_after_the_last_staff_message(worlds) -> None:
    home, other = worlds
    unanswered = home.start(home.clinician)
    replied = home.start(home.clinician)
    home.send(replied, home.client, "thanks")
    other.start(other.clinician)
    sent_at = home.conversation(unanswered).last_staff_message_at
    beta_before = other.snapshot()

    with home.schema():
        assert services.conversations_auto_close(
            practice=home.practice, now=sent_at + HOURS_48 - timedelta(microseconds=1)) == []
        assert services.conversations_auto_close(practice=home.practice,
                                                 now=sent_at + HOURS_48) == [unanswered]
        # A day later, the one the client answered is still open; nothing closes twice.
        assert services.conversations_auto_close(
            practice=home.practice, now=sent_at + HOURS_48 + timedelta(days=1)) == []
        closed = Conversation.objects.get(pk=unanswered)
        event = AuditEvent.objects.get(action="messaging.conversation_closed")
    assert (closed.state, closed.close_reason, closed.closed_by_id, closed.closed_at) == (
        "closed", "no_reply", None, sent_at + HOURS_48)
    assert home.conversation(replied).state == "open"
    assert (event.actor_id, event.actor_role, event.object_id, event.detail) == (
        None, "system", str(unanswered),
        {"client_id": home.client.pk, "reason": "no_reply", "has_note": False})
    assert other.snapshot() == beta_before

    # Reopening starts the 48 hours over.
    with home.schema():
        reopened = services.conversation_reopen(conversation_id=unanswered,
                                                actor=Actor.of(home.clinician,
                                                               practice=home.practice))
        assert services.conversations_auto_close(
            practice=home.practice, now=reopened.reopened_at + HOURS_48 - timedelta(seconds=1)
        ) == []
        assert services.conversations_auto_close(
            practice=home.practice, now=reopened.reopened_at + HOURS_48) == [unanswered]
    connection.set_schema_to_public()


def test_the_scheduled_job_closes_per_practice_and_only_under_reply_only(worlds) -> None:
    home, other = worlds
    assert [(job.every, job.per_practice) for job in JOBS
            if job.actor_name == "messaging_auto_close"] == [(timedelta(minutes=15), True)]
    old = home.start(home.clinician)
    fresh = home.start(home.clinician)
    beta_old = other.start(other.clinician)
    _age(home, old, timedelta(hours=49))
    _age(other, beta_old, timedelta(hours=49))

    with home.schema():
        messaging_auto_close.fn()
    assert [home.conversation(pk).state for pk in (old, fresh)] == ["closed", "open"]
    assert other.conversation(beta_old).state == "open"  # its job has not run

    other.set_policy("never_initiate")
    with other.schema():
        messaging_auto_close.fn()
    assert other.conversation(beta_old).state == "open"


# --- the "new secure message" notice -------------------------------------------------------------

def _push_device(home: MessagingWorld) -> None:
    with home.schema():
        PushSubscription.objects.create(user=home.client, endpoint="https://push.example/1",
                                        p256dh="key", auth="auth")


def test_a_staff_message_enqueues_the_notice_two_minutes_later_until_read(clock, worlds) -> None:
    """Pinned at daytime (`clock`): in quiet hours the notice would wait for their end."""
    home, other = worlds
    _push_device(home)
    conversation = home.start(home.clinician)
    other.start(other.clinician)
    message = home.messages()[0]
    rows = home.notifications()
    assert [(row.recipient_id, row.channel, row.idempotency_key, row.not_before, row.context)
            for row in rows] == [
        (home.client.pk, channel, f"message:{message.pk}:{home.client.pk}:{channel}",
         message.created_at + timedelta(minutes=2),
         {"conversation_id": conversation, "message_id": message.pk, "audience": "client"})
        for channel in ("email", "push")]
    kind = kinds.get("message_waiting")
    assert kind is MESSAGE_WAITING
    assert (kind.preference, kind.subject, kind.push_body) == (
        "messages", "You have a new secure message", "You have a new secure message")
    assert kind.link(rows[0].context) == f"/portal/messages/{conversation}/"

    with home.schema():
        assert [kind.is_still_due(row) for row in rows] == [True, True]
        # The same event again adds nothing.
        assert notification_enqueue(recipient=home.client, kind="message_waiting",
                                    idempotency_key=f"message:{message.pk}:{home.client.pk}",
                                    context=rows[0].context) == []
    home.read(conversation, home.client)  # read within the two minutes
    with home.schema():
        assert [kind.is_still_due(row) for row in rows] == [False, False]
    connection.set_schema_to_public()
    # The other practice's notice is its own (email only: no device there), and still due.
    beta_rows = other.notifications()
    assert [row.channel for row in beta_rows] == ["email"]
    with other.schema():
        assert kind.is_still_due(beta_rows[0]) is True


def test_a_client_message_tells_the_staff_taking_part_and_the_digest_counts_it(alpha) -> None:
    home = prepare(alpha)
    home.set_policy("all")
    conversation = home.start(home.client, staff=home.outsider)
    message = home.messages()[0]
    # The staff member written to hears (by email: no push device); the care team's clinician
    # who is not taking part, and the owner, are not told.
    assert [(row.recipient_id, row.channel, row.context["audience"])
            for row in home.notifications()] == [(home.outsider.pk, "email", "staff")]
    assert MESSAGE_WAITING.link(home.notifications()[0].context) == (
        f"/messages/{conversation}/")

    # A client who turned message emails off hears by push only.
    _push_device(home)
    with home.schema():
        access = home.client.portal_access
        access.notifications["email"]["messages"] = False
        access.save()
    reply = home.send(conversation, home.outsider, "answer")
    assert [(row.recipient_id, row.channel) for row in home.notifications()
            if row.context["message_id"] == reply] == [(home.client.pk, "push")]
    assert message.pk != reply

    # The staff digest counts client messages unread by the staff taking part.
    digest_conversation = home.start(home.clinician)
    first = home.send(digest_conversation, home.client, "one")
    home.send(digest_conversation, home.client, "two")
    assert UNREAD_MESSAGES in sections()
    assert (UNREAD_MESSAGES.label, UNREAD_MESSAGES.link) == ("{count} unread messages",
                                                              "/messages/")
    with home.schema():
        since = Message.objects.get(pk=first).created_at
        assert UNREAD_MESSAGES.count(home.clinician, since) == 2
        assert UNREAD_MESSAGES.count(home.world.owner, since) == 0
    home.read(digest_conversation, home.clinician)
    with home.schema():
        assert UNREAD_MESSAGES.count(home.clinician, since) == 0
    connection.set_schema_to_public()


# --- edits, receipts, plain text -----------------------------------------------------------------

def test_edits_keep_every_earlier_text(worlds) -> None:
    home, other = worlds
    conversation = home.start(home.clinician, body="first text")
    other.start(other.clinician, body="first text")
    message_id = home.messages()[0].pk
    with home.schema():
        for text in ("second text", "second text", "third text"):
            services.message_edit(message_id=message_id, body=text,
                                  actor=Actor.of(home.clinician, practice=home.practice))
        message = Message.objects.get(pk=message_id)
        revisions = list(MessageRevision.objects.order_by("pk"))
        with pytest.raises(services.MessagingRefused):
            services.message_edit(message_id=message_id, body="mine",
                                  actor=Actor.of(home.world.owner, practice=home.practice))
        events = list(AuditEvent.objects.filter(action="messaging.message_edited")
                      .values_list("detail", flat=True))
    connection.set_schema_to_public()
    assert message.body == "third text"
    assert [revision.body for revision in revisions] == ["first text", "second text"]
    assert revisions[0].written_at == message.created_at
    assert revisions[1].written_at == revisions[0].replaced_at
    assert message.edited_at == revisions[1].replaced_at
    assert events == [{"client_id": home.client.pk, "message_id": message_id}] * 2
    home.close(conversation)
    with home.schema(), pytest.raises(services.MessagingRefused):
        services.message_edit(message_id=message_id, body="late",
                              actor=Actor.of(home.clinician, practice=home.practice))
    assert [m.body for m in other.messages()] == ["first text"]


def test_read_receipts_are_written_once_and_bodies_are_plain_text(alpha) -> None:
    home = prepare(alpha)
    conversation = home.start(home.clinician)
    home.send(conversation, home.client, "reply")
    staff_message, client_message = home.messages()
    assert home.read(conversation, home.client) == 1
    assert home.read(conversation, home.client) == 0
    assert home.read(conversation, home.clinician) == 1
    with home.schema():
        reads = list(MessageRead.objects.order_by("pk").values_list("message_id", "reader_id"))
    connection.set_schema_to_public()
    assert reads == [(staff_message.pk, home.client.pk), (client_message.pk, home.clinician.pk)]

    # Plain text: kept as written (markup included, escaped where shown), control characters
    # dropped; nothing is kept of a body that is empty or too long.
    home.start(home.clinician, body="  <b>hi</b>\r\nline\x00two\x07 ")
    assert home.messages()[-1].body == "<b>hi</b>\nlinetwo"
    with home.schema():
        for bad in ("   ", "\x00\x01", "x" * 5001):
            with pytest.raises(services.InvalidText):
                services.conversation_start(actor=Actor.of(home.clinician, practice=home.practice),
                                            client_id=home.client.pk, body=bad)
    connection.set_schema_to_public()
    assert len(home.messages()) == 3
