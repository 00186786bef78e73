"""The tenant-carrying middleware, through a real broker and a real worker process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import dramatiq
import pytest
from django.db import connection
from dramatiq.brokers.rabbitmq import RabbitmqBroker

from config.dramatiq import TENANT_OPTION, TenantMiddleware
from tenants.models import Tenant
from tests.conftest import inside
from tests.probe.models import ProbeRecord
from tests.probe.tasks import probe_record

ROOT = Path(__file__).resolve().parents[2]
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def _test_database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def _start_worker(broker_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _test_database_url(),
        "BROKER_URL": broker_url,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2",
         "--queues", "probe"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _wait_for_records(tenant: Tenant, token: str, worker: subprocess.Popen[bytes]) -> list:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with inside(tenant):
            records = list(ProbeRecord.objects.filter(token=token))
        if records:
            return records
        if worker.poll() is not None:
            pytest.fail(f"worker exited early: {worker.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    pytest.fail(f"no probe record for {token} in {tenant.schema_name} within 60 s")


@pytest.fixture
def make_tenant(committed_tenant_factory) -> Callable[[], Tenant]:
    return committed_tenant_factory


@pytest.fixture
def redis_worker(django_db_setup) -> Iterator[subprocess.Popen[bytes]]:
    worker = _start_worker(os.environ["BROKER_URL"])
    yield worker
    _stop(worker)


def test_message_sent_in_tenant_a_runs_in_tenant_a_schema_on_a_real_worker(
    make_tenant, redis_worker
):
    tenant_a, tenant_b = make_tenant(), make_tenant()
    token_a, token_b = uuid.uuid4().hex, uuid.uuid4().hex

    with inside(tenant_a):
        probe_record.send(token_a)
    with inside(tenant_b):
        probe_record.send(token_b)

    [record_a] = _wait_for_records(tenant_a, token_a, redis_worker)
    [record_b] = _wait_for_records(tenant_b, token_b, redis_worker)
    assert record_a.schema_seen == tenant_a.schema_name
    assert record_b.schema_seen == tenant_b.schema_name
    with inside(tenant_b):
        assert not ProbeRecord.objects.filter(token=token_a).exists()
    with inside(tenant_a):
        assert not ProbeRecord.objects.filter(token=token_b).exists()


def _rabbitmq_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _rabbitmq_reachable(), reason="no RabbitMQ on 127.0.0.1:5672")
def test_message_sent_in_a_tenant_runs_in_its_schema_through_rabbitmq(make_tenant):
    tenant = make_tenant()
    token = uuid.uuid4().hex
    broker = RabbitmqBroker(url=RABBITMQ_URL, middleware=[TenantMiddleware()])
    broker.declare_queue("probe")
    worker = _start_worker(RABBITMQ_URL)
    try:
        with inside(tenant):
            broker.enqueue(probe_record.message(token))
        [record] = _wait_for_records(tenant, token, worker)
    finally:
        _stop(worker)
        broker.close()
    assert record.schema_seen == tenant.schema_name


def test_enqueue_records_the_senders_schema_on_the_message(tenant_a):
    message = probe_record.message("x")
    TenantMiddleware().before_enqueue(dramatiq.get_broker(), message, 0)
    assert message.options[TENANT_OPTION] == tenant_a.schema_name


def test_an_explicit_tenant_option_wins_over_the_current_schema(tenant_a):
    message = probe_record.message_with_options(args=("x",), tenant_schema="t_beta")
    TenantMiddleware().before_enqueue(dramatiq.get_broker(), message, 0)
    assert message.options[TENANT_OPTION] == "t_beta"
