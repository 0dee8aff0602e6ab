"""The operator's fleet view: per-practice figures computed on three practices of known sizes,
totals across the fleet, a fixed number of queries, no clinical table in the SQL of any operator
page, and the "migrate all" job (progress, per-practice failures listed and retried, never two
at once)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants import error_counts, fleet
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tenants.models import Domain, MigrationRun, Practice
from tests.conftest import PASSWORD, PracticeWorld, make_practice

SIGNED_IN_AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _operator_http(operator: User) -> Client:
    from django.conf import settings

    http = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    with schema_context("public"):
        http.force_login(operator)
    return http


def _grow(world: PracticeWorld, *, clients: int, audit_rows: int) -> None:
    """Known sizes: extra active clients, and audit rows that take pages on disk."""
    with schema_context(world.practice.schema_name):
        for number in range(clients):
            User.objects.create_user(f"extra{number}@example.org", PASSWORD,
                                     full_name=f"Extra {number}", role=Role.CLIENT)
        AuditEvent.objects.bulk_create(
            AuditEvent(action="test.filler", object_type="filler", object_id=str(n),
                       detail={"padding": "x" * 200}) for n in range(audit_rows))


def _analyze(*worlds: PracticeWorld) -> None:
    with connection.cursor() as cursor:
        for world in worlds:
            schema = world.practice.schema_name
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
            for (table,) in cursor.fetchall():
                cursor.execute(f'ANALYZE "{schema}"."{table}"')


def _schema_bytes(schema: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(pg_total_relation_size(format('%%I.%%I', "
                       "schemaname, tablename)::regclass)), 0) FROM pg_tables "
                       "WHERE schemaname = %s", [schema])
        return int(cursor.fetchone()[0])


@pytest.fixture
def gamma(db: Any) -> PracticeWorld:
    return make_practice("gamma", "Gamma Care")


def test_fleet_figures_on_three_practices_of_known_sizes(
    alpha: PracticeWorld, beta: PracticeWorld, gamma: PracticeWorld, settings: Any
) -> None:
    _grow(alpha, clients=20, audit_rows=3000)
    _grow(beta, clients=5, audit_rows=600)
    with schema_context(alpha.practice.schema_name):
        User.objects.filter(pk=alpha.client.pk).update(last_login=SIGNED_IN_AT)
        audit_rows = {"alpha": AuditEvent.objects.count()}
    with schema_context(beta.practice.schema_name):
        audit_rows["beta"] = AuditEvent.objects.count()
        # beta misses a migration: its state says so.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM "
                           "django_migrations WHERE app = 'practice')")
    _analyze(alpha, beta, gamma)
    Practice.objects.filter(pk=alpha.practice.pk).update(plan_key="group",
                                                        billing_state="active")
    Domain.objects.create(domain="portal.alpha-therapy.test", tenant=alpha.practice,
                          is_primary=False, is_custom=True, verified_at=SIGNED_IN_AT,
                          failing_since=SIGNED_IN_AT)
    with schema_context(alpha.practice.schema_name):
        logging.getLogger("practice.test").error("something broke")
    error_counts.flush()

    practices = list(Practice.objects.order_by("name"))
    rows = {row.practice.subdomain: row for row in fleet.fleet_health(practices)}
    assert {name: (row.staff, row.clients) for name, row in rows.items()} == {
        "alpha": (4, 21), "beta": (4, 6), "gamma": (4, 1)}
    assert rows["alpha"].last_client_sign_in == SIGNED_IN_AT
    assert rows["alpha"].last_staff_sign_in is None and rows["gamma"].last_activity is None
    for name, world in [("alpha", alpha), ("beta", beta), ("gamma", gamma)]:
        assert rows[name].size_bytes == _schema_bytes(world.practice.schema_name)
    assert rows["alpha"].size_bytes > rows["beta"].size_bytes > rows["gamma"].size_bytes
    assert rows["alpha"].largest_tables[0].name == "audit_auditevent"
    assert rows["alpha"].largest_tables[0].rows == audit_rows["alpha"]
    assert rows["beta"].largest_tables[0].rows == audit_rows["beta"]
    assert len(rows["alpha"].largest_tables) == fleet.LARGEST_TABLES
    assert {name: row.migrations_pending for name, row in rows.items()} == {
        "alpha": False, "beta": True, "gamma": False}
    assert rows["alpha"].errors is not None and rows["alpha"].errors.count == 1
    assert rows["alpha"].errors.last_logger == "practice.test"
    assert rows["beta"].errors is not None and rows["beta"].errors.count == 0
    assert rows["alpha"].domain is not None and rows["alpha"].domain.custom_status == "failing"
    assert rows["beta"].domain is None

    totals = fleet.fleet_totals(largest=2)
    assert (totals.practices, totals.staff, totals.clients) == (3, 12, 28)
    assert totals.by_plan == {"-": 2, "group": 1}
    assert totals.by_billing_state == {"active": 1, "trialing": 2}
    assert totals.by_state == {"active": 3}
    assert [row.practice.subdomain for row in totals.largest] == ["alpha", "beta"]
    assert totals.size_bytes == sum(row.size_bytes for row in rows.values())


def test_the_fleet_page_shows_them_in_a_fixed_number_of_queries(
    alpha: PracticeWorld, beta: PracticeWorld, operator: User,
    django_assert_num_queries: Any,
) -> None:
    http = _operator_http(operator)
    http.get("/operator/fleet/")
    with CaptureQueriesContext(connection) as two:
        page = http.get("/operator/fleet/")
    assert page.status_code == 200
    body = page.content.decode()
    assert '<dd id="total-practices">2</dd>' in body
    assert '<dd id="total-clients">2</dd>' in body
    assert "up to date" in body
    make_practice("gamma", "Gamma Care")
    with CaptureQueriesContext(connection) as three:
        assert '<dd id="total-practices">3</dd>' in http.get(
            "/operator/fleet/").content.decode()
    assert len(three.captured_queries) == len(two.captured_queries)


def _clinical_tables() -> set[str]:
    """Every table of the clinical apps: what a practice records about its clients."""
    labels = {config.label for config in apps.get_app_configs()
              if config.name == "portal" or config.name.startswith("practice")}
    return {model._meta.db_table for model in apps.get_models()
            if model._meta.app_label in labels}


def test_no_operator_page_queries_a_clinical_table(
    alpha: PracticeWorld, beta: PracticeWorld, operator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    clinical = _clinical_tables()
    assert {"practice_goal", "portal_clientaccess"} <= clinical  # the list is the real one
    http = _operator_http(operator)
    with django_capture_on_commit_callbacks(execute=False):
        run = fleet.migration_run_start(actor=Actor.of(operator))
    pages = ["/operator/", "/operator/fleet/", "/operator/migrations/",
             f"/operator/migrations/{run.pk}/progress/",
             f"/operator/practices/{alpha.practice.pk}/suspend/",
             f"/operator/practices/{alpha.practice.pk}/schedule-deletion/",
             "/billing/", f"/billing/practices/{alpha.practice.pk}/"]
    statements = []
    for path in pages:
        with CaptureQueriesContext(connection) as captured:
            assert http.get(path).status_code == 200, path
        statements += [query["sql"] for query in captured.captured_queries]
    assert any("accounts_user" in sql for sql in statements)  # the capture sees the counts
    touched = {table for table in clinical for sql in statements
               if re.search(rf'(?<![\w]){re.escape(table)}(?![\w])', sql)}
    assert touched == set()


def test_migrate_all_lists_failures_retries_them_and_never_runs_twice(
    alpha: PracticeWorld, beta: PracticeWorld, operator: User, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tenants.management.commands import migrate_platform as command

    public_steps: list[str] = []
    monkeypatch.setattr(fleet, "call_command",
                        lambda name, **options: public_steps.append(name))
    real = command.run_migrations
    beta_schema = beta.practice.schema_name

    def flaky(args: Any, options: Any, executor: str, schema: str, **kwargs: Any) -> None:
        if schema == beta_schema:
            raise RuntimeError("could not obtain lock on relation\nDETAIL: more")
        real(args, options, executor, schema, **kwargs)

    monkeypatch.setattr(command, "run_migrations", flaky)
    http = _operator_http(operator)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = http.post("/operator/migrations/")
    assert response.status_code == 302 and len(enqueued) == 1
    run = MigrationRun.objects.get()
    # Never two at once: a second start is refused while this one runs.
    second = http.post("/operator/migrations/", follow=True)
    assert fleet.ALREADY_RUNNING in second.content.decode()
    assert MigrationRun.objects.count() == 1
    progress = http.get(f"/operator/migrations/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in progress

    run = fleet.migration_run_execute(run_id=run.pk)
    assert public_steps == ["migrate_platform"]
    assert (run.status, run.done, run.total) == ("failed", 2, 2)
    assert run.failures == {beta_schema: {
        "practice_id": beta.practice.pk,
        "error": "RuntimeError: could not obtain lock on relation"}}
    page = http.get("/operator/migrations/").content.decode()
    assert "Retry the failed practices" in page and beta_schema in page
    assert 'hx-trigger' not in page

    monkeypatch.setattr(command, "run_migrations", real)
    with django_capture_on_commit_callbacks(execute=False):
        assert http.post("/operator/migrations/", {"retry": str(run.pk)}).status_code == 302
    retry = MigrationRun.objects.exclude(pk=run.pk).get()
    assert retry.only_schemas == [beta_schema]
    retry = fleet.migration_run_execute(run_id=retry.pk)
    assert (retry.status, retry.done, retry.total, retry.failures) == ("succeeded", 1, 1, {})
    assert public_steps == ["migrate_platform"]  # a retry re-runs only the practices
    assert list(AuditEvent.objects.filter(action="platform.migrate_all_started")
                .values_list("detail", flat=True).order_by("pk")) == [{}, {"retry_of": run.pk}]


def test_only_operators_reach_the_fleet(alpha: PracticeWorld, beta: PracticeWorld) -> None:
    from django.conf import settings

    anonymous = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    assert anonymous.get("/operator/fleet/")["Location"] == \
        "/accounts/sign-in/?next=/operator/fleet/"
    assert anonymous.post("/operator/migrations/").status_code == 302
    assert not MigrationRun.objects.exists()
    owner = alpha.http(alpha.owner)
    assert owner.get("/operator/fleet/").status_code == 404
    assert owner.get("/operator/migrations/").status_code == 404
