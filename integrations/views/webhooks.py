"""Webhook ingest: verify, store the events durably, acknowledge. Processing happens later.

The events are in the database (same transaction) before the 2xx leaves; they are enqueued
only after the commit. Anything wrong with a delivery is a 4xx with a JSON error body, and
then nothing is stored or enqueued.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.connectors.errors import ConnectorError
from integrations.connectors.registry import connector_class
from integrations.models import Connection
from integrations.services.connections import connection_config
from integrations.services.events import inbound_events_record

MAX_BODY_BYTES = 1_000_000


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt
@require_POST
def webhook_receive(request: HttpRequest, system: str, connection_id: int) -> HttpResponse:
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
        return _error(413, "payload_too_large",
                      f"The body is larger than {MAX_BODY_BYTES:,} bytes.")
    body = request.body
    connection = Connection.objects.filter(pk=connection_id, system=system).first()
    if connection is None:
        return _error(404, "unknown_connection",
                      f"There is no {system} connection {connection_id} here.")
    cls = connector_class(system)
    connector = cls(connection_config(connection))
    if not connector.webhook_verify(headers=request.headers, query=request.GET, body=body,
                                    secret=connection.webhook_secret):
        return _error(401, "invalid_secret",
                      "The delivery did not carry this connection's webhook secret.")
    try:
        events = cls.webhook_parse(headers=request.headers, body=body)
    except ConnectorError as exc:
        return _error(400, "malformed_body", exc.message)
    with transaction.atomic():
        recorded = inbound_events_record(connection=connection, events=events,
                                         fingerprint=hashlib.sha256(body).hexdigest())
    if system == Connection.System.SALESFORCE:
        # Outbound messages are retried until acknowledged with a SOAP Ack.
        ack, content_type = connector.webhook_ack()
        return HttpResponse(ack, content_type=content_type)
    return JsonResponse({"accepted": recorded.created, "duplicates": recorded.duplicates,
                         "unrouted": recorded.unrouted}, status=202)
