"""Reads for secure messaging. What a person may see is decided by the practice's policy
(`policies.py`); the querysets here express the same scopes in SQL. Each list runs a fixed
number of queries, whatever the number of conversations or messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import Combinable, NegatedExpression
from django.db.models.functions import Coalesce

from portal.models import ClientAccess
from practice.messaging.models import (
    Conversation,
    Message,
    MessageRead,
    MessageRevision,
    MessagingSettings,
)
from practice.messaging.policies import (
    CLINICAL_ROLES,
    MessagingPolicy,
    Person,
    Scope,
    Thread,
    policy_for,
)
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.models import Practice


def messaging_settings() -> MessagingSettings:
    """The practice's settings, or the defaults while it has saved none."""
    return MessagingSettings.objects.filter(pk=1).first() or MessagingSettings(pk=1)


def policy_of(practice: Practice, settings: MessagingSettings | None = None) -> MessagingPolicy:
    settings = settings or messaging_settings()
    return policy_for(practice.messaging_policy,
                      front_desk_sees_messages=settings.front_desk_sees_messages)


def person(user: User) -> Person:
    return Person(id=user.pk, role=user.role, is_active=user.is_active)


def care_team(client_id: int) -> frozenset[int]:
    return frozenset(ClientProfile.clinicians.through.objects
                     .filter(clientprofile__user_id=client_id)
                     .values_list("user_id", flat=True))


def thread_of(conversation: Conversation) -> Thread:
    """The policy's view of a conversation (two queries: care team, participants)."""
    return Thread(
        client_id=conversation.client_id,
        proxy_id=conversation.portal_person_id if conversation.is_proxy_thread else None,
        care_team=care_team(conversation.client_id),
        participants=frozenset(conversation.participants.values_list("pk", flat=True)),
        is_open=conversation.is_open,
        last_staff_message_at=conversation.last_staff_message_at,
        last_client_message_at=conversation.last_client_message_at,
        reopened_at=conversation.reopened_at,
    )


def conversations_visible_to(user: User, policy: MessagingPolicy) -> QuerySet[Conversation]:
    """The conversations `user` may open: the policy's scope, in SQL."""
    conversations = Conversation.objects.all()
    if user.is_client:
        # Never a proxy's conversation about them.
        return (conversations.filter(client=user, proxy_link__isnull=True) if user.is_active
                else conversations.none())
    if user.is_proxy:
        # Their own, through links still in force; whether the link shows messages now is the
        # family feature's choke point (practice.family.selectors.proxy_sees), asked first.
        return (conversations.filter(proxy_link__proxy=user, proxy_link__revoked_at__isnull=True,
                                     proxy_link__accepted_at__isnull=False)
                if user.is_active else conversations.none())
    scope = policy.staff_scope(person(user))
    if scope is Scope.ALL:
        return conversations
    if scope is Scope.CARE_TEAM:
        on_caseload = ClientProfile.objects.filter(user_id=OuterRef("client_id"),
                                                   clinicians=user)
        joined = Conversation.participants.through.objects.filter(
            conversation_id=OuterRef("pk"), user_id=user.pk)
        return conversations.filter(Q(Exists(on_caseload)) | Q(Exists(joined)))
    return conversations.none()


def conversation_for(user: User, policy: MessagingPolicy, conversation_id: int) -> Conversation:
    """The conversation if `user` may see it; else Conversation.DoesNotExist, the same as for
    one that does not exist."""
    return (conversations_visible_to(user, policy)
            .select_related("client", "closed_by", "proxy_link__proxy")
            .get(pk=conversation_id))


def _unread(user: User) -> NegatedExpression[Combinable]:
    return ~Exists(MessageRead.objects.filter(message_id=OuterRef("pk"), reader_id=user.pk))


def _portal_side(user: User) -> bool:
    return user.is_client or user.is_proxy


def _from_other_side(user: User) -> Q:
    return Q(from_client=not _portal_side(user))


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    unread: int


def inbox(user: User, policy: MessagingPolicy, *, state: str = Conversation.State.OPEN,
          limit: int = 100) -> list[InboxRow]:
    """The conversations `user` sees in `state`, newest activity first, each with how many
    messages from the other side `user` has not read: one query."""
    unread = (Message.objects.filter(_from_other_side(user), _unread(user),
                                     conversation_id=OuterRef("pk"))
              .order_by().values("conversation_id").annotate(count=Count("pk"))
              .values("count"))
    rows = (conversations_visible_to(user, policy).filter(state=state)
            .select_related("client", "started_by", "proxy_link__proxy")
            .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0))
            .order_by("-last_message_at", "-pk")[:limit])
    return [InboxRow(conversation=row, unread=row.unread) for row in rows]


def thread_messages(conversation: Conversation) -> list[Message]:
    """The conversation's messages, oldest first, with authors, earlier texts and read
    receipts: four queries."""
    reads = MessageRead.objects.select_related("reader").only(
        "id", "message_id", "read_at", "reader__id", "reader__full_name", "reader__role")
    return list(conversation.messages.select_related("author")
                .prefetch_related(Prefetch("revisions", queryset=MessageRevision.objects
                                           .order_by("written_at", "pk")),
                                  Prefetch("reads", queryset=reads)))


def client_unread_count(client: User) -> int:
    """The practice's messages the client has not read (one query; no policy needed: a client
    sees exactly their own conversations)."""
    return Message.objects.filter(_unread(client), conversation__client=client,
                                  conversation__proxy_link__isnull=True,
                                  from_client=False).count()


def unread_messages(user: User, policy: MessagingPolicy) -> QuerySet[Message]:
    """Messages waiting for `user`: for a client, the practice's messages in their
    conversations; for staff, client messages in conversations they take part in and still
    see."""
    messages = Message.objects.filter(_from_other_side(user), _unread(user))
    if _portal_side(user):
        return messages.filter(conversation__in=conversations_visible_to(user, policy)
                               .values("pk"))
    # A conversation staff take part in is one they see under any scope but none (a care team's
    # scope is its caseload's conversations or those it joined): the participation alone says
    # it, without conversations_visible_to's subqueries (this count is on every staff page).
    if policy.staff_scope(person(user)) is Scope.NONE:
        return messages.none()
    joined = Conversation.participants.through.objects.filter(user_id=user.pk)
    return messages.filter(conversation_id__in=joined.values("conversation_id"))


def unread_count(user: User, policy: MessagingPolicy, *, since: datetime | None = None) -> int:
    messages = unread_messages(user, policy)
    if since is not None:
        messages = messages.filter(created_at__gte=since)
    return messages.count()


def client_messages(client: User) -> QuerySet[Message]:
    """The messages of the client's own conversations: never a proxy's conversation about them
    (what a report, an export or a disclosure of "the client's messages" holds)."""
    return Message.objects.filter(conversation__client=client,
                                  conversation__proxy_link__isnull=True)


def proxy_thread_messages(proxy_link_id: int) -> QuerySet[Message]:
    """Every message of a proxy link's conversations, oldest first (the family feature's list
    of them)."""
    return (Message.objects.filter(conversation__proxy_link_id=proxy_link_id)
            .select_related("author", "conversation").order_by("created_at", "pk"))


def proxy_link_unread_count(proxy_link_id: int, proxy: User) -> int:
    """The practice's messages in a proxy link's conversations the proxy has not read."""
    return Message.objects.filter(_unread(proxy), conversation__proxy_link_id=proxy_link_id,
                                  from_client=False).count()


def message_is_unread_by(message_id: int, user_id: int) -> bool:
    return not MessageRead.objects.filter(message_id=message_id, reader_id=user_id).exists()


def client_sees_messaging(client_id: int) -> bool:
    """Did staff leave messages among the portal modules this client sees? (A client with no
    portal access record sees the practice's own set.)"""
    visible = (ClientAccess.objects.filter(user_id=client_id)
               .values_list("visible_modules", flat=True).first())
    return visible is None or "messaging" in visible


def clients_addressable_by(user: User, policy: MessagingPolicy) -> list[User]:
    """The clients `user` may start a conversation with, by name: those the policy lets them
    write to whose portal includes messages."""
    if user.is_client or policy.staff_scope(person(user)) is Scope.NONE:
        return []
    clients = (User.objects.filter(role=Role.CLIENT, is_active=True)
               .exclude(Q(portal_access__isnull=False)
                        & ~Q(portal_access__visible_modules__contains=["messaging"])))
    if policy.limited_to_caseload:
        clients = clients.filter(client_profile__clinicians=user)
    return list(clients.order_by("full_name", "pk"))


def staff_addressable_by(client: User, policy: MessagingPolicy) -> list[User]:
    """The staff `client` may start a conversation with (none where clients never start)."""
    if not policy.client_may_start(person(client)):
        return []
    team = care_team(client.pk)
    candidates = User.objects.filter(role__in=CLINICAL_ROLES, is_active=True).order_by(
        "full_name", "pk")
    return [staff for staff in candidates
            if policy.client_may_address(person(client), person(staff), care_team=team)]


def conversations_due_to_close(policy: MessagingPolicy, now: datetime) -> QuerySet[Conversation]:
    """Open conversations whose last staff word is old enough for the policy's auto-close (the
    policy then decides for each)."""
    if policy.auto_close_after is None:
        return Conversation.objects.none()
    cutoff = now - policy.auto_close_after
    return Conversation.objects.filter(
        Q(last_staff_message_at__lte=cutoff) | Q(reopened_at__lte=cutoff),
        state=Conversation.State.OPEN)
