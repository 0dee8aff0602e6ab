"""Who may use each measurement API endpoint: the authorisation matrix (anonymous, client, client
of another practice, front desk, clinician not assigned, clinician assigned, owner). Each case
asserts the status, that nothing of the client leaked into the body, and that nothing changed
but what the allowed request is meant to change; the look-alike second practice stays untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.measurement import services
from practice.measurement.models import Alert, Assignment, Response
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.models import Practice
from tests.conftest import PASSWORD, PracticeWorld

ACTORS = ["anonymous", "client", "client_of_another_practice", "front_desk", "unassigned",
          "clinician", "owner"]
PHQ9_RISK = {f"q{n}": 2 for n in range(1, 9)} | {"q9": 1}  # total 17, item 9 above 0
PHQ9_CALM = {f"q{n}": 0 for n in range(1, 10)}


@dataclass
class Measured:
    """A practice whose client (on alpha.clinician's caseload) has a submitted PHQ-9 with a risk
    answer, its alert, and a weekly GAD-7; plus a clinician the client is not assigned to and a
    second client on that clinician's caseload."""

    world: PracticeWorld
    unassigned: User
    second_client: User
    assignment_id: int
    response_id: int
    alert_id: int

    @property
    def schema(self) -> str:
        return self.world.practice.schema_name


def submit(world: PracticeWorld, answers: dict[str, int | None], key: str = "phq9",
           client: User | None = None) -> Response:
    """A response submitted the way a client submits one."""
    client = client or world.client
    with schema_context(world.practice.schema_name):
        assignment = services.assignment_create(
            client_id=client.pk, instrument_key=key, frequency="once",
            starts_on=timezone.localdate(), actor=Actor.of(world.owner, practice=world.practice))
        due = Response.objects.get(assignment=assignment)
        outcome = services.response_submit(client=client, response_id=due.pk, answers=answers)
        assert outcome.submitted is True
        return outcome.response


def weekly(world: PracticeWorld, key: str = "gad7") -> Assignment:
    with schema_context(world.practice.schema_name):
        return services.assignment_create(
            client_id=world.client.pk, instrument_key=key,
            frequency="weekly", starts_on=date(2026, 1, 5), actor=Actor.of(world.clinician,
                                                                           practice=world.practice))


def measured(world: PracticeWorld) -> Measured:
    Practice.objects.filter(pk=world.practice.pk).update(instrument_keys=["gad7", "mood",
                                                                          "phq9"])
    world.practice.refresh_from_db()
    with schema_context(world.practice.schema_name):
        profile = ClientProfile.objects.create(user=world.client, timezone="America/New_York")
        profile.clinicians.add(world.clinician)
        unassigned = User.objects.create_user("unassigned@example.org", PASSWORD,
                                              full_name="Uma Unassigned", role=Role.CLINICIAN)
        second = User.objects.create_user("second@example.org", PASSWORD,
                                          full_name="Sasha Second", role=Role.CLIENT)
        ClientProfile.objects.create(user=second).clinicians.add(unassigned)
    response = submit(world, PHQ9_RISK)
    with schema_context(world.practice.schema_name):
        (alert,) = Alert.objects.filter(response=response)
    return Measured(world, unassigned, second, weekly(world).pk, response.pk, alert.pk)


def http_for(actor: str, alpha: Measured, beta: Measured) -> Client:
    if actor == "anonymous":
        return alpha.world.http()
    if actor == "client_of_another_practice":
        # A real session of beta's client (same email, same id as alpha's), replayed on alpha.
        beta_session = beta.world.http(beta.world.client).cookies[
            settings.SESSION_COOKIE_NAME].value
        http = alpha.world.http()
        http.cookies[settings.SESSION_COOKIE_NAME] = beta_session
        return http
    if actor == "unassigned":
        return alpha.world.http(alpha.unassigned)
    return alpha.world.http(getattr(alpha.world, actor))


def state(measured_world: Measured) -> dict[str, list]:
    with schema_context(measured_world.schema):
        return {
            "assignments": list(Assignment.objects.order_by("pk")
                                .values_list("pk", "instrument_key", "frequency", "ended_at")),
            "responses": list(Response.objects.order_by("pk").values_list(
                "pk", "status", "total", "answers", "entered_in_error_reason")),
            "alerts": list(Alert.objects.order_by("pk")
                           .values_list("pk", "status", "resolution_note")),
            "audit": list(AuditEvent.objects.order_by("pk")
                          .values_list("action", "actor_id", "object_type", "object_id")),
        }


def call(http: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if method == "get":
        return http.get(path)
    return http.generic(method.upper(), path, json.dumps(body or {}),
                        content_type="application/json")


# --- the cases -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the target's ids
    body: dict[str, Any] | None
    allowed: frozenset[str]  # actors answered 2xx
    success: int
    # Each actor gets a fresh target object when the request writes (so every allowed actor
    # acts on an untouched one). Returns the ids the path needs.
    target: Callable[[Measured], dict[str, int]] | None = None
    # What an allowed request changes: the expected state after, from the state before.
    change: Callable[[dict[str, list], Measured, User, dict[str, int]], None] | None = None


CLINICAL = frozenset({"unassigned", "clinician", "owner"})
IN_REACH = frozenset({"clinician", "owner"})
WITH_CLIENT = frozenset({"client", "clinician", "owner"})


def _fresh_assignment(m: Measured) -> dict[str, int]:
    return {"assignment": weekly(m.world, "mood").pk}


def _fresh_response(m: Measured) -> dict[str, int]:
    return {"response": submit(m.world, PHQ9_CALM).pk}


def _fresh_alert(m: Measured) -> dict[str, int]:
    response = submit(m.world, PHQ9_RISK)
    with schema_context(m.schema):
        return {"alert": Alert.objects.get(response=response).pk}


def _read(action: str, object_type: str, object_id: Callable[[Measured, dict[str, int]], int]):
    def change(before: dict[str, list], m: Measured, actor: User,
               ids: dict[str, int]) -> None:
        before["audit"].append((action, actor.pk, object_type, str(object_id(m, ids))))
    return change


def _client_id(m: Measured, ids: dict[str, int]) -> int:
    return m.world.client.pk


def _assignment_created(before: dict[str, list], m: Measured, actor: User,
                        ids: dict[str, int]) -> None:
    with schema_context(m.schema):
        new = Assignment.objects.order_by("-pk").first()
        assert new is not None
        before["assignments"].append((new.pk, "mood", "daily", None))
        # The first daily occurrence is materialised at once.
        before["responses"] = list(Response.objects.order_by("pk").values_list(
            "pk", "status", "total", "answers", "entered_in_error_reason"))
    before["audit"].append(("assignment.created", actor.pk, "assignment", str(new.pk)))


def _assignment_ended(before: dict[str, list], m: Measured, actor: User,
                      ids: dict[str, int]) -> None:
    with schema_context(m.schema):
        ended = Assignment.objects.get(pk=ids["assignment"]).ended_at
        responses = list(Response.objects.order_by("pk").values_list(
            "pk", "status", "total", "answers", "entered_in_error_reason"))
    assert ended is not None
    before["assignments"] = [(pk, key, frequency, ended if pk == ids["assignment"] else end)
                             for pk, key, frequency, end in before["assignments"]]
    before["responses"] = responses  # pending occurrences of it became missed
    before["audit"].append(("assignment.ended", actor.pk, "assignment", str(ids["assignment"])))


def _entered_in_error(before: dict[str, list], m: Measured, actor: User,
                      ids: dict[str, int]) -> None:
    before["responses"] = [
        (pk, status, total, answers, "Wrong client" if pk == ids["response"] else reason)
        for pk, status, total, answers, reason in before["responses"]]
    before["audit"].append(("response.entered_in_error", actor.pk, "response",
                            str(ids["response"])))


def _alert_moved(status: str, note: str, action: str):
    def change(before: dict[str, list], m: Measured, actor: User,
               ids: dict[str, int]) -> None:
        before["alerts"] = [(pk, status if pk == ids["alert"] else old, note
                             if pk == ids["alert"] else old_note)
                            for pk, old, old_note in before["alerts"]]
        before["audit"].append((action, actor.pk, "alert", str(ids["alert"])))
    return change


def cases() -> dict[str, Case]:
    return {
        "instrument_list": Case("get", "/api/v1/instruments", None,
                                CLINICAL | {"client"}, 200),
        "instrument_detail": Case("get", "/api/v1/instruments/phq9", None,
                                  CLINICAL | {"client"}, 200),
        "instrument_score": Case("post", "/api/v1/instruments/phq9/score",
                                 {"answers": PHQ9_CALM}, CLINICAL, 200),
        "assignment_list": Case(
            "get", "/api/v1/clients/{client}/assignments", None, IN_REACH, 200,
            change=_read("client.assignments_viewed", "client", _client_id)),
        "assignment_create": Case(
            "post", "/api/v1/clients/{client}/assignments",
            {"instrument_key": "mood", "frequency": "daily",
             "starts_on": timezone.localdate().isoformat()},
            IN_REACH, 201, change=_assignment_created),
        "assignment_end": Case("post", "/api/v1/assignments/{assignment}/end", None, IN_REACH,
                               200, target=_fresh_assignment, change=_assignment_ended),
        "response_list": Case(
            "get", "/api/v1/clients/{client}/responses", None, WITH_CLIENT, 200,
            change=_read("client.scores_viewed", "client", _client_id)),
        "response_detail": Case(
            "get", "/api/v1/responses/{response}", None, WITH_CLIENT, 200,
            change=_read("response.viewed", "response", lambda m, ids: m.response_id)),
        "response_entered_in_error": Case(
            "post", "/api/v1/responses/{response}/entered-in-error",
            {"reason": "Wrong client"}, IN_REACH, 200, target=_fresh_response,
            change=_entered_in_error),
        "client_fhir": Case(
            "get", "/api/v1/clients/{client}/fhir", None, WITH_CLIENT, 200,
            change=_read("client.fhir_exported", "client", _client_id)),
        "alert_inbox": Case(
            "get", "/api/v1/alerts", None, CLINICAL, 200,
            change=lambda before, m, actor, ids: before["audit"].append(
                ("alerts.inbox_viewed", actor.pk, "alert_inbox", str(actor.pk)))),
        "alert_acknowledge": Case(
            "post", "/api/v1/alerts/{alert}/acknowledge", None, IN_REACH, 200,
            target=_fresh_alert, change=_alert_moved("acknowledged", "", "alert.acknowledged")),
        "alert_resolve": Case(
            "post", "/api/v1/alerts/{alert}/resolve", {"note": "Called; safe, plan in place"},
            IN_REACH, 200, target=_fresh_alert,
            change=_alert_moved("resolved", "Called; safe, plan in place", "alert.resolved")),
    }


def expected_status(case: Case, actor: str) -> int:
    if actor in case.allowed:
        return case.success
    if actor == "unassigned":
        return 404  # a client out of reach is as missing as no client
    if actor in ("anonymous", "client_of_another_practice"):
        return 403  # not signed in here: session authentication answers 403
    # A role that never reaches clinical data: as missing as no client (pages do the same).
    return 404


def actor_user(actor: str, m: Measured) -> User:
    return m.unassigned if actor == "unassigned" else getattr(m.world, actor)


@pytest.mark.parametrize("name", list(cases()))
def test_authorization_matrix(alpha, beta, name):
    case = cases()[name]
    measured_alpha, measured_beta = measured(alpha), measured(beta)
    assert measured_alpha.response_id == measured_beta.response_id  # look-alike ids
    for actor in ACTORS:
        ids = {"client": alpha.client.pk, "response": measured_alpha.response_id,
               "alert": measured_alpha.alert_id, "assignment": measured_alpha.assignment_id}
        if case.target is not None:
            ids |= case.target(measured_alpha)
        http = http_for(actor, measured_alpha, measured_beta)
        before_alpha, before_beta = state(measured_alpha), state(measured_beta)

        answer = call(http, case.method, case.path.format(**ids), case.body)

        expected = expected_status(case, actor)
        assert answer.status_code == expected, (actor, answer.content[:300])
        body = answer.content.decode()
        if expected >= 400:
            assert alpha.client.full_name not in body
            assert '"answers"' not in body and "Wrong client" not in body
            assert state(measured_alpha) == before_alpha, actor
        else:
            if case.change is not None:
                case.change(before_alpha, measured_alpha, actor_user(actor, measured_alpha),
                            ids)
            assert state(measured_alpha) == before_alpha, actor
        assert state(measured_beta) == before_beta, actor


def test_a_client_cannot_read_another_client_of_the_same_practice(alpha, beta):
    m = measured(alpha)
    other = submit(alpha, PHQ9_CALM, client=m.second_client)
    http = alpha.http(alpha.client)
    before = state(m)

    listed = http.get(f"/api/v1/clients/{m.second_client.pk}/responses")
    one = http.get(f"/api/v1/responses/{other.pk}")
    exported = http.get(f"/api/v1/clients/{m.second_client.pk}/fhir")
    missing = http.get("/api/v1/responses/999999")

    assert listed.status_code == one.status_code == exported.status_code == 404
    assert one.content == missing.content
    assert "Sasha Second" not in (listed.content + one.content + exported.content).decode()
    assert state(m) == before


@pytest.mark.parametrize("path", [
    "/api/v1/clients/{client}/responses", "/api/v1/clients/{client}/assignments",
    "/api/v1/clients/{client}/fhir", "/api/v1/responses/{response}",
])
def test_an_object_of_another_practice_is_as_missing_as_no_object(alpha, beta, path):
    measured(alpha)
    m_beta = measured(beta)
    # Objects that exist only in beta: a third client with a response.
    with schema_context(beta.practice.schema_name):
        beta_only = User.objects.create_user("only-beta@example.org", PASSWORD,
                                             full_name="Bea Only", role=Role.CLIENT)
        ClientProfile.objects.create(user=beta_only).clinicians.add(beta.clinician)
    beta_response = submit(beta, PHQ9_CALM, client=beta_only)
    with schema_context(alpha.practice.schema_name):
        assert not User.objects.filter(pk=beta_only.pk).exists()
        assert not Response.objects.filter(pk=beta_response.pk).exists()
    before_beta = state(m_beta)
    http = alpha.http(alpha.owner)

    from_beta = http.get(path.format(client=beta_only.pk, response=beta_response.pk))
    missing = http.get(path.format(client=999_999, response=999_999))

    assert from_beta.status_code == missing.status_code == 404
    assert from_beta.content == missing.content
    assert "Bea Only" not in from_beta.content.decode()
    assert state(m_beta) == before_beta
