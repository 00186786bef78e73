"""Webhook ingest: verify, store the events durably, acknowledge. Processing happens later.

The events are committed to the database (one INSERT) before the 2xx leaves; they are
enqueued only after the commit. Anything wrong with a delivery is a 4xx with a JSON error body, and
then nothing is stored or enqueued.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection as db
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver as signal_receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.errors import error_response
from config.redis import redis_client
from integrations.connectors.base import Connector
from integrations.connectors.errors import ConnectorError
from integrations.connectors.registry import connector_class
from integrations.models import Connection
from integrations.rate_window import SharedWindowLimit
from integrations.services.connections import connection_config
from integrations.services.events import inbound_events_record

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
# Per process, the connection with its connector and secret is kept this long: deliveries
# arrive many a second and reading and decrypting the row was a large part of one. Routing is
# not kept: the flows that take the events are read for every delivery, so a flow turned on
# or off takes effect at once.
RECEIVER_TTL_S = 5.0
_RECEIVERS_MAX = 4096


@dataclass(frozen=True)
class _Receiver:
    connection: Connection
    connector: Connector
    secret: str
    loaded_at: float


_receivers: dict[tuple[str, str, int], _Receiver] = {}


def _receiver(system: str, connection_id: int) -> _Receiver | None:
    key = (db.schema_name, system, connection_id)
    kept = _receivers.get(key)
    if kept is not None and time.monotonic() - kept.loaded_at < RECEIVER_TTL_S:
        return kept
    connection = Connection.objects.filter(pk=connection_id, system=system).first()
    if connection is None:
        _receivers.pop(key, None)
        return None
    if len(_receivers) >= _RECEIVERS_MAX:
        _receivers.clear()
    receiver = _Receiver(connection=connection,
                         connector=connector_class(system)(connection_config(connection)),
                         secret=connection.webhook_secret, loaded_at=time.monotonic())
    _receivers[key] = receiver
    return receiver


@signal_receiver([post_save, post_delete], sender=Connection,
                 dispatch_uid="webhooks-connection-changed")
def _receivers_forget(**kwargs: object) -> None:
    """A connection changed in this process is seen by its next delivery at once."""
    _receivers.clear()


def _unknown(system: str, connection_id: int) -> JsonResponse:
    return error_response(404, "unknown_connection",
                  f"There is no {system} connection {connection_id} here.")


_rate = SharedWindowLimit(redis=redis_client, prefix="webhook-rate")


def _throttled(connection_id: int) -> JsonResponse | None:
    """429 once a connection has had WEBHOOK_RATE_PER_MIN deliveries this minute, so one
    flooding sender cannot take the ingest from every other connection. A fixed window per
    connection shared by all processes, taken from Redis in blocks (``rate_window``)."""
    limit = settings.WEBHOOK_RATE_PER_MIN
    if not limit:
        return None
    now = time.time()
    try:
        allowed = _rate.allow(f"{db.schema_name}:{connection_id}", limit=limit, now=now)
    except redis.RedisError:
        # Accepting a delivery matters more than limiting it: without Redis, no limit.
        logger.warning("Webhook rate limit skipped: Redis unavailable", exc_info=True)
        return None
    if allowed:
        return None
    retry_after = max(1, math.ceil(_rate.retry_after_s(now=now)))
    response = error_response(429, "throttled",
                      f"More than {limit:,} deliveries this minute for this connection; "
                      "send this one again later.", retry_after_s=retry_after)
    response["Retry-After"] = str(retry_after)
    return response


def webhook_rate_forget() -> None:
    """Forget this process's share of the windows (for tests that reset the shared counts)."""
    _rate.forget()


@csrf_exempt
@require_POST
def webhook_receive(request: HttpRequest, system: str, connection_id: int) -> HttpResponse:
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
        return error_response(413, "payload_too_large",
                      f"The body is larger than {MAX_BODY_BYTES:,} bytes.")
    body = request.body
    receiver = _receiver(system, connection_id)
    if receiver is None:
        return _unknown(system, connection_id)
    if not receiver.connector.webhook_verify(headers=request.headers, query=request.GET,
                                             body=body, secret=receiver.secret):
        return error_response(401, "invalid_secret",
                      "The delivery did not carry this connection's webhook secret.")
    # Counted after the secret is checked: deliveries without it do not use up the budget of
    # the connection's real sender.
    throttled = _throttled(connection_id)
    if throttled is not None:
        return throttled
    try:
        events = type(receiver.connector).webhook_parse(headers=request.headers, body=body)
    except ConnectorError as exc:
        return error_response(400, "malformed_body", exc.message)
    # Recording reads the routes and writes one INSERT: in autocommit the INSERT is committed
    # when it returns, and the enqueue (on_commit) runs right after it, before the 2xx, as
    # inside a transaction but without its BEGIN/COMMIT round trips.
    recorded = inbound_events_record(connection=receiver.connection, events=events,
                                     fingerprint=hashlib.sha256(body).hexdigest())
    if system == Connection.System.SALESFORCE:
        # Outbound messages are retried until acknowledged with a SOAP Ack.
        ack, content_type = receiver.connector.webhook_ack()
        return HttpResponse(ack, content_type=content_type)
    return JsonResponse({"accepted": recorded.created, "duplicates": recorded.duplicates,
                         "unrouted": recorded.unrouted}, status=202)
