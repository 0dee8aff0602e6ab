"""Read-only mode on every write path, listed from the practice host's URLconf.

A practice whose subscription is unpaid or canceled refuses every unsafe request (POST, PUT,
PATCH, DELETE) on every URL pattern except the authentication ones, and nothing anywhere in its
schema or its public rows changes. The list of paths is walked from `config.urls_tenant`,
so a write path added later is covered without anyone adding it here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern
from django_tenants.utils import schema_context

from config import readonly
from practice.models import StaffInvitation
from tenants.features import MODULE_KEYS
from tenants.models import BillingState, Practice
from tests.conftest import PracticeWorld

pytestmark = pytest.mark.django_db

READ_ONLY_STATES = [BillingState.UNPAID, BillingState.CANCELED]
UNSAFE_METHODS = ["post", "put", "patch", "delete"]
# Pinned here on purpose: widening the exemption must fail this test until it is reviewed.
AUTH_ROUTES = {"login", "logout", "password_reset", "password_reset_confirm", "handoff",
               "portal:account_verify", "portal:account_mfa",
               "portal:account_sign_out_everywhere"}
SAFETY_ROUTES = {"portal:urgent_contact", "clinic:alert_acknowledge", "clinic:alert_resolve",
                 "clinic:alert_snooze", "api:alert_acknowledge", "api:alert_resolve"}
BILLING_PREFIX = "billing/"
SAMPLE_BY_CONVERTER = {"int": "1", "slug": "phq-9", "str": "sample", "path": "sample",
                       "uuid": "00000000-0000-0000-0000-000000000001"}
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _walk(patterns: list[Any], prefix: str = "", namespaces: tuple[str, ...] = ()
          ) -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        assert isinstance(pattern.pattern, RoutePattern), (
            f"{prefix}{pattern.pattern}: a regex route; teach this walk to fill it in"
        )
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _walk(pattern.url_patterns, route, inner)
        else:
            assert isinstance(pattern, URLPattern)
            yield route, ":".join((*namespaces, pattern.name or "?"))


def tenant_routes() -> list[tuple[str, str]]:
    """(path with sample arguments, namespaced URL name) for every pattern of a practice host."""
    routes = []
    for route, name in _walk(get_resolver("config.urls_tenant").url_patterns):
        path = "/" + PARAMETER.sub(
            lambda match: SAMPLE_BY_CONVERTER[match["converter"] or "str"], route
        )
        routes.append((path, name))
    return routes


def write_routes() -> list[tuple[str, str]]:
    return [(path, name) for path, name in tenant_routes()
            if name not in AUTH_ROUTES | SAFETY_ROUTES
            and not path.startswith("/" + BILLING_PREFIX)]


def snapshot(practice: Practice) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of every table in the practice's schema and in the
    public schema (the practice's row, domains, branding, billing, public audit...)."""
    result: dict[str, tuple[int, str]] = {}
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for schema in (practice.schema_name, "public"):
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
                [schema],
            )
            for (table,) in cursor.fetchall():
                qualified = f'"{schema}"."{table}"'
                # A session's last-seen time is sign-in bookkeeping, not the practice's data:
                # sessions are counted, not digested.
                digest = ("''" if table == "django_session" else
                          "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))")
                # Of the practices, this one's row (another practice may change its own).
                where = (f"WHERE t.id = {int(practice.pk)}"
                         if (schema, table) == ("public", "tenants_practice") else "")
                cursor.execute(f"SELECT count(*), {digest} FROM {qualified} t {where}")
                result[qualified] = cursor.fetchone()
    return result


def set_billing_state(world: PracticeWorld, state: str) -> None:
    """Set the state, and visit once: the practice's branding row is made on the first page
    ever rendered, so a snapshot taken before any page would see that as a change."""
    Practice.objects.filter(pk=world.practice.pk).update(billing_state=state)
    world.practice.refresh_from_db()
    assert world.http().get("/accounts/sign-in/").status_code == 200


def unsafe(http: Any, method: str, path: str) -> Any:
    if path.startswith("/api/"):
        return getattr(http, method)(path, data=json.dumps({"name": "x"}),
                                     content_type="application/json")
    if method == "post":
        return http.post(path, {"full_name": "Nia Newhire", "email": "nia@example.org",
                                "role": "clinician", "policy": "all", "enabled": ["journal"]})
    return getattr(http, method)(path)


def test_the_walk_finds_the_practice_hosts_write_paths() -> None:
    """The walk is the test's source of truth: it must see the known write paths."""
    assert readonly.AUTH_VIEW_NAMES == AUTH_ROUTES
    assert readonly.SAFETY_VIEW_NAMES == SAFETY_ROUTES
    names = {name for _path, name in tenant_routes()}
    assert {"staff_invite", "staff_invitation_accept", "settings_modules",
            "portal:mood_checkin:checkin", "clinic:alert_acknowledge",
            "api:alert_acknowledge"} <= names
    assert AUTH_ROUTES <= names
    # Every filled-in path reaches the pattern it was made from.
    for path, name in tenant_routes():
        match = resolve(path, urlconf="config.urls_tenant")
        assert ":".join((*match.namespaces, match.url_name or "?")) == name, path


@pytest.mark.parametrize("state", READ_ONLY_STATES)
def test_every_write_path_is_refused_and_nothing_changes(
    alpha: PracticeWorld, beta: PracticeWorld, state: str
) -> None:
    # Every module on, the default-off ones included, so each write path is reached.
    Practice.objects.filter(pk=alpha.practice.pk).update(enabled_modules=list(MODULE_KEYS))
    alpha.practice.refresh_from_db()
    set_billing_state(alpha, state)
    http = alpha.http(alpha.owner)
    before = snapshot(alpha.practice)
    beta_before = snapshot(beta.practice)

    refused = {}
    for path, name in write_routes():
        for method in UNSAFE_METHODS:
            response = unsafe(http, method, path)
            refused[(method, name)] = response.status_code
            assert response.status_code == 403, (method, path, name, response.status_code)
            if path.startswith("/api/"):
                body = response.json()
                assert body["code"] == "practice_read_only"
                assert body["billing_url"] == "/billing/"
                assert "read-only" in body["detail"]
            else:
                page = response.content.decode()
                assert "Nothing was changed" in page
                assert "Update the payment method on the billing page (/billing/)" in page

    assert len(refused) == 4 * len(write_routes())
    assert snapshot(alpha.practice) == before
    assert snapshot(beta.practice) == beta_before


def test_the_refusal_does_not_depend_on_who_asks(alpha: PracticeWorld,
                                                  beta: PracticeWorld) -> None:
    """Anonymous visitors, clients and staff meet the same wall, including the invitation
    link (it would create an account)."""
    set_billing_state(alpha, BillingState.UNPAID)
    anonymous, client = alpha.http(), alpha.http(alpha.client)
    clinician, front_desk = alpha.http(alpha.clinician), alpha.http(alpha.front_desk)
    before = snapshot(alpha.practice)
    cases = [
        (anonymous, "/staff/invitations/accept/some-token/"),
        (client, "/portal/mood/"),
        (client, "/portal/assessments/1/submit/"),
        (clinician, "/care/goals/1/status/"),
        (front_desk, "/api/v1/assignments/1/end"),
    ]
    for http, path in cases:
        response = http.post(path, {"mood": "3"})
        assert response.status_code == 403, path
    client_page = client.post("/portal/mood/", {"mood": "3"}).content.decode()
    assert ("Alpha Therapy&#x27;s portal is read-only for now: you can sign in and see "
            "everything, but nothing can be sent or changed.") in client_page
    assert "Please contact the practice. Crisis help is always available." in client_page
    assert "/billing/" not in client_page
    assert "subscription" not in client_page
    anonymous_page = anonymous.post("/staff/invitations/accept/some-token/").content.decode()
    assert "Please contact the practice." in anonymous_page
    assert "subscription" not in anonymous_page
    staff_page = clinician.post("/staff/invite/").content.decode()
    assert "Ask the practice owner to update the payment method" in staff_page
    assert snapshot(alpha.practice) == before


def test_json_refusal_for_a_client_asking_for_json(alpha: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.CANCELED)
    response = alpha.http(alpha.owner).post("/settings/messaging/", {"policy": "all"},
                                            HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json() == {
        "code": "practice_read_only",
        "detail": "Alpha Therapy is read-only because its subscription was canceled. You can "
                  "sign in, read and export; nothing new can be created or changed.",
        "fix": "Update the payment method on the billing page (/billing/); the practice "
               "becomes fully available again as soon as the payment goes through.",
        "billing_url": "/billing/",
    }


def test_active_again_writes_work(alpha: PracticeWorld, beta: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.UNPAID)
    http = alpha.http(alpha.owner)
    invite = {"full_name": "Nia Newhire", "email": "nia@example.org", "role": "clinician"}
    assert http.post("/staff/invite/", invite).status_code == 403

    set_billing_state(alpha, BillingState.ACTIVE)
    response = http.post("/staff/invite/", invite)
    assert response.status_code == 302
    assert http.post("/settings/messaging/", {"policy": "all"}).status_code == 302
    alpha.practice.refresh_from_db()
    assert alpha.practice.messaging_policy == "all"
    with schema_context(alpha.practice.schema_name):
        assert list(StaffInvitation.objects.values_list("email", flat=True)) == [
            "nia@example.org"]
    with schema_context(beta.practice.schema_name):
        assert StaffInvitation.objects.count() == 0


def test_past_due_and_trialing_are_not_read_only(alpha: PracticeWorld) -> None:
    for state in (BillingState.PAST_DUE, BillingState.TRIALING):
        set_billing_state(alpha, state)
        response = alpha.http(alpha.owner).post("/settings/messaging/", {"policy": "all"})
        assert response.status_code == 302, state


def test_an_active_practice_is_unaffected(alpha: PracticeWorld, beta: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.UNPAID)
    set_billing_state(beta, BillingState.ACTIVE)
    alpha_before = snapshot(alpha.practice)
    invite = {"full_name": "Nia Newhire", "email": "nia@example.org", "role": "clinician"}

    assert beta.http(beta.owner).post("/staff/invite/", invite).status_code == 302
    assert beta.http(beta.owner).post("/settings/messaging/",
                                      {"policy": "all"}).status_code == 302
    page = beta.http(beta.owner).get("/staff/").content.decode()

    beta.practice.refresh_from_db()
    assert beta.practice.messaging_policy == "all"
    assert "readonly-banner" not in page
    with schema_context(beta.practice.schema_name):
        assert StaffInvitation.objects.count() == 1
    assert snapshot(alpha.practice) == alpha_before


def test_the_billing_pages_refuse_everyone_but_the_owner(alpha: PracticeWorld) -> None:
    """The owner's way out (paying) stays open to the owner alone: see the middleware tests in
    test_reading_and_signing_in.py. Everyone else is refused there too."""
    set_billing_state(alpha, BillingState.UNPAID)
    clinician, billing = alpha.http(alpha.clinician), alpha.http(alpha.billing)
    before = snapshot(alpha.practice)
    billing_paths = [path for path, _name in tenant_routes()
                     if path.startswith("/" + BILLING_PREFIX)]
    for path in billing_paths:
        for http in (clinician, billing):
            assert http.post(path, {"plan": "group", "interval": "month"}).status_code == 403
    assert snapshot(alpha.practice) == before
