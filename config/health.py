"""Operator health endpoints, answered before tenant resolution.

``/healthz`` says the process is up; ``/readyz`` checks that the database and the broker answer.
Load balancers probe by IP address, so neither depends on the Host header or a tenant.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import dramatiq
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse


def _timed(check: Callable[[], None]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure means "not ready"; the message says which
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def _database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker_check() -> None:
    broker = dramatiq.get_broker()
    client = getattr(broker, "client", None)
    if client is not None:  # Redis
        client.ping()
        return
    # RabbitMQ: opening the channel proves the connection and credentials.
    broker.channel  # noqa: B018


def _redis_check() -> None:
    from config.redis import redis_client

    redis_client().ping()


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    checks = {"database": _timed(_database_check), "broker": _timed(_broker_check),
              "redis": _timed(_redis_check)}
    return all(c["ok"] for c in checks.values()), checks


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            ok, checks = readiness()
            return JsonResponse(
                {"status": "ok" if ok else "unavailable", "checks": checks},
                status=200 if ok else 503,
            )
        return self.get_response(request)
