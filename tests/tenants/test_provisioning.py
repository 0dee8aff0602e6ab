"""Provisioning a practice: the subdomain rules, all-or-nothing cloning of the template schema,
and a template that carries every migration to the practices cloned from it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.models import Domain, Practice
from tenants.services import PracticeSignup, ProvisioningError, practice_provision
from tenants.subdomains import subdomain_problem
from tests.conftest import PASSWORD, PracticeWorld
from tests.tenants import schema_names

pytestmark = pytest.mark.django_db

TEMPLATE = settings.TENANT_BASE_SCHEMA
RESERVED = ["www", "admin", "api", "app", "static", "media", "mail", "help", "support", "status",
            "billing", "portal"]
LOWERCASE_ONLY = "Use only lowercase letters (a-z), digits and hyphens."
HYPHEN_AT_EDGE = "A hyphen can only stand inside the subdomain, not at its start or end."
MALFORMED = [
    ("Alpha", LOWERCASE_ONLY),
    ("ALPHA", LOWERCASE_ONLY),
    ("my_practice", LOWERCASE_ONLY),
    ("my.practice", LOWERCASE_ONLY),
    ("my practice", LOWERCASE_ONLY),
    ("café", LOWERCASE_ONLY),
    ("ｐｒａｃｔｉｃｅ", LOWERCASE_ONLY),
    ("practice\n", LOWERCASE_ONLY),
    ("-practice", HYPHEN_AT_EDGE),
    ("practice-", HYPHEN_AT_EDGE),
    ("prac--tice", "Use single hyphens only."),
    ("ab", "Use 3 to 40 characters (this has 2)."),
    ("a" * 41, "Use 3 to 40 characters (this has 41)."),
    ("", "Choose a subdomain."),
]
TAKEN = "That subdomain is already taken. Choose another."
OUR_SIDE = ("We could not create your practice because of a problem on our side. Nothing was "
            "kept; please try again.")


def _signup(subdomain: str, practice_name: str = "Gamma Care") -> PracticeSignup:
    return PracticeSignup(practice_name=practice_name, subdomain=subdomain,
                          owner_name="Gabriel Owner", owner_email="gabriel@example.org",
                          owner_password=PASSWORD)


def _footprint() -> tuple[int, int, set[str], int, int]:
    """Everything provisioning could leave behind on the platform's side."""
    with schema_context("public"):
        return (Practice.objects.count(), Domain.objects.count(), schema_names(),
                AuditEvent.objects.count(), User.objects.count())


def _applied(schema_name: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app, name FROM {connection.ops.quote_name(schema_name)}.django_migrations"
        )
        return set(cursor.fetchall())


def _columns(schema_name: str) -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, is_nullable, is_identity"
            " FROM information_schema.columns WHERE table_schema = %s",
            [schema_name],
        )
        return set(cursor.fetchall())


def _tables(schema_name: str) -> set[str]:
    return {row[0] for row in _columns(schema_name)}


def _triggers(schema_name: str) -> set[tuple[str, str]]:
    """(table, trigger) of every user trigger; information_schema leaves out TRUNCATE ones."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND NOT t.tgisinternal",
            [schema_name],
        )
        return set(cursor.fetchall())


# --- subdomain rules ---------------------------------------------------------------------------

@pytest.mark.parametrize("subdomain", RESERVED)
def test_reserved_subdomains_are_refused(subdomain: str) -> None:
    assert subdomain_problem(subdomain) == (
        f"“{subdomain}” is reserved for the platform. Choose another."
    )


@pytest.mark.parametrize(("subdomain", "message"), MALFORMED)
def test_malformed_subdomains_are_refused(subdomain: str, message: str) -> None:
    assert subdomain_problem(subdomain) == message


@pytest.mark.parametrize("subdomain", ["abc", "a" * 40, "a-b", "x9z", "practice-2", "123"])
def test_well_formed_subdomains_pass(subdomain: str) -> None:
    assert subdomain_problem(subdomain) is None


@pytest.mark.parametrize(("subdomain", "message"), [
    *[(name, f"“{name}” is reserved for the platform. Choose another.") for name in RESERVED],
    *MALFORMED,
])
def test_the_service_refuses_a_bad_subdomain_and_creates_nothing(
    subdomain: str, message: str
) -> None:
    before = _footprint()

    with pytest.raises(ProvisioningError) as refused:
        practice_provision(signup=_signup(subdomain), actor=Actor.SYSTEM)

    assert refused.value.message == message
    assert refused.value.field == "subdomain"
    assert _footprint() == before


def test_the_service_refuses_a_subdomain_in_use_and_changes_nothing(
    alpha: PracticeWorld,
) -> None:
    before = _footprint()

    with pytest.raises(ProvisioningError) as refused:
        practice_provision(signup=_signup("alpha"), actor=Actor.SYSTEM)

    assert refused.value.message == TAKEN
    assert refused.value.field == "subdomain"
    assert _footprint() == before
    assert Practice.objects.get(subdomain="alpha").name == "Alpha Therapy"
    with schema_context(alpha.practice.schema_name):
        assert list(User.objects.filter(role=Role.OWNER).values_list("email", flat=True)) == [
            "owner@example.org"
        ]


@pytest.mark.parametrize("subdomain", ["abc", "a" * 40])
def test_the_shortest_and_longest_subdomains_are_provisioned(subdomain: str) -> None:
    practice, owner = practice_provision(signup=_signup(subdomain), actor=Actor.SYSTEM)

    assert Practice.objects.get(pk=practice.pk).subdomain == subdomain
    assert list(Domain.objects.filter(tenant=practice).values_list("domain", flat=True)) == [
        f"{subdomain}.localhost"
    ]
    response = Client(HTTP_HOST=f"{subdomain}.localhost").get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/"


# --- all or nothing -------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_failure_midway_through_provisioning_leaves_nothing_behind(committed_db: None) -> None:
    template = connection.ops.quote_name(TEMPLATE)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION public.tandem_test_refuse_insert() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
        )
        # The clone copies triggers, so creating the owner fails after the schema exists.
        cursor.execute(
            f"CREATE TRIGGER tandem_test_refuse_insert BEFORE INSERT ON {template}.accounts_user"
            " FOR EACH ROW EXECUTE FUNCTION public.tandem_test_refuse_insert()"
        )
    try:
        before = _footprint()

        with pytest.raises(ProvisioningError) as refused:
            practice_provision(signup=_signup("gamma"), actor=Actor.SYSTEM)
        signup_page = Client(HTTP_HOST=settings.PLATFORM_DOMAIN).post("/signup/", {
            "practice_name": "Gamma Care", "subdomain": "gamma", "owner_name": "Gabriel Owner",
            "owner_email": "gabriel@example.org", "owner_password": PASSWORD,
        })

        assert refused.value.message == OUR_SIDE
        assert isinstance(refused.value.__cause__, DatabaseError)
        assert "injected failure" in str(refused.value.__cause__)
        assert signup_page.status_code == 400
        assert "Nothing was kept; please try again." in signup_page.content.decode()
        assert 'id="handoff"' not in signup_page.content.decode()
        assert _footprint() == before
        assert Practice.objects.filter(subdomain="gamma").count() == 0
        assert Domain.objects.filter(domain="gamma.localhost").count() == 0
        assert AuditEvent.objects.filter(action="practice.provisioned").count() == 0
        assert Client(HTTP_HOST="gamma.localhost").get("/").status_code == 404
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS tandem_test_refuse_insert ON {template}"
                           ".accounts_user")
            cursor.execute("DROP FUNCTION IF EXISTS public.tandem_test_refuse_insert()")

    # Nothing of the attempt is in the way: the same signup now goes through.
    practice, owner = practice_provision(signup=_signup("gamma"), actor=Actor.SYSTEM)
    with schema_context(practice.schema_name):
        assert list(User.objects.values_list("email", "role")) == [
            ("gabriel@example.org", Role.OWNER)
        ]
    assert schema_names() == before[2] | {practice.schema_name}


# --- the template carries every migration -----------------------------------------------------

def test_the_template_is_fully_migrated_and_a_clone_is_identical(alpha: PracticeWorld) -> None:
    graph = MigrationLoader(connection).graph
    template_applied = _applied(TEMPLATE)
    tenant_labels = [config.label for config in apps.get_app_configs()
                     if config.name in settings.TENANT_APPS]

    assert template_applied == set(graph.nodes)
    for label in tenant_labels:
        assert set(graph.leaf_nodes(label)) <= template_applied, label
    schema = alpha.practice.schema_name
    assert _applied(schema) == template_applied
    assert _columns(schema) == _columns(TEMPLATE)
    assert {"accounts_user", "audit_auditevent", "django_session", "axes_accessattempt",
            "practice_staffinvitation"} <= _tables(schema)
    tenant_models = [model for config in apps.get_app_configs()
                     if config.name in settings.TENANT_APPS for model in config.get_models()]
    assert AuditEvent in tenant_models
    assert _triggers(schema) == _triggers(TEMPLATE) == {
        (model._meta.db_table, trigger.get_pgid(model))
        for model in tenant_models
        for trigger in getattr(model._meta, "triggers", [])
    }


@pytest.mark.django_db(transaction=True)
def test_a_new_migration_reaches_the_template_and_every_practice(committed_db: None) -> None:
    try:
        # Stand-in for a migration that is new to the template: take `practice` back to zero.
        call_command("migrate_schemas", "practice", "zero", schema_name=TEMPLATE,
                     interactive=False, verbosity=0)
        assert ("practice", "0001_initial") not in _applied(TEMPLATE)
        assert "practice_staffinvitation" not in _tables(TEMPLATE)
        earlier, _ = practice_provision(signup=_signup("earlier"), actor=Actor.SYSTEM)
        assert "practice_staffinvitation" not in _tables(earlier.schema_name)

        call_command("migrate_platform", verbosity=0)

        assert ("practice", "0001_initial") in _applied(TEMPLATE)
        assert "practice_staffinvitation" in _tables(TEMPLATE)
        assert ("practice", "0001_initial") in _applied(earlier.schema_name)
        assert "practice_staffinvitation" in _tables(earlier.schema_name)
        later, _ = practice_provision(signup=_signup("later"), actor=Actor.SYSTEM)
        for practice in (earlier, later):
            assert _applied(practice.schema_name) == _applied(TEMPLATE)
            assert _columns(practice.schema_name) == _columns(TEMPLATE)
        # The owner of the later practice can use what the migration brought.
        http = Client(HTTP_HOST="later.localhost")
        assert http.post("/accounts/sign-in/", {"username": "gabriel@example.org",
                                                "password": PASSWORD}).status_code == 302
        assert http.get("/staff/").status_code == 200
    finally:
        call_command("migrate_platform", skip_practices=True, verbosity=0)
        assert "practice_staffinvitation" in _tables(TEMPLATE)


def _catalog(schema: str) -> dict[str, list[str]]:
    """Indexes, constraints, functions and identity columns of a schema, with its name
    replaced, so two schemas can be compared object for object."""
    queries = {
        "indexes": "SELECT indexdef FROM pg_indexes WHERE schemaname = %s",
        "constraints": """SELECT c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            WHERE c.relnamespace = %s::regnamespace""",
        "functions": """SELECT p.proname || ' ' || md5(p.prosrc) FROM pg_proc p
            WHERE p.pronamespace = %s::regnamespace""",
        "relations": """SELECT c.relkind::text || ' ' || c.relname FROM pg_class c
            WHERE c.relnamespace = %s::regnamespace""",
        "columns": """SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid,
                a.atttypmod) || ' ' || a.attnotnull::text || ' '
                || COALESCE(pg_get_expr(d.adbin, d.adrelid), '')
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' AND a.attnum > 0
              AND NOT a.attisdropped""",
        "identity": """SELECT c.relname || '.' || a.attname || ' ' || a.attidentity::text
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = %s::regnamespace AND a.attidentity <> ''""",
    }
    found = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [schema])
            found[name] = sorted(row[0].replace(schema, "<schema>") for row in cursor.fetchall())
    return found


def test_a_clone_has_every_index_constraint_function_and_identity_of_the_template(
    alpha: PracticeWorld,
) -> None:
    clone, template = _catalog(alpha.practice.schema_name), _catalog(TEMPLATE)
    assert clone == template
    assert len(template["indexes"]) >= 20
    assert any("FOREIGN KEY" in constraint for constraint in template["constraints"])


def test_a_clone_continues_its_sequences_after_the_template_rows(alpha: PracticeWorld) -> None:
    with schema_context(alpha.practice.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM django_migrations")
        (highest,) = cursor.fetchone()
        cursor.execute("INSERT INTO django_migrations (app, name, applied) "
                       "VALUES ('probe', 'probe', now()) RETURNING id")
        (new_id,) = cursor.fetchone()
    assert new_id == highest + 1
