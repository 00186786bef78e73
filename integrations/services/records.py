"""Syncing one named record of a flow on request (a person's click, not a webhook or poll).

The record goes through the pipeline like any event: it is stored as an inbound event of
origin ``manual`` for that flow only, and a worker fetches it from the source and writes it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.connectors.base import WebhookEvent
from integrations.connectors.errors import ConnectorError
from integrations.models import Flow
from integrations.services.connections import connector_for
from integrations.services.events import Recorded, inbound_events_record

MANUAL = "manual"


def flow_record_sync(*, flow: Flow, external_id: str, by: str = "") -> Recorded:
    """Queue the source record ``external_id`` through ``flow`` now."""
    external_id = str(external_id).strip()
    if not external_id:
        raise ValidationError({"id": ["Give the id of the record to sync."]})
    if len(external_id) > 200:
        raise ValidationError({"id": ["A record id is at most 200 characters."]})
    # The moment makes each request its own event: asking again later syncs again.
    return inbound_events_record(
        connection=flow.source_connection, origin=MANUAL, flows=[flow],
        events=[WebhookEvent(flow.entity, external_id, f"{flow.entity}.{MANUAL}")],
        fingerprint=timezone.now().isoformat(), payload={"requested_by": by} if by else None)


def _nested(path: str, value: str) -> dict[str, Any]:
    """``identity.sku`` + ``W-1`` -> ``{"identity": {"sku": "W-1"}}``."""
    record: dict[str, Any] = {}
    current = record
    *parents, last = path.split(".")
    for name in parents:
        current = current.setdefault(name, {})
    current[last] = value
    return record


def flow_record_find(*, flow: Flow, natural_key: str) -> str:
    """The source system's id of the record of ``flow`` whose natural key (the flow's
    ``natural_key`` path, e.g. the SKU) is ``natural_key``; a clear error when none is."""
    from integrations.services.sync import connector_entity

    system = flow.get_source_system_display()
    if not flow.natural_key:
        raise ValidationError({"natural_key": [
            f"{flow.name!r} finds records by id only; give the {system} id."]})
    entity = connector_entity(flow, "source")
    try:
        found = connector_for(flow.source_connection).find_existing(
            entity, _nested(flow.natural_key, natural_key))
    except ConnectorError as exc:
        raise ValidationError({"natural_key": [
            f"Could not look {natural_key!r} up in {system}: {exc}"]}) from exc
    if not found:
        raise ValidationError({"natural_key": [
            f"{system} has no {flow.entity.replace('_', ' ')} with "
            f"{flow.natural_key.rsplit('.', 1)[-1]} {natural_key!r}. Create it there (or "
            "correct the record that names it), then replay."]})
    return str(found)
