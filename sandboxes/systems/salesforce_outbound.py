"""Salesforce Outbound Messages: SOAP ``notifications`` (≤ 100 ``Notification``s each) sent when
records of a configured object are created or updated, retried until the receiver answers
``<Ack>true</Ack>`` (at-least-once; the retry schedule is compressed, see the
``outbound_retry_delays_s`` limit).

Configurations live in the org's settings (``outbound_messages``) and are managed through the
sandbox's setup resource ``/salesforce/instances/{org}/_setup/outbound-messages``, standing in for
Setup → Outbound Messages + the workflow rule / flow that triggers them.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from xml.sax.saxutils import escape

import httpx

from sandboxes.state import Account
from sandboxes.system import SystemContext
from sandboxes.systems.salesforce_records import Change
from sandboxes.systems.salesforce_schema import make_id, sobject_named

MAX_PER_MESSAGE = 100
BATCH_WAIT_S = 0.05
ACK_RE = re.compile(r"<(?:\w+:)?Ack>\s*true\s*</(?:\w+:)?Ack>", re.IGNORECASE)

_pending: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
_flushing: set[tuple[str, str, str]] = set()
_tasks: set[asyncio.Task[None]] = set()


def configs(account: Account) -> list[dict[str, Any]]:
    return account.settings.setdefault("outbound_messages", [])


def config_create(account: Account, body: dict[str, Any], seq: int) -> dict[str, Any]:
    """Validate and store an outbound message definition; raises ValueError on bad input."""
    sobject = sobject_named(str(body.get("object", "")))
    if sobject is None:
        raise ValueError(f"unknown object {body.get('object')!r}")
    url = body.get("endpointUrl")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError("endpointUrl must be an http(s) URL")
    fields = body.get("fields") or ["Id"]
    names = []
    for name in fields:
        f = sobject.field_named(str(name))
        if f is None:
            raise ValueError(f"no field {name!r} on {sobject.name}")
        names.append(f.name)
    if "Id" not in names:
        names.insert(0, "Id")
    events = body.get("events") or ["created", "updated"]
    if not set(events) <= {"created", "updated"}:
        raise ValueError("events must be a subset of ['created', 'updated']")
    config = {
        "id": make_id("04k", seq),
        "name": str(body.get("name") or f"{sobject.name}_Outbound"),
        "object": sobject.name,
        "endpointUrl": url,
        "fields": names,
        "events": list(events),
        "includeSessionId": bool(body.get("includeSessionId", False)),
        "active": bool(body.get("active", True)),
    }
    configs(account).append(config)
    return config


def changes_publish(ctx: SystemContext, account: Account, changes: list[Change],
                    session_id: str | None) -> None:
    """Queue notifications for committed changes and make sure a sender is running."""
    for config in configs(account):
        if not config["active"]:
            continue
        for change in changes:
            if change.sobject != config["object"] or change.kind not in config["events"]:
                continue
            record = account.table(change.sobject).get(change.record_id)
            if record is None:
                continue
            key = (ctx.name, account.name, config["id"])
            counter = account.settings.get("notification_seq", 0) + 1
            account.settings["notification_seq"] = counter
            _pending.setdefault(key, []).append({
                "id": make_id("04l", counter),
                "fields": {name: record.get(name) for name in config["fields"]},
            })
            if key not in _flushing:
                _flushing.add(key)
                task = asyncio.get_running_loop().create_task(
                    _flush(ctx, account, config, key, session_id))
                _tasks.add(task)
                task.add_done_callback(_tasks.discard)


async def _flush(ctx: SystemContext, account: Account, config: dict[str, Any],
                 key: tuple[str, str, str], session_id: str | None) -> None:
    try:
        await asyncio.sleep(BATCH_WAIT_S)
        while _pending.get(key):
            batch = _pending[key][:MAX_PER_MESSAGE]
            del _pending[key][:MAX_PER_MESSAGE]
            ctx.webhook_send(
                account.name,
                event=f"outbound_message:{config['object']}",
                url=config["endpointUrl"],
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
                body=envelope(ctx, account, config, batch, session_id),
                retry_on=lambda status, error: True,
                accept=_acknowledged,
                delays_s=ctx.limit("outbound_retry_delays_s", account.name),
                meta={"action_id": config["id"], "notifications": [n["id"] for n in batch]},
            )
    finally:
        _flushing.discard(key)


def _acknowledged(response: httpx.Response) -> bool:
    return bool(ACK_RE.search(response.text))


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return escape(str(value))


def envelope(ctx: SystemContext, account: Account, config: dict[str, Any],
             notifications: list[dict[str, Any]], session_id: str | None) -> str:
    org_id = account.credentials["org_id"]
    instance = f"{ctx.base_url}/instances/{account.name}"
    session = (f"<SessionId>{escape(session_id)}</SessionId>"
               if config["includeSessionId"] and session_id else '<SessionId xsi:nil="true"/>')
    items = []
    for note in notifications:
        fields = "".join(
            f"<sf:{name}>{_xml_value(value)}</sf:{name}>"
            for name, value in note["fields"].items() if value is not None
        )
        items.append(
            f"<Notification><Id>{note['id']}</Id>"
            f'<sObject xsi:type="sf:{config["object"]}" '
            f'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">{fields}</sObject>'
            "</Notification>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body>"
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{org_id}</OrganizationId>"
        f"<ActionId>{config['id']}</ActionId>"
        f"{session}"
        f"<EnterpriseUrl>{escape(instance)}/services/Soap/c/60.0/{org_id}</EnterpriseUrl>"
        f"<PartnerUrl>{escape(instance)}/services/Soap/u/60.0/{org_id}</PartnerUrl>"
        + "".join(items)
        + "</notifications></soapenv:Body></soapenv:Envelope>"
    )


ACK_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Body>"
    '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
    "<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"
)
