"""Log records carry the schema they were written in; never the data."""

from __future__ import annotations

import logging

from django.db import connection


class SchemaFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.schema = getattr(connection, "schema_name", "-")
        except Exception:  # noqa: BLE001 - logging must never fail
            record.schema = "-"
        return True
