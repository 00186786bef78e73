import pytest
from dramatiq.brokers.redis import RedisBroker

from config import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_broker_ok(client):
    response = client.get("/readyz", HTTP_HOST="localhost")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


def test_readyz_is_503_naming_the_broker_when_it_is_unreachable(client, monkeypatch):
    unreachable = RedisBroker(url="redis://127.0.0.1:1/0", middleware=[])
    monkeypatch.setattr(health.dramatiq, "get_broker", lambda: unreachable)

    response = client.get("/readyz", HTTP_HOST="localhost")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert "ConnectionError" in body["checks"]["broker"]["error"]


def test_health_endpoints_answer_probes_by_ip_address(client):
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
