"""Imports of mappings and lookup tables as operations: the staff admin's confirm step queues
one, the operations actor checks the whole file and imports it in batches with progress, and
row errors are kept and shown on the operation's pages."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from integrations.models import LookupEntry, LookupTable, Mapping, Operation
from integrations.services import operations
from integrations.services.mappings import lookup_table_set
from integrations.services.operations import import_operation_start
from integrations.tasks import operation_run_task
from tenants.models import Tenant
from tests.conftest import TEST_PASSWORD, inside
from tests.factories import UserFactory

PUBLIC = "localhost"
BASE = "/admin/tenant/alpha/integrations"
CSV = "0"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staff(client, django_db_setup) -> Client:
    with schema_context("public"):
        User.objects.create_superuser("root@clarity.example.com", TEST_PASSWORD)
    client.login(username="root@clarity.example.com", password=TEST_PASSWORD)
    return client


@pytest.fixture
def small_batches(monkeypatch) -> list[int]:
    """Two rows a batch and one step a message; returns the messages the actor sends on."""
    monkeypatch.setattr(operations, "IMPORT_BATCH", 2)
    monkeypatch.setattr(operations, "CHUNKS_PER_MESSAGE", 1)
    resent: list[int] = []
    monkeypatch.setattr(operation_run_task, "send", lambda pk: resent.append(pk))
    return resent


def _entries(*rows: tuple[str, str, str]) -> tablib.Dataset:
    return tablib.Dataset(*rows, headers=["table", "key", "value"])


def _upload_and_confirm(staff: Client, model: str, filename: str, content: bytes):
    """The admin's two steps as a person clicks them: upload (dry-run preview), confirm."""
    preview = staff.post(f"{BASE}/{model}/import/", {
        "resource": "0", "format": CSV,
        "import_file": SimpleUploadedFile(filename, content)}, HTTP_HOST=PUBLIC)
    hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', preview.content.decode()))
    fields = {k: hidden[k] for k in ("import_file_name", "original_file_name", "format",
                                     "resource") if k in hidden}
    return staff.post(f"{BASE}/{model}/process_import/", fields, HTTP_HOST=PUBLIC)


@pytest.mark.django_db
def test_confirming_an_admin_import_queues_an_operation_and_imports_nothing_yet(
        staff, tenant_a, django_capture_on_commit_callbacks):
    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks() as sent:
        response = _upload_and_confirm(staff, "lookupentry", "channels.csv",
                                       b"table,key,value\nchannels,1,WEB\nchannels,3,EBAY\n")

    with inside(tenant_a):
        operation = Operation.objects.get()
        assert (operation.kind, operation.status, operation.total) == ("import", "queued", 2)
        assert operation.created_by == "root@clarity.example.com"
        assert operation.label == "Lookup entries from channels.csv"
        assert not LookupEntry.objects.exists()
    assert len(sent) == 1  # the actor's message, once the operation is committed
    assert response["Location"] == f"{BASE}/operation/{operation.pk}/change/"


@pytest.mark.django_db
def test_the_page_after_confirm_says_the_import_was_queued_and_links_to_its_progress(
        staff, tenant_a):
    connection.set_schema_to_public()
    response = _upload_and_confirm(staff, "lookupentry", "channels.csv",
                                   b"table,key,value\nchannels,1,WEB\n")
    page = staff.get(response["Location"], HTTP_HOST=PUBLIC).content.decode()

    with inside(tenant_a):
        operation = Operation.objects.get()
    assert "Import queued: Lookup entries from channels.csv (1 row)" in page
    assert f'href="{BASE}/operation/{operation.pk}/change/"' in page
    assert '<meta http-equiv="refresh" content="2">' in page  # reloads until finished
    assert "channels,1,WEB" not in page and "WEB" not in page  # the stored file is not shown


@pytest.mark.django_db
def test_a_confirmed_admin_import_is_imported_by_the_actor(staff, tenant_a):
    connection.set_schema_to_public()
    _upload_and_confirm(staff, "lookupentry", "channels.csv",
                        b"table,key,value\nchannels,1,WEB\nchannels,3,EBAY\n")

    with inside(tenant_a):
        operation = Operation.objects.get()
        operation_run_task.fn(operation.pk)
        operation.refresh_from_db()
        assert (operation.status, operation.done, operation.failed) == ("done", 2, 0)
        assert dict(LookupEntry.objects.values_list("key", "value")) == {"1": "WEB",
                                                                         "3": "EBAY"}


@pytest.mark.django_db
def test_the_actor_imports_in_batches_and_the_progress_moves_until_done_with_counts(
        tenant_a, small_batches):
    lookup_table_set(name="channels", entries={"1": "WEB", "2": "SHOP"})
    operation = import_operation_start(
        resource="lookupentry", file_name="channels.csv", by="me", dataset=_entries(
            ("channels", "1", "WEB"), ("channels", "2", "AMAZON"), ("channels", "3", "EBAY"),
            ("regions", "GB", "UK"), ("regions", "FR", "France")))

    seen = []
    pending = [operation.pk]
    while pending:
        operation_run_task.fn(pending.pop())
        pending += [small_batches.pop()] if small_batches else []
        operation.refresh_from_db()
        seen.append((operation.status, operation.done))

    # The first message checks the whole file; then two rows a message.
    assert seen == [("running", 0), ("running", 2), ("running", 4), ("done", 5)]
    assert (operation.total, operation.failed) == (5, 0)
    assert operation.params["totals"] == {"new": 3, "update": 1, "skip": 1}
    assert operation.finished_at is not None
    assert "rows" not in operation.params  # the file is dropped once it is imported
    assert dict(LookupEntry.objects.filter(table__name="channels")
                .values_list("key", "value")) == {"1": "WEB", "2": "AMAZON", "3": "EBAY"}
    assert LookupEntry.objects.filter(table__name="regions").count() == 2


@pytest.mark.django_db
def test_a_bad_row_is_reported_with_its_row_number_and_nothing_of_the_file_is_imported(
        tenant_a, small_batches):
    operation = import_operation_start(
        resource="lookupentry", file_name="bad.csv", dataset=_entries(
            ("channels", "1", "WEB"), ("channels", "2", "SHOP"), ("channels", "3", "EBAY"),
            ("", "4", "POS")))

    operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.done, operation.failed) == ("failed", 0, 1)
    assert operation.params["errors"] == [{"row": 4, "message": "The table name is empty."}]
    assert operation.error.startswith("Row 4 could not be imported, so nothing from this file")
    assert small_batches == []  # no batch follows a failed check
    assert not LookupEntry.objects.exists()
    assert not LookupTable.objects.exists()


@pytest.mark.django_db
def test_a_mapping_row_with_a_broken_document_names_the_document_column(tenant_a):
    dataset = tablib.Dataset(("Orders", "", "{not json"), headers=["name", "description",
                                                                   "document"])
    operation = import_operation_start(resource="mapping", file_name="m.csv", dataset=dataset)

    operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    [error] = operation.params["errors"]
    assert error["row"] == 1
    assert error["message"].startswith("document: The document is not valid JSON")
    assert not Mapping.objects.exists()


def _doc(ref_path: str) -> dict:
    return {"format_version": 1, "source": {"system": "brightpearl", "entity": "order"},
            "target": {"system": "test", "entity": "order"}, "fields": {"Ref": ref_path}}


@pytest.mark.django_db
def test_a_mapping_import_creates_the_mapping_and_a_second_import_a_new_version(tenant_a):
    for ref in ("id", "reference"):
        dataset = tablib.Dataset(("Orders", "", json.dumps(_doc(ref))),
                                 headers=["name", "description", "document"])
        operation = import_operation_start(resource="mapping", dataset=dataset)
        operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.params["totals"]["update"]) == ("done", 1)
    mapping = Mapping.objects.get(name="Orders")
    assert mapping.versions.count() == 2
    assert mapping.current_document["fields"] == {"Ref": "reference"}


@pytest.mark.django_db
def test_the_operation_page_in_the_portal_lists_the_row_errors(tenant_a):
    operation = import_operation_start(resource="lookupentry", file_name="bad.csv",
                                       dataset=_entries(("channels", "1", "WEB"), ("", "2", "X")))
    operation_run_task.fn(operation.pk)
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(UserFactory(role=User.Role.VIEWER))

    page = client.get(f"/operations/{operation.pk}/").content.decode()

    assert 'Row <strong data-row="2">2</strong>: The table name is empty.' in page
    assert "nothing from this file was" in page


@pytest.mark.django_db
def test_the_admin_operation_page_shows_counts_and_row_errors(staff, tenant_a):
    operation = import_operation_start(resource="lookupentry", file_name="bad.csv",
                                       dataset=_entries(("", "1", "WEB")))
    operation_run_task.fn(operation.pk)
    connection.set_schema_to_public()

    page = staff.get(f"{BASE}/operation/{operation.pk}/change/", HTTP_HOST=PUBLIC
                     ).content.decode()

    assert "<li>Row 1: The table name is empty.</li>" in page
    assert '<span data-count="failed">1</span> failed' in page
    assert 'http-equiv="refresh"' not in page  # finished: no more reloads


@pytest.mark.django_db
def test_the_admin_list_of_operations_shows_a_queued_import(staff, tenant_a):
    import_operation_start(resource="lookupentry", file_name="big.csv",
                           dataset=_entries(("channels", "1", "WEB")))
    connection.set_schema_to_public()

    page = staff.get(f"{BASE}/operation/", HTTP_HOST=PUBLIC).content.decode()

    assert "Lookup entries from big.csv" in page


@pytest.mark.django_db
def test_an_import_of_an_unknown_resource_or_an_empty_file_is_refused_with_a_reason(tenant_a):
    with pytest.raises(ValueError, match="'users' is not something that can be imported"):
        import_operation_start(resource="users", dataset=_entries(("t", "k", "v")))
    with pytest.raises(ValueError, match="The file has no rows to import"):
        import_operation_start(resource="lookupentry", dataset=_entries())
    assert not Operation.objects.exists()


# --- Through a real worker process ----------------------------------------------------------

def _test_database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture
def maintenance_worker(committed_tenant_factory) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": _test_database_url()}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "1",
         "--queues", "maintenance"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    yield worker
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _wait_until_finished(tenant: Tenant, pk: int, worker: subprocess.Popen[bytes]) -> Operation:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with inside(tenant):
            operation = Operation.objects.get(pk=pk)
        if operation.is_finished:
            return operation
        if worker.poll() is not None:
            pytest.fail(f"worker exited early: {worker.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    pytest.fail(f"import {pk} did not finish within 90 s")


def test_a_queued_import_is_run_by_a_real_worker_in_the_tenants_schema(
        committed_tenant_factory, maintenance_worker):
    tenant = committed_tenant_factory()
    with inside(tenant):
        # Committed at once (no test transaction), so the message goes to the broker now.
        operation = import_operation_start(resource="lookupentry", file_name="c.csv",
                                           dataset=_entries(("channels", "1", "WEB"),
                                                            ("channels", "2", "SHOP")))

    finished = _wait_until_finished(tenant, operation.pk, maintenance_worker)

    assert (finished.status, finished.done, finished.failed) == ("done", 2, 0), finished.error
    with inside(tenant):
        assert dict(LookupEntry.objects.values_list("key", "value")) == {"1": "WEB",
                                                                         "2": "SHOP"}
