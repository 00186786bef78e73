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
