"""Per-practice backup, restore and moves between databases (docs/scaling.md)."""

from tenants.backup.postgres import BackupError
from tenants.backup.services import (
    ImportResult,
    database_url_for,
    practice_export,
    practice_import,
    practice_move,
)

__all__ = [
    "BackupError",
    "ImportResult",
    "database_url_for",
    "practice_export",
    "practice_import",
    "practice_move",
]
