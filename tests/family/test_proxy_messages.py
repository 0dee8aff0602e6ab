"""A proxy's conversation with the practice lives in secure messaging: staff who reach the
client see it in the normal inbox, labelled "<proxy> (<relationship>) about <client>", and
answer it there (pages and API); unread counts, receipts, the "new secure message" notice and
the practice's messaging policy apply as to a client's conversation. The client never sees it,
the proxy never sees the client's, and it needs "messages" in what the link shows. Another
clinician without the client, and another practice, get the same 404 as for nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from practice.family.models import ClientAgeFacts, FamilySettings, ProxyLink
from practice.messaging import services as messaging_services
from practice.messaging.models import Conversation, Message
from practice.models import ClientProfile
from practice.notifications import delivery, kinds
from practice.notifications.models import Notification
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.features import MODULE_KEYS, MessagingPolicyKind
from tests.conftest import PASSWORD, PracticeWorld
from tests.family.helpers import proxy_linked

LABEL = "Pat Parent (mother) about Chris Client"


@dataclass
class Home:
    world: PracticeWorld
    parent: User
    outsider: User  # a clinician without the teen on their caseload
    link_id: int
    client_conversation: int  # the teen's own conversation

    def http(self, user: User) -> Client:
        return self.world.http(user)

    @property
    def teen(self) -> User:
        return self.world.client

    def policy(self, kind: str) -> None:
        connection.set_schema_to_public()
        self.world.practice.messaging_policy = kind
        self.world.practice.save(update_fields=["messaging_policy"])


def _home(world: PracticeWorld) -> Home:
    world.practice.enabled_modules = list(MODULE_KEYS)
    world.practice.save(update_fields=["enabled_modules"])
    with schema_context(world.practice.schema_name):
        ClientProfile.objects.get_or_create(user=world.client)[0].clinicians.add(world.clinician)
        FamilySettings.objects.create(self_consent_age=14)
        ClientAgeFacts.objects.create(client=world.client, birth_date=date(2014, 1, 1))
        outsider = User.objects.create_user("other.clinician@example.org", PASSWORD,
                                            full_name="Otto Outsider", role=Role.CLINICIAN)
        parent = proxy_linked(world.client, email="pat@example.org", tier_key="progress",
                              relationship="mother")
        own = messaging_services.conversation_start(
            actor=Actor.of(world.clinician, practice=world.practice), client_id=world.client.pk,
            subject="Your homework", body="CLIENT-ONLY words for the teen")
        link_id = ProxyLink.objects.get(proxy=parent).pk
    return Home(world, parent, outsider, link_id, own.pk)


@pytest.fixture
def homes(clock, alpha: PracticeWorld, beta: PracticeWorld) -> tuple[Home, Home]:
    return _home(alpha), _home(beta)


def _start(home: Home, body: str = "Hello from the practice") -> int:
    response = home.http(home.world.clinician).post(
        f"/family/staff/links/{home.link_id}/message/", {"subject": "Tuesday", "body": body})
    assert response.status_code == 302
    with schema_context(home.world.practice.schema_name):
        conversation = Conversation.objects.get(proxy_link_id=home.link_id)
    assert response["Location"] == f"/messages/{conversation.pk}/"
    return conversation.pk


def _deliver(world: PracticeWorld) -> list[Notification]:
    """Play the notification worker for what is due (the pinned clock moves past 2 minutes)."""
    sent = []
    with schema_context(world.practice.schema_name):
        for row in Notification.objects.filter(status=Notification.Status.PENDING):
            if kinds.get(row.kind).is_still_due(row):
                delivery.deliver(row, kinds.get(row.kind), schema_name=world.practice.schema_name)
                row.status = Notification.Status.SENT
                row.save(update_fields=["status"])
                sent.append(row)
    return sent


def test_staff_see_and_answer_a_proxys_conversation_in_their_inbox(clock, homes,
                                                                     mailbox) -> None:
    home, other = homes
    home.policy(MessagingPolicyKind.REPLY_ONLY)
    conversation = _start(home)
    # The notice to the parent: email only, two minutes on, and no PHI in it.
    with schema_context(home.world.practice.schema_name):
        notices = list(Notification.objects.filter(recipient=home.parent))
    assert [(row.channel, row.context["audience"]) for row in notices] == [("email", "proxy")]
    clock.shift(timedelta(minutes=3))
    assert [row.recipient_id for row in _deliver(home.world)] == [home.parent.pk]
    [email] = mailbox.to("pat@example.org")
    text = email.as_string()
    assert "/family/" in text
    assert all(word not in text for word in ("Hello from the practice", "Chris", "Tuesday",
                                             "mother"))

    parent = home.http(home.parent)
    unread = f"/api/v1/family/clients/{home.teen.pk}/messages/read"
    assert parent.get(unread).json() == {"unread": 1}
    assert "1 new" in parent.get(f"/family/{home.teen.pk}/").content.decode()
    page = parent.get(f"/family/{home.teen.pk}/messages/").content.decode()
    assert parent.get(unread).json() == {"unread": 0}
    assert "Hello from the practice" in page and "CLIENT-ONLY" not in page
    assert parent.post(f"/family/{home.teen.pk}/messages/",
                       {"body": "Can we move to 4 pm?"}).status_code == 302
    reply = parent.post(f"/api/v1/family/clients/{home.teen.pk}/messages",
                        {"body": "And thank you"}, content_type="application/json")
    assert reply.status_code == 201
    with schema_context(home.world.practice.schema_name):
        assert list(Message.objects.filter(conversation_id=conversation).values_list(
            "author_id", "from_client")) == [(home.world.clinician.pk, False),
                                             (home.parent.pk, True), (home.parent.pk, True)]
        # The parent's reading left a receipt on the practice's message.
        assert Message.objects.get(conversation_id=conversation,
                                   from_client=False).reads.get().reader_id == home.parent.pk

    staff = home.http(home.world.clinician)
    assert staff.get("/api/v1/messages/unread").json()["unread"] == 2
    inbox = staff.get("/messages/").content.decode()
    assert LABEL in inbox and f'href="/messages/{conversation}/"' in inbox
    listed = {row["id"]: row for row in staff.get("/api/v1/conversations").json()}
    assert listed[conversation]["proxy"] == {"id": home.parent.pk, "name": "Pat Parent",
                                             "relationship": "mother"}
    assert listed[conversation]["unread"] == 2
    assert listed[home.client_conversation]["proxy"] is None
    opened = staff.get(f"/messages/{conversation}/").content.decode()
    assert LABEL in opened and "Can we move to 4 pm?" in opened and "does not see it" in opened
    assert staff.get("/api/v1/messages/unread").json()["unread"] == 0
    assert staff.post(f"/messages/{conversation}/", {"body": "4 pm is fine"}).status_code == 302
    assert staff.post(f"/api/v1/conversations/{conversation}/messages",
                      {"body": "See you then"}, content_type="application/json").status_code == 201
    assert "4 pm is fine" in parent.get(f"/api/v1/family/clients/{home.teen.pk}/messages"
                                        ).content.decode()

    # Under reply-only the thread closes 48 hours after the practice's last word, unanswered.
    clock.shift(timedelta(hours=49))
    with schema_context(home.world.practice.schema_name):
        closed = messaging_services.conversations_auto_close(practice=home.world.practice)
        assert sorted(closed) == [home.client_conversation, conversation]
    # ... and the parent cannot start another one (the practice writes first).
    parent = home.http(home.parent)  # signed in again, two days on
    refused = parent.post(f"/family/{home.teen.pk}/messages/", {"body": "Hello?"})
    assert refused.status_code == 400 and "The practice writes first" in refused.content.decode()
    assert parent.post(f"/api/v1/family/clients/{home.teen.pk}/messages", {"body": "Hello?"},
                       content_type="application/json").status_code == 400
    # The other practice was not touched.
    with schema_context(other.world.practice.schema_name):
        assert Conversation.objects.filter(proxy_link__isnull=False).count() == 0
        assert Message.objects.count() == 1


def test_who_cannot_see_a_proxys_conversation_gets_404(clock, homes) -> None:
    home, other = homes
    home.policy(MessagingPolicyKind.ALL)
    conversation = _start(home, "PROXY-THREAD words")
    other.policy(MessagingPolicyKind.ALL)
    # The look-alike practice has a proxy's conversation with the same id.
    assert _start(other, "LOOK-ALIKE words") == conversation
    paths = [("get", f"/messages/{conversation}/"), ("post", f"/messages/{conversation}/"),
             ("get", f"/api/v1/conversations/{conversation}"),
             ("post", f"/api/v1/conversations/{conversation}/messages")]
    for user in (home.outsider, home.world.billing, home.world.front_desk, home.teen):
        http = home.http(user)
        for method, path in paths:
            response = getattr(http, method)(path, {"body": "x"},
                                             **({"content_type": "application/json"}
                                                if "/api/" in path else {}))
            assert response.status_code == 404, (user.full_name, method, path)
            assert b"PROXY-THREAD" not in response.content
        for path in ("/messages/", "/api/v1/conversations", "/portal/messages/"):
            body = http.get(path).content
            assert b"PROXY-THREAD" not in body and LABEL.encode() not in body
    # The teen's own pages and counts hold only their own conversation.
    teen = home.http(home.teen)
    assert [row["id"] for row in teen.get("/api/v1/conversations").json()] == [
        home.client_conversation]
    assert teen.get("/api/v1/messages/unread").json()["unread"] == 1
    assert teen.get(f"/portal/messages/{conversation}/").status_code == 404
    # The parent never sees the teen's conversation, on any surface.
    parent = home.http(home.parent)
    for path in (f"/messages/{home.client_conversation}/",
                 f"/portal/messages/{home.client_conversation}/",
                 f"/api/v1/conversations/{home.client_conversation}", "/api/v1/conversations"):
        response = parent.get(path)
        assert response.status_code == 404, path
    for path in (f"/family/{home.teen.pk}/messages/",
                 f"/api/v1/family/clients/{home.teen.pk}/messages"):
        body = parent.get(path).content
        assert b"PROXY-THREAD" in body and b"CLIENT-ONLY" not in body
    # Another practice's staff and parent, with the same ids, reach only their own.
    for user in (other.world.clinician, other.parent):
        for path in (f"/messages/{conversation}/", f"/api/v1/conversations/{conversation}",
                     f"/family/{home.teen.pk}/messages/",
                     f"/api/v1/family/clients/{home.teen.pk}/messages"):
            assert b"PROXY-THREAD" not in other.http(user).get(path).content
    mine = home.http(home.world.clinician).get(f"/messages/{conversation}/").content
    assert b"PROXY-THREAD" in mine and b"LOOK-ALIKE" not in mine
    with schema_context(home.world.practice.schema_name):
        assert Message.objects.filter(conversation_id=conversation).count() == 1


def test_the_tier_must_show_messages_and_the_policy_decides_who_writes(clock, homes) -> None:
    home, _other = homes
    home.policy(MessagingPolicyKind.ASSIGNED_ONLY)
    # Only the client's own clinicians start a proxy's conversation under "assigned only".
    outsider = home.http(home.outsider).post(f"/family/staff/links/{home.link_id}/message/",
                                             {"body": "Hello"})
    assert outsider.status_code == 404  # the outsider does not reach the client at all
    # Where clients may start, so may the parent: the client's care team hears of it.
    parent = home.http(home.parent)
    assert parent.post(f"/api/v1/family/clients/{home.teen.pk}/messages",
                       {"body": "A question", "subject": "School"},
                       content_type="application/json").status_code == 201
    with schema_context(home.world.practice.schema_name):
        conversation = Conversation.objects.get(proxy_link_id=home.link_id)
        assert (conversation.subject, conversation.started_by_id) == ("School", home.parent.pk)
        assert [(row.recipient_id, row.context["audience"]) for row in
                Notification.objects.filter(kind="message_waiting",
                                            context__conversation_id=conversation.pk)] == [
            (home.world.clinician.pk, "staff")]
        # Without "messages" in what the link shows, nothing of it reaches the parent.
        ProxyLink.objects.filter(pk=home.link_id).update(kinds_removed=["messages"])
    for method, path in (("get", f"/family/{home.teen.pk}/messages/"),
                         ("post", f"/family/{home.teen.pk}/messages/"),
                         ("get", f"/api/v1/family/clients/{home.teen.pk}/messages"),
                         ("post", f"/api/v1/family/clients/{home.teen.pk}/messages"),
                         ("post", f"/api/v1/family/clients/{home.teen.pk}/messages/read")):
        assert getattr(parent, method)(path, {"body": "x"}).status_code == 404, path
    staff = home.http(home.world.clinician)
    page = staff.post(f"/family/staff/links/{home.link_id}/message/", {"body": "Hello"},
                      follow=True).content.decode()
    assert "access does not include messages" in page
    with schema_context(home.world.practice.schema_name):
        assert Conversation.objects.filter(proxy_link_id=home.link_id).count() == 1
