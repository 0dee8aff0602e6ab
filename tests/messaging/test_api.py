"""The messaging API: its authorisation matrix (404 for whoever has no messaging inbox, 404 for a
conversation out of reach or in another practice, exactly like a missing one), the policy rules
end to end, edits with their history, read receipts and the schema drf-spectacular documents."""

from __future__ import annotations

import json
from typing import Any

import pytest

from portal.models import ClientAccess
from tests.messaging.helpers import MARKER, MessagingWorld, other_client_http, prepare

API = "/api/v1"


def call(http, method: str, path: str, body: dict[str, Any] | None = None):
    if method == "get":
        return http.get(f"{API}{path}")
    return getattr(http, method)(f"{API}{path}", data=json.dumps(body or {}),
                                 content_type="application/json")


@pytest.fixture
def worlds(alpha, beta) -> tuple[MessagingWorld, MessagingWorld, dict[str, int]]:
    home, other = prepare(alpha), prepare(beta)
    for world in (home, other):
        conversation = world.start(world.clinician, f"{MARKER} staff text",
                                   subject=f"{MARKER} subject")
        reply = world.send(conversation, world.client, f"{MARKER} client text")
    return home, other, {"conversation": conversation, "staff_message": 1,
                         "client_message": reply}


def _http(home: MessagingWorld, other: MessagingWorld, who: str):
    if who == "other_client":
        return other_client_http(home, other)
    return home.http(home.people()[who])


def test_api_matrix(worlds) -> None:
    home, other, ids = worlds
    conversation = ids["conversation"]
    requests = [
        ("get", "/conversations", None),
        ("get", f"/conversations/{conversation}", None),
        ("post", f"/conversations/{conversation}/messages", {"body": "x"}),
        ("post", f"/conversations/{conversation}/read", None),
        ("post", f"/conversations/{conversation}/close", {"note": "x"}),
        ("post", f"/conversations/{conversation}/reopen", None),
        ("patch", f"/messages/{ids['staff_message']}", {"body": "x"}),
        ("post", "/conversations", {"client_id": home.client.pk, "body": "x"}),
        ("get", "/messages/unread", None),
    ]
    # Not signed in here: 403. No messaging inbox at all: 404 on every endpoint, as the pages.
    # Out of reach: 404 on the conversation.
    expected = {
        "anonymous": [403] * 9,
        "other_client": [403] * 9,
        "billing": [404] * 9,
        "front_desk": [404] * 9,
        "outsider": [200, 404, 404, 404, 404, 404, 404, None, 200],
    }
    before, beta_before = home.snapshot(), other.snapshot()
    for who, statuses in expected.items():
        http = _http(home, other, who)
        for (method, path, body), status in zip(requests, statuses, strict=True):
            if status is None:
                continue
            answer = call(http, method, path, body)
            assert answer.status_code == status, (who, method, path, answer.status_code)
            assert MARKER not in answer.content.decode(), (who, path)
    assert home.snapshot() == before
    assert other.snapshot() == beta_before

    # Those who reach it.
    for who in ("client", "clinician", "owner"):
        http = _http(home, other, who)
        listing = call(http, "get", "/conversations")
        assert listing.status_code == 200
        assert [(row["id"], row["subject"], row["unread"]) for row in listing.json()] == [
            (conversation, f"{MARKER} subject",
             {"client": 1, "clinician": 1, "owner": 1}[who])]
        detail = call(http, "get", f"/conversations/{conversation}").json()
        assert [message["body"] for message in detail["messages"]] == [
            f"{MARKER} staff text", f"{MARKER} client text"]
    assert other.snapshot() == beta_before


def test_another_practices_conversation_is_a_404_like_a_missing_one(worlds) -> None:
    home, other, _ = worlds
    beta_only = other.start(other.clinician, f"{MARKER} beta")
    beta_message = other.messages()[-1].pk
    before, beta_before = home.snapshot(), other.snapshot()
    for who in ("client", "clinician", "owner"):
        http = home.http(home.people()[who])
        for method, path, body in [("get", f"/conversations/{beta_only}", None),
                                   ("post", f"/conversations/{beta_only}/messages",
                                    {"body": "x"}),
                                   ("post", f"/conversations/{beta_only}/read", None),
                                   ("patch", f"/messages/{beta_message}", {"body": "x"})]:
            answer = call(http, method, path, body)
            missing = call(http, method, path.replace(f"/{beta_only}", "/999999")
                           .replace(f"/{beta_message}", "/999999"), body)
            assert (answer.status_code, answer.json()) == (404, missing.json()), (who, path)
            assert missing.status_code == 404
    assert home.snapshot() == before
    assert other.snapshot() == beta_before


def test_each_policy_through_the_api(alpha) -> None:
    home = prepare(alpha)
    client, outsider, owner = (home.http(home.client), home.http(home.outsider),
                               home.http(home.world.owner))
    expected = {
        # kind: (client to clinician, client to outsider, outsider starts, owner writes)
        "reply_only": (403, 403, 201, 201),
        "never_initiate": (403, 403, 201, 201),
        "assigned_only": (201, 404, 404, 403),
        "all": (201, 201, 201, 201),
    }
    for kind, statuses in expected.items():
        home.set_policy(kind)
        staff_started = home.start(home.clinician)
        answers = [
            call(client, "post", "/conversations", {"staff_id": home.clinician.pk,
                                                    "body": "hi"}),
            call(client, "post", "/conversations", {"staff_id": home.outsider.pk,
                                                    "body": "hi"}),
            call(outsider, "post", "/conversations", {"client_id": home.client.pk,
                                                      "body": "hello"}),
            call(owner, "post", f"/conversations/{staff_started}/messages", {"body": "owner"}),
        ]
        assert tuple(answer.status_code for answer in answers) == statuses, kind
        reply = call(client, "post", f"/conversations/{staff_started}/messages",
                     {"body": "reply"})
        assert reply.status_code == 201, kind
    assert answers[0].json()["messages"][0]["body"] == "hi"
    home.set_policy("reply_only")
    refused = call(client, "post", "/conversations", {"staff_id": home.clinician.pk,
                                                      "body": "hi"})
    assert refused.json() == {"detail": "Your practice starts conversations with you; you can "
                                        "reply to any open one."}

    # Closing, and a closed conversation refuses a message with the reason.
    closed = call(home.http(home.clinician), "post", f"/conversations/{staff_started}/close",
                  {"note": "done"})
    assert (closed.status_code, closed.json()["state"], closed.json()["close_reason"]) == (
        200, "closed", "staff")
    late = call(client, "post", f"/conversations/{staff_started}/messages", {"body": "late"})
    assert (late.status_code, late.json()) == (403, {"detail": "This conversation is closed."})
    assert call(client, "post", f"/conversations/{staff_started}/reopen").status_code == 403
    reopened = call(home.http(home.clinician), "post", f"/conversations/{staff_started}/reopen")
    assert (reopened.status_code, reopened.json()["state"]) == (200, "open")
    empty = call(client, "post", f"/conversations/{staff_started}/messages", {"body": "  "})
    assert empty.status_code == 400

    # A client whose portal staff left messages out of: the API is closed to them as the pages
    # are, and staff cannot start a conversation they would never see.
    with home.schema():
        ClientAccess.objects.filter(user=home.client).update(visible_modules=["goals"])
    assert call(client, "get", "/conversations").status_code == 404
    before = home.snapshot()
    answer = call(home.http(home.clinician), "post", "/conversations",
                  {"client_id": home.client.pk, "body": "hello"})
    assert (answer.status_code, answer.json()) == (403, {
        "detail": "Messages are not among this client's portal modules; add them on the "
                  "client's portal access page first."})
    assert "Chris Client" not in home.http(home.clinician).get("/messages/new/").content.decode()
    assert home.snapshot() == before

    # The schema documents every endpoint.
    schema = json.loads(home.http(home.clinician).get(f"{API}/schema/", {"format": "json"}).content)
    paths = {path for path in schema["paths"] if "conversations" in path
             or path.startswith(f"{API}/messages")}
    assert paths == {
        f"{API}/conversations", f"{API}/conversations/{{conversation_id}}",
        f"{API}/conversations/{{conversation_id}}/messages",
        f"{API}/conversations/{{conversation_id}}/read",
        f"{API}/conversations/{{conversation_id}}/close",
        f"{API}/conversations/{{conversation_id}}/reopen",
        f"{API}/messages/{{message_id}}", f"{API}/messages/unread"}
    start = schema["paths"][f"{API}/conversations"]["post"]
    assert sorted(start["responses"]) == ["201", "400", "403", "404"]
    detail = schema["components"]["schemas"]["ConversationDetail"]["properties"]
    assert detail["messages"]["items"]["$ref"] == "#/components/schemas/Message"


def test_edits_receipts_and_unread_through_the_api(worlds) -> None:
    home, _, ids = worlds
    conversation = ids["conversation"]
    client, clinician = home.http(home.client), home.http(home.clinician)
    assert call(client, "get", "/messages/unread").json() == {
        "unread": 1, "expected_response_time": "within 2 business days"}
    detail = call(clinician, "get", f"/conversations/{conversation}").json()
    assert detail["messages"][0]["read_by_client_at"] is None
    assert detail["may_post"] is True
    assert detail["closes_at"] is None  # the client replied

    assert call(client, "post", f"/conversations/{conversation}/read").json() == {
        "newly_read": 1}
    assert call(client, "get", "/messages/unread").json()["unread"] == 0
    detail = call(clinician, "get", f"/conversations/{conversation}").json()
    assert detail["messages"][0]["read_by_client_at"] is not None
    # Clients are not shown receipts.
    own = call(client, "get", f"/conversations/{conversation}").json()
    assert [message["read_by_client_at"] for message in own["messages"]] == [None, None]

    edited = call(client, "patch", f"/messages/{ids['client_message']}", {"body": "better"})
    assert edited.status_code == 200
    assert (edited.json()["body"], [revision["body"] for revision in edited.json()["revisions"]]
            ) == ("better", [f"{MARKER} client text"])
    # Not one's own message: refused with the reason, nothing changed.
    before = home.snapshot()
    theirs = call(client, "patch", f"/messages/{ids['staff_message']}", {"body": "mine now"})
    assert theirs.status_code == 403
    assert home.snapshot() == before
