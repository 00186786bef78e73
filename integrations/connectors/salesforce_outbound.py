"""Salesforce Outbound Messages: SOAP ``notifications`` → ``WebhookEvent``s, and the ``Ack``.

Salesforce has no API to create outbound messages for us (they are Setup metadata: an Outbound
Message plus the flow or workflow rule that sends it). The customer creates one per object in
Setup, pointing at the connection's webhook URL and including at least ``Id``,
``CreatedDate`` and ``LastModifiedDate``; until then (and as a safety net, since delivery is
at-least-once, unordered and gives up after 24 h) changes are found by polling with SOQL.

A message holds up to 100 ``Notification``s for one object; Salesforce retries the whole
message until the receiver answers ``<Ack>true</Ack>``. Genuineness: the ``OrganizationId``
must be the connected org's (``outbound_org_id``), and the URL carries our per-connection
secret.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from integrations.connectors.base import WebhookEvent
from integrations.connectors.errors import ValidationFailed

SYSTEM = "salesforce"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

ACK_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Body>"
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
).encode()
ACK_CONTENT_TYPE = "text/xml; charset=utf-8"


def outbound_ack() -> bytes:
    """The body to answer a received message with (HTTP 200, ``text/xml``); anything else
    makes Salesforce send the message again."""
    return ACK_BODY


def _notifications(body: bytes) -> ET.Element:
    # Outbound messages never carry a DTD; refusing one keeps entity tricks out of the parser.
    if b"<!DOCTYPE" in body[:2048].upper():
        raise ValidationFailed("Outbound message bodies may not contain a DTD.", system=SYSTEM)
    try:
        # DTDs are refused above and expat (>= 2.4) bounds entity expansion.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise ValidationFailed(f"The outbound message is not XML: {exc}",
                               system=SYSTEM) from exc
    found = root.find(f".//{{{OUTBOUND_NS}}}notifications")
    if found is None:
        raise ValidationFailed("Not a Salesforce outbound message (no notifications).",
                               system=SYSTEM)
    return found


def outbound_org_id(body: bytes) -> str:
    """The 18-character id of the org that sent the message."""
    return (_notifications(body).findtext(f"{{{OUTBOUND_NS}}}OrganizationId") or "").strip()


def outbound_records(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """``(sObject type, {field: text})`` for each notification, in message order."""
    out = []
    for note in _notifications(body).findall(f"{{{OUTBOUND_NS}}}Notification"):
        sobject = note.find(f"{{{OUTBOUND_NS}}}sObject")
        if sobject is None:
            continue
        kind = sobject.get(XSI_TYPE, "").rpartition(":")[2]
        fields = {child.tag.rpartition("}")[2]: (child.text or "") for child in sobject}
        out.append((kind, fields))
    return out


def outbound_parse(body: bytes, entity_for: dict[str, str]) -> list[WebhookEvent]:
    """Notifications → events; ``entity_for`` maps sObject names to our entity names (others
    keep their sObject name); event types are ``<sObject>.created|updated|changed``. The message
    does not say created or updated: the record's ``CreatedDate`` equal to its
    ``LastModifiedDate`` means created; without them, "changed"."""
    events = []
    for kind, fields in outbound_records(body):
        record_id = fields.get("Id")
        if not record_id:
            continue
        created, modified = fields.get("CreatedDate"), fields.get("LastModifiedDate")
        if created and modified:
            event = "created" if created == modified else "updated"
        else:
            event = "changed"
        # Named "<sObject>.created|updated", as flows subscribe to them.
        events.append(WebhookEvent(entity_for.get(kind, kind), record_id, f"{kind}.{event}",
                                   modified or None))
    return events
