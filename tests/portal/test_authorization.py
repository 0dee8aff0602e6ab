"""Who may use the portal. Clients only: anonymous people are sent to sign in, a session from
another practice is no session here, staff of every role get the same 404 as a page that does not
exist, and one client's response is as missing to another client as an id that never existed.
Crisis help is open to everyone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from practice.measurement.models import Alert, Response
from practice.models import ClientProfile
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tests.conftest import PASSWORD, PracticeWorld
from tests.portal.helpers import (
    PHQ9_ITEMS,
    accept_consent,
    assign,
    page_text,
    prepare,
    submit_phq9,
)

STAFF = ["owner", "clinician", "front_desk", "billing"]


def client_for(actor: str, alpha: PracticeWorld, beta: PracticeWorld) -> Client:
    if actor == "anonymous":
        return alpha.http()
    if actor == "client_of_another_practice":
        # A real session of beta's client (same email, same id as alpha's), replayed on alpha.
        beta_session = beta.http(beta.client).cookies[settings.SESSION_COOKIE_NAME].value
        http = alpha.http()
        http.cookies[settings.SESSION_COOKIE_NAME] = beta_session
        return http
    return alpha.http(getattr(alpha, actor))


def state(world: PracticeWorld) -> dict[str, list]:
    with schema_context(world.practice.schema_name):
        snapshot = {
            "responses": list(Response.objects.order_by("pk").values_list(
                "pk", "status", "answers", "note", "total", "submitted_at")),
            "alerts": list(Alert.objects.order_by("pk").values_list("pk", "kind")),
            "reads": list(AuditEvent.objects.filter(action__startswith="portal.")
                          .values_list("action", "actor_id")),
        }
    connection.set_schema_to_public()
    return snapshot


@pytest.fixture
def worlds(alpha, beta):
    """Alpha and beta alike: a submitted PHQ-9 (id 1) and an open one (id 2) in each."""
    ids = {}
    for world in (alpha, beta):
        prepare(world)
        submitted = submit_phq9(world, 12)
        due = assign(world)
        ids[world.practice.subdomain] = (submitted, due)
    assert ids["alpha"] == ids["beta"]  # look-alike ids
    return ids["alpha"]


def cases(submitted: int, due: int) -> list[tuple[str, str, dict]]:
    answer_all = {key: "1" for key in PHQ9_ITEMS[:9]} | {"action": "submit", "layout": "all"}
    return [
        ("get", "/portal/", {}),
        ("get", "/portal/assessments/", {}),
        ("get", "/portal/assessments/progress/", {}),
        ("get", f"/portal/assessments/{due}/", {}),
        ("get", f"/portal/assessments/{due}/review/", {}),
        ("get", f"/portal/assessments/{submitted}/result/", {}),
        ("post", f"/portal/assessments/{due}/", answer_all),
        ("post", f"/portal/assessments/{due}/submit/", {"confirm_missing": "1"}),
        ("get", "/portal/mood/", {}),
        ("post", "/portal/mood/", {"mood": "6", "note": "fine"}),
    ]


@pytest.mark.parametrize("actor", ["anonymous", "client_of_another_practice"])
def test_without_a_session_here_every_page_asks_to_sign_in(alpha, beta, worlds, actor) -> None:
    before_alpha, before_beta = state(alpha), state(beta)
    for method, path, data in cases(*worlds):
        http = client_for(actor, alpha, beta)
        response = getattr(http, method)(path, data)
        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/sign-in/?next={path}"
        assert response.content == b""
    assert state(alpha) == before_alpha
    assert state(beta) == before_beta


@pytest.mark.parametrize("actor", STAFF)
def test_staff_of_every_role_get_the_missing_page(alpha, beta, worlds, actor) -> None:
    before_alpha, before_beta = state(alpha), state(beta)
    http = client_for(actor, alpha, beta)
    not_found = page_text(http.get("/portal/no-such-page/"))
    for method, path, data in cases(*worlds):
        response = getattr(http, method)(path, data)
        assert response.status_code == 404, path
        assert page_text(response) == not_found, path
        body = response.content.decode()
        for leak in ("PHQ-9", "Chris Client", "Not at all", "Your progress"):
            assert leak not in body
    assert state(alpha) == before_alpha
    assert state(beta) == before_beta


def test_another_clients_response_is_as_missing_as_an_id_that_never_existed(
        alpha, beta, worlds) -> None:
    submitted, due = worlds
    with schema_context(alpha.practice.schema_name):
        other = User.objects.create_user("other@example.org", PASSWORD, full_name="Olu Other",
                                         role=Role.CLIENT)
        ClientProfile.objects.create(user=other)
    connection.set_schema_to_public()
    accept_consent(alpha, other)
    http = alpha.http(other)
    missing_id = due + 1000
    before = state(alpha)
    for suffix in ("", "review/", "result/"):
        mine = http.get(f"/portal/assessments/{due}/{suffix}")
        also_mine = http.get(f"/portal/assessments/{submitted}/{suffix}")
        missing = http.get(f"/portal/assessments/{missing_id}/{suffix}")
        assert mine.status_code == also_mine.status_code == missing.status_code == 404
        assert page_text(mine) == page_text(missing) == page_text(also_mine)
    for path in (f"/portal/assessments/{due}/", f"/portal/assessments/{due}/submit/"):
        response = http.post(path, {key: "3" for key in PHQ9_ITEMS} | {"action": "submit",
                                                                       "layout": "all",
                                                                       "confirm_missing": "1"})
        assert response.status_code == 404
        assert "Chris Client" not in response.content.decode()
    assert state(alpha) == before


def test_the_client_opens_every_page_of_their_own(alpha, beta, worlds) -> None:
    submitted, due = worlds
    http = alpha.http(alpha.client)
    expected = {"/portal/": 200, "/portal/assessments/": 200,
                "/portal/assessments/progress/": 200, f"/portal/assessments/{due}/": 200,
                f"/portal/assessments/{due}/review/": 200,
                f"/portal/assessments/{submitted}/result/": 200, "/portal/mood/": 200,
                "/portal/help/": 200}
    for path, status in expected.items():
        response = http.get(path)
        assert response.status_code == status, path
        body = response.content.decode()
        assert "Alpha Therapy" in body
        assert "Beta Counselling" not in body


def test_sign_in_lands_a_client_on_the_portal(alpha) -> None:
    response = alpha.http(alpha.client).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


@pytest.mark.parametrize("actor", ["anonymous", "client", "clinician", "front_desk"])
def test_crisis_help_is_open_to_everyone(alpha, actor) -> None:
    prepare(alpha, crisis_line="+1 (555) 010-2000")
    http = alpha.http(None if actor == "anonymous" else getattr(alpha, actor))
    response = http.get("/portal/help/")
    assert response.status_code == 200
    body = response.content.decode()
    for link in ('href="tel:+15550102000"', 'href="tel:988"', 'href="sms:988"',
                 'href="tel:911"'):
        assert link in body
    assert "Alpha Therapy's crisis line: +1 (555) 010-2000" in body
