"""A practice ready for secure messaging: the client on the clinician's care team with portal
access (consent given, every module visible, notices on), a second clinician who is not on it,
and helpers that act through the services, as the pages and the API do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from portal.models import ClientAccess
from practice.messaging import services
from practice.messaging.models import (
    Conversation,
    Message,
    MessageRead,
    MessageRevision,
    MessagingSettings,
)
from practice.notifications.models import Notification
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.models import Practice
from tests.care.helpers import prepare as care_prepare
from tests.conftest import PracticeWorld

MARKER = "MSG-5d2"
SIGN_IN = "/accounts/sign-in/"


def page_text(response: Any) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"| nonce="[^"]*"', "",
                  response.content.decode())


@dataclass
class MessagingWorld:
    world: PracticeWorld
    outsider: User  # a clinician not on the client's care team

    @property
    def practice(self) -> Practice:
        return self.world.practice

    @property
    def client(self) -> User:
        return self.world.client

    @property
    def clinician(self) -> User:
        return self.world.clinician

    def http(self, user: User | None = None) -> Client:
        return self.world.http(user)

    def people(self) -> dict[str, User | None]:
        world = self.world
        return {"anonymous": None, "client": world.client, "front_desk": world.front_desk,
                "billing": world.billing, "outsider": self.outsider,
                "clinician": world.clinician, "owner": world.owner}

    @contextmanager
    def schema(self) -> Iterator[None]:
        with schema_context(self.practice.schema_name):
            yield
        connection.set_schema_to_public()

    def set_policy(self, kind: str) -> None:
        Practice.objects.filter(pk=self.practice.pk).update(messaging_policy=kind)
        self.practice.refresh_from_db()

    def allow_front_desk(self, allowed: bool = True) -> None:
        with self.schema():
            MessagingSettings.objects.update_or_create(
                pk=1, defaults={"front_desk_sees_messages": allowed,
                                "expected_response_time": "within one business day"})

    # --- acting through the services --------------------------------------------------------

    def start(self, by: User, body: str = f"{MARKER} first", *, subject: str = "",
              staff: User | None = None) -> int:
        with self.schema():
            conversation = services.conversation_start(
                actor=Actor.of(by, practice=self.practice), body=body, subject=subject,
                client_id=None if by.is_client else self.client.pk,
                staff_id=staff.pk if staff is not None else None)
        return conversation.pk

    def send(self, conversation_id: int, by: User, body: str) -> int:
        with self.schema():
            message = services.message_send(conversation_id=conversation_id, body=body,
                                            actor=Actor.of(by, practice=self.practice))
        return message.pk

    def read(self, conversation_id: int, by: User) -> int:
        with self.schema():
            return services.conversation_read(conversation_id=conversation_id,
                                              actor=Actor.of(by, practice=self.practice))

    def close(self, conversation_id: int, by: User | None = None) -> None:
        with self.schema():
            services.conversation_close(conversation_id=conversation_id,
                                        actor=Actor.of(by or self.clinician,
                                                       practice=self.practice))

    # --- looking --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, list]:
        """Every messaging row, to assert a refused request changed nothing."""
        with self.schema():
            state = {
                "conversations": list(Conversation.objects.order_by("pk").values_list(
                    "pk", "client_id", "subject", "state", "close_reason", "closed_by_id",
                    "last_message_at", "reopened_at")),
                "participants": list(Conversation.participants.through.objects
                                     .order_by("pk").values_list("conversation_id",
                                                                 "user_id")),
                "messages": list(Message.objects.order_by("pk").values_list(
                    "pk", "conversation_id", "author_id", "body", "edited_at")),
                "revisions": list(MessageRevision.objects.order_by("pk").values_list(
                    "message_id", "body")),
                "reads": list(MessageRead.objects.order_by("pk").values_list(
                    "message_id", "reader_id")),
                "settings": list(MessagingSettings.objects.values_list(
                    "expected_response_time", "front_desk_sees_messages")),
                "notifications": list(Notification.objects.order_by("pk").values_list(
                    "recipient_id", "idempotency_key")),
            }
        return state

    def notifications(self) -> list[Notification]:
        with self.schema():
            return list(Notification.objects.filter(kind="message_waiting").order_by("pk"))

    def conversation(self, conversation_id: int) -> Conversation:
        with self.schema():
            return Conversation.objects.get(pk=conversation_id)

    def messages(self) -> list[Message]:
        with self.schema():
            return list(Message.objects.order_by("pk"))


def prepare(world: PracticeWorld) -> MessagingWorld:
    care = care_prepare(world)
    with schema_context(world.practice.schema_name):
        ClientAccess.objects.update_or_create(
            user=world.client, defaults={"visible_modules": list(world.practice.enabled_modules),
                                         "invited_at": timezone.now(),
                                         "accepted_at": timezone.now()})
    connection.set_schema_to_public()
    return MessagingWorld(world=world, outsider=care.outsider)


def other_client_http(home: MessagingWorld, other: MessagingWorld) -> Client:
    """The other practice's client, signed in there, trying this practice's host."""
    http = other.http(other.client)
    http.defaults["HTTP_HOST"] = home.world.host
    return http
