"""Spare practice schemas (tenants.spares): cloned ahead of signups, claimed inside the
provisioning transaction, given back by a failed signup, never used once the template moved on,
and dropped by the next refill. Each test runs in its own rolled-back transaction, DDL included."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from config.scheduler import JOBS
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.models import SpareSchema
from tenants.services import PracticeSignup, ProvisioningError, practice_provision
from tenants.spares import spare_schemas_refill, template_fingerprint
from tests.conftest import PASSWORD
from tests.tenants import schema_names
from tests.tenants.test_provisioning import _catalog

pytestmark = pytest.mark.django_db

TEMPLATE = settings.TENANT_BASE_SCHEMA


def _signup(subdomain: str) -> PracticeSignup:
    return PracticeSignup(practice_name="Spare Care", subdomain=subdomain,
                          owner_name="Sam Owner", owner_email=f"sam@{subdomain}.example.org",
                          owner_password=PASSWORD)


def _spares() -> list[str]:
    return list(SpareSchema.objects.order_by("created_at", "pk")
                .values_list("schema_name", flat=True))


@pytest.fixture
def pool(settings) -> list[str]:
    settings.SPARE_SCHEMAS = 2
    assert spare_schemas_refill() == (2, 0)
    return _spares()


def test_a_refill_clones_spares_identical_to_the_template_and_stops_at_the_size(pool) -> None:
    assert len(pool) == 2
    assert set(pool) <= schema_names()
    for name in pool:
        assert name.startswith("p_") and len(name) == 22
        assert _catalog(name) == _catalog(TEMPLATE)
    assert spare_schemas_refill() == (0, 0)
    assert spare_schemas_refill(size=3) == (1, 0)
    assert len(_spares()) == 3


def test_a_signup_takes_the_oldest_spare_and_the_practice_works(pool, settings,
                                                                django_capture_on_commit_callbacks
                                                                ) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        practice, owner = practice_provision(signup=_signup("spare-one"), actor=Actor.SYSTEM)
    assert practice.schema_name == pool[0]
    assert _spares() == pool[1:]
    # The pool is topped up after the signup commits (the job, not the person, waits).
    assert [callback.__name__ for callback in callbacks] == ["_refill_spares_soon"]
    with schema_context(practice.schema_name):
        assert User.objects.get().role == Role.OWNER
    assert Client(HTTP_HOST="spare-one.localhost").get("/").status_code in (200, 302)
    connection.set_schema_to_public()

    second, _ = practice_provision(signup=_signup("spare-two"), actor=Actor.SYSTEM)
    third, _ = practice_provision(signup=_signup("spare-three"), actor=Actor.SYSTEM)
    assert second.schema_name == pool[1]
    assert third.schema_name not in pool  # none left: cloned while the signup waits
    assert _catalog(third.schema_name) == _catalog(pool[1])


def test_a_failed_signup_gives_its_spare_back(pool) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RAISE EXCEPTION 'injected failure'; END $$")
        for name in pool:
            cursor.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON {name}.accounts_user "
                           "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse()")
    with pytest.raises(ProvisioningError):
        practice_provision(signup=_signup("spare-fail"), actor=Actor.SYSTEM)
    assert _spares() == pool
    assert set(pool) <= schema_names()


def test_spares_of_an_older_template_are_never_used_and_the_next_refill_drops_them(pool
                                                                                   ) -> None:
    before = template_fingerprint()
    with connection.cursor() as cursor:  # a migration reaches the template
        cursor.execute(f"INSERT INTO {TEMPLATE}.django_migrations (app, name, applied) "
                       "VALUES ('probe', '0001_probe', now())")
    assert template_fingerprint() != before

    practice, _ = practice_provision(signup=_signup("spare-stale"), actor=Actor.SYSTEM)
    assert practice.schema_name not in pool
    assert _spares() == pool

    assert spare_schemas_refill() == (2, 2)
    assert not set(pool) & schema_names()
    fresh = _spares()
    assert not set(fresh) & set(pool)
    assert set(SpareSchema.objects.values_list("fingerprint", flat=True)) == {
        template_fingerprint()}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {fresh[0]}.django_migrations WHERE app = 'probe'")
        assert cursor.fetchone()[0] == 1


def test_a_spare_whose_schema_went_missing_is_skipped(pool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {pool[0]} CASCADE")
    practice, _ = practice_provision(signup=_signup("spare-missing"), actor=Actor.SYSTEM)
    assert practice.schema_name == pool[1]
    assert _spares() == []


def test_with_the_pool_off_nothing_is_cloned_ahead_and_no_refill_is_asked(
        settings, django_capture_on_commit_callbacks) -> None:
    settings.SPARE_SCHEMAS = 0
    assert spare_schemas_refill() == (0, 0)
    with django_capture_on_commit_callbacks() as callbacks:
        practice_provision(signup=_signup("spare-off"), actor=Actor.SYSTEM)
    assert callbacks == []
    assert _spares() == []


def test_the_scheduler_keeps_the_pool_filled() -> None:
    assert [job.per_practice for job in JOBS if job.actor_name == "spare_schemas_refill_job"
            ] == [False]


def test_the_operator_sees_the_pool_on_the_fleet_page(pool, operator) -> None:
    from tests.tenants.test_fleet import _operator_http

    http = _operator_http(operator)
    assert '<dd id="spares">2 ready</dd>' in http.get("/operator/fleet/").content.decode()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TEMPLATE}.django_migrations (app, name, applied) "
                       "VALUES ('probe', '0001_probe', now())")
    assert ('<dd id="spares">0 ready, 2 of an older template (dropped at the next refill)</dd>'
            in http.get("/operator/fleet/").content.decode())


def test_a_broker_outage_after_the_signup_commits_loses_nothing(pool, monkeypatch,
                                                               django_capture_on_commit_callbacks
                                                               ) -> None:
    """The refill is asked for after the commit; with Redis unreachable then, the signup still
    succeeds (the callback is robust) and the scheduler's periodic refill catches up."""
    import redis

    from tenants.tasks import spare_schemas_refill_job

    def unreachable(*args, **kwargs):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(spare_schemas_refill_job, "send", unreachable)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        practice, _ = practice_provision(signup=_signup("spare-outage"), actor=Actor.SYSTEM)
    assert len(callbacks) == 1
    assert practice.schema_name == pool[0]
