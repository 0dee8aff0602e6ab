"""The authorisation matrix of every care page: anonymous, the client, a client of another
practice, front desk, billing, a clinician not on the client's care team, the assigned clinician
and the owner. Each refused request shows nothing of the client's data and changes nothing."""

from __future__ import annotations

import pytest

from tests.care.helpers import NO_CONTACTS, CareWorld, prepare
from tests.care.world import MARKER, CareIds, fill, snapshot

SIGN_IN = "/accounts/sign-in/"
CLINICAL = {"anonymous": 302, "client": 404, "other_client": 302, "front_desk": 404,
            "billing": 404, "outsider": 404, "clinician": 200, "owner": 200}
CLINICAL_WRITE = CLINICAL | {"clinician": 302, "owner": 302}
PORTAL = {"anonymous": 302, "client": 200, "other_client": 302, "front_desk": 404,
          "billing": 404, "outsider": 404, "clinician": 404, "owner": 404}
PORTAL_WRITE = PORTAL | {"client": 302}


def staff_reads(ids: CareIds) -> list[str]:
    return [f"/care/clients/{ids.client}/{page}/"
            for page in ("goals", "homework", "journal", "resources", "safety-plan")]


def staff_writes(ids: CareIds) -> list[tuple[str, dict]]:
    client = ids.client
    return [
        (f"/care/clients/{client}/goals/", {"title": "New goal"}),
        (f"/care/goals/{ids.goal}/progress/", {"note": "note"}),
        (f"/care/goals/{ids.goal}/status/", {"status": "achieved"}),
        (f"/care/clients/{client}/homework/", {"instructions": "Task", "due_on": "2026-12-01"}),
        (f"/care/homework/{ids.homework}/end/", {}),
        (f"/care/clients/{client}/resources/{ids.resource}/remove/", {}),
        (f"/care/clients/{client}/safety-plan/", {"warning_signs": "changed", **NO_CONTACTS}),
    ]


def portal_reads(ids: CareIds) -> list[str]:
    return ["/portal/goals/", "/portal/homework/", "/portal/journal/", "/portal/resources/",
            f"/portal/resources/{ids.resource}/", "/portal/safety-plan/",
            "/portal/safety-plan/add/"]


def portal_writes(ids: CareIds) -> list[tuple[str, dict]]:
    return [
        (f"/portal/goals/{ids.goal}/progress/", {"note": "mine"}),
        (f"/portal/homework/{ids.homework}/done/", {"reflection": "done"}),
        ("/portal/journal/", {"body": "new entry", "sharing": "private"}),
        (f"/portal/journal/{ids.journal}/sharing/", {"sharing": "private"}),
        ("/portal/safety-plan/add/", {"section": "coping", "text": "tea"}),
    ]


def _http(care: CareWorld, beta_care: CareWorld, who: str):
    if who == "other_client":
        # Beta's client, signed in on beta, trying alpha's host: the session is worthless here.
        http = beta_care.http(beta_care.world.client)
        http.defaults["HTTP_HOST"] = care.world.host
        return http
    return care.http(care.people()[who])


@pytest.fixture
def worlds(alpha, beta):
    care, beta_care = prepare(alpha), prepare(beta)
    ids = fill(care)
    fill(beta_care)  # look-alike data, same ids
    return care, beta_care, ids


def _assert_no_leak(response, who: str, path: str) -> None:
    body = response.content.decode()
    assert MARKER not in body, (who, path)
    if response.status_code == 302:
        assert response["Location"].startswith(SIGN_IN), (who, path)


def test_staff_pages(worlds) -> None:
    care, beta_care, ids = worlds
    for who, expected in CLINICAL.items():
        http = _http(care, beta_care, who)
        for path in staff_reads(ids):
            response = http.get(path)
            assert response.status_code == expected, (who, path)
            if expected != 200:
                _assert_no_leak(response, who, path)
            else:
                assert MARKER in response.content.decode(), (who, path)
                assert f"{MARKER} private" not in response.content.decode()


def test_staff_writes_refused_change_nothing(worlds) -> None:
    care, beta_care, ids = worlds
    before, beta_before = snapshot(care), snapshot(beta_care)
    for who, expected in CLINICAL_WRITE.items():
        if expected == 302 and who in ("clinician", "owner"):
            continue
        http = _http(care, beta_care, who)
        for path, data in staff_writes(ids):
            response = http.post(path, data)
            assert response.status_code == expected, (who, path)
            _assert_no_leak(response, who, path)
    assert snapshot(care) == before
    assert snapshot(beta_care) == beta_before


@pytest.mark.parametrize("who", ["clinician", "owner"])
def test_staff_writes_allowed_for_the_care_team(worlds, who) -> None:
    care, beta_care, ids = worlds
    beta_before = snapshot(beta_care)
    http = care.http(care.people()[who])
    for path, data in staff_writes(ids):
        assert http.post(path, data).status_code == 302, path
    after = snapshot(care)
    assert after["goals"] == [(f"{MARKER} goal", "achieved"), ("New goal", "active")]
    assert after["shares"] == []
    assert after["plans"] == [(["changed"], [])]
    assert snapshot(beta_care) == beta_before


def test_practice_wide_staff_pages(worlds) -> None:
    care, beta_care, ids = worlds
    expected = CLINICAL | {"outsider": 200}
    for who, status in expected.items():
        http = _http(care, beta_care, who)
        for path in ("/care/homework/", "/care/resources/"):
            response = http.get(path)
            assert response.status_code == status, (who, path)
            if status != 200:
                _assert_no_leak(response, who, path)
        caseload = http.get("/care/homework/").content.decode()
        assert ("Chris Client" in caseload) is (who in ("clinician", "owner")), who
    for who in ("front_desk", "client", "outsider"):
        http = _http(care, beta_care, who)
        response = http.post("/care/resources/", {"kind": "text", "title": "x", "body": "y"})
        assert response.status_code == (302 if who == "outsider" else 404), who
    assert http.get(f"/care/resources/{ids.resource}/file/").status_code == 404


def test_portal_pages(worlds) -> None:
    care, beta_care, ids = worlds
    for who, expected in PORTAL.items():
        http = _http(care, beta_care, who)
        for path in portal_reads(ids):
            response = http.get(path)
            assert response.status_code == expected, (who, path)
            if expected != 200:
                _assert_no_leak(response, who, path)
    # Beta's client on their own host sees their own look-alike data only.
    beta_client = beta_care.http(beta_care.world.client)
    assert MARKER in beta_client.get("/portal/goals/").content.decode()


def test_portal_writes_refused_change_nothing(worlds) -> None:
    care, beta_care, ids = worlds
    before, beta_before = snapshot(care), snapshot(beta_care)
    for who, expected in PORTAL_WRITE.items():
        if who == "client":
            continue
        http = _http(care, beta_care, who)
        for path, data in portal_writes(ids):
            response = http.post(path, data)
            assert response.status_code == expected, (who, path)
            _assert_no_leak(response, who, path)
    assert snapshot(care) == before
    assert snapshot(beta_care) == beta_before


def test_portal_writes_by_the_client(worlds) -> None:
    care, beta_care, ids = worlds
    beta_before = snapshot(beta_care)
    http = care.http(care.world.client)
    for path, data in portal_writes(ids):
        assert http.post(path, data).status_code == 302, path
    after = snapshot(care)
    assert after["progress"][-1] == (ids.goal, "mine")
    assert after["journal"] == [(f"{MARKER} shared", False), (f"{MARKER} private", False),
                                ("new entry", False)]
    assert after["plans"] == [([f"{MARKER} sign"], ["tea"])]
    assert snapshot(beta_care) == beta_before
