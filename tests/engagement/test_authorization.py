"""Who may use each engagement page and endpoint: anonymous, the client, a client of another
practice, front desk, billing, a clinician not on the client's care team, the assigned
clinician, the owner. A refused request shows nothing of the client and changes nothing; an
id of another practice answers exactly like a missing one."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from practice.engagement.models import JournalingAssignment, RuleSetting
from practice.measurement.models import Alert
from tenants.accounts.models import Role, User
from tests.care.helpers import CareWorld, prepare
from tests.conftest import PASSWORD
from tests.engagement.helpers import inside

MARKER = "MARK-eng-51"
SIGN_IN = "/accounts/sign-in/"
PEOPLE = ("anonymous", "client", "other_client", "front_desk", "billing", "outsider",
          "clinician", "owner")
OWNER_PAGE = {"anonymous": 302, "client": 404, "other_client": 302, "front_desk": 404,
              "billing": 404, "outsider": 404, "clinician": 404, "owner": 200}
CLINICAL_WRITE = {"anonymous": 302, "client": 404, "other_client": 302, "front_desk": 404,
                  "billing": 404, "outsider": 404, "clinician": 302, "owner": 302}
# Not signed in here: 403; a role that may not: the same 404 as a missing object (as pages).
OWNER_API = {"anonymous": 403, "client": 404, "other_client": 403, "front_desk": 404,
             "billing": 404, "outsider": 404, "clinician": 404, "owner": 200}
CLINICAL_API = {"anonymous": 403, "client": 404, "other_client": 403, "front_desk": 404,
                "billing": 404, "outsider": 404, "clinician": 200, "owner": 200}
RULES_FORM = {
    "reliable_deterioration-enabled": "on", "reliable_deterioration-threshold": "1",
    "mood_decline-enabled": "on", "mood_decline-threshold": "4",
    "missed_checkins-enabled": "on", "missed_checkins-threshold": "3",
    "journal_silence-enabled": "on", "journal_silence-threshold": "7",
    "no_sign_in-threshold": "21",  # switched off: the box is not sent
    "overdue_assessments-enabled": "on", "overdue_assessments-threshold": "2",
    "overdue_homework-enabled": "on", "overdue_homework-threshold": "2",
    "not_on_track-enabled": "on", "not_on_track-threshold": "2",
}


def _alert(care: CareWorld) -> int:
    with inside(care.world):
        alert = Alert.objects.create(client=care.world.client, kind=Alert.Kind.NO_SIGN_IN,
                                     severity="routine", summary=f"{MARKER} not signed in",
                                     dedupe_key=f"no_sign_in:{care.world.client.pk}")
        alert.recipients.add(care.world.clinician)
        return alert.pk


@pytest.fixture
def worlds(alpha, beta):
    care, beta_care = prepare(alpha), prepare(beta)
    alert_id = _alert(care)
    _alert(beta_care)  # look-alike: the same ids
    return care, beta_care, alert_id


def _http(care: CareWorld, beta_care: CareWorld, who: str) -> Client:
    if who == "other_client":
        http = beta_care.http(beta_care.world.client)
        http.defaults["HTTP_HOST"] = care.world.host
        return http
    return care.http(care.people()[who])


def _state(care: CareWorld) -> tuple:
    with inside(care.world):
        return (list(RuleSetting.objects.values_list("rule_key", "is_enabled", "threshold")),
                list(Alert.objects.values_list("pk", "status", "snoozed_until")),
                list(JournalingAssignment.objects.values_list("client_id", "ended_at")))


def _no_leak(response, who: str) -> None:
    assert MARKER not in response.content.decode(), who
    assert "Chris Client" not in response.content.decode(), who
    if response.status_code == 302 and who in ("anonymous", "other_client"):
        assert response["Location"].startswith(SIGN_IN), who


def test_pages(worlds) -> None:
    care, beta_care, _ = worlds
    client_id = care.world.client.pk
    before, beta_before = _state(care), _state(beta_care)
    for who in PEOPLE:
        http = _http(care, beta_care, who)
        page = http.get("/engagement/rules/")
        assert page.status_code == OWNER_PAGE[who], who
        _no_leak(page, who)
        if OWNER_PAGE[who] != 200:
            assert http.post("/engagement/rules/", RULES_FORM).status_code == OWNER_PAGE[who]
        if CLINICAL_WRITE[who] != 302 or who in ("anonymous", "other_client"):
            answer = http.post(f"/engagement/clients/{client_id}/journaling/",
                               {"action": "assign"})
            assert answer.status_code == CLINICAL_WRITE[who], who
            _no_leak(answer, who)
    assert _state(care) == before
    assert _state(beta_care) == beta_before


def test_owner_sets_the_rules(worlds) -> None:
    care, beta_care, _ = worlds
    beta_before = _state(beta_care)
    http = care.http(care.world.owner)
    page = http.get("/engagement/rules/").content.decode()
    assert "Risk answers" in page and "Requests for urgent contact" in page
    assert 'name="risk_item-threshold"' not in page
    assert http.post("/engagement/rules/", RULES_FORM).status_code == 302
    with inside(care.world):
        assert sorted(RuleSetting.objects.values_list("rule_key", "is_enabled", "threshold")) \
            == [("journal_silence", True, 7), ("missed_checkins", True, 3),
                ("mood_decline", True, 4), ("no_sign_in", False, 21),
                ("not_on_track", True, 2), ("overdue_assessments", True, 2),
                ("overdue_homework", True, 2), ("reliable_deterioration", True, 1)]
    saved = _state(care)
    refused = http.post("/engagement/rules/", RULES_FORM | {"mood_decline-threshold": "1",
                                                            "no_sign_in-threshold": "abc"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Ensure this value is greater than or equal to 2." in text
    assert "Enter a whole number." in text
    assert _state(care) == saved
    assert _state(beta_care) == beta_before


def test_journaling_assigned_by_the_care_team(worlds) -> None:
    care, beta_care, _ = worlds
    client_id = care.world.client.pk
    with inside(beta_care.world):
        beta_only = User.objects.create_user("beta-only@example.org", PASSWORD,
                                             full_name="Beta Only", role=Role.CLIENT).pk
    for who in ("clinician", "owner"):
        http = care.http(care.people()[who])
        answer = http.post(f"/engagement/clients/{client_id}/journaling/",
                           {"action": "assign" if who == "clinician" else "end",
                            "next": f"/care/clients/{client_id}/journal/"})
        assert (answer.status_code, answer["Location"]) == (
            302, f"/care/clients/{client_id}/journal/")
    http = care.http(care.world.clinician)
    journal = http.get(f"/care/clients/{client_id}/journal/").content.decode()
    assert "Assign journaling" in journal
    http.post(f"/engagement/clients/{client_id}/journaling/", {"action": "assign"})
    assert "Stop journaling" in http.get(f"/care/clients/{client_id}/journal/").content.decode()
    missing = http.post("/engagement/clients/99999/journaling/", {"action": "assign"})
    elsewhere = http.post(f"/engagement/clients/{beta_only}/journaling/", {"action": "assign"})
    assert missing.status_code == elsewhere.status_code == 404
    assert _page(missing) == _page(elsewhere)
    bad = http.post(f"/engagement/clients/{client_id}/journaling/", {"action": "maybe"})
    assert bad.status_code == 302
    with inside(care.world):
        assert list(JournalingAssignment.objects.values_list("client_id", "ended_at")) == [
            (client_id, None)]
    with inside(beta_care.world):
        assert JournalingAssignment.objects.count() == 0


def _page(response) -> str:
    """The page without what differs on every render (CSP nonces, CSRF tokens)."""
    return re.sub(r'(nonce|value|content)="[^"]*"', "", response.content.decode())


def _json(http: Client, method: str, path: str, body: dict | None = None):
    if method == "get":
        return http.get(path)
    return getattr(http, method)(path, data=json.dumps(body or {}),
                                 content_type="application/json")


def test_api(worlds) -> None:
    care, beta_care, alert_id = worlds
    client_id = care.world.client.pk
    before, beta_before = _state(care), _state(beta_care)
    for who in PEOPLE:
        http = _http(care, beta_care, who)
        for method, path, body, expected in (
                ("get", "/api/v1/engagement/rules", None, OWNER_API),
                ("get", "/api/v1/engagement/rules/no_sign_in", None, OWNER_API),
                ("get", f"/api/v1/clients/{client_id}/journaling", None, CLINICAL_API)):
            answer = _json(http, method, path, body)
            assert answer.status_code == expected[who], (who, path)
            _no_leak(answer, who)
        if OWNER_API[who] != 200:
            assert _json(http, "put", "/api/v1/engagement/rules/no_sign_in",
                         {"is_enabled": False, "threshold": 3}).status_code == OWNER_API[who]
        if CLINICAL_API[who] != 200:
            for method, path, body in (
                    ("post", f"/api/v1/alerts/{alert_id}/snooze", {"duration": "1d"}),
                    ("put", f"/api/v1/clients/{client_id}/journaling", None),
                    ("delete", f"/api/v1/clients/{client_id}/journaling", None)):
                answer = _json(http, method, path, body)
                assert answer.status_code == CLINICAL_API[who], (who, path)
                _no_leak(answer, who)
    assert _state(care) == before
    assert _state(beta_care) == beta_before

    owner = care.http(care.world.owner)
    rules = _json(owner, "get", "/api/v1/engagement/rules").json()
    assert [rule["key"] for rule in rules][:3] == ["risk_item", "urgent_contact",
                                                   "reliable_deterioration"]
    changed = _json(owner, "put", "/api/v1/engagement/rules/no_sign_in",
                    {"is_enabled": True, "threshold": 30})
    assert (changed.status_code, changed.json()["threshold"]) == (200, 30)
    assert _json(owner, "put", "/api/v1/engagement/rules/risk_item",
                 {"is_enabled": False, "threshold": 1}).json() == {
        "detail": "Risk answers always alert the client's clinicians at once; they cannot be "
                  "changed."}
    assert _json(owner, "put", "/api/v1/engagement/rules/no_sign_in",
                 {"is_enabled": True, "threshold": 0}).status_code == 400
    assert _json(owner, "put", "/api/v1/engagement/rules/nothing",
                 {"is_enabled": True, "threshold": 3}).status_code == 404

    clinician = care.http(care.world.clinician)
    snoozed = _json(clinician, "post", f"/api/v1/alerts/{alert_id}/snooze", {"duration": "1d"})
    assert (snoozed.status_code, snoozed.json()["id"]) == (200, alert_id)
    assert _json(clinician, "post", f"/api/v1/alerts/{alert_id}/snooze",
                 {"duration": "forever"}).status_code == 400
    assert _json(clinician, "post", "/api/v1/alerts/99999/snooze",
                 {"duration": "1d"}).status_code == 404
    assigned = _json(clinician, "put", f"/api/v1/clients/{client_id}/journaling")
    assert assigned.json()["is_assigned"] is True
    assert _json(clinician, "delete", f"/api/v1/clients/{client_id}/journaling"
                 ).json() == {"is_assigned": False, "assigned_at": None}
    assert _state(beta_care) == beta_before
