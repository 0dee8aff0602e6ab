"""Suite-wide fixtures: a real PostgreSQL (test database with the practice template migrated),
a real Redis (flushed between tests), a real SMTP server, and practices made the way signup
makes them. There is no default practice: every test names the ones it uses."""

from __future__ import annotations

import email
import email.policy
import itertools
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from portal.consent import current_consent
from portal.models import ConsentAcceptance
from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tenants.models import Practice
from tenants.services import PracticeSignup, practice_provision

# Time in tests is explicit: the `clock` fixture and the --clock-at guard (tests/clock.py).
pytest_plugins = ["tests.clock"]

PASSWORD = "correct-horse-battery-9"


# --- SMTP -----------------------------------------------------------------------------------

@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture(autouse=True)
def mailbox(smtp_server: tuple[Mailbox, int], settings: Any) -> Mailbox:
    box, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    box.clear()
    return box


# --- PostgreSQL and Redis ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        call_command("migrate_platform", skip_practices=True, verbosity=0)


@pytest.fixture(autouse=True)
def _clean_redis_and_schema() -> Iterator[None]:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    yield
    connection.set_schema_to_public()


# --- Practices and people ----------------------------------------------------------------------

_counter = itertools.count(1)


@dataclass
class PracticeWorld:
    """A practice and one person in each role, all with the same password."""

    practice: Practice
    owner: User
    clinician: User
    front_desk: User
    billing: User
    client: User

    @property
    def host(self) -> str:
        return f"{self.practice.subdomain}.{settings.PLATFORM_DOMAIN}"

    def http(self, user: User | None = None) -> Client:
        http = Client(HTTP_HOST=self.host)
        if user is not None:
            with schema_context(self.practice.schema_name):
                http.force_login(user)
        return http


def make_practice(subdomain: str, name: str | None = None,
                  emails_prefix: str = "") -> PracticeWorld:
    """Provision a practice as signup does, and fill each role. Look-alike practices get the
    same emails (and, being fresh schemas, the same ids)."""
    practice, owner = practice_provision(
        signup=PracticeSignup(
            practice_name=name or f"Practice {subdomain}",
            subdomain=subdomain,
            owner_name="Olivia Owner",
            owner_email=f"{emails_prefix}owner@example.org",
            owner_password=PASSWORD,
        ),
        acting_user=None,
    )
    people = {}
    with schema_context(practice.schema_name):
        for role, name_ in [(Role.CLINICIAN, "Casey Clinician"),
                            (Role.FRONT_DESK, "Frankie Desk"),
                            (Role.BILLING, "Billie Billing"),
                            (Role.CLIENT, "Chris Client")]:
            people[role.value] = User.objects.create_user(
                f"{emails_prefix}{role.value.replace('_', '')}@example.org", PASSWORD,
                full_name=name_, role=role,
            )
        # The world's client uses the portal as after an invitation: consent accepted (an
        # account that never accepted is held at the consent page, tests/portal/).
        ConsentAcceptance.objects.create(user=people["client"], version=current_consent().version)
        # Check the deferred foreign keys now, as a commit would: a test that drops this
        # schema in its transaction must find no pending trigger events.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    connection.set_schema_to_public()
    return PracticeWorld(practice, owner, people["clinician"], people["front_desk"],
                         people["billing"], people["client"])


@pytest.fixture
def practice_factory(db: Any) -> Any:
    return make_practice


@pytest.fixture
def alpha(db: Any) -> PracticeWorld:
    return make_practice("alpha", "Alpha Therapy")


@pytest.fixture
def beta(db: Any) -> PracticeWorld:
    """The second practice every tenant-facing test needs: same emails, same ids."""
    return make_practice("beta", "Beta Counselling")


@pytest.fixture
def operator(db: Any) -> User:
    with schema_context("public"):
        return User.objects.create_user("ops@tandem.test", PASSWORD, full_name="Opal Operator",
                                        role=Role.OPERATOR)


@pytest.fixture
def public_http() -> Client:
    return Client(HTTP_HOST=settings.PLATFORM_DOMAIN)


@pytest.fixture
def media_root(tmp_path: Any, settings: Any) -> Any:
    """A fresh MEDIA_ROOT. django-tenants caches the tenant media root and forgets it only when
    MULTITENANT_RELATIVE_MEDIA_ROOT changes, so that setting is re-set after MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


# --- committed (transactional) tests ---------------------------------------------------------

def _practice_schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'p\\_%%'")
        return {row[0] for row in cursor.fetchall()}


def _let_the_next_flush_truncate_audit() -> None:
    """A transactional test ends with TRUNCATE of every public table, which the append-only
    audit table refuses by design. This one-shot wrapper sets pgtrigger's ignore variable for
    that statement's transaction only (set_config(..., true)), then removes itself."""
    trigger_names = ",".join(
        trigger.get_pgid(AuditEvent) for trigger in AuditEvent._meta.triggers  # type: ignore
    )

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not str(sql).lstrip().upper().startswith("TRUNCATE"):
            return execute(sql, params, many, context)
        connection.execute_wrappers.remove(wrapper)
        execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + trigger_names + "}"],
                False, context)
        return execute(sql, params, many, context)

    connection.execute_wrappers.append(wrapper)


@pytest.fixture
def committed_db(transactional_db: Any) -> Iterator[None]:
    """Writes are committed (a worker thread's or another connection's reads see them).

    Afterwards: drop the practice schemas the test made (the flush that ends a transactional test
    empties public tables but drops no schema), and let that flush truncate the audit table."""
    before = _practice_schemas()
    yield
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for schema in _practice_schemas() - before:
            cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
    _let_the_next_flush_truncate_audit()
