"""Spare practice schemas, cloned ahead of time so a signup does not wait for the clone.

Cloning the template is about 600 DDL statements; with a thousand practices in the database it
takes a second or more on a busy server (the catalogue it writes into is large). A signup
needs none of that work to be done while the person waits: the job `spare_schemas_refill`
keeps `SPARE_SCHEMAS` clones ready, each already under the random name a practice's schema
gets (`p_` and 20 hex digits, never derived from the practice), with a row here saying which
template it was cloned from. `spare_claim()` takes one inside the provisioning transaction
(`SELECT ... FOR UPDATE SKIP LOCKED`, so two signups never take the same one, and a failed
signup's rollback gives it back); the practice simply gets that name. Nothing is renamed, so
nothing in the schema (function bodies, trigger definitions) can point at an old name.

A spare is only used while the template is exactly as it was when the spare was cloned: its
fingerprint is the template's migration history (count and last id). After a migration the old
spares are never claimed, and the next refill drops them. With no spare ready (pool size 0, as
in tests and on a fresh start, or after a burst of signups), provisioning clones as before.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import connection, transaction

from tenants.cloning import clone_schema
from tenants.models import SpareSchema

logger = logging.getLogger(__name__)

# One refill at a time across processes (a transaction-level advisory lock on this key).
_REFILL_LOCK = 0x7A4D_5350  # "zMSP"


def new_schema_name() -> str:
    # Not derived from the subdomain: a practice can rename its subdomain, never its schema.
    return f"p_{uuid.uuid4().hex[:20]}"


def template_fingerprint() -> str:
    """The template's migration history in brief: any migration applied to it changes it."""
    template = connection.ops.quote_name(settings.TENANT_BASE_SCHEMA)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"{template}.django_migrations"])
        if cursor.fetchone()[0] is None:
            return "no template"
        cursor.execute(f"SELECT count(*), coalesce(max(id), 0) FROM {template}.django_migrations")
        count, last = cursor.fetchone()
    return f"{count}:{last}"


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def spare_counts() -> tuple[int, int]:
    """(ready, stale): spares a signup can take now, and spares of an older template that the
    next refill drops. For the operator's fleet page."""
    fingerprint = template_fingerprint()
    ready = SpareSchema.objects.filter(fingerprint=fingerprint).count()
    return ready, SpareSchema.objects.count() - ready


def spare_claim() -> str | None:
    """Take a ready spare for the practice being provisioned, in the caller's transaction: its
    schema name, or None when none matches the template as it is now. A rolled-back caller
    leaves the spare in the pool."""
    assert connection.in_atomic_block, "a spare is claimed inside the provisioning transaction"
    if not SpareSchema.objects.exists():
        return None
    fingerprint = template_fingerprint()
    while True:
        spare = (SpareSchema.objects.select_for_update(skip_locked=True)
                 .filter(fingerprint=fingerprint).order_by("created_at", "pk").first())
        if spare is None:
            return None
        spare.delete()
        if _schema_exists(spare.schema_name):
            return spare.schema_name
        logger.warning("spare schema %s was missing; its row is dropped", spare.schema_name)


def spare_schemas_refill(*, size: int | None = None) -> tuple[int, int]:
    """Drop spares cloned from an older template, then clone until `size` (the setting
    SPARE_SCHEMAS by default) are ready. Each spare is its own transaction, committed as soon
    as it is ready. Returns (created, dropped). A second refill running at the same time does
    nothing."""
    size = settings.SPARE_SCHEMAS if size is None else size
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFILL_LOCK])
        if not cursor.fetchone()[0]:
            return 0, 0
    try:
        with transaction.atomic():
            fingerprint = template_fingerprint()
            dropped = _drop_stale(fingerprint)
            ready = SpareSchema.objects.filter(fingerprint=fingerprint).count()
        created = 0
        for _ in range(max(size - ready, 0)):
            with transaction.atomic():
                name = new_schema_name()
                clone_schema(settings.TENANT_BASE_SCHEMA, name)
                SpareSchema.objects.create(schema_name=name, fingerprint=fingerprint)
            created += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFILL_LOCK])
    return created, dropped


def _drop_stale(fingerprint: str) -> int:
    stale = list(SpareSchema.objects.select_for_update(skip_locked=True)
                 .exclude(fingerprint=fingerprint))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for spare in stale:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(spare.schema_name)} CASCADE")
            spare.delete()
    return len(stale)
