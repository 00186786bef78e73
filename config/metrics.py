"""Operator metrics in Prometheus text format: ``GET /metrics`` on the public domain.

Two kinds of numbers, kept apart because they are made differently:

- Request metrics are counted by ``RequestMetricsMiddleware`` as requests pass. Gunicorn runs
  several processes and a scrape reaches one of them, so when ``PROMETHEUS_MULTIPROC_DIR`` is
  in the environment (``config.wsgi`` puts it there for the web server) every process writes
  its counts to files in that directory and a scrape sums them all (prometheus_client's
  multiprocess mode). Processes that do not serve the site (tests, management commands) leave
  it unset and count in memory.
- State gauges (queue depth, events, dead letters, open circuits) are read from the broker and
  from every tenant's schema at scrape time by ``StateCollector``, so they are never stale and
  no process has to keep them up to date.

Labels are bounded on purpose: route *names* rather than paths, status classes, and systems
rather than tenants (thousands of tenants times systems times statuses would be more series
than a Prometheus server should hold for one app; a tenant's own numbers are in its portal).
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator

import dramatiq
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from config.errors import error_response
from integrations.middleware import WEBHOOK_PREFIX
from integrations.models import Connection, DeadLetter, InboundEvent
from tenants.models import Tenant

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

if os.environ.get(MULTIPROC_ENV) and not getattr(values.ValueClass, "_multiprocess", False):
    # prometheus_client picks its value class when it is first imported: something imported
    # it before the variable was set, so this process's counts would never reach the files.
    logger.warning("%s is set but prometheus_client was imported before it; this process's "
                   "request metrics are not shared with the others.", MULTIPROC_ENV)

# Not registered in the default registry: each scrape builds its own (see ``registry_build``).
HTTP_REQUESTS = Counter(
    "clarity_http_requests", "HTTP requests answered, by method, route name and status class.",
    ["method", "route", "status"], registry=None)
HTTP_REQUEST_DURATION = Histogram(
    "clarity_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route name and status class.",
    ["method", "route", "status"], registry=None)

# Any other method a client sends is counted as "other", so it cannot add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Webhook deliveries are answered by integrations.middleware.WebhookFastPathMiddleware, which
# calls the view without the URL resolver setting ``request.resolver_match``.
_WEBHOOK_ROUTE = "webhook_receive"
_UNMATCHED_ROUTE = "unmatched"


def _route_name(request: HttpRequest) -> str:
    match = request.resolver_match
    if match is not None:
        return match.view_name
    if request.path_info.startswith(WEBHOOK_PREFIX):
        return _WEBHOOK_ROUTE
    return _UNMATCHED_ROUTE


class RequestMetricsMiddleware:
    """Counts and times every request below it; a counter and a histogram sample, no more,
    because webhook ingest passes through here and is benchmarked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in _METHODS else "other"
        labels = (method, _route_name(request), f"{response.status_code // 100}xx")
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_REQUEST_DURATION.labels(*labels).observe(elapsed)
        return response


# --- State read at scrape time --------------------------------------------------------------


def _queue_depths() -> dict[str, int]:
    """Messages waiting for a worker on each declared queue (delay queues included)."""
    broker = dramatiq.get_broker()
    names = sorted(broker.get_declared_queues() | broker.get_declared_delay_queues())
    client = getattr(broker, "client", None)
    if client is not None:
        # RedisBroker: `<namespace>:<queue>` is the list of message ids not yet fetched; the
        # `.msgs` hash also holds fetched-but-unacknowledged ones, which are not waiting.
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.llen(f"{broker.namespace}:{name}")
            return dict(zip(names, pipe.execute(), strict=True))
    # RabbitMQ: a passive declare reports the ready messages without creating the queue.
    depths = {}
    try:
        for name in names:
            declared = broker.channel.queue_declare(queue=name, passive=True)
            depths[name] = declared.method.message_count
    except Exception:
        # A failed passive declare closes the channel; the next scrape must open a fresh one.
        del broker.channel
        raise
    return depths


def _quoted(table: str) -> str:
    return connection.ops.quote_name(table)


def _tenant_state_sql() -> str:
    event, dead, conn = (_quoted(m._meta.db_table) for m in (InboundEvent, DeadLetter, Connection))
    # One round trip per schema for all three gauges. Counting events reads the whole table:
    # fine at a scrape every 15-60 s; if it grows too large, count a recent window instead.
    return f"""
        SELECT 'events', c.system, e.status, count(*)
          FROM {event} e JOIN {conn} c ON c.id = e.connection_id
         GROUP BY c.system, e.status
        UNION ALL
        SELECT 'dead_letters', c.system, '', count(*)
          FROM {dead} d JOIN {event} e ON e.id = d.event_id JOIN {conn} c ON c.id = e.connection_id
         WHERE d.resolution = %s
         GROUP BY c.system
        UNION ALL
        SELECT 'circuits', c.system, '', count(*)
          FROM {conn} c
         WHERE c.circuit_open_until > %s
         GROUP BY c.system
    """  # noqa: S608 - the table names are our models', values are parameters


def _tenant_state() -> tuple[dict[tuple[str, str], int], dict[str, int], dict[str, int]]:
    """Events by (system, status), open dead letters and open circuits by system, summed over
    every tenant schema."""
    events: dict[tuple[str, str], int] = {}
    dead_letters = dict.fromkeys(Connection.System.values, 0)
    circuits = dict.fromkeys(Connection.System.values, 0)
    sql = _tenant_state_sql()
    now = timezone.now()
    schemas = Tenant.objects.exclude(schema_name=get_public_schema_name()).values_list(
        "schema_name", flat=True)
    for schema in schemas:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute(sql, [DeadLetter.Resolution.OPEN, now])
            rows = cursor.fetchall()
        for kind, system, status, count in rows:
            if kind == "events":
                events[(system, status)] = events.get((system, status), 0) + count
            elif kind == "dead_letters":
                dead_letters[system] = dead_letters.get(system, 0) + count
            else:
                circuits[system] = circuits.get(system, 0) + count
    return events, dead_letters, circuits


class StateCollector(Collector):
    """Queue depth and the tenants' event state, computed on each scrape.

    A source that fails (broker or database down) is reported as
    ``clarity_metrics_source_up{source} 0`` and the rest of the scrape still answers.
    """

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("clarity_metrics_source_up",
                               "1 if the source of these gauges answered this scrape.",
                               labels=["source"])
        for source, read in (("queues", self._queues), ("tenants", self._tenants)):
            try:
                families = list(read())
            except Exception:  # a scrape must still answer; the log says what failed
                logger.exception("Metrics source %s failed", source)
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            yield from families
        yield up

    def _queues(self) -> Iterator[Metric]:
        yield _gauge("clarity_queue_depth", "Messages waiting for a worker on each Dramatiq queue.",
                     ["queue"], {(queue,): n for queue, n in _queue_depths().items()})

    def _tenants(self) -> Iterator[Metric]:
        events, dead_letters, circuits = _tenant_state()
        # Row counts that fall as events move on or are pruned, so a gauge (and no `_total`,
        # which Prometheus reserves for counters).
        yield _gauge("clarity_events", "Stored inbound events, by source system and status.",
                     ["system", "status"], events)
        yield _gauge("clarity_dead_letters_open",
                     "Dead letters waiting for a person, by source system.", ["system"],
                     {(system,): n for system, n in dead_letters.items()})
        yield _gauge("clarity_circuit_open", "Connections whose circuit breaker is open now.",
                     ["system"], {(system,): n for system, n in circuits.items()})


def _gauge(name: str, documentation: str, labels: list[str],
           values: dict[tuple[str, ...], int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label_values, value in sorted(values.items()):
        family.add_metric(list(label_values), value)
    return family


def registry_build(*, multiproc_dir: str | None) -> CollectorRegistry:
    """What one scrape reports: request metrics of every process (or of this one) and state."""
    registry = CollectorRegistry(auto_describe=False)
    if multiproc_dir:
        MultiProcessCollector(registry, path=multiproc_dir)
    else:
        registry.register(HTTP_REQUESTS)
        registry.register(HTTP_REQUEST_DURATION)
    registry.register(StateCollector())
    return registry


# --- The endpoint ---------------------------------------------------------------------------


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text for a caller presenting ``Authorization: Bearer <METRICS_TOKEN>``."""
    expected = settings.METRICS_TOKEN
    if not expected:
        # No token means nobody was meant to read these: refuse rather than serve them openly.
        return error_response(403, "metrics_disabled",
                              "Metrics are disabled: METRICS_TOKEN is not set.")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    # Bytes, because compare_digest refuses str with non-ASCII characters (a header may hold any).
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), expected.encode()):
        refused = error_response(401, "invalid_token",
                                 "Send Authorization: Bearer <METRICS_TOKEN>.")
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    registry = registry_build(multiproc_dir=os.environ.get(MULTIPROC_ENV))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
