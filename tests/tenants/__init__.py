"""Tenancy, provisioning and operator-console tests, and the few helpers they share."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse
from django.test import Client

from tests.conftest import PASSWORD


def sign_in(http: Client, email: str, password: str = PASSWORD) -> HttpResponse:
    """Sign in through the real view, as a browser would (django-axes sees every attempt)."""
    return http.post("/accounts/sign-in/", {"username": email, "password": password})


def schema_names(prefix: str = "p_") -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
            [prefix.replace("_", r"\_") + "%"],
        )
        return {row[0] for row in cursor.fetchall()}


def table_row_counts(schema_name: str) -> dict[str, int]:
    """Every table of a schema with its number of rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [schema_name],
        )
        tables = sorted(row[0] for row in cursor.fetchall())
        quote = connection.ops.quote_name
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {quote(schema_name)}.{quote(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts
