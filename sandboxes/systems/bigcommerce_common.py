"""BigCommerce plumbing shared by its route modules: auth, rate limit, errors, paging, hooks.

Every API route is wrapped by ``api("v2"|"v3")``, which resolves the store from the path, checks
``X-Auth-Token``, counts the request against the store's 30-second window, answers errors in the
version's own shape (v2: ``[{"status", "message"}]``; v3: problem+json) and stamps the
``X-Rate-Limit-*`` headers on every answer, errors included.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sandboxes.state import Account, Table
from sandboxes.system import SystemContext, json_dumps, system_context
from sandboxes.webhooks import Delivery

PROBLEM_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
TOKEN_KINDS = ("bc_store_token", "bc_access_token")

# First id per entity, so a fresh store looks like a real one (orders start at 100).
FIRST_IDS = {
    "orders": 100,
    "order_products": 1,
    "order_shipping_addresses": 1,
    "shipments": 1,
    "products": 111,
    "variants": 1,
    "customers": 1,
    "customer_addresses": 1,
    "hooks": 20000001,
    "refunds": 1,
    "transactions": 1,
}

ORDER_STATUSES: dict[int, tuple[str, str]] = {
    0: ("Incomplete", "An incomplete order happens when a shopper reached the payment page, "
        "but did not complete the transaction."),
    1: ("Pending", "Customer started the checkout process, but did not complete it."),
    2: ("Shipped", "Order has been shipped, but receipt has not been confirmed."),
    3: ("Partially Shipped", "Only some items in the order have been shipped."),
    4: ("Refunded", "Seller has used the Refund action."),
    5: ("Cancelled", "Seller has cancelled an order, due to a stock inconsistency or other "
        "reasons."),
    6: ("Declined", "Seller has marked the order as declined for lack of manual payment, or "
        "other reasons."),
    7: ("Awaiting Payment", "Customer has completed checkout process, but payment has yet to be "
        "confirmed."),
    8: ("Awaiting Pickup", "Order has been pulled, and is awaiting customer pickup from a "
        "seller-specified location."),
    9: ("Awaiting Shipment", "Order has been pulled and packaged, and is awaiting collection "
        "from a shipping provider."),
    10: ("Completed", "Client has paid for their digital product and their file(s) are "
         "available for download."),
    11: ("Awaiting Fulfillment", "Customer has completed the checkout process and payment has "
         "been confirmed."),
    12: ("Manual Verification Required", "Order on hold while some aspect needs to be manually "
         "confirmed."),
    13: ("Disputed", "Customer has initiated a dispute resolution process for the PayPal "
         "transaction that paid for the order."),
    14: ("Partially Refunded", "Seller has partially refunded the order."),
}

LOCATIONS = [
    {"id": 1, "code": "BC-LOCATION-1", "label": "Main Warehouse", "type_id": "PHYSICAL"},
    {"id": 2, "code": "EAST-DC", "label": "East Coast DC", "type_id": "PHYSICAL"},
]


class BcError(Exception):
    """An API error; rendered in the v2 or v3 shape by ``api``."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: dict[str, str] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}
        self.headers = headers or {}


def error_body(version: str, status: int, message: str, errors: dict[str, str] | None = None
               ) -> tuple[bytes, str]:
    if version == "v2":
        return json_dumps([{"status": status, "message": message}]), "application/json"
    problem = {"status": status, "title": message, "type": PROBLEM_TYPE, "errors": errors or {}}
    return json_dumps(problem), "application/problem+json"


def error_response(version: str, status: int, message: str,
                   errors: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    body, media = error_body(version, status, message, errors)
    return Response(body, status_code=status, media_type=media, headers=headers)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json_dumps(data), status_code=status, media_type="application/json")


# -- dates ---------------------------------------------------------------------------------------

def rfc2822(ts: float | None = None) -> str:
    """v2 dates: ``Tue, 05 Mar 2024 14:00:00 +0000``."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return format_datetime(moment).replace("-0000", "+0000")


def iso8601(ts: float | None = None) -> str:
    """v3 dates: ``2024-03-05T14:00:00+00:00``."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return moment.replace(microsecond=0).isoformat()


def parse_date(value: str) -> float | None:
    """Epoch seconds from the forms BigCommerce accepts in filters and stores in records."""
    text = value.strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return float(text)
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def money(value: float) -> str:
    """v2 money is a string with four decimals."""
    return f"{value:.4f}"


# -- store access --------------------------------------------------------------------------------

@dataclass
class Store:
    """The store a request addresses, with helpers for its tables and URLs."""

    ctx: SystemContext
    account: Account
    version: str
    base_url: str  # .../bigcommerce/stores/{hash}

    @property
    def hash(self) -> str:
        return self.account.name

    def table(self, entity: str) -> Table:
        return store_table(self.account, entity)

    def emit(self, scope: str, data: dict[str, Any]) -> None:
        hooks_fire(self.ctx, self.account, scope, data)


def store_table(account: Account, entity: str) -> Table:
    if entity not in account.tables and entity in FIRST_IDS:
        account.first_ids.setdefault(entity, FIRST_IDS[entity])
    return account.table(entity)


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A record without the sandbox's private ``_`` keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


Handler = Callable[[Request, Store], Awaitable[Response]]


def api(version: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            ctx = system_context(request)
            store_hash = request.path_params["store_hash"]
            account = ctx.account(store_hash)
            if account is None:
                return error_response(version, 404, "Store not found")
            token = ctx.state.token_get(request.headers.get("x-auth-token", ""))
            if (
                token is None
                or token.kind not in TOKEN_KINDS
                or token.account != store_hash
                or token.expired
            ):
                return error_response(
                    version, 401, "No valid credentials were found in this request"
                )
            budget = ctx.fixed_window("requests", ctx.limit("window_ms", store_hash) / 1000).hit(
                store_hash,
                int(ctx.limit("requests_quota", store_hash)),
                window_s=ctx.limit("window_ms", store_hash) / 1000,
            )
            headers = rate_headers(ctx, store_hash, budget.remaining, budget.reset_ms)
            if not budget.allowed:
                return error_response(
                    version, 429, "You have exceeded your request quota, please retry later",
                    headers=headers,
                )
            base = f"{request.url.scheme}://{request.url.netloc}/{ctx.name}/stores/{store_hash}"
            store = Store(ctx, account, version, base)
            try:
                response = await handler(request, store)
            except BcError as exc:
                response = error_response(version, exc.status, exc.message, exc.errors,
                                          {**exc.headers})
            response.headers.update(headers)
            return response

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


def rate_headers(ctx: SystemContext, store_hash: str, left: int, reset_ms: int
                 ) -> dict[str, str]:
    return {
        "X-Rate-Limit-Time-Window-Ms": str(int(ctx.limit("window_ms", store_hash))),
        "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
        "X-Rate-Limit-Requests-Quota": str(int(ctx.limit("requests_quota", store_hash))),
        "X-Rate-Limit-Requests-Left": str(left),
    }


async def json_body(request: Request, version: str) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        if version == "v2":
            raise BcError(400, "The request body is not valid JSON.") from None
        raise BcError(422, "JSON data is missing or invalid",
                      {"body": "error.json.invalid"}) from None


def object_body(data: Any, version: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        if version == "v2":
            raise BcError(400, "The request body must be a JSON object.")
        raise BcError(422, "JSON data is missing or invalid", {"body": "error.expected.jsobject"})
    return data


def int_param(request: Request, name: str, default: int, *, low: int = 1, high: int | None = None
              ) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BcError(400 if "v2" in request.url.path else 422,
                      f"The parameter '{name}' must be an integer.") from None
    value = max(low, value)
    return min(value, high) if high is not None else value


def v3_page(request: Request, rows: list[dict[str, Any]], default_limit: int = 50
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Slice ``rows`` by ``page``/``limit``; returns the page and ``meta``."""
    limit = int_param(request, "limit", default_limit, high=250)
    page = int_param(request, "page", 1)
    total = len(rows)
    pages = max(1, -(-total // limit))
    chunk = rows[(page - 1) * limit : page * limit]
    params = {k: v for k, v in request.query_params.items() if k not in ("page", "limit")}

    def link(n: int) -> str:
        return "?" + urlencode({**params, "page": n, "limit": limit})

    links: dict[str, str] = {"current": link(page)}
    if page > 1:
        links["previous"] = link(page - 1)
    if page < pages:
        links["next"] = link(page + 1)
    meta = {
        "pagination": {
            "total": total,
            "count": len(chunk),
            "per_page": limit,
            "current_page": page,
            "total_pages": pages,
            "links": links,
        }
    }
    return chunk, meta


def csv_ints(value: str | None) -> list[int]:
    out = []
    for part in (value or "").split(","):
        part = part.strip()
        if part.lstrip("-").isdigit():
            out.append(int(part))
    return out


# -- hooks ---------------------------------------------------------------------------------------

def scope_matches(registered: str, fired: str) -> bool:
    if registered.endswith("/*"):
        return fired.startswith(registered[:-1])
    return registered == fired


def hooks_fire(ctx: SystemContext, account: Account, scope: str, data: dict[str, Any]) -> None:
    """Deliver ``scope`` to every active hook of the store that subscribes to it."""
    hooks = account.tables.get("hooks")
    if hooks is None:
        return
    for hook_id, hook in hooks.items():
        if not hook.get("is_active") or not scope_matches(hook["scope"], scope):
            continue
        payload = {
            "created_at": int(time.time()),
            "store_id": str(account.credentials.get("store_id", "")),
            "producer": f"stores/{account.name}",
            "scope": scope,
            "hash": hashlib.sha1(json_dumps(data)).hexdigest(),  # noqa: S324 - vendor's choice
            "data": data,
        }
        headers = {"Content-Type": "application/json", **(hook.get("headers") or {})}
        ctx.webhook_send(
            account.name,
            event=scope,
            url=hook["destination"],
            headers=headers,
            body=json_dumps(payload),
            on_done=_hook_done(account, hooks, hook_id),
            meta={"hook_id": hook_id},
        )


def _hook_done(account: Account, hooks: Table, hook_id: Any) -> Callable[[Delivery], None]:
    def done(delivery: Delivery) -> None:
        hook = hooks.get(hook_id)
        # Retries exhausted = the (compressed) 48 h failure window passed: BigCommerce
        # deactivates the hook and the app must re-enable it.
        if delivery.status == "failed" and hook is not None and hook.get("is_active"):
            hook["is_active"] = False
            hook["updated_at"] = int(time.time())
            hooks.touch(hook_id)

    return done
