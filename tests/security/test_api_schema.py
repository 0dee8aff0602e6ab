"""The OpenAPI schema (`/api/v1/schema/`) maps every endpoint: it answers only to a signed-in
member of the practice's staff: 403 signed out, 404 to a client (a role refusal, as everywhere
in the API)."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tests.conftest import PracticeWorld

SCHEMA = "/api/v1/schema/"


def test_only_signed_in_staff_of_the_practice_get_the_schema(
        alpha: PracticeWorld, beta: PracticeWorld, public_http: Client) -> None:
    beta_client_session = beta.http(beta.client)
    beta_owner_session = beta.http(beta.owner)
    on_alpha_with_beta_cookie = alpha.http()
    on_alpha_with_beta_cookie.cookies["sessionid"] = (
        beta_owner_session.cookies["sessionid"].value)
    with schema_context(alpha.practice.schema_name):
        User.objects.filter(pk=alpha.billing.pk).update(is_active=False)

    answers = {
        "anonymous": alpha.http().get(SCHEMA),
        "client": alpha.http(alpha.client).get(SCHEMA),
        "beta's owner's session on alpha": on_alpha_with_beta_cookie.get(SCHEMA),
        "inactive staff": alpha.http(alpha.billing).get(SCHEMA),
        "front desk": alpha.http(alpha.front_desk).get(SCHEMA),
        "clinician": alpha.http(alpha.clinician).get(SCHEMA),
        "owner": alpha.http(alpha.owner).get(SCHEMA),
        "beta's client on beta": beta_client_session.get(SCHEMA),
        "beta's owner on beta": beta_owner_session.get(SCHEMA),
        "control plane": public_http.get(SCHEMA),
    }

    assert {who: answer.status_code for who, answer in answers.items()} == {
        "anonymous": 403, "client": 404, "beta's owner's session on alpha": 403,
        "inactive staff": 403, "front desk": 200, "clinician": 200, "owner": 200,
        "beta's client on beta": 404, "beta's owner on beta": 200, "control plane": 404,
    }
    for who, answer in answers.items():
        body = answer.content.decode()
        if answer.status_code == 200:
            assert body.startswith("openapi: 3"), who
            assert "/api/v1/clients/{client_id}/responses" in body, who
        else:
            assert "openapi" not in body and "/api/v1/clients" not in body, who
