"""Reading stamps: the database marks each client whose clinical data changed, so a reading
computed from that data can be kept until it changes (practice.today.readings).

A client's headlines and expected-path status are read from their responses, episodes of care
and appointments. The triggers below give the client a new random stamp
(`outcomes_readingstamp`) in the same statement, and so the same transaction, as any insert,
update or delete of their rows in those tables, whoever writes (the ORM, `bulk_create`, a
queryset `update`, raw SQL, a migration). Row 0 is the practice's own: its adopted calibrations
and practice-defined instruments. A reading is kept under the stamps it was computed from; a
reader takes the stamps before the data, so it can never keep old data under a new stamp.

Triggers rather than signals: signals miss `bulk_create`, `update()` and SQL, and a stale
"reliable deterioration" or "not on track" is a patient-safety defect. Statement-level, so a
bulk insert of years of history costs one upsert per client, not per row; one trigger per event,
as PostgreSQL allows transition tables only on a trigger of one event.
"""

from __future__ import annotations

import pgtrigger

STAMP_TABLE = "outcomes_readingstamp"
# The practice-wide row: what every client's reading also depends on.
PRACTICE_ROW = 0

_UPSERT = (
    "INSERT INTO " + STAMP_TABLE + " (client_id, stamp) "
    "SELECT changed.client_id, gen_random_uuid() FROM ({rows}) AS changed "
    "WHERE changed.client_id IS NOT NULL ORDER BY changed.client_id "
    "ON CONFLICT (client_id) DO UPDATE SET stamp = EXCLUDED.stamp; RETURN NULL;"
)


def client_stamp_triggers() -> list[pgtrigger.Trigger]:
    """For a model with a `client` column: the client of every row written gets a new stamp.
    The clients are upserted in id order, so two statements lock their stamps in one order."""
    def trigger(name: str, operation: pgtrigger.Operation, referencing: pgtrigger.Referencing,
                rows: str) -> pgtrigger.Trigger:
        return pgtrigger.Trigger(name=name, operation=operation, when=pgtrigger.After,
                                 level=pgtrigger.Statement, referencing=referencing,
                                 func=_UPSERT.format(rows=rows))

    return [
        trigger("reading_stamp_insert", pgtrigger.Insert, pgtrigger.Referencing(new="new_rows"),
                "SELECT DISTINCT client_id FROM new_rows"),
        trigger("reading_stamp_update", pgtrigger.Update,
                pgtrigger.Referencing(old="old_rows", new="new_rows"),
                "SELECT client_id FROM old_rows UNION SELECT client_id FROM new_rows"),
        trigger("reading_stamp_delete", pgtrigger.Delete, pgtrigger.Referencing(old="old_rows"),
                "SELECT DISTINCT client_id FROM old_rows"),
    ]


def practice_stamp_trigger() -> pgtrigger.Trigger:
    """For a practice-wide input of every reading (calibrations, practice-defined instruments):
    any write gives row 0 a new stamp."""
    return pgtrigger.Trigger(
        name="reading_stamp_practice", when=pgtrigger.After, level=pgtrigger.Statement,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        func=_UPSERT.format(rows=f"SELECT {PRACTICE_ROW}::bigint AS client_id"))
