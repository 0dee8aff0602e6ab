"""Who may speak in a practice's secure messaging: one small strategy object per messaging
policy (`tenants.features.MessagingPolicyKind`), chosen from the practice's setting.

Pure: callers hand in plain facts (a person's id, role and whether the account is active; a
conversation's client, the client's care team, the staff in it, whether it is open and when each
side last wrote), so every rule is testable without a database. Services ask the policy; they
never branch on the setting themselves.

What every policy shares:
- the owner sees every conversation; a clinician those of clients on their caseload and those
  they take part in; front desk every conversation only where the practice allows it (clinical
  messages are not theirs by default); billing none; a client only their own;
- a proxy (a family member) sees and writes only in their own conversations about a client
  (their tier's "messages" is checked by practice.family before it asks), a client never in a
  proxy's, and a proxy never in the client's; staff see a proxy's conversation exactly as they
  would the client's;
- a client writes only in their own open conversations; staff write in an open conversation they
  see; only staff close and reopen; an author edits their own message while they could still
  write it (the earlier text is kept by the service, nothing is deleted).

What differs:
- reply_only (the default): clients never start a conversation; one closes by itself 48 hours
  after the last staff message (or reopening) if the client has not replied since;
- never_initiate: clients never start a conversation; nothing closes by itself;
- assigned_only: staff start, write in, close and reopen only conversations of clients on their
  own caseload, and a client writes to their assigned clinicians only;
- all: a client may start a conversation at any time with any clinician (or the owner).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from practice.access import Capability, roles_with
from tenants.accounts.models import Role
from tenants.features import MessagingPolicyKind

AUTO_CLOSE_AFTER = timedelta(hours=48)

# Staff who speak for the practice in clinical messages (front desk only by the practice's
# leave), and those a client may write to: the people who hold a caseload.
CLINICAL_ROLES = roles_with(Capability.HOLD_CASELOAD)


@dataclass(frozen=True)
class Person:
    """Someone the policy judges: their user id, role (a `Role` value) and whether the account
    is active."""

    id: int
    role: str
    is_active: bool = True

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_proxy(self) -> bool:
        return self.role == Role.PROXY

    @property
    def is_portal_side(self) -> bool:
        """A client or a proxy: someone the practice writes to, never for."""
        return self.role in (Role.CLIENT, Role.PROXY)


@dataclass(frozen=True)
class Thread:
    """What the policy needs to know about one conversation."""

    client_id: int
    # Clinicians with the client on their caseload.
    care_team: frozenset[int] = frozenset()
    # Staff taking part (who started it, who was written to, who wrote in it).
    participants: frozenset[int] = frozenset()
    is_open: bool = True
    last_staff_message_at: datetime | None = None
    last_client_message_at: datetime | None = None
    reopened_at: datetime | None = None
    # A proxy's conversation about the client: that proxy's user id.
    proxy_id: int | None = None


class Scope(enum.Enum):
    """Which conversations a staff member sees."""

    NONE = "none"
    CARE_TEAM = "care_team"  # of clients on their caseload, and those they take part in
    ALL = "all"


class MessagingPolicy:
    kind: ClassVar[str]
    # May a client open a new conversation?
    clients_may_start: ClassVar[bool] = False
    # Do staff (the owner included) write only to clients on their own caseload, and clients
    # only to their assigned clinicians?
    limited_to_caseload: ClassVar[bool] = False
    # How long after the last staff word a conversation the client left unanswered closes.
    auto_close_after: ClassVar[timedelta | None] = None

    def __init__(self, *, front_desk_sees_messages: bool = False) -> None:
        self.front_desk_sees_messages = front_desk_sees_messages

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(front_desk_sees_messages="
                f"{self.front_desk_sees_messages})")

    # --- who sees what -------------------------------------------------------------------------

    def staff_scope(self, staff: Person) -> Scope:
        if not staff.is_active:
            return Scope.NONE
        if staff.role == Role.OWNER:
            return Scope.ALL
        if staff.role == Role.CLINICIAN:
            return Scope.CARE_TEAM
        if staff.role == Role.FRONT_DESK and self.front_desk_sees_messages:
            return Scope.ALL
        return Scope.NONE

    def uses_messaging(self, person: Person) -> bool:
        """Has this person a messaging inbox at all?"""
        if person.is_portal_side:
            return person.is_active
        return self.staff_scope(person) is not Scope.NONE

    def may_view(self, person: Person, thread: Thread) -> bool:
        if person.is_client:
            return (person.is_active and person.id == thread.client_id
                    and thread.proxy_id is None)
        if person.is_proxy:
            return person.is_active and thread.proxy_id == person.id
        scope = self.staff_scope(person)
        if scope is Scope.ALL:
            return True
        if scope is Scope.CARE_TEAM:
            return person.id in thread.care_team or person.id in thread.participants
        return False

    # --- who starts a conversation with whom ---------------------------------------------------

    def staff_may_start(self, staff: Person, *, care_team: frozenset[int]) -> bool:
        """May `staff` open a conversation with a client whose care team is `care_team`?"""
        if staff.is_portal_side or self.staff_scope(staff) is Scope.NONE:
            return False
        return not self.limited_to_caseload or staff.id in care_team

    def client_may_start(self, client: Person) -> bool:
        """May this client (or proxy, about a client their tier shows messages of) start?"""
        return client.is_portal_side and client.is_active and self.clients_may_start

    def client_may_address(self, client: Person, staff: Person, *,
                           care_team: frozenset[int]) -> bool:
        """May `client` open a conversation with `staff`?"""
        if not self.client_may_start(client):
            return False
        if not staff.is_active or staff.role not in CLINICAL_ROLES:
            return False
        return not self.limited_to_caseload or staff.id in care_team

    # --- who writes, edits, closes -------------------------------------------------------------

    def _staff_speaks_in(self, staff: Person, thread: Thread) -> bool:
        if staff.is_portal_side or not self.may_view(staff, thread):
            return False
        return not self.limited_to_caseload or staff.id in thread.care_team

    def may_post(self, person: Person, thread: Thread) -> bool:
        if not thread.is_open:
            return False
        if person.is_portal_side:
            return self.may_view(person, thread)
        return self._staff_speaks_in(person, thread)

    def may_edit(self, person: Person, *, author_id: int, thread: Thread) -> bool:
        return person.id == author_id and self.may_post(person, thread)

    def may_close(self, person: Person, thread: Thread) -> bool:
        return thread.is_open and self._staff_speaks_in(person, thread)

    def may_reopen(self, person: Person, thread: Thread) -> bool:
        return not thread.is_open and self._staff_speaks_in(person, thread)

    # --- when a conversation closes by itself --------------------------------------------------

    def closes_at(self, thread: Thread) -> datetime | None:
        """When the open conversation closes by itself, or None if it does not."""
        if self.auto_close_after is None or not thread.is_open:
            return None
        staff_times = [when for when in (thread.last_staff_message_at, thread.reopened_at)
                       if when is not None]
        if not staff_times:
            return None
        clock = max(staff_times)
        if thread.last_client_message_at is not None and thread.last_client_message_at >= clock:
            return None  # the client replied; it waits for the practice
        return clock + self.auto_close_after

    def is_due_to_close(self, thread: Thread, now: datetime) -> bool:
        closes_at = self.closes_at(thread)
        return closes_at is not None and now >= closes_at


class ReplyOnlyPolicy(MessagingPolicy):
    kind = MessagingPolicyKind.REPLY_ONLY
    auto_close_after = AUTO_CLOSE_AFTER


class NeverInitiatePolicy(MessagingPolicy):
    kind = MessagingPolicyKind.NEVER_INITIATE


class AssignedOnlyPolicy(MessagingPolicy):
    kind = MessagingPolicyKind.ASSIGNED_ONLY
    clients_may_start = True
    limited_to_caseload = True


class AllPolicy(MessagingPolicy):
    kind = MessagingPolicyKind.ALL
    clients_may_start = True


POLICIES: dict[str, type[MessagingPolicy]] = {
    policy.kind: policy
    for policy in (ReplyOnlyPolicy, NeverInitiatePolicy, AssignedOnlyPolicy, AllPolicy)
}


def policy_for(kind: str, *, front_desk_sees_messages: bool = False) -> MessagingPolicy:
    """The strategy for a practice's `messaging_policy` value. An unknown value is a bug, not a
    reason to fall back to something more permissive."""
    try:
        policy = POLICIES[kind]
    except KeyError:
        raise ValueError(f"unknown messaging policy {kind!r}") from None
    return policy(front_desk_sees_messages=front_desk_sees_messages)
