"""BigCommerce emulator: stores under ``/bigcommerce/stores/{store_hash}/v2|v3``.

Auth is the store's ``X-Auth-Token`` (API-account tokens never expire; the control API can
revoke them). Apps get a token through the install flow: ``GET /bigcommerce/app/{client_id}/
install`` (a page a browser clicks through, standing in for login.bigcommerce.com), which calls
the app back with ``code``, ``scope`` and ``context``; the app trades the code at
``POST /bigcommerce/oauth2/token``. Route modules: ``bigcommerce_orders`` (v2 orders, shipments,
v3 refunds/transactions) and ``bigcommerce_catalog`` (products, variants, inventory, customers).
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import time
import zlib
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from sandboxes.faults import FaultKind
from sandboxes.seeding import Dataset
from sandboxes.state import Account
from sandboxes.system import DemoAccount, SandboxSystem, SystemContext, system_context
from sandboxes.systems import bigcommerce_catalog, bigcommerce_orders
from sandboxes.systems.bigcommerce_catalog import customer_create, product_create
from sandboxes.systems.bigcommerce_common import (
    BcError,
    Store,
    api,
    error_response,
    json_body,
    json_response,
    rate_headers,
    v3_page,
)
from sandboxes.systems.bigcommerce_orders import order_create, shipment_create

DEMO_STORE = "ccdemo01"
DEMO_CREDENTIALS = {
    "store_hash": DEMO_STORE,
    "store_id": "1001001",
    "access_token": "bc-demo-access-token",
    "client_id": "bc-demo-client-id",
    "client_secret": "bc-demo-client-secret",
    "redirect_uri": "http://localhost:8000/oauth/bigcommerce/callback",
    "user_email": "merchant@example.com",
}
APP_SCOPE = ("store_v2_orders store_v2_products store_v2_customers store_inventory "
             "store_v2_transactions")
CODE_TTL_S = 300

HOOK_SCOPES = {
    "store/order/*", "store/order/created", "store/order/updated", "store/order/archived",
    "store/order/statusUpdated", "store/order/refund/created", "store/order/message/created",
    "store/product/*", "store/product/created", "store/product/updated",
    "store/product/deleted", "store/product/inventory/updated",
    "store/product/inventory/order/updated", "store/sku/*", "store/sku/inventory/updated",
    "store/customer/*", "store/customer/created", "store/customer/updated",
    "store/customer/deleted", "store/customer/address/created", "store/shipment/*",
    "store/shipment/created", "store/shipment/updated", "store/shipment/deleted",
    "store/app/uninstalled",
}


# -- accounts ------------------------------------------------------------------------------------

def create_account(ctx: SystemContext, name: str, requested: dict[str, Any]) -> dict[str, Any]:
    existing = ctx.account(name)
    creds = dict(existing.credentials) if existing else {}
    creds.update(requested)
    creds.setdefault("store_hash", name)
    creds.setdefault("store_id", str(1000000 + zlib.crc32(name.encode()) % 9000000))
    creds.setdefault("access_token", secrets.token_hex(16))
    creds.setdefault("client_id", secrets.token_hex(12))
    creds.setdefault("client_secret", secrets.token_hex(16))
    creds.setdefault("redirect_uri", DEMO_CREDENTIALS["redirect_uri"])
    creds.setdefault("user_email", f"owner@{name}.example.com")
    if ctx.state.token_get(creds["access_token"]) is None:
        ctx.state.token_issue(name, "bc_store_token", ttl_s=None, value=creds["access_token"],
                              data={"scope": APP_SCOPE})
    return creds


def init_account(ctx: SystemContext, account: Account) -> None:
    account.settings.setdefault("tax_rate", 20.0)
    account.settings.setdefault("currency", "GBP")


STATUS_BY_SEED = {"new": 7, "paid": 11, "allocated": 9, "shipped": 2, "completed": 10,
                  "cancelled": 5}


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def seed_account(ctx: SystemContext, account: Account, data: Dataset) -> None:
    """Write the neutral dataset as catalog products, customers, orders and shipments."""
    store = Store(ctx, account, "v3", f"{ctx.base_url}/stores/{account.name}")
    products: dict[int, dict[str, Any]] = {}
    taken = {p["name"].lower() for p in store.table("products").values()}
    skus = {v["sku"].lower() for v in store.table("variants").values()}
    for item in data.products:
        name, sku = item["name"], item["sku"]
        while name.lower() in taken or sku.lower() in skus:
            name, sku = f"{item['name']} #{len(taken)}", f"{item['sku']}-{len(taken)}"
        taken.add(name.lower())
        skus.add(sku.lower())
        product = product_create(store, {
            "name": name, "type": "physical", "sku": sku, "description":
            f"<p>{item['description']}</p>", "weight": item["weight_kg"],
            "price": item["price"], "cost_price": item["cost"], "upc": item["barcode"],
            "brand_id": item["brand_key"], "categories": [20 + list(
                ("Outdoor", "Kitchen", "Home", "Apparel", "Tools")).index(item["category"])],
            "is_visible": item["active"], "inventory_tracking": "product",
            "inventory_level": item["stock"].get("MAIN", 0),
        }, emit=False, created_at=_epoch(item["created_at"]))
        base = store.table("variants").get(product["base_variant_id"])
        assert base is not None
        base["_locations"]["2"] = item["stock"].get("EAST", 0)
        base["inventory_level"] = sum(base["_locations"].values())
        product["inventory_level"] = base["inventory_level"]
        products[item["key"]] = product
    customers: dict[int, dict[str, Any]] = {}
    emails = {c["email"].lower() for c in store.table("customers").values()}
    for person in data.customers:
        if person["email"].lower() in emails:
            continue
        address = person["address"]
        customers[person["key"]] = customer_create(store, {
            "email": person["email"], "first_name": person["first_name"],
            "last_name": person["last_name"], "company": person["company"],
            "phone": person["phone"],
            "addresses": [{
                "first_name": person["first_name"], "last_name": person["last_name"],
                "company": person["company"], "address1": address["line1"],
                "address2": address["line2"], "city": address["city"],
                "state_or_province": address["region"], "postal_code": address["postal_code"],
                "country_code": address["country_iso2"], "country": address["country"],
                "phone": person["phone"],
            }],
        }, emit=False, created_at=_epoch(person["created_at"]))
    people = {p["key"]: p for p in data.customers}
    shipments = {s["order_key"]: s for s in data.shipments}
    payments = {p["order_key"]: p for p in data.payments}
    for order in data.orders:
        person = people[order["customer_key"]]
        customer = customers.get(order["customer_key"])
        address = order["billing_address"]
        billing = {
            "first_name": person["first_name"], "last_name": person["last_name"],
            "company": person.get("company", ""), "street_1": address["line1"],
            "street_2": address["line2"], "city": address["city"], "state": address["region"],
            "zip": address["postal_code"], "country": address["country"],
            "country_iso2": address["country_iso2"], "phone": person["phone"],
            "email": person["email"],
        }
        lines = []
        for line in order["lines"]:
            product = products.get(line["product_key"])
            if product is None:
                continue
            lines.append({
                "product_id": product["id"], "quantity": line["quantity"],
                "price_ex_tax": line["unit_price"],
                "price_inc_tax": round(line["unit_price"] * (1 + line["tax_rate"] / 100), 2),
            })
        if not lines:
            continue
        status = STATUS_BY_SEED.get(order["status"], 11)
        payment = payments.get(order["key"])
        created = order_create(store, {
            "customer_id": customer["id"] if customer else 0,
            "status_id": 2 if status in (2, 10) else status,
            "billing_address": billing,
            "shipping_addresses": [{**billing, "shipping_method": order["shipping_method"]}],
            "products": lines,
            "shipping_cost_ex_tax": order["shipping"],
            "shipping_cost_inc_tax": order["shipping"],
            "payment_method": {"CARD": "Credit Card", "PAYPAL": "PayPal",
                               "BANK_TRANSFER": "Bank Deposit"}.get(
                payment["method"] if payment else "", "Manual"),
            "currency_code": order["currency"],
            "customer_message": order["notes"],
            "channel_id": 1,
            "external_source": None,
        }, emit=False, created_at=_epoch(order["placed_at"]))
        shipment = shipments.get(order["key"])
        if shipment is not None:
            address_id = store.table("order_shipping_addresses").find(
                lambda a, oid=created["id"]: a["order_id"] == oid)[0]["id"]
            items = [{"order_product_id": line["id"], "quantity": line["quantity"]}
                     for line in store.table("order_products").find(
                         lambda r, oid=created["id"]: r["order_id"] == oid)]
            shipment_create(store, created, {
                "order_address_id": address_id, "items": items,
                "tracking_number": shipment["tracking_number"],
                "shipping_provider": "", "tracking_carrier": shipment["carrier"].lower()
                .replace(" ", ""), "shipping_method": order["shipping_method"],
            }, emit=False, created_at=_epoch(shipment["shipped_at"]))
        if status == 10:
            created["status_id"] = 10
            created["custom_status"] = "Completed"


# -- hooks ---------------------------------------------------------------------------------------

def _hook_validate(body: Any, *, partial: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BcError(422, "JSON data is missing or invalid", {"body": "error.expected.jsobject"})
    if not partial:
        for name in ("scope", "destination"):
            if not body.get(name):
                raise BcError(422, "JSON data is missing or invalid", {name: "error.path.missing"})
    if "scope" in body and body["scope"] not in HOOK_SCOPES:
        raise BcError(422, "Invalid scope", {"scope": f"{body['scope']} is not a valid scope"})
    if "destination" in body:
        parts = urlsplit(str(body["destination"]))
        # The real service insists on https on port 443; the sandbox also takes http so local
        # receivers (tenant.localhost:8000) work.
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BcError(422, "Invalid destination",
                          {"destination": "The destination must be a valid https URL"})
    if "headers" in body and body["headers"] is not None and not (
        isinstance(body["headers"], dict)
        and all(isinstance(v, str) for v in body["headers"].values())
    ):
        raise BcError(422, "JSON data is missing or invalid",
                      {"headers": "error.expected.jsobject of strings"})
    return body


def _hook(store: Store, hook_id: int) -> dict[str, Any]:
    hook = store.table("hooks").get(hook_id)
    if hook is None:
        raise BcError(404, "Webhook not found")
    return hook


@api("v3")
async def hooks_list(request: Request, store: Store) -> Response:
    rows = list(store.table("hooks").values())
    q = request.query_params
    if "is_active" in q:
        wanted = q["is_active"].lower() == "true"
        rows = [h for h in rows if h["is_active"] == wanted]
    if "scope" in q:
        rows = [h for h in rows if h["scope"] == q["scope"]]
    if "destination" in q:
        rows = [h for h in rows if h["destination"] == q["destination"]]
    page, meta = v3_page(request, rows)
    return json_response({"data": page, "meta": meta})


@api("v3")
async def hooks_create(request: Request, store: Store) -> Response:
    body = _hook_validate(await json_body(request, "v3"), partial=False)
    table = store.table("hooks")
    hook_id = table.next_id()
    now = int(time.time())
    token = store.ctx.state.token_get(request.headers.get("x-auth-token", ""))
    hook = {
        "id": hook_id,
        "client_id": (token.data.get("client_id") if token else None)
        or store.account.credentials.get("client_id"),
        "store_hash": store.hash,
        "scope": body["scope"],
        "destination": body["destination"],
        "headers": body.get("headers") or None,
        "is_active": bool(body.get("is_active", True)),
        "events_history_enabled": bool(body.get("events_history_enabled", False)),
        "created_at": now,
        "updated_at": now,
    }
    table.insert(hook, record_id=hook_id)
    return json_response({"data": hook, "meta": {}})


@api("v3")
async def hook_get(request: Request, store: Store) -> Response:
    return json_response({"data": _hook(store, request.path_params["hook_id"]), "meta": {}})


@api("v3")
async def hook_update(request: Request, store: Store) -> Response:
    hook = _hook(store, request.path_params["hook_id"])
    body = _hook_validate(await json_body(request, "v3"), partial=True)
    for name in ("scope", "destination", "headers", "is_active", "events_history_enabled"):
        if name in body:
            hook[name] = body[name]
    hook["updated_at"] = int(time.time())
    store.table("hooks").touch(hook["id"])
    return json_response({"data": hook, "meta": {}})


@api("v3")
async def hook_delete(request: Request, store: Store) -> Response:
    hook = _hook(store, request.path_params["hook_id"])
    store.table("hooks").delete(hook["id"])
    return json_response({"data": hook, "meta": {}})


# -- app install and OAuth -----------------------------------------------------------------------

def _apps(ctx: SystemContext, client_id: str) -> list[Account]:
    return [a for a in ctx.state.accounts.values() if a.credentials.get("client_id") == client_id]


def _install_page(client_id: str, stores: list[Account], query: dict[str, str]) -> str:
    options = "".join(
        f'<option value="{html.escape(a.name)}"'
        f'{" selected" if a.name == query.get("store_hash") else ""}>'
        f"{html.escape(a.name)}</option>"
        for a in stores
    )
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in query.items() if k in ("redirect_uri", "state", "scope")
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Install app - BigCommerce (sandbox)</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto">
<h1>Install app</h1>
<p>The app <code>{html.escape(client_id)}</code> asks for access to your store:
orders, products, customers, inventory and transactions.</p>
<form method="post">
{hidden}
<label>Store <select name="store_hash" id="store_hash">{options}</select></label>
<p><button type="submit" name="action" value="install" id="install">Install</button>
<button type="submit" name="action" value="cancel" id="cancel">Cancel</button></p>
</form></body></html>"""


async def app_install(request: Request) -> Response:
    ctx = system_context(request)
    client_id = request.path_params["client_id"]
    stores = _apps(ctx, client_id)
    if not stores:
        return HTMLResponse("<h1>App not found</h1>", status_code=404)
    if request.method == "GET":
        query = dict(request.query_params)
        return HTMLResponse(_install_page(client_id, stores, query))
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    store = next((a for a in stores if a.name == form.get("store_hash")), None)
    if store is None:
        return HTMLResponse("<h1>Unknown store</h1>", status_code=400)
    callback = form.get("redirect_uri") or store.credentials["redirect_uri"]
    if form.get("action") == "cancel":
        return RedirectResponse(f"{callback}?{urlencode({'error': 'access_denied'})}",
                                status_code=302)
    scope = form.get("scope") or APP_SCOPE
    code = ctx.state.token_issue(store.name, "bc_auth_code", ttl_s=CODE_TTL_S, nbytes=12, data={
        "client_id": client_id, "redirect_uri": callback, "scope": scope,
    })
    params = {"code": code.value, "scope": scope, "context": f"stores/{store.name}",
              "account_uuid": _account_uuid(store.name)}
    if form.get("state"):
        params["state"] = form["state"]
    sep = "&" if "?" in callback else "?"
    return RedirectResponse(f"{callback}{sep}{urlencode(params)}", status_code=302)


def _account_uuid(store_hash: str) -> str:
    digest = hashlib.md5(store_hash.encode()).hexdigest()  # noqa: S324 - an id, not security
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status=status)


async def oauth_token(request: Request) -> Response:
    ctx = system_context(request)
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            form = {k: str(v) for k, v in json.loads(raw or b"{}").items()}
        except (ValueError, AttributeError):
            return _oauth_error(400, "invalid_request", "The request body is not valid JSON")
    else:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    if form.get("grant_type") != "authorization_code":
        return _oauth_error(400, "unsupported_grant_type",
                            "Only the authorization_code grant is supported")
    code = ctx.state.token_get(form.get("code", ""), "bc_auth_code")
    if code is None or code.expired:
        return _oauth_error(400, "invalid_grant", "The authorization code is invalid or expired")
    store = ctx.account(code.account)
    if (
        store is None
        or form.get("client_id") != code.data["client_id"]
        or form.get("client_secret") != store.credentials.get("client_secret")
    ):
        return _oauth_error(401, "invalid_client", "Invalid client id or secret")
    if form.get("redirect_uri") and form["redirect_uri"] != code.data["redirect_uri"]:
        return _oauth_error(400, "invalid_grant", "redirect_uri does not match")
    if form.get("context") and form["context"] != f"stores/{store.name}":
        return _oauth_error(400, "invalid_grant", "context does not match the code")
    ctx.state.token_revoke(code.value)
    access = ctx.state.token_issue(store.name, "bc_access_token", ttl_s=None, nbytes=20, data={
        "client_id": code.data["client_id"], "scope": code.data["scope"],
    })
    email = store.credentials.get("user_email", "merchant@example.com")
    user = {"id": 9000000 + zlib.crc32(email.encode()) % 999999, "username": email,
            "email": email}
    return json_response({
        "access_token": access.value,
        "scope": code.data["scope"],
        "user": user,
        "owner": user,
        "context": f"stores/{store.name}",
        "account_uuid": _account_uuid(store.name),
    })


# -- faults and fallbacks ------------------------------------------------------------------------

def _version(path: str) -> str:
    return "v2" if "/v2/" in path else "v3"


def _store_from_path(path: str) -> str | None:
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "stores" else None


def fault_response(ctx: SystemContext, kind: FaultKind, scope: Scope) -> Response:
    path = scope.get("path", "")
    version = _version(path)
    if kind is FaultKind.RATE_LIMITED:
        store = _store_from_path(path.split("/bigcommerce", 1)[-1]) or ""
        window = int(ctx.limit("window_ms", store or None))
        return error_response(version, 429,
                              "You have exceeded your request quota, please retry later",
                              headers=rate_headers(ctx, store, 0, window))
    return error_response(version, 500, "Internal Server Error")


async def not_found(request: Request) -> Response:
    return error_response(_version(request.url.path), 404, "The requested resource was not found.")


@api("v3")
async def store_info(request: Request, store: Store) -> Response:
    creds = store.account.credentials
    return json_response({
        "id": store.hash, "account_uuid": _account_uuid(store.hash),
        "domain": f"{store.hash}.mybigcommerce.example", "secure_url":
        f"https://{store.hash}.mybigcommerce.example", "name": f"Store {store.hash}",
        "admin_email": creds.get("user_email"), "order_email": creds.get("user_email"),
        "currency": store.account.settings.get("currency", "GBP"),
        "timezone": {"name": "Europe/London", "raw_offset": 0, "dst_offset": 0},
        "country": "United Kingdom", "country_code": "GB", "plan_name": "Standard",
        "plan_level": "Standard", "status": "live", "store_id": int(creds.get("store_id", 0)),
    })


routes = [
    Route("/app/{client_id}/install", app_install, methods=["GET", "POST"]),
    Route("/oauth2/token", oauth_token, methods=["POST"]),
    Route("/stores/{store_hash}/v2/store", store_info, methods=["GET"]),
    Route("/stores/{store_hash}/v3/hooks", hooks_list, methods=["GET"]),
    Route("/stores/{store_hash}/v3/hooks", hooks_create, methods=["POST"]),
    Route("/stores/{store_hash}/v3/hooks/{hook_id:int}", hook_get, methods=["GET"]),
    Route("/stores/{store_hash}/v3/hooks/{hook_id:int}", hook_update, methods=["PUT"]),
    Route("/stores/{store_hash}/v3/hooks/{hook_id:int}", hook_delete, methods=["DELETE"]),
    *bigcommerce_orders.routes,
    *bigcommerce_catalog.routes,
    Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
]

SYSTEM = SandboxSystem(
    name="bigcommerce",
    title="BigCommerce",
    routes=routes,
    demo_account=DemoAccount(DEMO_STORE, DEMO_CREDENTIALS),
    create_account=create_account,
    init_account=init_account,
    seed_account=seed_account,
    fault_response=fault_response,
    account_from_path=_store_from_path,
    default_limits={
        "requests_quota": 150,
        "window_ms": 30000,
        # BigCommerce retries after 60 s, 180 s, 180 s, 1200 s, 3000 s … for 48 h, then
        # deactivates the hook; the sandbox runs that schedule 600 times faster, shortened.
        "webhook_retry_delays_s": [0.1, 0.3, 0.3, 2.0, 5.0],
    },
    base_path="/stores/{store_hash}/v2|v3",
)
