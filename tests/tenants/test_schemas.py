"""New tenant schemas are copies of the template schema, equal to a migrated one."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from tenants.models import Tenant
from tenants.services import tenant_create, tenant_template_sync
from tests.conftest import inside

pytestmark = pytest.mark.django_db


def _shape(schema: str) -> dict[str, set[tuple[str, ...]]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name, data_type, is_nullable, "
                       "coalesce(column_default, ''), is_identity FROM information_schema.columns "
                       "WHERE table_schema = %s", [schema])
        columns = set(cursor.fetchall())
        cursor.execute("SELECT conrelid::regclass::text, conname, contype, "
                       "pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE connamespace = %s::regnamespace", [schema])
        constraints = {(table.split(".")[-1], name, kind, definition.replace(f"{schema}.", ""))
                       for table, name, kind, definition in cursor.fetchall()}
        cursor.execute("SELECT tablename, indexname, replace(indexdef, %s, '') FROM pg_indexes "
                       "WHERE schemaname = %s", [f"{schema}.", schema])
        indexes = set(cursor.fetchall())
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
        migrations = set(cursor.fetchall())
    return {"columns": columns, "constraints": constraints, "indexes": indexes,
            "migrations": migrations}


@pytest.fixture
def migrated_schema():
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "t_by_migrations"')
    call_command("migrate_schemas", tenant=True, schema_name="t_by_migrations",
                 interactive=False, verbosity=0)
    connection.set_schema_to_public()
    return "t_by_migrations"


@pytest.fixture
def cloned() -> Tenant:
    connection.set_schema_to_public()
    return tenant_create(name="Cloned", slug="cloned-co", owner_email="owner@cloned.example.com",
                         owner_password="pw-long-enough-123")


def test_a_cloned_schema_has_every_table_column_constraint_and_index_of_a_migrated_one(
        cloned, migrated_schema):
    copy, migrated = _shape(cloned.schema_name), _shape(migrated_schema)

    for part in ("columns", "constraints", "indexes"):
        assert copy[part] == migrated[part], part
    assert len(copy["columns"]) > 100


def test_a_cloned_schema_records_the_same_migrations_as_a_migrated_one(cloned, migrated_schema):
    assert _shape(cloned.schema_name)["migrations"] == _shape(migrated_schema)["migrations"]


def test_a_cloned_schema_takes_new_rows_after_the_copied_ones(cloned):
    with inside(cloned):
        copied = ContentType.objects.count()
        ContentType.objects.create(app_label="scale", model="probe")

        assert ContentType.objects.count() == copied + 1 > 1


def test_the_template_schema_is_never_a_tenant_and_is_kept_migrated():
    connection.set_schema_to_public()
    template = tenant_template_sync()

    assert template == settings.TENANT_BASE_SCHEMA
    assert not Tenant.objects.filter(schema_name=template).exists()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{template}".django_migrations')  # noqa: S608
        assert cursor.fetchone()[0] > 0
