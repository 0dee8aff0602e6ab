"""``field__any=[...]``: ``field = ANY(%s)``, the list sent as one array parameter.

Django writes ``field__in=[...]`` as ``IN (%s, %s, ...)``: a placeholder per value, each value
prepared on its own, and a query text that changes with the list's length, which psycopg parses
afresh every time. For the few hundred ids of a caseload that is a millisecond or two a query;
one array parameter costs the same whatever the length. Django has no such lookup, hence these
few lines (registered for every field by ``tenants.apps``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return list(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, self.rhs)


def register() -> None:
    Field.register_lookup(AnyOf)
    # Relations keep their own lookups (ForeignObject does not inherit Field's): ``client__any``
    # compares the foreign key's column.
    ForeignObject.register_lookup(AnyOf)
