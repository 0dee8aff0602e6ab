"""Every operation of the REST API, as each role, fed by schemathesis from the OpenAPI schema the
API publishes: no answer is a server error, and every answer matches what the schema documents.

The demo practice (all modules' data) stands in for a practice in use; generated path ids are
mixed with the ids of real rows, so the operations are exercised past their 404. Requests go
through the WSGI application in-process, in the test's transaction, with a real session sign-in
and its CSRF token, on the practice's host."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client as WerkzeugClient

from practice.demo import seed_demo
from practice.demo_logins import DEMO_PASSWORD, DEMO_SUBDOMAIN
from tenants.models import Practice
from tests.conftest import PracticeWorld

# Examples per operation and role (the explicit schema examples come on top). Small, so the
# whole run stays within about a minute on two cores; derandomized, so a run is repeatable.
MAX_EXAMPLES = 3
ROLES = {
    "owner": "owner@demo.localhost",
    "clinician": "clinician@demo.localhost",
    "front_desk": "frontdesk@demo.localhost",
    "client": "client@demo.localhost",
}
CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass
class Tally:
    operations: set[str] = field(default_factory=set)
    examples: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    answered: set[tuple[str, int]] = field(default_factory=set)  # (role, status)
    failures: dict[str, str] = field(default_factory=dict)  # the first, by operation and role


@contextmanager
def in_process_wsgi() -> Iterator[list[BaseException]]:
    """As Django's test client does: a request must not close the test's connection (it would
    end the test's transaction). Exceptions a view raises are kept for the failure report."""
    raised: list[BaseException] = []

    def keep(sender: Any, request: Any = None, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            raised.append(error)

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(keep)
    try:
        yield raised
    finally:
        got_request_exception.disconnect(keep)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def sign_in(host: str, email: str) -> tuple[dict[str, str], str]:
    """A real sign-in through the sign-in page: the session and CSRF cookies, and the token."""
    http = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    http.get("/accounts/sign-in/")
    answer = http.post("/accounts/sign-in/", {
        "username": email, "password": DEMO_PASSWORD,
        "csrfmiddlewaretoken": http.cookies[settings.CSRF_COOKIE_NAME].value})
    assert answer.status_code == 302, (email, answer.status_code)
    token = http.cookies[settings.CSRF_COOKIE_NAME].value  # rotated at sign-in
    cookies = {settings.SESSION_COOKIE_NAME: http.cookies[settings.SESSION_COOKIE_NAME].value,
               settings.CSRF_COOKIE_NAME: token}
    return cookies, token


def published_schema(host: str, cookies: dict[str, str]) -> dict[str, Any]:
    http = Client(HTTP_HOST=host)
    for name, value in cookies.items():
        http.cookies[name] = value
    answer = http.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert answer.status_code == 200, answer.status_code
    return answer.json()


def known_ids() -> dict[str, Any]:
    """Path parameters of rows that exist in the demo practice, by name ("forms/..." and
    "engagement/..." paths name theirs alike, so they get their own)."""
    from practice.appointments.models import Appointment
    from practice.documents.models import Document
    from practice.engagement import rules
    from practice.formbuilder.models import FormAssignment, FormTemplate
    from practice.invoices.models import Invoice
    from practice.measurement.models import Alert, Assignment, Response
    from practice.messaging.models import Conversation, Message
    from practice.notifications.models import Notification
    from tenants.accounts.models import User

    def first(model: Any, **lookups: Any) -> int:
        return model.objects.filter(**lookups).order_by("pk").values_list("pk", flat=True)[0]

    client = User.objects.get(email=ROLES["client"])
    return {
        "client_id": client.pk,
        "clinician_id": User.objects.get(email=ROLES["clinician"]).pk,
        "assignment_id": first(Assignment, client=client),
        "response_id": first(Response, client=client, status=Response.Status.SUBMITTED),
        "alert_id": first(Alert),
        "appointment_id": first(Appointment, client=client),
        "conversation_id": first(Conversation, client=client),
        "message_id": first(Message),
        "document_id": first(Document, client=client),
        "invoice_id": first(Invoice, client=client),
        "notification_id": first(Notification),
        "template_id": first(FormTemplate),
        "number": 1,
        "key": "phq9",
        "forms/": {"assignment_id": first(FormAssignment, client=client)},
        "engagement/": {"key": sorted(rules.BY_KEY)[0]},
    }


def path_parameters(ids: dict[str, Any], path: str) -> dict[str, Any]:
    known = {name: value for name, value in ids.items() if not name.endswith("/")}
    for prefix in ("forms/", "engagement/"):
        if path.startswith(f"/api/v1/{prefix}"):
            known |= ids[prefix]
    return known


@dataclass(frozen=True)
class RoleSession:
    """One role signed in to the practice's host: its cookie jar (in `client`) and CSRF token."""

    role: str
    base_url: str
    token: str
    client: WerkzeugClient


def exercise(operation: Any, *, session: RoleSession, ids: dict[str, Any], tally: Tally,
             raised: list[BaseException]) -> None:
    role = session.role
    names = {parameter["name"] for parameter in operation.definition.raw.get("parameters", [])
             if parameter.get("in") == "path"}
    known = path_parameters(ids, operation.path)
    fixed = {name: known[name] for name in names if name in known}
    # Valid requests and invalid ones (wrong types, missing fields), at generated and at real ids.
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(mode) for mode in modes]
    if fixed:
        strategies += [operation.as_strategy(mode, path_parameters=fixed) for mode in modes]
    strategy = st.one_of(*strategies)
    label = f"{role} {operation.label}"
    tally.operations.add(operation.label)

    @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                         derandomize=True, phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        tally.examples += 1
        raised.clear()
        try:
            response = case.call(base_url=session.base_url, session=session.client,
                                 headers={"X-CSRFToken": session.token})
        except Exception as error:
            tally.failures.setdefault(label, f"{case.method} {case.formatted_path} raised "
                                      + "".join(traceback.format_exception(error)[-8:]))
            raise
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        tally.answered.add((role, response.status_code))
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as error:
            detail = "".join(traceback.format_exception(raised[-1])[-6:]) if raised else ""
            tally.failures.setdefault(label, f"{case.method} {case.formatted_path} "
                                             f"{response.status_code}\n{error}\n{detail}")
            raise

    try:
        run()
    except (Exception, BaseExceptionGroup):
        pass  # recorded in the tally; the other operations still run


def beta_rows(beta: PracticeWorld) -> dict[str, int]:
    """What the look-alike practice holds, table by table (its audit trail included)."""
    from django.apps import apps

    with schema_context(beta.practice.schema_name):
        return {model._meta.label: model.objects.count() for model in apps.get_models()
                if model._meta.app_label in ("practice", "accounts", "audit")}


def test_every_operation_as_every_role_conforms_and_never_errors(db: Any, media_root: Any,
                                                                 beta: PracticeWorld) -> None:
    seed_demo()
    beta_before = beta_rows(beta)
    practice = Practice.objects.get(subdomain=DEMO_SUBDOMAIN)
    host = f"{practice.subdomain}.{settings.PLATFORM_DOMAIN}"
    with schema_context(practice.schema_name):
        ids = known_ids()
    sessions = {role: sign_in(host, email) for role, email in ROLES.items()}
    schema = schemathesis.openapi.from_dict(published_schema(host, sessions["owner"][0]))
    schema.app = WSGIHandler()
    tally = Tally()
    started = time.perf_counter()
    with in_process_wsgi() as raised:
        for role, (cookies, token) in sessions.items():
            # The role's own cookie jar, for the practice's host (the transport's jar is for
            # "localhost" only).
            wsgi_client = WerkzeugClient(schema.app)
            for name, value in cookies.items():
                wsgi_client.set_cookie(name, value, domain=host)
            session = RoleSession(role, f"http://{host}", token, wsgi_client)
            for result in schema.get_all_operations():
                exercise(result.ok(), session=session, ids=ids, tally=tally, raised=raised)
    took = time.perf_counter() - started
    for label, failure in tally.failures.items():
        print(f"FAILURE {label}: {failure}")
    print(f"\nschemathesis: {len(tally.operations)} operations x {len(ROLES)} roles, "
          f"{tally.examples} examples, {len(tally.failures)} failures, {took:.1f} s, "
          f"statuses {sorted(tally.statuses.items())}")
    assert sorted(tally.failures) == []
    # The operations were reached past the sign-in and the CSRF check, not only refused.
    assert {role for role, status in tally.answered if 200 <= status < 300} == set(ROLES)
    assert beta_rows(beta) == beta_before
