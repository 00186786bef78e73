"""Brightpearl emulator: OAuth2 pages, the public API under ``/public-api/{account}``, limits.

Base URL: ``{sandbox}/brightpearl/public-api/{accountCode}/{service}/{resource}``. Resources live
in ``brightpearl_resources``, searches in ``brightpearl_search``, shared helpers in
``brightpearl_common``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import html
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from sandboxes.faults import FaultKind
from sandboxes.state import Account
from sandboxes.system import DemoAccount, SandboxSystem, SystemContext, json_dumps, system_context
from sandboxes.systems import brightpearl_resources as res
from sandboxes.systems.brightpearl_common import (
    BpError,
    BpRequest,
    bad_request,
    id_set_parse,
    json_patch_apply,
    not_found,
    records_by_id_set,
)
from sandboxes.systems.brightpearl_search import SEARCHES, search_run
from sandboxes.systems.brightpearl_seed import seed_account

CODE_TTL_S = 600
THROTTLED_MESSAGE = "You have sent too many requests. Please wait before sending another request"
DEMO_CREDENTIALS = {
    "client_id": "clarity-connect",
    "client_secret": "demo-client-secret",
    "dev_ref": "clarity",
    "access_token": "demo-access-token",
    "private_app_ref": "clarity-private",
    "account_token": "demo-account-token",
}
DEFAULT_LIMITS: dict[str, Any] = {
    "requests_per_minute": 200,
    "token_ttl_s": 604800,
    "webhook_retry_delays_s": [0.2, 0.5, 1.0, 2.0],
}


# -- accounts ------------------------------------------------------------------------------


def create_account(ctx: SystemContext, name: str, requested: dict[str, Any]) -> dict[str, Any]:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", name):
        raise ValueError("Brightpearl account codes are lowercase letters, digits and '-'")
    credentials = {
        "client_id": "clarity-connect",
        "client_secret": secrets.token_urlsafe(18),
        "dev_ref": "clarity",
        "access_token": secrets.token_urlsafe(24),
        "private_app_ref": "clarity-private",
        "account_token": secrets.token_urlsafe(24),
        **requested,
    }
    # A ready Bearer token, as if the OAuth dance had been done (demo, benchmarks, curl).
    ctx.state.token_issue(
        name, "access", ttl_s=None, value=credentials["access_token"],
        data={"client_id": credentials["client_id"]},
    )
    return credentials


def init_account(ctx: SystemContext, account: Account) -> None:
    res.account_init(ctx, account)
    account.settings.setdefault("installation_instance_id", str(secrets.randbelow(9 * 10**5)
                                                                + 10**5))


# -- responses -----------------------------------------------------------------------------


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json_dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


def _throttle_headers(remaining: int, reset_ms: int) -> dict[str, str]:
    return {
        "brightpearl-requests-remaining": str(remaining),
        "brightpearl-next-throttle-period": str(reset_ms),
    }


def fault_response(ctx: SystemContext, kind: FaultKind, scope: Scope) -> Response:
    limit = int(ctx.limit("requests_per_minute") or 200)
    if kind is FaultKind.RATE_LIMITED:
        return _json(503, {"response": THROTTLED_MESSAGE}, _throttle_headers(0, 60000))
    return _json(500, {"errors": [{"code": "CMNC-500", "message": "An internal error occurred"}]},
                 _throttle_headers(limit, 60000))


def account_from_path(path: str) -> str | None:
    parts = path.split("/", 4)
    if len(parts) > 2 and parts[1] == "public-api":
        return parts[2]
    if len(parts) > 3 and parts[1] == "oauth":
        return parts[3]
    return None


# -- OAuth2 --------------------------------------------------------------------------------

AUTHORIZE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Brightpearl - authorise app</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:4rem auto}}
button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}}</style></head>
<body><h1>Brightpearl (sandbox)</h1>
<p>The app <strong>{client_id}</strong> wants to access the Brightpearl account
<strong>{account}</strong>.</p>
<form method="post" action="">
<input type="hidden" name="client_id" value="{client_id}">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="response_type" value="code">
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form></body></html>
"""


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


async def authorize(request: Request) -> Response:
    ctx = system_context(request)
    name = request.path_params["account"]
    account = ctx.account(name)
    if request.method == "POST":
        params = dict(parse_qsl((await request.body()).decode()))
    else:
        params = dict(request.query_params)
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if account is None:
        return HTMLResponse(f"<h1>Unknown Brightpearl account {html.escape(name)}</h1>", 404)
    if params.get("response_type", "code") != "code":
        return HTMLResponse("<h1>response_type must be code</h1>", 400)
    if client_id != account.credentials["client_id"]:
        return HTMLResponse(f"<h1>Unknown app {html.escape(client_id)}</h1>", 400)
    if not redirect_uri.startswith(("http://", "https://")):
        return HTMLResponse("<h1>redirect_uri is required</h1>", 400)
    state = params.get("state", "")
    if request.method == "GET":
        return HTMLResponse(AUTHORIZE_PAGE.format(
            client_id=html.escape(client_id), account=html.escape(name),
            redirect_uri=html.escape(redirect_uri), state=html.escape(state)))
    if params.get("decision") != "approve":
        return RedirectResponse(_with_query(redirect_uri, {"error": "access_denied",
                                                           "state": state}), 302)
    code = ctx.state.token_issue(name, "code", ttl_s=CODE_TTL_S,
                                 data={"client_id": client_id, "redirect_uri": redirect_uri})
    return RedirectResponse(_with_query(redirect_uri, {"code": code.value, "state": state}), 302)


def _oauth_error(status: int, error: str, description: str) -> Response:
    return _json(status, {"error": error, "error_description": description})


async def token(request: Request) -> Response:
    ctx = system_context(request)
    name = request.path_params["account"]
    account = ctx.account(name)
    params = dict(parse_qsl((await request.body()).decode()))
    client_id = params.get("client_id", "")
    client_secret = params.get("client_secret", "")
    basic = request.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        except (ValueError, binascii.Error):
            return _oauth_error(401, "invalid_client", "Malformed Basic credentials")
    if account is None:
        return _oauth_error(400, "invalid_request", f"Unknown account '{name}'")
    if (client_id != account.credentials["client_id"]
            or not secrets.compare_digest(client_secret, account.credentials["client_secret"])):
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    grant = params.get("grant_type")
    if grant == "authorization_code":
        code = ctx.state.token_get(params.get("code", ""), "code")
        if code is None or code.expired or code.account != name:
            return _oauth_error(400, "invalid_grant", "Authorization code is invalid or expired")
        if code.data["client_id"] != client_id:
            return _oauth_error(400, "invalid_grant", "Code was issued to another client")
        if params.get("redirect_uri", code.data["redirect_uri"]) != code.data["redirect_uri"]:
            return _oauth_error(400, "invalid_grant", "redirect_uri does not match")
        ctx.state.token_revoke(code.value)
        refresh = ctx.state.token_issue(name, "refresh", ttl_s=None,
                                        data={"client_id": client_id})
    elif grant == "refresh_token":
        found = ctx.state.token_get(params.get("refresh_token", ""), "refresh")
        if found is None or found.revoked or found.account != name:
            return _oauth_error(400, "invalid_grant", "Refresh token is invalid")
        refresh = found
    else:
        return _oauth_error(400, "unsupported_grant_type",
                            "grant_type must be authorization_code or refresh_token")
    ttl = int(ctx.limit("token_ttl_s", name))
    access = ctx.state.token_issue(name, "access", ttl_s=ttl, data={"client_id": client_id})
    public = ctx.base_url.split("://", 1)[-1]
    return _json(200, {
        "access_token": access.value,
        "refresh_token": refresh.value,
        "token_type": "Bearer",
        "expires_in": ttl,
        "installation_instance_id": account.settings["installation_instance_id"],
        "api_domain": public,
    }, {"Cache-Control": "no-store"})


# -- public API ----------------------------------------------------------------------------

Handler = Callable[[BpRequest, "re.Match[str]"], Any]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []
ID = r"(\d+)"
IDSET = r"([\d,\-]+)"


def api(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        ROUTES.append((method, re.compile(pattern + r"/?"), func))
        return func

    return register


def _not_authenticated(message: str = "Not authenticated") -> BpError:
    return BpError(401, "CMNC-401", message, body={"response": message})


def authenticate(ctx: SystemContext, account: Account, request: Request) -> str:
    """Check the request's credentials; return the rate-limit key (account [+ developer])."""
    headers = request.headers
    app_ref = headers.get("brightpearl-app-ref")
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        token = ctx.state.token_get(authorization[7:].strip(), "access")
        if token is None or token.account != account.name:
            raise _not_authenticated()
        if token.expired:
            raise _not_authenticated("Authorization token expired")
        if app_ref != token.data.get("client_id"):
            raise _not_authenticated("Missing or wrong brightpearl-app-ref header")
        dev_ref = headers.get("brightpearl-dev-ref")
        if dev_ref != account.credentials["dev_ref"]:
            raise _not_authenticated("Missing or wrong brightpearl-dev-ref header")
        return f"{account.name}:{dev_ref}"
    account_token = headers.get("brightpearl-account-token")
    if account_token is not None:
        if app_ref != account.credentials["private_app_ref"] or not secrets.compare_digest(
            account_token, account.credentials["account_token"]
        ):
            raise _not_authenticated()
        return f"{account.name}:private"
    raise _not_authenticated()


async def public_api(request: Request) -> Response:
    ctx = system_context(request)
    name = request.path_params["account"]
    account = ctx.account(name)
    if account is None:
        return _json(404, {"errors": [{"code": "CMNC-404",
                                       "message": f"Account '{name}' not found"}]})
    try:
        key = authenticate(ctx, account, request)
    except BpError as exc:
        return _json(exc.status, exc.body)
    limit = int(ctx.limit("requests_per_minute", name))
    budget = ctx.rolling_window("requests", 60.0).hit(key, limit)
    headers = _throttle_headers(budget.remaining, budget.reset_ms)
    if not budget.allowed:
        return _json(503, {"response": THROTTLED_MESSAGE}, headers)
    path = request.path_params["path"]
    method = request.method
    path_matched = False
    for route_method, pattern, handler in ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        path_matched = True
        if route_method != method:
            continue
        body = await request.body() if method in ("POST", "PUT", "PATCH") else b""
        bp_request = BpRequest(ctx, account, request, method, path, body,
                               dict(request.query_params))
        try:
            result = handler(bp_request, match)
        except BpError as exc:
            return _json(exc.status, exc.body, {**headers, **exc.headers})
        if isinstance(result, Response):
            result.headers.update(headers)
            return result
        return _json(200, {"response": result}, headers)
    if path_matched:
        return _json(405, {"errors": [{"code": "CMNC-405",
                                       "message": f"Method {method} not allowed"}]}, headers)
    return _json(404, {"errors": [{"code": "CMNC-404", "message": "Resource not found"}]},
                 headers)


def _created(new_id: Any) -> Response:
    # Brightpearl answers a create with 200 and the new id (or ids) as the response.
    return _json(200, {"response": new_id})


# products -------------------------------------------------------------------------------


@api("GET", rf"product-service/product/{IDSET}")
def product_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("product"), m[1], "Product")


@api("POST", r"product-service/product")
def product_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.product_create(req.ctx, req.account, req.json_object()))


@api("PUT", rf"product-service/product/{ID}")
def product_put(req: BpRequest, m: re.Match[str]) -> Any:
    res.product_update(req.ctx, req.account, int(m[1]), req.json_object(),
                       req.request.headers.get("if-match"))
    return None


@api("GET", rf"product-service/product-price/{IDSET}")
def product_price_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("product_price"), m[1], "Product")


@api("PUT", rf"product-service/product-price/{ID}/price-list/{ID}")
def product_price_put(req: BpRequest, m: re.Match[str]) -> Any:
    res.product_price_set(req.ctx, req.account, int(m[1]), int(m[2]), req.json_object())
    return None


@api("GET", r"product-service/price-list")
def price_lists(req: BpRequest, m: re.Match[str]) -> Any:
    return list(req.table("price_list").values())


@api("GET", r"product-service/brand")
def brands(req: BpRequest, m: re.Match[str]) -> Any:
    return list(req.table("brand").values())


@api("GET", rf"product-service/brand/{IDSET}")
def brand_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("brand"), m[1], "Brand")


@api("POST", r"product-service/brand")
def brand_post(req: BpRequest, m: re.Match[str]) -> Any:
    body = req.json_object()
    if not body.get("name") or not isinstance(body["name"], str):
        raise bad_request("PRDC-020", "name is required")
    table = req.table("brand")
    brand_id = table.next_id()
    table.insert({"id": brand_id, "name": body["name"], "description": body.get("description",
                                                                                  "")},
                 record_id=brand_id)
    return _created(brand_id)


@api("GET", r"product-service/channel")
def channels(req: BpRequest, m: re.Match[str]) -> Any:
    return list(req.table("channel").values())


# contacts -------------------------------------------------------------------------------


@api("GET", rf"contact-service/contact/{IDSET}")
def contact_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("contact"), m[1], "Contact")


@api("POST", r"contact-service/contact")
def contact_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.contact_create(req.ctx, req.account, req.json_object()))


@api("PUT", rf"contact-service/contact/{ID}")
def contact_put(req: BpRequest, m: re.Match[str]) -> Any:
    contact_id = int(m[1])
    current = req.table("contact").get(contact_id)
    if current is None:
        raise not_found(f"Contact {contact_id}")
    merged = copy.deepcopy(current)
    res.deep_merge(merged, req.json_object())
    res.contact_update(req.ctx, req.account, contact_id, merged)
    return None


@api("PATCH", rf"contact-service/contact/{ID}")
def contact_patch(req: BpRequest, m: re.Match[str]) -> Any:
    contact_id = int(m[1])
    current = req.table("contact").get(contact_id)
    if current is None:
        raise not_found(f"Contact {contact_id}")
    patched = json_patch_apply(current, req.json())
    res.contact_update(req.ctx, req.account, contact_id, patched)
    return patched


@api("POST", r"contact-service/postal-address")
def address_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.address_create(req.account, req.json_object()))


@api("GET", rf"contact-service/postal-address/{IDSET}")
def address_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("postal_address"), m[1], "Postal address")


# orders ---------------------------------------------------------------------------------


@api("GET", rf"order-service/order/{IDSET}")
def order_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("order"), m[1], "Order")


@api("POST", r"order-service/order")
def order_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.order_create(req.ctx, req.account, req.json_object()))


@api("PATCH", rf"order-service/order/{ID}")
def order_patch(req: BpRequest, m: re.Match[str]) -> Any:
    order = res.order_get(req.account, int(m[1]))
    patched = json_patch_apply(order, req.json())
    res.order_patch(req.ctx, req.account, int(m[1]), patched)
    return patched


@api("POST", rf"order-service/order/{ID}/row")
def order_row_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.order_row_add(req.ctx, req.account, int(m[1]), req.json_object()))


@api("PUT", rf"order-service/order/{ID}/status")
def order_status_put(req: BpRequest, m: re.Match[str]) -> Any:
    res.order_status_set(req.ctx, req.account, int(m[1]), req.json_object())
    return None


@api("GET", r"order-service/order-status")
def order_statuses(req: BpRequest, m: re.Match[str]) -> Any:
    return list(req.table("order_status").values())


# stock and warehouses -------------------------------------------------------------------


@api("GET", r"warehouse-service/warehouse")
def warehouses(req: BpRequest, m: re.Match[str]) -> Any:
    return list(req.table("warehouse").values())


@api("GET", rf"warehouse-service/warehouse/{IDSET}")
def warehouse_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("warehouse"), m[1], "Warehouse")


@api("GET", rf"warehouse-service/product-availability/{IDSET}")
def availability_get(req: BpRequest, m: re.Match[str]) -> Any:
    products = req.table("product")
    ids = [i for i in id_set_parse(m[1]) if i in products]
    if not ids:
        raise not_found("Product")
    return {str(i): res.availability(req.account, i) for i in ids}


@api("POST", rf"warehouse-service/warehouse/{ID}/stock-correction")
def stock_correction_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.stock_correction(req.ctx, req.account, int(m[1]), req.json_object()))


@api("POST", rf"warehouse-service/order/{ID}/goods-note/goods-out")
def goods_out_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.goods_out_create(req.ctx, req.account, int(m[1]), req.json_object()))


@api("GET", r"warehouse-service/order/([\d,\-]+|\*)/goods-note/goods-out(?:/([\d,\-]+))?")
def goods_out_get(req: BpRequest, m: re.Match[str]) -> Any:
    order_ids = None if m[1] == "*" else set(id_set_parse(m[1]))
    note_ids = set(id_set_parse(m[2])) if m[2] else None
    if order_ids is None and note_ids is None:
        raise bad_request("WHSC-030", "Give an order ID set or a goods-out note ID set")
    found = {
        str(note_id): note for note_id, note in req.table("goods_out_note").items()
        if (order_ids is None or note["orderId"] in order_ids)
        and (note_ids is None or note_id in note_ids)
    }
    if not found:
        raise not_found("Goods-out note")
    return found


@api("PUT", rf"warehouse-service/goods-note/goods-out/{ID}")
def goods_out_put(req: BpRequest, m: re.Match[str]) -> Any:
    res.goods_out_update(req.ctx, req.account, int(m[1]), req.json_object())
    return None


@api("POST", rf"warehouse-service/goods-note/goods-out/{IDSET}/event")
def goods_out_event_post(req: BpRequest, m: re.Match[str]) -> Any:
    body = req.json_object()
    note_ids = id_set_parse(m[1])
    for note_id in note_ids:
        if req.table("goods_out_note").get(note_id) is None:
            raise not_found(f"Goods-out note {note_id}")
    for note_id in note_ids:
        res.goods_out_event(req.ctx, req.account, note_id, body)
    return None


@api("POST", rf"warehouse-service/order/{ID}/goods-note/goods-in")
def goods_in_post(req: BpRequest, m: re.Match[str]) -> Any:
    # One note per request (one warehouse); Brightpearl answers with its id.
    return _created(res.goods_in_create(req.ctx, req.account, int(m[1]), req.json_object()))


def _goods_in_notes(req: BpRequest, order_set: str | None, note_set: str | None) -> Any:
    order_ids = None if order_set in (None, "*") else set(id_set_parse(order_set))
    note_ids = set(id_set_parse(note_set)) if note_set else None
    if order_ids is None and note_ids is None:
        raise bad_request("WHSC-030", "Give an order ID set or a goods-in note ID set: all "
                                      "goods-in notes of all orders cannot be requested")
    for ids in (order_ids, note_ids):
        if ids is not None and len(ids) > res.MAX_GOODS_IN_ID_SET:
            raise bad_request("CMNC-400", f"A goods-in ID set may hold at most "
                                          f"{res.MAX_GOODS_IN_ID_SET} ids")
    found = {
        str(note_id): note for note_id, note in req.table("goods_in_note").items()
        if (order_ids is None or note["orderId"] in order_ids)
        and (note_ids is None or note_id in note_ids)
    }
    if not found:
        raise not_found("Goods-in note")
    return found


@api("GET", r"warehouse-service/order/([\d,\-]+|\*)/goods-note/goods-in(?:/([\d,\-]+))?")
def goods_in_get(req: BpRequest, m: re.Match[str]) -> Any:
    return _goods_in_notes(req, m[1], m[2])


@api("GET", rf"warehouse-service/goods-note/goods-in/{IDSET}")
def goods_in_get_by_id(req: BpRequest, m: re.Match[str]) -> Any:
    return _goods_in_notes(req, None, m[1])


# accounting -----------------------------------------------------------------------------


@api("POST", r"accounting-service/customer-payment")
def payment_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.customer_payment_create(req.ctx, req.account, req.json_object()))


@api("GET", rf"accounting-service/customer-payment/{IDSET}")
def payment_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("customer_payment"), m[1], "Customer payment")


@api("POST", r"accounting-service/journal-entry")
def journal_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.journal_create(req.ctx, req.account, req.json_object()))


@api("GET", rf"accounting-service/journal/{IDSET}")
def journal_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("journal"), m[1], "Journal")


@api("GET", r"accounting-service/nominal-code")
def nominal_codes(req: BpRequest, m: re.Match[str]) -> Any:
    return list(req.table("nominal_code").values())


# searches -------------------------------------------------------------------------------


def _search_handler(path: str) -> Handler:
    def handler(req: BpRequest, m: re.Match[str]) -> Any:
        return search_run(path, req.account, req.query)

    return handler


for _search_path in SEARCHES:
    api("GET", re.escape(_search_path))(_search_handler(_search_path))


# webhooks -------------------------------------------------------------------------------


@api("POST", r"integration-service/webhook")
def webhook_post(req: BpRequest, m: re.Match[str]) -> Any:
    return _created(res.webhook_create(req.account, req.json_object()))


@api("GET", r"integration-service/webhook")
def webhooks(req: BpRequest, m: re.Match[str]) -> Any:
    return list(req.table("webhook").values())


@api("GET", rf"integration-service/webhook/{IDSET}")
def webhook_get(req: BpRequest, m: re.Match[str]) -> Any:
    return records_by_id_set(req.table("webhook"), m[1], "Webhook")


@api("DELETE", rf"integration-service/webhook/{IDSET}")
def webhook_delete(req: BpRequest, m: re.Match[str]) -> Any:
    table = req.table("webhook")
    ids = [i for i in id_set_parse(m[1]) if i in table]
    if not ids:
        raise not_found("Webhook")
    for webhook_id in ids:
        table.delete(webhook_id)
    return None


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

SYSTEM = SandboxSystem(
    name="brightpearl",
    title="Brightpearl",
    routes=[
        Route("/oauth/authorize/{account}", authorize, methods=["GET", "POST"]),
        Route("/oauth/token/{account}", token, methods=["POST"]),
        Route("/public-api/{account}/{path:path}", public_api, methods=METHODS),
    ],
    demo_account=DemoAccount("demo", DEMO_CREDENTIALS),
    create_account=create_account,
    init_account=init_account,
    seed_account=seed_account,
    fault_response=fault_response,
    account_from_path=account_from_path,
    default_limits=DEFAULT_LIMITS,
    base_path="/public-api/{accountCode}/{service}/{resource}",
)

