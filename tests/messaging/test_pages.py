"""Messaging's staff and portal pages: the authorisation matrix (anonymous, the client, a client
of another practice, front desk without and with the practice's leave, billing, a clinician not
on the client's care team, the assigned clinician, the owner), each refused request showing
nothing and changing nothing; another practice's conversation is a 404 like a missing one; and
every policy rule end to end through the pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from practice.messaging.models import Conversation
from tenants.audit.models import AuditEvent
from tests.care.helpers import turn_off
from tests.messaging.helpers import (
    MARKER,
    SIGN_IN,
    MessagingWorld,
    other_client_http,
    page_text,
    prepare,
)

STAFF_READ = {"anonymous": 302, "client": 404, "other_client": 302, "front_desk": 404,
              "billing": 404, "outsider": 404, "clinician": 200, "owner": 200}
PORTAL_READ = {"anonymous": 302, "client": 200, "other_client": 302, "front_desk": 404,
               "billing": 404, "outsider": 404, "clinician": 404, "owner": 404}


@pytest.fixture
def worlds(alpha, beta) -> tuple[MessagingWorld, MessagingWorld, dict[str, int]]:
    home, other = prepare(alpha), prepare(beta)
    ids = {}
    for world in (home, other):  # look-alike data, the same ids
        conversation = world.start(world.clinician, f"{MARKER} staff text",
                                   subject=f"{MARKER} subject")
        reply = world.send(conversation, world.client, f"{MARKER} client text")
        ids = {"conversation": conversation, "staff_message": world.messages()[0].pk,
               "client_message": reply}
    return home, other, ids


def _http(home: MessagingWorld, other: MessagingWorld, who: str):
    if who == "other_client":
        return other_client_http(home, other)
    return home.http(home.people()[who])


def _refused(response, who: str, path: str, expected: int) -> None:
    assert response.status_code == expected, (who, path, response.status_code)
    assert MARKER not in response.content.decode(), (who, path)
    if expected == 302:
        assert response["Location"].startswith(SIGN_IN), (who, path)


# --- the matrix ----------------------------------------------------------------------------------

def test_staff_pages_and_writes_matrix(worlds) -> None:
    home, other, ids = worlds
    conversation, mine = ids["conversation"], ids["staff_message"]
    pages = {
        "/messages/": STAFF_READ | {"outsider": 200},
        "/messages/new/": STAFF_READ | {"outsider": 200},
        f"/messages/{conversation}/": STAFF_READ,
        f"/messages/message/{mine}/edit/": STAFF_READ | {"owner": 404},
        "/messages/settings/": STAFF_READ | {"clinician": 404},
    }
    # Pages that show the conversation to those who reach it.
    showing = {"/messages/", f"/messages/{conversation}/", f"/messages/message/{mine}/edit/"}
    before, beta_before = home.snapshot(), other.snapshot()
    for path, expected_by_role in pages.items():
        for who, expected in expected_by_role.items():
            response = _http(home, other, who).get(path)
            if expected != 200:
                _refused(response, who, path, expected)
            else:
                shows = path in showing and who != "outsider"
                assert (MARKER in page_text(response)) is shows, (who, path)
    # Reading marks read (for those who may), nothing else changed.
    after = home.snapshot()
    assert {key: value for key, value in after.items() if key != "reads"} == {
        key: value for key, value in before.items() if key != "reads"}
    assert other.snapshot() == beta_before

    # Writes by whoever may not make them: refused, nothing changed.
    writes = [
        (f"/messages/{conversation}/", {"body": "sneaky"}),
        (f"/messages/{conversation}/close/", {"note": "sneaky"}),
        (f"/messages/{conversation}/reopen/", {}),
        (f"/messages/message/{mine}/edit/", {"body": "sneaky"}),
        ("/messages/new/", {"client": home.client.pk, "body": "sneaky"}),
        ("/messages/settings/", {"expected_response_time": "never",
                                 "front_desk_sees_messages": "on"}),
    ]
    refused = {who: expected for who, expected in STAFF_READ.items()
               if expected != 200 and who != "outsider"}
    before = home.snapshot()
    for path, data in writes:
        for who, expected in refused.items():
            _refused(_http(home, other, who).post(path, data), who, path, expected)
    # The outsider reaches neither this conversation nor the clinician's message; the clinician
    # not the owner's settings; the owner not the clinician's message.
    for who, path, data in [("outsider", *writes[0]), ("outsider", *writes[1]),
                            ("outsider", *writes[2]), ("outsider", *writes[3]),
                            ("outsider", *writes[5]), ("clinician", *writes[5]),
                            ("owner", *writes[3])]:
        _refused(_http(home, other, who).post(path, data), who, path, 404)
    assert home.snapshot() == before
    assert other.snapshot() == beta_before


def test_portal_pages_matrix(worlds) -> None:
    home, other, ids = worlds
    conversation, mine = ids["conversation"], ids["client_message"]
    pages = {
        "/portal/messages/": PORTAL_READ,
        f"/portal/messages/{conversation}/": PORTAL_READ,
        f"/portal/messages/message/{mine}/edit/": PORTAL_READ,
        # Reply-only: clients do not start conversations (the page says so).
        "/portal/messages/new/": PORTAL_READ | {"client": 403},
    }
    beta_before = other.snapshot()
    for path, expected_by_role in pages.items():
        for who, expected in expected_by_role.items():
            response = _http(home, other, who).get(path)
            if who == "client":
                assert response.status_code == expected, path
                assert (MARKER in page_text(response)) is (expected == 200), path
            else:
                _refused(response, who, path, expected)
    before = home.snapshot()
    writes = [(f"/portal/messages/{conversation}/", {"body": "sneaky"}),
              (f"/portal/messages/message/{mine}/edit/", {"body": "sneaky"}),
              ("/portal/messages/new/", {"staff": home.clinician.pk, "body": "sneaky"})]
    for path, data in writes:
        for who, expected in PORTAL_READ.items():
            if who != "client":
                _refused(_http(home, other, who).post(path, data), who, path, expected)
    response = home.http(home.client).post(writes[2][0], writes[2][1])
    assert response.status_code == 403
    assert "cannot start a new one" in page_text(response)
    assert home.snapshot() == before
    assert other.snapshot() == beta_before


def test_another_practices_conversation_is_a_404_like_a_missing_one(worlds) -> None:
    home, other, ids = worlds
    beta_only = other.start(other.clinician, f"{MARKER} beta only")
    beta_message = other.messages()[-1].pk
    assert home.snapshot()["conversations"][-1][0] < beta_only
    before, beta_before = home.snapshot(), other.snapshot()
    for who, paths in {
        "owner": [f"/messages/{beta_only}/", f"/messages/message/{beta_message}/edit/"],
        "clinician": [f"/messages/{beta_only}/"],
        "client": [f"/portal/messages/{beta_only}/",
                   f"/portal/messages/message/{beta_message}/edit/"],
    }.items():
        http = home.http(home.people()[who])
        for path in paths:
            missing = path.replace(str(beta_only), "999999").replace(str(beta_message),
                                                                     "999999")
            answer, absent = http.get(path), http.get(missing)
            assert (answer.status_code, absent.status_code) == (404, 404), (who, path)
            assert page_text(answer) == page_text(absent)
            assert http.post(path, {"body": "x"}).status_code == 404
    assert home.snapshot() == before
    assert other.snapshot() == beta_before


# --- front desk, with and without the practice's leave ---------------------------------------

def test_front_desk_sees_messages_only_where_the_practice_allows(worlds) -> None:
    home, other, ids = worlds
    conversation = ids["conversation"]
    desk = home.http(home.world.front_desk)
    assert desk.get("/messages/").status_code == 404

    # The owner allows it on the messaging settings page.
    owner = home.http(home.world.owner)
    assert owner.post("/messages/settings/", {
        "expected_response_time": "within one business day",
        "front_desk_sees_messages": "on"}).status_code == 302
    inbox = desk.get("/messages/")
    assert inbox.status_code == 200
    assert MARKER in page_text(inbox)
    assert desk.get(f"/messages/{conversation}/").status_code == 200
    assert desk.post(f"/messages/{conversation}/", {"body": "desk answer"}).status_code == 302
    assert home.messages()[-1].body == "desk answer"
    # The other practice keeps its own settings.
    assert other.http(other.world.front_desk).get("/messages/").status_code == 404

    # Under assigned-only, front desk (no caseload) reads but does not write.
    home.set_policy("assigned_only")
    response = desk.post(f"/messages/{conversation}/", {"body": "again"})
    assert response.status_code == 400
    assert "Only the clinicians on this client&#x27;s care team write here." in page_text(
        response)
    assert home.messages()[-1].body == "desk answer"


# --- the policy rules, end to end ---------------------------------------------------------------

def _conversations(home: MessagingWorld) -> int:
    with home.schema():
        return Conversation.objects.count()


def test_each_policy_through_the_pages(alpha) -> None:
    home = prepare(alpha)
    client, outsider, owner = (home.http(home.client), home.http(home.outsider),
                               home.http(home.world.owner))
    expected = {
        # kind: (client may open the form, client may write to the clinician, to the outsider,
        #        outsider may start with the client, owner may write in the clinician's)
        "reply_only": (403, 403, 403, 302, 302),
        "never_initiate": (403, 403, 403, 302, 302),
        "assigned_only": (200, 302, 400, 400, 400),
        "all": (200, 302, 302, 302, 302),
    }
    for kind, (form, to_clinician, to_outsider, outsider_starts, owner_writes) in (
            expected.items()):
        home.set_policy(kind)
        staff_started = home.start(home.clinician)
        count = _conversations(home)
        assert client.get("/portal/messages/new/").status_code == form, kind
        answers = [
            client.post("/portal/messages/new/", {"staff": home.clinician.pk, "body": "hi"}),
            client.post("/portal/messages/new/", {"staff": home.outsider.pk, "body": "hi"}),
            outsider.post("/messages/new/", {"client": home.client.pk, "body": "hello"}),
        ]
        assert [answer.status_code for answer in answers] == [
            to_clinician, to_outsider, outsider_starts], kind
        assert _conversations(home) == count + [to_clinician, to_outsider,
                                                outsider_starts].count(302), kind
        # The client replies in a conversation staff started, under every policy.
        assert client.post(f"/portal/messages/{staff_started}/",
                           {"body": "reply"}).status_code == 302, kind
        answer = owner.post(f"/messages/{staff_started}/", {"body": "owner here"})
        assert answer.status_code == owner_writes, kind

    # A closed conversation takes no reply, and says so; nothing is lost from the form.
    home.close(staff_started)
    before = home.snapshot()
    answer = client.post(f"/portal/messages/{staff_started}/", {"body": "too late"})
    assert answer.status_code == 400
    assert "This conversation is closed." in page_text(answer)
    assert home.snapshot() == before

    # Assigned-only refusals say why, offer only whom one may write to, and lose nothing.
    home.set_policy("assigned_only")
    outsider_form = home.http(home.outsider).get("/messages/new/")
    assert "There is no client you can start a conversation with" in page_text(outsider_form)
    assert "Chris Client" not in page_text(outsider_form)
    answer = home.http(home.client).post("/portal/messages/new/",
                                         {"staff": home.outsider.pk, "body": f"{MARKER} kept"})
    assert answer.status_code == 400
    text = page_text(answer)
    assert "Choose someone from the list." in text
    assert f"{MARKER} kept" in text  # nothing lost
    assert "Otto Other" not in text  # not offered
    assert "Casey Clinician" in text


# --- what the pages show ------------------------------------------------------------------------

def test_what_client_and_staff_see(worlds) -> None:
    home, other, ids = worlds
    conversation = ids["conversation"]
    home.allow_front_desk(False)  # saves "within one business day"
    client, clinician = home.http(home.client), home.http(home.clinician)

    # The portal: expected response time, not for emergencies, crisis options beside it.
    listing = page_text(client.get("/portal/messages/"))
    assert "The practice usually answers within one business day." in listing
    assert "Messages are not for emergencies." in listing
    assert 'href="tel:988"' in listing
    assert f"{MARKER} subject" in listing
    assert "You can reply while a conversation is open; it closes 48 hours" in listing

    # The clinician's unread count in the navigation, gone once they read the client's message.
    assert ('Messages <span class="badge">1<span class="visually-hidden"> unread</span>'
            in page_text(clinician.get("/messages/")))
    staff_view = page_text(clinician.get(f"/messages/{conversation}/"))
    assert "Not read yet" in staff_view
    assert 'Messages <span class="badge">' not in page_text(clinician.get("/messages/"))

    # The client's home counts unread messages; opening the conversation reads them, and staff
    # see when. Bodies are shown as text, never as markup.
    assert "You have 1 unread message." in page_text(client.get("/portal/"))
    client.get(f"/portal/messages/{conversation}/")
    assert "No unread messages." in page_text(client.get("/portal/"))
    home.send(conversation, home.clinician, "<script>alert(1)</script>")
    assert "You have 1 unread message." in page_text(client.get("/portal/"))
    client_view = page_text(client.get(f"/portal/messages/{conversation}/"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client_view
    assert "<script>alert(1)</script>" not in client_view
    staff_view = page_text(clinician.get(f"/messages/{conversation}/"))
    assert staff_view.count("Read by the client") == 2
    assert "Not read yet" not in staff_view

    # The client edits their message; staff see the earlier text.
    mine = ids["client_message"]
    assert client.post(f"/portal/messages/message/{mine}/edit/",
                       {"body": "edited text"}).status_code == 302
    staff_view = page_text(clinician.get(f"/messages/{conversation}/"))
    assert "edited text" in staff_view
    assert "Earlier versions (1)" in staff_view
    assert f"{MARKER} client text" in staff_view
    with home.schema():
        viewed = AuditEvent.objects.filter(action="messaging.conversation_viewed",
                                           actor_id=home.clinician.pk).count()
    connection.set_schema_to_public()
    assert viewed == 3

    # With the module off: every page and endpoint is a 404, the card and the link are gone,
    # nothing is deleted; the other practice keeps it.
    before = home.snapshot()
    turn_off(home.world, "messaging")
    for http, path in [(clinician, "/messages/"), (clinician, f"/messages/{conversation}/"),
                       (client, "/portal/messages/"), (client, "/api/v1/conversations"),
                       (clinician, "/api/v1/messages/unread")]:
        assert http.get(path).status_code == 404, path
    assert "Open my messages" not in page_text(client.get("/portal/"))
    alerts = clinician.get("/clinic/alerts/")
    assert alerts.status_code == 200
    assert 'href="/messages/"' not in page_text(alerts)
    assert home.snapshot() == before
    assert other.http(other.clinician).get("/messages/").status_code == 200


def test_the_inbox_query_count_does_not_grow(alpha) -> None:
    home = prepare(alpha)
    home.start(home.clinician)
    clinician = home.http(home.clinician)
    clinician.get("/messages/")  # warm the session and caches
    with home.schema(), CaptureQueriesContext(connection) as one:
        assert clinician.get("/messages/").status_code == 200
    for _ in range(4):
        conversation = home.start(home.clinician)
        home.send(conversation, home.client, "hi")
    with home.schema(), CaptureQueriesContext(connection) as five:
        assert clinician.get("/messages/").status_code == 200
    connection.set_schema_to_public()
    assert len(five.captured_queries) == len(one.captured_queries)
