"""Cloning the migrated practice template into a new schema, in the caller's transaction.

django-tenants' clone function walks information_schema for every object, which slows down as the
database holds more schemas (about 3 s per practice with 200 present). This clone reads only
pg_catalog rows of the template's namespace, so its cost does not grow with the number of
practices: functions, tables (`LIKE`: columns, defaults, identity), the template's rows
(migration history, content types, permissions), identity sequences, then constraints, indexes,
foreign keys and triggers under their template names (later migrations refer to them by name).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

_FUNCTIONS = """
    SELECT pg_get_functiondef(p.oid) FROM pg_proc p
    WHERE p.pronamespace = %s::regnamespace AND p.prokind = 'f' ORDER BY p.oid
"""
_TABLES = """
    SELECT c.relname, c.oid::bigint FROM pg_class c
    WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.oid
"""
_IDENTITY_COLUMNS = """
    SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p')
      AND a.attidentity <> '' AND a.attnum > 0 AND NOT a.attisdropped
"""
_CONSTRAINTS = """
    SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    WHERE c.relnamespace = %s::regnamespace AND k.contype IN ('p', 'u', 'c', 'x')
    ORDER BY k.oid
"""
_INDEXES = """
    SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    WHERE c.relnamespace = %s::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
    ORDER BY i.indexrelid
"""
_FOREIGN_KEYS = """
    SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    WHERE c.relnamespace = %s::regnamespace AND k.contype = 'f' ORDER BY k.oid
"""
_TRIGGERS = """
    SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal ORDER BY t.oid
"""


def _retarget(sql: str, source: str, target: str) -> str:
    """Point schema-qualified names in catalog output from the template to the new schema."""
    quote = connection.ops.quote_name
    return sql.replace(f"{quote(source)}.", f"{quote(target)}.").replace(
        f"{source}.", f"{quote(target)}.")


# Stands for the new schema's name in the cached script (a name no schema has).
_TARGET = "tandem_clone_target"
# The template's script, with the template's tables and the shape it was read from.
_cached: dict[str, tuple[str, list[int], tuple[Any, ...]]] = {}
# What the template looks like, read through the catalogue's indexes only (by the tables' oids;
# a scan by namespace costs more with every practice): its applied migrations, and the tables,
# columns, constraints, indexes and triggers of the tables the script was read from. Any
# migration, and any change made to those tables by hand, changes it.
_SHAPE = """
    SELECT (SELECT count(*) FROM {schema}.django_migrations),
           (SELECT coalesce(max(id), 0) FROM {schema}.django_migrations),
           (SELECT count(*) FROM pg_class WHERE oid = ANY(%(oids)s::oid[])),
           (SELECT count(*) FROM pg_attribute WHERE attrelid = ANY(%(oids)s::oid[]) AND attnum > 0
                AND NOT attisdropped),
           (SELECT count(*) FROM pg_constraint WHERE conrelid = ANY(%(oids)s::oid[])),
           (SELECT count(*) FROM pg_index WHERE indrelid = ANY(%(oids)s::oid[])),
           (SELECT count(*) FROM pg_trigger WHERE tgrelid = ANY(%(oids)s::oid[]))
"""


def clone_schema(source: str, target: str) -> None:
    """Create `target` as a copy of `source` (structure and rows). Runs in the current
    transaction: if anything later fails, the whole schema disappears with the rollback.

    The statements are read from the catalogue once per process and template shape and sent to
    the server as one script: reading them costs more as the catalogue grows with every
    practice, and 600 statements one by one are 600 round trips."""
    quote = connection.ops.quote_name
    key = f"{connection.settings_dict['NAME']}|{source}"
    with connection.cursor() as cursor:
        cached = _cached.get(key)
        if cached is not None and _shape(cursor, source, cached[1]) != cached[2]:
            cached = None
        if cached is None:
            script, oids = _build_script(cursor, source)
            cached = (script, oids, _shape(cursor, source, oids))
            _cached[key] = cached
        cursor.execute(cached[0].replace(quote(_TARGET), quote(target)))


def _shape(cursor: Any, source: str, oids: list[int]) -> tuple[Any, ...]:
    cursor.execute(_SHAPE.format(schema=connection.ops.quote_name(source)), {"oids": oids})
    return (len(oids), *cursor.fetchone())


def _build_script(cursor: Any, source: str) -> tuple[str, list[int]]:
    """Every statement that makes a copy of `source` in the schema named `_TARGET`: functions,
    tables (`LIKE`: columns, defaults, identity), the template's rows (migration history,
    content types, permissions), identity sequences, then constraints (one ALTER TABLE per
    table), indexes, foreign keys (one ALTER TABLE per table) and triggers, under their
    template names (later migrations refer to them by name)."""
    quote = connection.ops.quote_name
    target = _TARGET
    src, dst = quote(source), quote(target)
    statements = [f"CREATE SCHEMA {dst}"]
    cursor.execute(_FUNCTIONS, [source])
    statements += [_retarget(definition, source, target) for (definition,) in cursor.fetchall()]
    cursor.execute(_TABLES, [source])
    found = cursor.fetchall()
    tables, oids = [name for name, _oid in found], [oid for _name, oid in found]
    statements += [
        f"CREATE TABLE {dst}.{quote(table)} (LIKE {src}.{quote(table)} "
        "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING COMMENTS "
        "INCLUDING STORAGE)" for table in tables]
    statements += [f"INSERT INTO {dst}.{quote(table)} OVERRIDING SYSTEM VALUE "
                   f"SELECT * FROM {src}.{quote(table)}" for table in tables]
    cursor.execute(_IDENTITY_COLUMNS, [source])
    for table, column in cursor.fetchall():
        qualified = f"{dst}.{quote(table)}".replace("'", "''")
        statements.append(
            f"SELECT setval(pg_get_serial_sequence('{qualified}', '{column}'), "
            f"COALESCE((SELECT max({quote(column)}) FROM {dst}.{quote(table)}), 0) + 1, false)")
    cursor.execute(_CONSTRAINTS, [source])
    statements += _altered(cursor.fetchall(), source, target)
    cursor.execute(_INDEXES, [source])
    statements += [_retarget(definition, source, target) for (definition,) in cursor.fetchall()]
    cursor.execute(_FOREIGN_KEYS, [source])
    statements += _altered(cursor.fetchall(), source, target)
    cursor.execute(_TRIGGERS, [source])
    statements += [_retarget(definition, source, target) for (definition,) in cursor.fetchall()]
    return ";\n".join(statements), oids


def _altered(rows: list[tuple[str, str, str]], source: str, target: str) -> list[str]:
    """One ALTER TABLE per table adding all of its constraints (in catalogue order)."""
    quote = connection.ops.quote_name
    by_table: dict[str, list[str]] = {}
    for table, name, definition in rows:
        by_table.setdefault(table, []).append(
            f"ADD CONSTRAINT {quote(name)} {_retarget(definition, source, target)}")
    return [f"ALTER TABLE {quote(target)}.{quote(table)} {', '.join(parts)}"
            for table, parts in by_table.items()]
