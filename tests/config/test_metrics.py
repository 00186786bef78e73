"""GET /metrics on the public domain: the token, the request metrics, the state gauges."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from prometheus_client.parser import text_string_to_metric_families

from config import metrics
from config.metrics import registry_build
from integrations.models import (
    Connection,
    DeadLetter,
    Flow,
    InboundEvent,
    IntegrationPair,
    Mapping,
)
from tenants.models import Tenant
from tests.conftest import inside

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"
PUBLIC = "localhost"


@pytest.fixture
def metrics_token(settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client: Client, token: str = TOKEN) -> str:
    response = client.get("/metrics", HTTP_HOST=PUBLIC, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def connection_make(system: str, **fields: object) -> Connection:
    # Straight to the model: these tests need rows, not the credential checks of the service.
    return Connection.objects.create(
        name=f"{system} {Connection.objects.count() + 1}", system=system,
        base_url=f"http://127.0.0.1:9/{system}", auth_type="api_token", credentials={},
        token={}, **fields)


def event_make(connection: Connection, external_id: str, status: str,
               flow: Flow | None = None) -> InboundEvent:
    return InboundEvent.objects.create(
        connection=connection, flow=flow, event_type="store/order/created",
        external_id=external_id, dedupe_key=f"{connection.pk}-{external_id}", status=status)


def flow_make(brightpearl: Connection, partner: Connection) -> Flow:
    pair = IntegrationPair.objects.create(name="Shop", template_key="test",
                                          brightpearl=brightpearl, partner=partner)
    return Flow.objects.create(
        pair=pair, key="orders", name="Orders", entity="order", source_system=partner.system,
        target_system=brightpearl.system, trigger=Flow.Trigger.WEBHOOK,
        mapping=Mapping.objects.create(name="Orders"))


# --- Protection -----------------------------------------------------------------------------


def test_metrics_are_refused_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_HOST=PUBLIC, HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "metrics_disabled"


def test_metrics_without_a_token_are_401(client, metrics_token):
    response = client.get("/metrics", HTTP_HOST=PUBLIC)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_metrics_with_a_wrong_token_are_401(client, metrics_token):
    response = client.get("/metrics", HTTP_HOST=PUBLIC, HTTP_AUTHORIZATION="Bearer wrong-token")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_non_ascii_token_is_refused_not_an_error(client, metrics_token):
    response = client.get("/metrics", HTTP_HOST=PUBLIC, HTTP_AUTHORIZATION="Bearer jetón")

    assert response.status_code == 401


def test_metrics_are_not_served_on_a_tenant_domain(client, metrics_token, tenant_a):
    response = client.get("/metrics", HTTP_HOST="alpha.localhost",
                          HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 404


# --- Request metrics ------------------------------------------------------------------------


def test_requests_are_counted_by_method_route_name_and_status_class(client, metrics_token):
    labels = {"method": "GET", "route": "metrics", "status": "2xx"}
    before = sample(scrape(client), "clarity_http_requests_total", **labels) or 0

    text = scrape(client)

    assert sample(text, "clarity_http_requests_total", **labels) == before + 1
    assert sample(text, "clarity_http_request_duration_seconds_count", **labels) == before + 1


def test_a_webhook_delivery_is_counted_under_its_route_name_not_its_path(
        client, metrics_token, tenant_a):
    labels = {"method": "POST", "route": "webhook_receive", "status": "4xx"}
    before = sample(scrape(client), "clarity_http_requests_total", **labels) or 0

    client.post("/api/v1/webhooks/bigcommerce/987654/", data="{}",
                content_type="application/json", HTTP_HOST="alpha.localhost")

    assert sample(scrape(client), "clarity_http_requests_total", **labels) == before + 1


def test_an_unknown_method_is_counted_as_other(client, metrics_token):
    client.generic("BREW", "/", HTTP_HOST=PUBLIC)

    assert sample(scrape(client), "clarity_http_requests_total", method="other") is not None


def test_request_counts_of_several_processes_are_summed(tmp_path: Path):
    # Each process imports config.wsgi as a gunicorn worker does, so it writes to tmp_path.
    record_one_request = (
        "import config.wsgi\n"
        "from django.http import HttpResponse\n"
        "from django.test import RequestFactory\n"
        "from config.metrics import RequestMetricsMiddleware\n"
        "RequestMetricsMiddleware(lambda r: HttpResponse())(RequestFactory().get('/x'))\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record_one_request], env=env, check=True,
                       cwd=django_settings.BASE_DIR, timeout=60)

    registry = registry_build(multiproc_dir=str(tmp_path))

    assert registry.get_sample_value(
        "clarity_http_requests_total",
        {"method": "GET", "route": "unmatched", "status": "2xx"}) == 2


def wsgi_import(directory: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", "import config.wsgi"], env=env, check=True,
                   cwd=django_settings.BASE_DIR, timeout=60)


def test_a_new_server_clears_the_previous_servers_metric_files(tmp_path: Path):
    (tmp_path / "server.pid").write_text("1")
    (tmp_path / "counter_4242.db").write_bytes(b"old")

    wsgi_import(tmp_path)

    assert not (tmp_path / "counter_4242.db").exists()
    assert (tmp_path / "server.pid").read_text() == str(os.getpid())


def test_a_worker_of_the_same_server_keeps_its_siblings_metric_files(tmp_path: Path):
    # The subprocess's parent is this test process: it plays the gunicorn master.
    (tmp_path / "server.pid").write_text(str(os.getpid()))
    (tmp_path / "counter_4242.db").write_bytes(b"sibling")

    wsgi_import(tmp_path)

    assert (tmp_path / "counter_4242.db").read_bytes() == b"sibling"


# --- State gauges ---------------------------------------------------------------------------


def test_events_are_reported_by_system_and_status(client, metrics_token, tenant_a):
    bc = connection_make("bigcommerce")
    bp = connection_make("brightpearl")
    event_make(bc, "1", InboundEvent.Status.DONE)
    event_make(bc, "2", InboundEvent.Status.DONE)
    event_make(bc, "3", InboundEvent.Status.RETRYING)
    event_make(bp, "4", InboundEvent.Status.DEAD)

    text = scrape(client)

    assert sample(text, "clarity_events", system="bigcommerce", status="done") == 2
    assert sample(text, "clarity_events", system="bigcommerce", status="retrying") == 1
    assert sample(text, "clarity_events", system="brightpearl", status="dead") == 1
    assert not any("tenant" in line for line in text.splitlines() if "clarity_events" in line)


def test_events_of_every_tenant_are_summed(client, metrics_token, tenant_a):
    event_make(connection_make("salesforce"), "1", InboundEvent.Status.DONE)
    with inside(Tenant.objects.get(slug="beta")):
        event_make(connection_make("salesforce"), "1", InboundEvent.Status.DONE)

    assert sample(scrape(client), "clarity_events", system="salesforce", status="done") == 2


def test_open_dead_letters_are_reported_by_system(client, metrics_token, tenant_a):
    bp, bc = connection_make("brightpearl"), connection_make("bigcommerce")
    flow = flow_make(bp, bc)
    for external_id, resolution in (("1", DeadLetter.Resolution.OPEN),
                                    ("2", DeadLetter.Resolution.OPEN),
                                    ("3", DeadLetter.Resolution.REPLAYED)):
        DeadLetter.objects.create(
            event=event_make(bc, external_id, InboundEvent.Status.DEAD, flow=flow), flow=flow,
            error_class="MissingReference", reason="SKU unknown", resolution=resolution)

    text = scrape(client)

    assert sample(text, "clarity_dead_letters_open", system="bigcommerce") == 2
    assert sample(text, "clarity_dead_letters_open", system="brightpearl") == 0


def test_connections_with_an_open_circuit_are_counted(client, metrics_token, tenant_a):
    now = timezone.now()
    connection_make("syspro", circuit_open_until=now + dt.timedelta(minutes=5))
    connection_make("syspro", circuit_open_until=now - dt.timedelta(minutes=5))
    connection_make("syspro")

    assert sample(scrape(client), "clarity_circuit_open", system="syspro") == 1


def test_queue_depth_counts_messages_waiting_for_a_worker(client, metrics_token, monkeypatch):
    # A broker of its own on the suite's Redis, so no other test's queue is touched.
    broker = RedisBroker(url=django_settings.BROKER_URL, middleware=[])
    monkeypatch.setattr(metrics.dramatiq, "get_broker", lambda: broker)
    queue = "metrics_test"
    broker.declare_queue(queue)
    broker.flush(queue)
    try:
        for _ in range(3):
            broker.enqueue(Message(queue_name=queue, actor_name="nobody", args=(), kwargs={},
                                   options={}))

        text = scrape(client)
    finally:
        broker.flush(queue)

    assert sample(text, "clarity_queue_depth", queue=queue) == 3
    assert sample(text, "clarity_queue_depth", queue=f"{queue}.DQ") == 0
    assert sample(text, "clarity_metrics_source_up", source="queues") == 1


def test_an_unreachable_broker_is_reported_and_the_rest_still_answers(
        client, metrics_token, monkeypatch):
    unreachable = RedisBroker(url="redis://127.0.0.1:1/0", middleware=[])
    unreachable.declare_queue("default")
    monkeypatch.setattr(metrics.dramatiq, "get_broker", lambda: unreachable)

    text = scrape(client)

    assert sample(text, "clarity_metrics_source_up", source="queues") == 0
    assert sample(text, "clarity_metrics_source_up", source="tenants") == 1
