"""Brightpearl emulator: request wrapper, error type, ID sets, dates, JSON-Patch, events."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from sandboxes.state import Account, Table
from sandboxes.system import SystemContext, json_dumps

MAX_ID_SET = 500

# Entities and where their ids start (real Brightpearl ids are plain integers per resource).
FIRST_IDS = {
    "product": 1001,
    "contact": 201,
    "postal_address": 301,
    "order": 100001,
    "goods_out_note": 5001,
    "goods_in_note": 6001,
    "customer_payment": 7001,
    "journal": 9001,
    "stock_movement": 20001,
    "webhook": 1,
    "brand": 1,
    "warehouse": 1,
    "channel": 1,
    "price_list": 1,
    "nominal_code": 1,
}

ORDER_RESOURCE = {
    "SO": "sales-order",
    "SC": "sales-credit",
    "PO": "purchase-order",
    "PC": "purchase-credit",
}


class BpError(Exception):
    """An error answered in Brightpearl's shape (``errors[]`` unless ``body`` is given)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.body = body if body is not None else {"errors": [{"code": code, "message": message}]}
        self.headers = headers or {}


def not_found(what: str) -> BpError:
    return BpError(404, "CMNC-404", f"{what} not found")


def bad_request(code: str, message: str) -> BpError:
    return BpError(400, code, message)


@dataclass
class BpRequest:
    """One authenticated public-api call, as handlers see it."""

    ctx: SystemContext
    account: Account
    request: Request
    method: str
    path: str
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.account.name

    def json(self) -> Any:
        if not self.body.strip():
            raise bad_request("CMNC-400", "Request body is empty")
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise bad_request("CMNC-400", f"Request body is not valid JSON: {exc}") from None

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise bad_request("CMNC-400", "Request body must be a JSON object")
        return data

    def table(self, entity: str) -> Table:
        return self.account.table(entity)


def id_set_parse(text: str) -> list[int]:
    """``"1-5,7"`` → ``[1, 2, 3, 4, 5, 7]``; Brightpearl caps an ID set at 500 ids."""
    ids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise bad_request("CMNC-400", f"Invalid ID set '{text}'")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low:
            raise bad_request("CMNC-400", f"Invalid ID range '{part}'")
        if len(ids) + high - low + 1 > MAX_ID_SET:
            raise bad_request("CMNC-400", f"An ID set may hold at most {MAX_ID_SET} ids")
        ids.extend(range(low, high + 1))
    return ids


def id_set_format(ids: list[int]) -> str:
    """``[1, 2, 3, 7]`` → ``"1-3,7"``."""
    ordered = sorted(set(ids))
    parts: list[str] = []
    start = prev = None
    for value in ordered:
        if start is None:
            start = prev = value
        elif value == prev + 1:  # type: ignore[operator]
            prev = value
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = value
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def records_by_id_set(table: Table, id_set: str, what: str) -> list[dict[str, Any]]:
    """Records for an ID set; ids that don't exist are left out, none at all is a 404."""
    if id_set == "*":
        return list(table.values())
    found = [r for r in (table.get(i) for i in id_set_parse(id_set)) if r is not None]
    if not found:
        raise not_found(what)
    return found


def bp_time(epoch: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def time_parse(text: str) -> float:
    """ISO 8601 (``Z`` or offset; date only allowed) → epoch seconds."""
    value = text.strip().replace("Z", "+00:00").replace(" ", "+")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request("CMNC-400", f"Invalid date '{text}'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def money4(value: float) -> str:
    return f"{value:.4f}"


def number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise bad_request("CMNC-400", f"{what} must be a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise bad_request("CMNC-400", f"{what} must be a number")


def record_saved(table: Table, record_id: int, record: dict[str, Any]) -> None:
    """Touch a record after an in-place change, keeping its ``updatedOn`` in step."""
    table.touch(record_id)
    record["updatedOn"] = bp_time(table.updated[record_id])


# -- JSON-Patch (RFC 6902 subset Brightpearl accepts: add, replace, remove, test) -----------


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise bad_request("CMNC-400", f"Invalid JSON-Patch path '{path}'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch_apply(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    if not isinstance(operations, list):
        raise bad_request("CMNC-400", "PATCH body must be a JSON-Patch array")
    doc = json.loads(json.dumps(document))
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request("CMNC-400", "Each JSON-Patch operation needs 'op' and 'path'")
        keys = _pointer(op["path"])
        parent: Any = doc
        for key in keys[:-1]:
            if isinstance(parent, dict):
                if key not in parent and op["op"] == "add":
                    parent[key] = {}
                parent = parent.get(key)
            elif isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
                parent = parent[int(key)]
            else:
                parent = None
            if parent is None:
                raise bad_request("CMNC-400", f"Path '{op['path']}' does not exist")
        last = keys[-1]
        kind = op["op"]
        if kind in ("add", "replace"):
            if "value" not in op:
                raise bad_request("CMNC-400", f"'{kind}' needs a 'value'")
            if kind == "replace" and isinstance(parent, dict) and last not in parent:
                raise bad_request("CMNC-400", f"Path '{op['path']}' does not exist")
            if isinstance(parent, list):
                if last == "-":
                    parent.append(op["value"])
                else:
                    index = int(last)
                    if kind == "add":
                        parent.insert(index, op["value"])
                    else:
                        parent[index] = op["value"]
            else:
                parent[last] = op["value"]
        elif kind == "remove":
            if isinstance(parent, dict) and last in parent:
                del parent[last]
            elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
                del parent[int(last)]
            else:
                raise bad_request("CMNC-400", f"Path '{op['path']}' does not exist")
        elif kind == "test":
            current = parent.get(last) if isinstance(parent, dict) else None
            if current != op.get("value"):
                raise bad_request("CMNC-400", f"Test failed at '{op['path']}'")
        else:
            raise bad_request("CMNC-400", f"Unsupported JSON-Patch op '{kind}'")
    return doc


# -- webhooks ------------------------------------------------------------------------------

BATCH_DELAY_S = 0.05


def _subscribed(subscription: str, full_event: str) -> bool:
    return (
        subscription in ("*", full_event)
        or full_event.startswith(subscription + ".")
    )


def _render(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    return template


def _retry_policy(quality_of_service: int) -> Callable[[int | None, str | None], bool]:
    if quality_of_service >= 1:
        # QoS 1: retried on anything but a 4xx (connection failures included).
        return lambda status, error: status is None or not 400 <= status < 500
    # QoS 0: retried only when the receiver answers 503.
    return lambda status, error: status == 503


_pending: dict[tuple[str, str, int, str], list[int]] = {}


def event_emit(
    ctx: SystemContext,
    account: Account,
    resource_type: str,
    lifecycle: str,
    resource_id: int,
    detail: str | None = None,
) -> None:
    """Fire the account's webhooks subscribed to ``{resource}.{lifecycle}[.{detail}]``."""
    hooks = account.tables.get("webhook")
    if not hooks or not len(hooks):
        return
    full_event = f"{resource_type}.{lifecycle}" + (f".{detail}" if detail else "")
    for hook in list(hooks.values()):
        if not _subscribed(hook["subscribeTo"], full_event):
            continue
        if hook.get("idSetAccepted"):
            key = (ctx.name, account.name, hook["id"], full_event)
            waiting = _pending.get(key)
            if waiting is None:
                _pending[key] = [resource_id]
                asyncio.get_running_loop().call_later(
                    BATCH_DELAY_S, _flush, ctx, account, hook, resource_type, lifecycle,
                    full_event, key,
                )
            else:
                waiting.append(resource_id)
        else:
            _deliver(ctx, account, hook, resource_type, lifecycle, full_event, str(resource_id))


def _flush(
    ctx: SystemContext,
    account: Account,
    hook: dict[str, Any],
    resource_type: str,
    lifecycle: str,
    full_event: str,
    key: tuple[str, str, int, str],
) -> None:
    ids = _pending.pop(key, [])
    if ids:
        _deliver(ctx, account, hook, resource_type, lifecycle, full_event, id_set_format(ids))


def _deliver(
    ctx: SystemContext,
    account: Account,
    hook: dict[str, Any],
    resource_type: str,
    lifecycle: str,
    full_event: str,
    resource_id: str,
) -> None:
    raised = bp_time()
    values = {
        "account-code": account.name,
        "resource-type": resource_type,
        "resource-id": resource_id,
        "lifecycle-event": lifecycle,
        "full-event": full_event,
        "raise-time": raised,
    }
    if hook.get("bodyTemplate"):
        body = _render(hook["bodyTemplate"], values)
    else:
        default: dict[str, Any] = {
            "accountCode": account.name,
            "resourceType": resource_type,
            "id": int(resource_id) if resource_id.isdigit() else resource_id,
            "lifecycleEvent": lifecycle,
            "fullEvent": full_event,
            "raisedOn": raised,
            "brightpearlVersion": "7.0.0",
        }
        body = json_dumps(default).decode()
    method = hook.get("httpMethod", "POST").upper()
    headers = {"Content-Type": hook.get("contentType") or "application/json"}
    ctx.webhook_send(
        account.name,
        event=full_event,
        url=_render(hook["uriTemplate"], values),
        method=method,
        headers=headers,
        body="" if method in ("GET", "DELETE") else body,
        retry_on=_retry_policy(int(hook.get("qualityOfService") or 0)),
        meta={"webhook_id": hook["id"], "resource_id": resource_id},
    )
