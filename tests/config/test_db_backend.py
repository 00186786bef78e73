"""The database backend lists the tables of the schema in use, as django-tenants' does."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import inside

pytestmark = pytest.mark.django_db


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def test_in_a_tenant_schema_the_tenant_tables_are_listed_and_the_shared_ones_are_not(
        tenant_a):
    with inside(tenant_a):
        tables = _tables()
    assert {"integrations_flow", "django_migrations"} <= tables
    assert "tenants_tenant" not in tables


def test_in_the_public_schema_the_shared_tables_are_listed(db):
    connection.set_schema_to_public()
    tables = _tables()
    assert {"tenants_tenant", "billing_plan", "django_migrations"} <= tables
    assert "integrations_flow" not in tables


def _catalog_listing(schema: str) -> set[tuple[str, str]]:
    from config.db.base import _PINNED_TABLES

    with connection.cursor() as cursor:
        cursor.execute(_PINNED_TABLES, [schema])
        return {(row[0], row[1]) for row in cursor.fetchall()}


def test_the_listing_through_schema_dependencies_is_every_relation_the_catalog_has(tenant_a):
    with inside(tenant_a), connection.cursor() as cursor:
        listed = {(t.name, t.type) for t in connection.introspection.get_table_list(cursor)}

    assert listed == _catalog_listing(tenant_a.schema_name)


def test_a_table_and_a_view_made_by_plain_sql_are_listed_with_their_kinds(tenant_a):
    with inside(tenant_a), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE zz_raw (id int)")
        cursor.execute("CREATE VIEW zz_raw_view AS SELECT id FROM zz_raw")
        listed = {(t.name, t.type) for t in connection.introspection.get_table_list(cursor)}

    assert {("zz_raw", "t"), ("zz_raw_view", "v")} <= listed


def test_a_table_moved_to_another_schema_is_listed_only_there(tenant_a, tenant_b):
    with inside(tenant_a), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE zz_moving (id int)")
        cursor.execute(f'ALTER TABLE zz_moving SET SCHEMA "{tenant_b.schema_name}"')
        in_a = set(connection.introspection.table_names(cursor))
    with inside(tenant_b), connection.cursor() as cursor:
        in_b = set(connection.introspection.table_names(cursor))

    assert "zz_moving" not in in_a
    assert "zz_moving" in in_b
