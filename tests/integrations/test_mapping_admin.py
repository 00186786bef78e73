"""Mappings and lookup tables in the staff's tenant-data admin: import, export, preview."""

import io
import json
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from integrations.models import LookupEntry, Mapping, Operation
from integrations.services.mappings import lookup_table_set, mapping_create
from integrations.tasks import operation_run_task
from tenants.models import Tenant
from tests.conftest import TEST_PASSWORD, inside

pytestmark = pytest.mark.django_db

PUBLIC = "localhost"
BASE = "/admin/tenant/alpha/integrations"
CSV, JSON_FORMAT, XLSX = "0", "1", "2"


@pytest.fixture
def staff(client, django_db_setup):
    with schema_context("public"):
        User.objects.create_superuser("root@clarity.example.com", TEST_PASSWORD)
    client.login(username="root@clarity.example.com", password=TEST_PASSWORD)
    return client


def _import(staff, model: str, filename: str, content: bytes, fmt: str):
    """Upload, check the dry-run preview, then confirm, as a person clicks through."""
    preview = staff.post(f"{BASE}/{model}/import/", {
        "resource": "0", "format": fmt,
        "import_file": SimpleUploadedFile(filename, content)}, HTTP_HOST=PUBLIC)
    page = preview.content.decode()
    hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    return page, hidden


def _confirm(staff, model: str, hidden: dict):
    fields = {k: hidden[k] for k in ("import_file_name", "original_file_name", "format",
                                     "resource") if k in hidden}
    response = staff.post(f"{BASE}/{model}/process_import/", fields, HTTP_HOST=PUBLIC)
    # The confirmed import is queued as an operation: run it here as the worker would.
    with inside(Tenant.objects.get(slug="alpha")):
        operation_run_task.fn(Operation.objects.latest("pk").pk)
    return response


def test_lookup_entries_import_from_csv_after_a_dry_run_preview(staff, tenant_a):
    connection.set_schema_to_public()
    csv = b"table,key,value\nchannels,1,WEB\nchannels,3,EBAY\n"
    page, hidden = _import(staff, "lookupentry", "channels.csv", csv, CSV)
    assert "EBAY" in page
    with inside(tenant_a):
        assert not LookupEntry.objects.exists()

    _confirm(staff, "lookupentry", hidden)

    with inside(tenant_a):
        assert dict(LookupEntry.objects.values_list("key", "value")) == {"1": "WEB", "3": "EBAY"}


def test_lookup_entries_export_as_xlsx(staff, tenant_a):
    lookup_table_set(name="channels", entries={"1": "WEB"})
    connection.set_schema_to_public()
    response = staff.post(f"{BASE}/lookupentry/export/", {
        "format": XLSX, "resource": "0", "lookupentryresource_table": "on",
        "lookupentryresource_key": "on", "lookupentryresource_value": "on"}, HTTP_HOST=PUBLIC)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert list(sheet.iter_rows(values_only=True)) == [("table", "key", "value"),
                                                        ("channels", "1", "WEB")]


def _doc(ref_path: str) -> dict:
    return {"format_version": 1, "source": {"system": "brightpearl", "entity": "order"},
            "target": {"system": "test", "entity": "order"}, "fields": {"Ref": ref_path}}


def test_mapping_import_creates_a_mapping_then_a_new_version(staff, tenant_a):
    connection.set_schema_to_public()
    first = json.dumps([{"name": "Orders", "description": "", "document": json.dumps(_doc("id"))}])
    _, hidden = _import(staff, "mapping", "m.json", first.encode(), JSON_FORMAT)
    _confirm(staff, "mapping", hidden)
    second = first.replace('\\"id\\"', '\\"reference\\"')
    assert second != first
    _, hidden = _import(staff, "mapping", "m.json", second.encode(), JSON_FORMAT)
    _confirm(staff, "mapping", hidden)

    with inside(tenant_a):
        mapping = Mapping.objects.get(name="Orders")
        assert mapping.versions.count() == 2
        assert mapping.current_document["fields"] == {"Ref": "reference"}


def test_mapping_import_with_a_broken_document_reports_the_row_and_creates_nothing(
    staff, tenant_a
):
    connection.set_schema_to_public()
    rows = json.dumps([{"name": "Broken", "description": "", "document": "{not json"}])
    page, _ = _import(staff, "mapping", "m.json", rows.encode(), JSON_FORMAT)
    assert "The document is not valid JSON" in page
    with inside(tenant_a):
        assert not Mapping.objects.filter(name="Broken").exists()


def test_mapping_preview_page_runs_the_current_version_on_a_sample(staff, tenant_a):
    mapping = mapping_create(name="Orders", document=_doc("reference"))
    connection.set_schema_to_public()
    response = staff.post(f"{BASE}/mapping/{mapping.pk}/preview/",
                          {"sample": '{"reference": "SO-1"}'}, HTTP_HOST=PUBLIC)
    page = response.content.decode()
    assert "&quot;Ref&quot;: &quot;SO-1&quot;" in page


def test_mapping_preview_page_says_when_the_sample_is_not_json(staff, tenant_a):
    mapping = mapping_create(name="Orders", document=_doc("reference"))
    connection.set_schema_to_public()
    response = staff.post(f"{BASE}/mapping/{mapping.pk}/preview/", {"sample": "{oops"},
                          HTTP_HOST=PUBLIC)
    assert "The sample is not valid JSON" in response.content.decode()
