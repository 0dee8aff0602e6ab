"""Who may use each staff clinic page (`/clinic/`). For every view and every kind of person:
anonymous, a client, a client of another practice (a real beta session replayed on alpha's host),
front desk, billing, a clinician not on the client's care team, the assigned clinician and the
owner. A refused request answers exactly like a missing page, leaks nothing and changes nothing
(not even the audit trail); an allowed one changes exactly what it should. Beta, a look-alike
practice with the same ids, is never touched."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from practice.measurement import services
from practice.measurement.models import Alert, Assignment, PracticeInstrument, Response
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.models import Practice
from tests.conftest import PASSWORD, PracticeWorld
from tests.measurement.clinic_world import give_history, prepare, raise_alert
from tests.measurement.test_practice_defined import epds_json

DENIED = ["anonymous", "client_of_another_practice", "client", "front_desk", "billing"]
CLINICAL = ["unassigned", "clinician", "owner"]
AUDITED = ("client.", "alert.", "assignment.", "response.", "instrument.")
SECRET_TEXT = ["Chris Client", "item 9 answered above 0", "Deterioration noted"]


@dataclass
class Ids:
    """Objects made the same way in alpha and beta (so with the same ids). The assigned
    clinician and the owner each act on their own object of a kind, so both can succeed."""

    client: int
    responses: dict[str, int]
    urgent_alerts: dict[str, int]
    routine_alerts: dict[str, int]
    assignments: dict[str, int]
    unassigned: int


def build(world: PracticeWorld) -> Ids:
    unassigned = prepare(world)
    with schema_context(world.practice.schema_name):
        history = give_history(world.client, "phq9", [19, 15, 12],
                               start=datetime(2026, 1, 5, 15, tzinfo=UTC))
        assignments = {actor: Assignment.objects.create(
            client=world.client, instrument_key="gad7", frequency="weekly",
            starts_on=date(2030, 1, 1), assigned_by=world.clinician).pk
            for actor in ("clinician", "owner")}
        urgent = {actor: raise_alert(world.client, [world.clinician]).pk
                  for actor in ("clinician", "owner")}
        routine = {actor: raise_alert(world.client, [world.clinician], severity="routine",
                                      summary="Deterioration noted").pk
                   for actor in ("clinician", "owner")}
        for actor in CLINICAL:
            services.practice_instrument_save(
                data=json.loads(epds_json(typed_reversed=False)) | {"key": f"epds_{actor}"},
                actor=Actor.of(world.owner))
    return Ids(client=world.client.pk,
               responses={"clinician": history[0].pk, "owner": history[1].pk},
               urgent_alerts=urgent, routine_alerts=routine, assignments=assignments,
               unassigned=unassigned.pk)


def state(world: PracticeWorld) -> dict[str, list[Any]]:
    with schema_context(world.practice.schema_name):
        return {
            "responses": list(Response.objects.order_by("pk").values_list(
                "pk", "status", "entered_in_error_reason")),
            "assignments": [(row.pk, row.ended_at is not None)
                            for row in Assignment.objects.order_by("pk")],
            "alerts": [(row.pk, row.status, row.snoozed_until is not None, row.resolution_note)
                       for row in Alert.objects.order_by("pk")],
            "instruments": list(PracticeInstrument.objects.order_by("pk").values_list(
                "key", "version", "status")),
            "audit": [(row.action, row.object_id, row.actor_id)
                      for row in AuditEvent.objects.order_by("id")
                      if row.action.startswith(AUDITED)],
        }


def http_for(actor: str, alpha: PracticeWorld, beta: PracticeWorld, ids: Ids) -> Client:
    if actor == "anonymous":
        return alpha.http()
    if actor == "client_of_another_practice":
        beta_session = beta.http(beta.client).cookies[settings.SESSION_COOKIE_NAME].value
        http = alpha.http()
        http.cookies[settings.SESSION_COOKIE_NAME] = beta_session
        return http
    if actor == "unassigned":
        with schema_context(alpha.practice.schema_name):
            return alpha.http(User.objects.get(pk=ids.unassigned))
    return alpha.http(getattr(alpha, actor))


def page_without_tokens(response: Any) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"| nonce="[^"]*"', "",
                  response.content.decode())


def actor_id(actor: str, alpha: PracticeWorld, ids: Ids) -> int:
    return ids.unassigned if actor == "unassigned" else getattr(alpha, actor).pk


Change = Callable[[dict[str, list[Any]], dict[str, list[Any]], str, int], dict[str, list[Any]]]


@dataclass
class Case:
    method: str
    path: Callable[[Ids, str], str]
    data: Callable[[Ids, str], dict[str, Any]]
    about_the_client: bool  # refused to a clinician not on the care team
    status: int
    change: Change  # the state after an allowed request, from the state before


def audited(action: str, object_id: Any = "") -> Change:
    def change(before: dict, after: dict, actor: str, user_id: int) -> dict:
        return {**before, "audit": [*before["audit"], (action, str(object_id), user_id)]}
    return change


def _assigned(before: dict, after: dict, actor: str, user_id: int) -> dict:
    new_assignment = max(pk for pk, _ in after["assignments"])
    new_response = max(row[0] for row in after["responses"])
    return {**before,
            "assignments": [*before["assignments"], (new_assignment, False)],
            "responses": [*before["responses"], (new_response, "pending", "")],
            "audit": [*before["audit"], ("assignment.created", str(new_assignment), user_id)]}


def _ended(ids: Ids) -> Change:
    def change(before: dict, after: dict, actor: str, user_id: int) -> dict:
        target = ids.assignments[actor]
        return {**before,
                "assignments": [(pk, ended or pk == target) for pk, ended in before["assignments"]],
                "audit": [*before["audit"], ("assignment.ended", str(target), user_id)]}
    return change


def _in_error(ids: Ids) -> Change:
    def change(before: dict, after: dict, actor: str, user_id: int) -> dict:
        target = ids.responses[actor]
        return {**before,
                "responses": [(pk, status, "Wrong client" if pk == target else reason)
                              for pk, status, reason in before["responses"]],
                "audit": [*before["audit"], ("response.entered_in_error", str(target), user_id)]}
    return change


def _alert_change(ids: Ids, kind: str, action: str,
                  edit: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> Change:
    def change(before: dict, after: dict, actor: str, user_id: int) -> dict:
        target = getattr(ids, kind)[actor]
        return {**before,
                "alerts": [edit(row) if row[0] == target else row for row in before["alerts"]],
                "audit": [*before["audit"], (action, str(target), user_id)]}
    return change


def _drafted(before: dict, after: dict, actor: str, user_id: int) -> dict:
    with_new = [*before["instruments"], (f"new_{actor}", 1, "draft")]
    return {**before, "instruments": with_new,
            "audit": [*before["audit"], ("instrument.draft_saved", after["audit"][-1][1],
                                         user_id)]}


def _published(before: dict, after: dict, actor: str, user_id: int) -> dict:
    key = f"epds_{actor}"
    return {**before,
            "instruments": [(row_key, version, "published" if row_key == key else status)
                            for row_key, version, status in before["instruments"]],
            "audit": [*before["audit"], ("instrument.published", after["audit"][-1][1],
                                         user_id)]}


def unchanged(before: dict, after: dict, actor: str, user_id: int) -> dict:
    return before


def mine(objects: dict[str, int], actor: str) -> int:
    """The assigned clinician's and the owner's own object; everyone else tries the
    clinician's."""
    return objects.get(actor, objects["clinician"])  # "unassigned" tries the clinician's


def cases(ids: Ids) -> dict[str, Case]:
    client = ids.client
    no_data: Callable[[Ids, str], dict[str, Any]] = lambda ids, actor: {}  # noqa: E731
    return {
        "caseload": Case("get", lambda ids, actor: "/clinic/clients/", no_data, False, 200,
                         audited("client.caseload_viewed")),
        "alert_inbox": Case("get", lambda ids, actor: "/clinic/alerts/", no_data, False, 200,
                            audited("alert.inbox_viewed")),
        "client": Case("get", lambda ids, actor: f"/clinic/clients/{client}/", no_data, True,
                       200, audited("client.scores_viewed", client)),
        "review": Case("get", lambda ids, actor: f"/clinic/clients/{client}/review/", no_data,
                       True, 200, audited("client.review_viewed", client)),
        "assign": Case("post", lambda ids, actor: f"/clinic/clients/{client}/assign/",
                       lambda ids, actor: {"instrument": "phq9", "frequency": "once",
                                           "starts_on": "2026-01-01"}, True, 302, _assigned),
        "assignment_end": Case(
            "post", lambda ids, actor: f"/clinic/assignments/"
                                       f"{mine(ids.assignments, actor)}/end/",
            no_data, True, 302, _ended(ids)),
        "entered_in_error": Case(
            "post", lambda ids, actor: f"/clinic/responses/"
                                       f"{mine(ids.responses, actor)}"
                                       "/entered-in-error/",
            lambda ids, actor: {"reason": "Wrong client"}, True, 302, _in_error(ids)),
        "alert_acknowledge": Case(
            "post", lambda ids, actor: f"/clinic/alerts/"
                                       f"{mine(ids.urgent_alerts, actor)}"
                                       "/acknowledge/",
            no_data, True, 302,
            _alert_change(ids, "urgent_alerts", "alert.acknowledged",
                          lambda row: (row[0], "acknowledged", *row[2:]))),
        "alert_resolve": Case(
            "post", lambda ids, actor: f"/clinic/alerts/"
                                       f"{mine(ids.urgent_alerts, actor)}"
                                       "/resolve/",
            lambda ids, actor: {"note": "Called; safe"}, True, 302,
            _alert_change(ids, "urgent_alerts", "alert.resolved",
                          lambda row: (row[0], "resolved", row[2], "Called; safe"))),
        "alert_snooze": Case(
            "post", lambda ids, actor: f"/clinic/alerts/"
                                       f"{mine(ids.routine_alerts, actor)}"
                                       "/snooze/",
            lambda ids, actor: {"duration": "1d"}, True, 302,
            _alert_change(ids, "routine_alerts", "alert.snoozed",
                          lambda row: (row[0], row[1], True, row[3]))),
        "instruments": Case("get", lambda ids, actor: "/clinic/instruments/", no_data, False,
                            200, unchanged),
        "instrument_create": Case(
            "post", lambda ids, actor: "/clinic/instruments/new/",
            lambda ids, actor: {"definition": json.dumps(
                json.loads(epds_json(typed_reversed=True)) | {"key": f"new_{actor}"})},
            False, 302, _drafted),
        "instrument_edit": Case("get", lambda ids, actor: f"/clinic/instruments/epds_{actor}/edit/",
                                no_data, False, 200, unchanged),
        "instrument_publish": Case(
            "post", lambda ids, actor: f"/clinic/instruments/epds_{actor}/publish/",
            lambda ids, actor: {"flags_checked": "yes"}, False, 302, _published),
        "instrument_preview": Case(
            "post", lambda ids, actor: f"/clinic/instruments/epds_{actor}/preview/",
            lambda ids, actor: {f"item_q{number}": "0" for number in range(1, 11)}, False, 200,
            unchanged),
    }


VIEWS = list(cases(Ids(0, {}, {}, {}, {}, 0)))


@pytest.mark.parametrize("view", VIEWS)
def test_authorization_matrix(alpha, beta, view: str) -> None:
    ids = build(alpha)
    assert build(beta) == ids  # look-alike practices, same ids
    case = cases(ids)[view]
    before_beta = state(beta)
    for actor in [*DENIED, *CLINICAL]:
        http = http_for(actor, alpha, beta, ids)
        # Refused people try the assigned clinician's objects (which exist).
        path = case.path(ids, actor if actor in CLINICAL else "clinician")
        before = state(alpha)

        response = getattr(http, case.method)(path, case.data(ids, actor))

        after = state(alpha)
        body = response.content.decode()
        refused_clinician = actor == "unassigned" and case.about_the_client
        if actor in ("anonymous", "client_of_another_practice"):
            assert response.status_code == 302, actor
            assert response["Location"] == f"/accounts/sign-in/?next={path}", actor
            assert body == ""
            assert after == before, actor
        elif actor in DENIED or refused_clinician:
            not_found = page_without_tokens(http.get("/no-such-page/"))
            assert response.status_code == 404, actor
            assert page_without_tokens(response) == not_found, actor
            assert after == before, actor
        else:
            assert response.status_code == case.status, (actor, body[:2000])
            user_id = actor_id(actor, alpha, ids)
            assert after == case.change(before, after, actor, user_id), actor
            if actor == "unassigned" or (view == "alert_inbox" and actor == "owner"):
                # Allowed pages, but nothing of a client outside their reach (the owner is
                # not a recipient of the clinician's alerts).
                for text in SECRET_TEXT[1:] if actor == "owner" else SECRET_TEXT:
                    assert text not in body, (actor, text)
        for text in SECRET_TEXT:
            if actor in DENIED or refused_clinician:
                assert text not in body, (actor, text)
    assert state(beta) == before_beta


def test_clinical_pages_show_the_client_to_the_care_team_and_the_owner(alpha, beta) -> None:
    ids = build(alpha)
    build(beta)
    for actor in ("clinician", "owner"):
        http = alpha.http(getattr(alpha, actor))
        caseload = http.get("/clinic/clients/").content.decode()
        page = http.get(f"/clinic/clients/{ids.client}/").content.decode()
        assert "Chris Client" in caseload
        assert "Chris Client" in page
        assert "item 9 answered above 0" in page
    inbox = alpha.http(alpha.clinician).get("/clinic/alerts/").content.decode()
    assert inbox.count("item 9 answered above 0") == 2
    assert inbox.count("Deterioration noted") == 2


@pytest.mark.parametrize(("method", "path", "data"), [
    ("get", "/clinic/clients/{client}/", {}),
    ("get", "/clinic/clients/{client}/review/", {}),
    ("post", "/clinic/clients/{client}/assign/",
     {"instrument": "phq9", "frequency": "once", "starts_on": "2026-01-01"}),
    ("post", "/clinic/responses/{response}/entered-in-error/", {"reason": "Wrong client"}),
    ("post", "/clinic/assignments/{assignment}/end/", {}),
    ("post", "/clinic/alerts/{alert}/acknowledge/", {}),
    ("post", "/clinic/alerts/{alert}/resolve/", {"note": "Done"}),
    ("post", "/clinic/alerts/{alert}/snooze/", {"duration": "1d"}),
    ("get", "/clinic/instruments/{instrument}/edit/", {}),
    ("post", "/clinic/instruments/{instrument}/publish/", {}),
    ("get", "/clinic/instruments/{instrument}/preview/", {}),
], ids=["client", "review", "assign", "entered_in_error", "assignment_end", "acknowledge",
        "resolve", "snooze", "instrument_edit", "instrument_publish", "instrument_preview"])
def test_an_object_of_another_practice_is_as_missing_as_no_object(alpha, beta, method, path,
                                                                  data) -> None:
    build(alpha)
    build(beta)
    with schema_context(beta.practice.schema_name):
        beta_client = User.objects.create_user("only-beta@example.org", PASSWORD,
                                               full_name="Bea Only", role=Role.CLIENT)
        ClientProfile.objects.create(user=beta_client).clinicians.add(beta.clinician)
        (beta_response,) = give_history(beta_client, "phq9", [20],
                                        start=datetime(2026, 2, 1, tzinfo=UTC))
        beta_assignment = Assignment.objects.create(
            client=beta_client, instrument_key="phq9", frequency="weekly",
            starts_on=date(2030, 1, 1), assigned_by=beta.clinician)
        beta_alert = raise_alert(beta_client, [beta.clinician], summary="Bea's secret alert")
        services.practice_instrument_save(
            data=json.loads(epds_json(typed_reversed=False)) | {"key": "beta_only"},
            actor=Actor.of(beta.owner))
    with schema_context(alpha.practice.schema_name):
        assert not User.objects.filter(pk=beta_client.pk).exists()
        assert not Response.objects.filter(pk=beta_response.pk).exists()
        assert not Alert.objects.filter(pk=beta_alert.pk).exists()
        assert not Assignment.objects.filter(pk=beta_assignment.pk).exists()
    from_beta_ids = {"client": beta_client.pk, "response": beta_response.pk,
                     "assignment": beta_assignment.pk, "alert": beta_alert.pk,
                     "instrument": "beta_only"}
    missing_ids = {"client": 999_999, "response": 999_999, "assignment": 999_999,
                   "alert": 999_999, "instrument": "never_defined"}
    before_alpha, before_beta = state(alpha), state(beta)
    http = alpha.http(alpha.owner)

    from_beta = getattr(http, method)(path.format(**from_beta_ids), data)
    missing = getattr(http, method)(path.format(**missing_ids), data)

    assert from_beta.status_code == missing.status_code == 404
    assert page_without_tokens(from_beta) == page_without_tokens(missing)
    assert "Bea" not in from_beta.content.decode()
    assert state(alpha) == before_alpha
    assert state(beta) == before_beta


@pytest.mark.parametrize("path", [
    "/clinic/clients/1/assign/", "/clinic/assignments/1/end/",
    "/clinic/responses/1/entered-in-error/", "/clinic/alerts/1/acknowledge/",
    "/clinic/alerts/1/resolve/", "/clinic/alerts/1/snooze/", "/clinic/instruments/x/publish/",
])
def test_actions_only_accept_post(alpha, path) -> None:
    prepare(alpha)

    response = alpha.http(alpha.owner).get(path)

    assert response.status_code == 405


def test_the_assessment_pages_follow_the_module_but_alerts_never_do(alpha, beta) -> None:
    ids = build(alpha)
    Practice.objects.filter(pk=alpha.practice.pk).update(enabled_modules=["mood_checkin"])
    http = alpha.http(alpha.clinician)

    gated = [http.get(path).status_code for path in (
        f"/clinic/clients/{ids.client}/", f"/clinic/clients/{ids.client}/review/",
        "/clinic/instruments/", "/clinic/instruments/phq9/preview/")]
    caseload = http.get("/clinic/clients/")
    inbox = http.get("/clinic/alerts/")
    acknowledged = http.post(f"/clinic/alerts/{ids.urgent_alerts['clinician']}/acknowledge/")

    assert gated == [404, 404, 404, 404]
    assert caseload.status_code == inbox.status_code == 200
    assert "PHQ-9" not in caseload.content.decode()  # no scores while the module is off
    assert "Chris Client" in caseload.content.decode()
    assert "item 9 answered above 0" in inbox.content.decode()
    assert acknowledged.status_code == 302
    beta_ids = build(beta)
    assert beta.http(beta.clinician).get(f"/clinic/clients/{beta_ids.client}/").status_code == 200
