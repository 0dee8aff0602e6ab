"""Django's database connection as django-tenants makes it, for the type checker.

django-tenants' backend knows the schema it is in and moves between schemas (`schema_name`,
`set_tenant`, `set_schema`, `set_schema_to_public`); Django's stubs know only the base backend.
`connection` here is Django's own `django.db.connection`, the same object, typed with what
django-tenants adds: the modules that use those import it from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import connection as _connection

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    class TenantDatabaseWrapper(BaseDatabaseWrapper):
        schema_name: str
        # A Practice, or django-tenants' FakeTenant after set_schema()/set_schema_to_public().
        tenant: Any
        search_path_set_schemas: list[str] | None

        def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...

        def set_schema(self, schema_name: str, include_public: bool = True,
                       tenant_type: str | None = None) -> None: ...

        def set_schema_to_public(self) -> None: ...


connection = cast("TenantDatabaseWrapper", _connection)
