"""Every rule of every messaging policy, without a database (the policies are pure: these tests
would fail on any query, since none of them asks pytest-django for one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from practice.messaging.policies import (
    AllPolicy,
    AssignedOnlyPolicy,
    NeverInitiatePolicy,
    Person,
    ReplyOnlyPolicy,
    Scope,
    Thread,
    policy_for,
)

KINDS = ["reply_only", "never_initiate", "assigned_only", "all"]
CLIENT_STARTS = {"reply_only": False, "never_initiate": False, "assigned_only": True,
                 "all": True}

OWNER = Person(1, "owner")
CLINICIAN = Person(2, "clinician")  # on the client's care team
OUTSIDER = Person(3, "clinician")  # not on it
FRONT_DESK = Person(4, "front_desk")
BILLING = Person(5, "billing")
CLIENT = Person(10, "client")
OTHER_CLIENT = Person(11, "client")
INACTIVE_CLINICIAN = Person(2, "clinician", is_active=False)
INACTIVE_CLIENT = Person(10, "client", is_active=False)
TEAM = frozenset({CLINICIAN.id})

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THREAD = Thread(client_id=CLIENT.id, care_team=TEAM, participants=frozenset({CLINICIAN.id}),
                last_staff_message_at=T0)
CLOSED = Thread(client_id=CLIENT.id, care_team=TEAM, participants=frozenset({CLINICIAN.id}),
                is_open=False, last_staff_message_at=T0)


def policies(kind: str) -> tuple:
    """The policy as the practice has it, without and with front desk allowed."""
    return policy_for(kind), policy_for(kind, front_desk_sees_messages=True)


# --- choosing the strategy -----------------------------------------------------------------------

def test_policy_for_each_kind_and_an_unknown_one() -> None:
    assert type(policy_for("reply_only")) is ReplyOnlyPolicy
    assert type(policy_for("never_initiate")) is NeverInitiatePolicy
    assert type(policy_for("assigned_only")) is AssignedOnlyPolicy
    assert type(policy_for("all")) is AllPolicy
    assert policy_for("all").front_desk_sees_messages is False
    assert policy_for("all", front_desk_sees_messages=True).front_desk_sees_messages is True
    with pytest.raises(ValueError, match="unknown messaging policy 'everyone'"):
        policy_for("everyone")


# --- who sees what (the same under every policy) -------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_who_sees_a_conversation(kind: str) -> None:
    plain, front_desk_allowed = policies(kind)
    joined = Thread(client_id=CLIENT.id, care_team=TEAM, participants=frozenset({OUTSIDER.id}))
    expected = {OWNER: True, CLINICIAN: True, OUTSIDER: False, FRONT_DESK: False,
                BILLING: False, CLIENT: True, OTHER_CLIENT: False, INACTIVE_CLINICIAN: False,
                INACTIVE_CLIENT: False}
    assert {who: plain.may_view(who, THREAD) for who in expected} == expected
    assert front_desk_allowed.may_view(FRONT_DESK, THREAD) is True
    # A clinician who takes part sees it even without the client on their caseload.
    assert plain.may_view(OUTSIDER, joined) is True
    assert plain.staff_scope(OWNER) is Scope.ALL
    assert plain.staff_scope(CLINICIAN) is Scope.CARE_TEAM
    assert plain.staff_scope(FRONT_DESK) is Scope.NONE
    assert front_desk_allowed.staff_scope(FRONT_DESK) is Scope.ALL
    assert plain.staff_scope(BILLING) is Scope.NONE
    assert front_desk_allowed.staff_scope(BILLING) is Scope.NONE
    assert plain.staff_scope(INACTIVE_CLINICIAN) is Scope.NONE
    assert [plain.uses_messaging(who) for who in (OWNER, CLINICIAN, FRONT_DESK, BILLING,
                                                  CLIENT, INACTIVE_CLIENT)] == [
        True, True, False, False, True, False]
    assert front_desk_allowed.uses_messaging(FRONT_DESK) is True


# --- who starts a conversation with whom --------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_who_among_staff_starts_a_conversation(kind: str) -> None:
    plain, front_desk_allowed = policies(kind)
    caseload_only = kind == "assigned_only"
    # With a client on the clinician's caseload:
    assert plain.staff_may_start(OWNER, care_team=TEAM) is not caseload_only
    assert plain.staff_may_start(CLINICIAN, care_team=TEAM) is True
    assert plain.staff_may_start(OUTSIDER, care_team=TEAM) is not caseload_only
    assert plain.staff_may_start(FRONT_DESK, care_team=TEAM) is False
    assert front_desk_allowed.staff_may_start(FRONT_DESK, care_team=TEAM) is not caseload_only
    assert front_desk_allowed.staff_may_start(BILLING, care_team=TEAM) is False
    assert plain.staff_may_start(INACTIVE_CLINICIAN, care_team=TEAM) is False
    assert plain.staff_may_start(CLIENT, care_team=TEAM) is False
    # The owner on the client's care team may always start.
    assert plain.staff_may_start(OWNER, care_team=frozenset({OWNER.id})) is True


@pytest.mark.parametrize("kind", KINDS)
def test_whether_and_to_whom_a_client_starts_a_conversation(kind: str) -> None:
    plain, front_desk_allowed = policies(kind)
    starts = CLIENT_STARTS[kind]
    assert plain.client_may_start(CLIENT) is starts
    assert plain.client_may_start(INACTIVE_CLIENT) is False
    assert plain.client_may_start(CLINICIAN) is False
    addressable = {who: plain.client_may_address(CLIENT, who, care_team=TEAM)
                   for who in (OWNER, CLINICIAN, OUTSIDER, FRONT_DESK, BILLING,
                               INACTIVE_CLINICIAN, OTHER_CLIENT)}
    if kind == "all":  # any clinician or the owner
        wanted = {OWNER: True, CLINICIAN: True, OUTSIDER: True}
    elif kind == "assigned_only":  # only their assigned clinicians
        wanted = {OWNER: False, CLINICIAN: True, OUTSIDER: False}
    else:
        wanted = {OWNER: False, CLINICIAN: False, OUTSIDER: False}
    assert addressable == {**wanted, FRONT_DESK: False, BILLING: False,
                           INACTIVE_CLINICIAN: False, OTHER_CLIENT: False}
    # Front desk is never written to first, even where it may read messages.
    assert front_desk_allowed.client_may_address(CLIENT, FRONT_DESK, care_team=TEAM) is False


# --- who writes, edits, closes and reopens ------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_who_writes_in_an_open_conversation(kind: str) -> None:
    plain, front_desk_allowed = policies(kind)
    caseload_only = kind == "assigned_only"
    joined = Thread(client_id=CLIENT.id, care_team=TEAM, participants=frozenset({OUTSIDER.id}))
    # The client replies under every policy, reply-only and never-initiate included.
    assert plain.may_post(CLIENT, THREAD) is True
    assert plain.may_post(OTHER_CLIENT, THREAD) is False
    assert plain.may_post(CLINICIAN, THREAD) is True
    assert plain.may_post(OWNER, THREAD) is not caseload_only
    assert plain.may_post(OUTSIDER, THREAD) is False  # does not even see it
    assert plain.may_post(OUTSIDER, joined) is not caseload_only
    assert plain.may_post(FRONT_DESK, THREAD) is False
    assert front_desk_allowed.may_post(FRONT_DESK, THREAD) is not caseload_only
    assert plain.may_post(BILLING, THREAD) is False
    assert plain.may_post(INACTIVE_CLIENT, THREAD) is False


@pytest.mark.parametrize("kind", KINDS)
def test_nobody_writes_in_a_closed_conversation(kind: str) -> None:
    plain, front_desk_allowed = policies(kind)
    for who in (OWNER, CLINICIAN, OUTSIDER, CLIENT):
        assert plain.may_post(who, CLOSED) is False
    assert front_desk_allowed.may_post(FRONT_DESK, CLOSED) is False


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_author_edits_and_only_while_open(kind: str) -> None:
    plain, _ = policies(kind)
    assert plain.may_edit(CLIENT, author_id=CLIENT.id, thread=THREAD) is True
    assert plain.may_edit(CLIENT, author_id=CLINICIAN.id, thread=THREAD) is False
    assert plain.may_edit(CLINICIAN, author_id=CLINICIAN.id, thread=THREAD) is True
    assert plain.may_edit(CLINICIAN, author_id=CLIENT.id, thread=THREAD) is False
    assert plain.may_edit(OWNER, author_id=CLINICIAN.id, thread=THREAD) is False
    assert plain.may_edit(CLIENT, author_id=CLIENT.id, thread=CLOSED) is False
    assert plain.may_edit(CLINICIAN, author_id=CLINICIAN.id, thread=CLOSED) is False


@pytest.mark.parametrize("kind", KINDS)
def test_only_staff_who_write_there_close_and_reopen(kind: str) -> None:
    plain, front_desk_allowed = policies(kind)
    caseload_only = kind == "assigned_only"
    assert plain.may_close(CLINICIAN, THREAD) is True
    assert plain.may_close(CLINICIAN, CLOSED) is False
    assert plain.may_reopen(CLINICIAN, CLOSED) is True
    assert plain.may_reopen(CLINICIAN, THREAD) is False
    assert plain.may_close(OWNER, THREAD) is not caseload_only
    assert plain.may_reopen(OWNER, CLOSED) is not caseload_only
    assert front_desk_allowed.may_close(FRONT_DESK, THREAD) is not caseload_only
    for who in (CLIENT, OTHER_CLIENT, OUTSIDER, FRONT_DESK, BILLING):
        assert plain.may_close(who, THREAD) is False
        assert plain.may_reopen(who, CLOSED) is False


# --- when a conversation closes by itself --------------------------------------------------------

def test_reply_only_closes_48_hours_after_the_last_staff_message() -> None:
    policy = policy_for("reply_only")
    assert policy.closes_at(THREAD) == T0 + timedelta(hours=48)
    assert policy.is_due_to_close(THREAD, T0 + timedelta(hours=48)) is True  # exactly then
    assert policy.is_due_to_close(THREAD, T0 + timedelta(hours=48, microseconds=-1)) is False
    assert policy.is_due_to_close(THREAD, T0 + timedelta(days=30)) is True


def test_reply_only_stays_open_once_the_client_replied() -> None:
    policy = policy_for("reply_only")
    replied = Thread(client_id=CLIENT.id, last_staff_message_at=T0,
                     last_client_message_at=T0 + timedelta(hours=47))
    assert policy.closes_at(replied) is None
    assert policy.is_due_to_close(replied, T0 + timedelta(days=30)) is False
    # The practice writes again: the clock starts from its new message.
    answered = Thread(client_id=CLIENT.id, last_staff_message_at=T0 + timedelta(hours=50),
                      last_client_message_at=T0 + timedelta(hours=47))
    assert policy.closes_at(answered) == T0 + timedelta(hours=98)


def test_reply_only_reopening_starts_the_clock_again() -> None:
    policy = policy_for("reply_only")
    reopened = Thread(client_id=CLIENT.id, last_staff_message_at=T0,
                      reopened_at=T0 + timedelta(days=5))
    assert policy.closes_at(reopened) == T0 + timedelta(days=7)
    # Reopened with no staff message ever (a client's conversation from another policy).
    bare = Thread(client_id=CLIENT.id, last_client_message_at=T0, reopened_at=T0 + timedelta(1))
    assert policy.closes_at(bare) == T0 + timedelta(days=3)


def test_reply_only_leaves_alone_what_the_client_started_and_what_is_closed() -> None:
    policy = policy_for("reply_only")
    client_only = Thread(client_id=CLIENT.id, last_client_message_at=T0)
    assert policy.closes_at(client_only) is None
    assert policy.closes_at(CLOSED) is None
    assert policy.is_due_to_close(CLOSED, T0 + timedelta(days=30)) is False


@pytest.mark.parametrize("kind", ["never_initiate", "assigned_only", "all"])
def test_other_policies_never_close_by_themselves(kind: str) -> None:
    policy = policy_for(kind)
    assert policy.auto_close_after is None
    assert policy.closes_at(THREAD) is None
    assert policy.is_due_to_close(THREAD, T0 + timedelta(days=365)) is False
