"""Demo messages: two conversations between the demo clinician and the demo client, seeded
through the services (so the policy, audit and notices behave as in life). One is open, with a
reply from the client and an answer; an older one closed by itself when the client did not reply
within 48 hours. Idempotent: nothing is added once the client has a conversation."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from practice.messaging import services
from practice.messaging.models import Conversation, Message, MessageRead
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.models import Practice

DEMO_CLIENT = "client@demo.localhost"
DEMO_CLINICIAN = "clinician@demo.localhost"


@transaction.atomic
def seed(practice: Practice) -> bool:
    """Seed inside the practice's schema; False when there was nothing to do."""
    client = User.objects.filter(email=DEMO_CLIENT).first()
    clinician = User.objects.filter(email=DEMO_CLINICIAN).first()
    if client is None or clinician is None:
        return False
    if Conversation.objects.filter(client=client).exists():
        return False
    older = services.conversation_start(
        actor=Actor.of(clinician, practice=practice), client_id=client.pk,
        subject="Thought record worksheet",
        body="Hi Jordan, here is a reminder about the thought record we talked about. Try "
             "filling in one column each evening; bring it on Thursday if you can.")
    _shift(older, days=9)
    services.conversations_auto_close(practice=practice)
    current = services.conversation_start(
        actor=Actor.of(clinician, practice=practice), client_id=client.pk,
        subject="Before our next session",
        body="Hi Jordan, how did the breathing exercise go this week? No need for detail, a "
             "line or two is plenty.")
    services.conversation_read(conversation_id=current.pk,
                               actor=Actor.of(client, practice=practice))
    services.message_send(
        conversation_id=current.pk, actor=Actor.of(client, practice=practice),
        body="Better than last week. Mornings are still hard but I did it four times.")
    services.message_send(
        conversation_id=current.pk, actor=Actor.of(clinician, practice=practice),
        body="Four times is great. Let's look at the mornings together on Thursday.")
    return True


def _shift(conversation: Conversation, *, days: int) -> None:
    """Move a fresh conversation back in time, so the demo has some history."""
    delta = timedelta(days=days)
    then = timezone.now() - delta
    Message.objects.filter(conversation=conversation).update(created_at=then)
    MessageRead.objects.filter(message__conversation=conversation).update(read_at=then)
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=then, last_message_at=then, last_staff_message_at=then)
