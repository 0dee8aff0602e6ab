"""The owner's audit trail: every event of their practice and none of another's, filtered by
kind, person, object and date (in the owner's timezone), paged, as CSV and through the API;
everyone else gets 404; bad filters get a clear message; reading it is audited; the page's
queries do not grow with the trail."""

from __future__ import annotations

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from practice.notifications.models import NotificationPreference
from tenants.audit.actions import Action
from tenants.audit.models import AuditEvent
from tenants.audit.services import RequestMeta, audit_record
from tests.conftest import PracticeWorld

NOW = "2026-03-10T12:00:00+00:00"
URL = "/settings/audit/"
API = "/api/v1/audit-events"


def _events(clock, world: PracticeWorld, *, marker: str = "") -> None:
    """Three events of known kinds and people at known moments (`occurred_at` is set by the
    database row's creation: the clock is moved to each moment), then the clock back to the
    test's default."""
    with schema_context(world.practice.schema_name):
        clock.at("2026-03-02T04:30:00+00:00")  # 1 March, 23:30 in New York
        audit_record(action=Action.CLIENT_INVITED, actor=world.clinician, object_type="client",
                     object_id=world.client.pk,
                     meta=RequestMeta(ip_address="203.0.113.9", user_agent="Firefox"),
                     detail={"marker": marker} if marker else {})
        clock.at("2026-03-02T15:00:00+00:00")
        audit_record(action=Action.RESPONSE_SUBMITTED, actor=world.client,
                     object_type="response", object_id=77)
        clock.at("2026-03-05T09:00:00+00:00")
        audit_record(action=Action.CLIENT_INVITED, actor=None, object_type="client",
                     object_id=5)
        clock.at(NOW)
    connection.set_schema_to_public()


def _table(body: str) -> str:
    return body.split("<tbody>")[1].split("</tbody>")[0]


def _rows(body: str) -> int:
    return _table(body).count("<tr>")


def test_the_owner_sees_their_practice_and_filters_it(clock, alpha, beta) -> None:
    clock.at(NOW)
    _events(clock, alpha)
    _events(clock, beta, marker="BETA-CANARY")
    owner = alpha.http(alpha.owner)
    body = owner.get(URL).content.decode()
    assert "client.invited" in body and "response.submitted" in body
    assert "Casey Clinician (Clinician)" in body and "The system" in body
    assert "203.0.113.9" in body and "BETA-CANARY" not in body
    assert _rows(owner.get(f"{URL}?action=client.invited").content.decode()) == 2
    with schema_context(alpha.practice.schema_name):
        by_client = AuditEvent.objects.filter(actor_id=alpha.client.pk).count()
    connection.set_schema_to_public()
    mine = owner.get(f"{URL}?person={alpha.client.email.upper()}").content.decode()
    assert _rows(mine) == by_client and "response.submitted" in mine
    assert "client.invited" not in _table(mine)
    about = owner.get(f"{URL}?object_type=client&object_id={alpha.client.pk}").content.decode()
    with schema_context(alpha.practice.schema_name):
        on_client = AuditEvent.objects.filter(object_type="client",
                                              object_id=str(alpha.client.pk)).count()
    connection.set_schema_to_public()
    assert _rows(about) == on_client and "203.0.113.9" in _table(about)
    assert _rows(owner.get(f"{URL}?start=2026-03-02&end=2026-03-02").content.decode()) == 2


def test_dates_are_the_owners_own(clock, alpha) -> None:
    """04:30 UTC on 2 March is 1 March in New York."""
    clock.at(NOW)
    _events(clock, alpha)
    with schema_context(alpha.practice.schema_name):
        NotificationPreference.objects.create(user=alpha.owner, timezone="America/New_York")
    connection.set_schema_to_public()
    body = alpha.http(alpha.owner).get(f"{URL}?start=2026-03-01&end=2026-03-01").content.decode()
    assert _rows(body) == 1 and "2026-03-01 23:30:00" in _table(body), _table(body)
    assert "America/New_York" in body


def test_bad_filters_get_a_clear_message(alpha) -> None:
    owner = alpha.http(alpha.owner)
    for query, message in (("action=client.exploded", "Choose a kind of event"),
                           ("person=nobody@example.org", "No one in this practice"),
                           ("object_type=Client%20!", "lower-case letters"),
                           ("object_id=abc", "number only"),
                           ("start=2026-03-05&end=2026-03-01", "before the start")):
        response = owner.get(f"{URL}?{query}")
        assert response.status_code == 400, query
        assert message in response.content.decode(), query
        api = owner.get(f"{API}?{query}")
        assert api.status_code == 400 and "errors" in api.json(), query


def test_everyone_but_the_owner_gets_404(clock, alpha) -> None:
    clock.at(NOW)
    _events(clock, alpha)
    for person in (alpha.clinician, alpha.front_desk, alpha.billing, alpha.client):
        for url in (URL, f"{URL}?format=csv"):
            response = alpha.http(person).get(url)
            assert response.status_code == 404, (person.role, url)
            assert "client.invited" not in response.content.decode()
        assert alpha.http(person).get(API).status_code in (403, 404)
    assert alpha.http().get(URL).status_code == 302


def test_csv_and_api_carry_the_same_events(clock, alpha, beta) -> None:
    clock.at(NOW)
    _events(clock, alpha)
    _events(clock, beta, marker="BETA-CANARY")
    owner = alpha.http(alpha.owner)
    response = owner.get(f"{URL}?format=csv&action=client.invited")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["object_id"] for row in rows] == ["5", str(alpha.client.pk)]
    assert rows[1]["actor"] == "Casey Clinician" and "BETA-CANARY" not in text
    api = owner.get(f"{API}?action=client.invited&limit=1").json()
    assert api["count"] == 2 and len(api["results"]) == 1
    assert api["results"][0]["object_id"] == "5"
    assert api["results"][0]["actor_name"] == ""


def test_reading_the_trail_is_audited_without_emails(alpha) -> None:
    owner = alpha.http(alpha.owner)
    owner.get(f"{URL}?person={alpha.client.email}")
    b"".join(owner.get(f"{URL}?format=csv").streaming_content)
    owner.get(API)
    with schema_context(alpha.practice.schema_name):
        reads = list(AuditEvent.objects.filter(action__startswith="audit_trail.")
                     .order_by("id").values_list("action", "actor_id", "detail"))
    connection.set_schema_to_public()
    assert [(action, actor) for action, actor, _ in reads] == [
        ("audit_trail.viewed", alpha.owner.pk), ("audit_trail.exported", alpha.owner.pk),
        ("audit_trail.viewed", alpha.owner.pk)]
    assert reads[0][2] == {"actor_id": alpha.client.pk}
    assert alpha.client.email not in str(reads)


def test_the_page_reads_a_fixed_number_of_queries(alpha) -> None:
    owner = alpha.http(alpha.owner)
    owner.get(URL)  # the first request of a session reads more (caches)
    counts = []
    for extra in (3, 300):
        with schema_context(alpha.practice.schema_name):
            for number in range(extra):
                audit_record(action=Action.CLIENT_INVITED, actor=alpha.clinician,
                             object_type="client", object_id=number, meta=RequestMeta())
        connection.set_schema_to_public()
        with CaptureQueriesContext(connection) as queries:
            assert owner.get(URL).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_settings_link_to_the_trail(alpha) -> None:
    assert 'href="/settings/audit/"' in alpha.http(alpha.owner).get("/settings/").content.decode()
