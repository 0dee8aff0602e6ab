"""Suite-wide fixtures: a real PostgreSQL (test database with the practice template migrated),
a real Redis (flushed between tests), a real SMTP server, and practices made the way signup
makes them. There is no default practice: every test names the ones it uses."""

from __future__ import annotations

import copy
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
from django.db import connection, transaction
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from portal.consent import current_consent
from portal.models import ConsentAcceptance
from tenants.accounts.models import Role, User
from tenants.actor import Actor
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
    # A request in Spanish leaves Spanish active on this thread (LocaleMiddleware activates and
    # nothing deactivates): the next test starts in the default language, whatever ran before.
    translation.deactivate()


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
        actor=Actor.SYSTEM,
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


# --- The look-alike practices, made once per worker ----------------------------------------------
#
# Cloning a practice schema costs about two seconds, and most tests want `alpha` and `beta`. They
# are made once per xdist worker and committed; each test then runs inside the transaction that
# pytest-django rolls back, so whatever it writes (DDL included) is gone afterwards. Three things
# keep that equivalent to fresh practices:
#   - sequences are not transactional, so every test starts with each look-alike schema's
#     sequences set back to where they were when it was made (the ids tests rely on: alpha's and
#     beta's people have the same ids, and so do the first rows a test adds to each);
#   - a test that did not ask for a look-alike does not see it: its public rows, the public audit
#     row of its provisioning included, are deleted inside that test's transaction (and so come
#     back afterwards);
#   - a test whose writes are committed (transactional_db: threads, other connections, a live
#     server) gets fresh practices made the old way, after the shared ones are dropped; the
#     shared ones are made again when a rolled-back test next needs them (pytest-django runs the
#     committed tests last, so that is rare).

LOOKALIKES = {"alpha": "Alpha Therapy", "beta": "Beta Counselling"}


@dataclass
class _SharedLookalikes:
    worlds: dict[str, PracticeWorld]
    reset_sequences_sql: str


_shared: _SharedLookalikes | None = None


def _is_committed_test(request: pytest.FixtureRequest) -> bool:
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        return True
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or
                            marker.kwargs.get("reset_sequences")))


def _uses_db(request: pytest.FixtureRequest) -> bool:
    return "db" in request.fixturenames or request.node.get_closest_marker("django_db") is not None


def _make_shared_lookalikes() -> _SharedLookalikes:
    worlds = {subdomain: make_practice(subdomain, name) for subdomain, name in LOOKALIKES.items()}
    connection.set_schema_to_public()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname = ANY(%s)",
            [[world.practice.schema_name for world in worlds.values()]],
        )
        sequences = [f"{quote(schema)}.{quote(name)}" for schema, name in cursor.fetchall()]
        # pg_sequences shows no last_value for a sequence set but not yet read (is_called false,
        # as the clone leaves them): read each sequence itself.
        cursor.execute(" UNION ALL ".join(
            f"SELECT '{sequence}', last_value, is_called FROM {sequence}" for sequence in sequences
        ))
        state = cursor.fetchall()
    setvals = [f"setval('{sequence}', {last}, {is_called})" for sequence, last, is_called in state]
    return _SharedLookalikes(worlds, "SELECT " + ", ".join(setvals))


def _hide_public_audit_of(practice_ids: list[int]) -> None:
    """The public provisioning rows of look-alikes a test must not see: inside a rolled-back
    test's transaction (they come back afterwards), or for good when the look-alikes are dropped.
    Append-only holds again right after the one statement."""
    trigger_names = ",".join(
        trigger.get_pgid(AuditEvent) for trigger in AuditEvent._meta.triggers  # type: ignore
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)",
                       ["{" + trigger_names + "}"])
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE object_type = 'practice' AND object_id = ANY(%s)",
            [[str(pk) for pk in practice_ids]],
        )
        cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")


def _drop_shared_lookalikes(shared: _SharedLookalikes) -> None:
    connection.set_schema_to_public()
    ids = [world.practice.pk for world in shared.worlds.values()]
    with transaction.atomic():
        with connection.cursor() as cursor:
            for world in shared.worlds.values():
                cursor.execute(f"DROP SCHEMA IF EXISTS "
                               f"{connection.ops.quote_name(world.practice.schema_name)} CASCADE")
        Practice.objects.filter(pk__in=ids).delete()
        _hide_public_audit_of(ids)


@pytest.fixture
def _lookalikes(request: pytest.FixtureRequest, django_db_setup: Any,
                django_db_blocker: Any) -> _SharedLookalikes | None:
    """The shared look-alikes, made (committed) before the test's transaction begins. Collection
    puts this fixture first for every test that uses `alpha` or `beta`, ahead of `db`."""
    global _shared
    if _is_committed_test(request):
        return None
    if _shared is None:
        with django_db_blocker.unblock():
            if connection.in_atomic_block:  # set up after `db` after all: made and rolled back
                return _make_shared_lookalikes()
            _shared = _make_shared_lookalikes()
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(_shared.reset_sequences_sql)  # once, before alpha or beta adds a row
    return _shared


@pytest.fixture(autouse=True)
def _lookalikes_in_their_place(request: pytest.FixtureRequest) -> None:
    """Committed tests start with no shared look-alikes (their flush would orphan them; they make
    their own); rolled-back tests see only the look-alikes they asked for."""
    global _shared
    if _shared is None:
        return
    if _is_committed_test(request):
        with request.getfixturevalue("django_db_blocker").unblock():
            _drop_shared_lookalikes(_shared)
        _shared = None
        return
    if not _uses_db(request):
        return
    request.getfixturevalue("db")
    unwanted = [world.practice.pk for subdomain, world in _shared.worlds.items()
                if subdomain not in request.fixturenames]
    if unwanted:
        Practice.objects.filter(pk__in=unwanted).delete()
        _hide_public_audit_of(unwanted)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is not None and ("alpha" in names or "beta" in names):
            if "_lookalikes" in names:
                names.remove("_lookalikes")
            names.insert(0, "_lookalikes")


def _lookalike(request: pytest.FixtureRequest, shared: _SharedLookalikes | None,
               subdomain: str) -> PracticeWorld:
    if shared is None:  # a committed test: a fresh practice of its own
        return make_practice(subdomain, LOOKALIKES[subdomain])
    return copy.deepcopy(shared.worlds[subdomain])


@pytest.fixture
def alpha(request: pytest.FixtureRequest, _lookalikes: _SharedLookalikes | None,
          db: Any) -> PracticeWorld:
    return _lookalike(request, _lookalikes, "alpha")


@pytest.fixture
def beta(request: pytest.FixtureRequest, _lookalikes: _SharedLookalikes | None,
         db: Any) -> PracticeWorld:
    """The second practice every tenant-facing test needs: same emails, same ids."""
    return _lookalike(request, _lookalikes, "beta")


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
