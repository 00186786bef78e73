"""django-tenants' PostgreSQL backend with a table listing that reads one schema's tables.

Django lists tables with ``pg_table_is_visible()`` over the whole ``pg_class`` catalog, and
``migrate`` lists them for every schema it visits (is ``django_migrations`` there?). With a
thousand tenant schemas the catalog holds hundreds of thousands of rows, so a no-op
``migrate_schemas`` grew with the square of the tenant count. django-tenants sets the
search path to the one schema it introspects; this listing reads that schema's tables only.

``pg_class`` has no index on the namespace alone, so even a filter on it scans the whole
catalog (45 ms a listing at 1,000 tenants, four listings a schema in a migrate). Every
relation records a dependency on its schema in ``pg_depend``, which is indexed by what is
depended on: the listing follows those entries to ``pg_class`` by oid, 0.4 ms at any size.
The schemas PostgreSQL pins (``pg_catalog``, ``information_schema``) have no such entries and
are listed by namespace.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.introspection import TableInfo
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.postgresql_backend.introspection import (
    DatabaseSchemaIntrospection,
)

_TABLES = """
    SELECT c.relname,
           CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
           obj_description(c.oid, 'pg_class')
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_class c ON c.oid = d.objid AND c.relnamespace = d.refobjid
    WHERE d.classid = 'pg_catalog.pg_class'::regclass
      AND d.refclassid = 'pg_catalog.pg_namespace'::regclass
      AND d.refobjid = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s)
      AND d.objsubid = 0 AND c.relkind IN ('f', 'm', 'p', 'r', 'v')
"""
_PINNED_TABLES = """
    SELECT c.relname,
           CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
           obj_description(c.oid, 'pg_class')
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND n.nspname = %s
"""
_PINNED = {"pg_catalog", "information_schema"}


class SchemaTableIntrospection(DatabaseSchemaIntrospection):
    def get_table_list(self, cursor: Any) -> list[TableInfo]:
        # The tables of the connection's schema only: what django-tenants' search path
        # (that schema alone) makes visible, less pg_catalog's, which Django skips anyway.
        schema = self.connection.schema_name
        cursor.execute(_PINNED_TABLES if schema in _PINNED else _TABLES, [schema])
        return [TableInfo(*row) for row in cursor.fetchall()
                if row[0] not in self.ignored_tables]


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # django-tenants sets its own introspection here rather than by introspection_class.
        self.introspection = SchemaTableIntrospection(self)
