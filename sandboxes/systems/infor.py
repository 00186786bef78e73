"""Infor CloudSuite (M3) behind the ION API gateway.

Per tenant (``ti``) the sandbox hands out an ``.ionapi`` credential set (the account's
credentials; ``GET /_control/infor/<ti>`` shows it) and serves:

- ``POST {pu}{ot}`` = ``/infor/sso/{ti}/as/token.oauth2``: password grant with the service
  account key/secret (``saak``/``sask``) and ``client_id``/``client_secret`` (form fields or
  HTTP Basic), and the refresh_token grant. Errors are OAuth JSON (``invalid_client`` 401,
  ``invalid_grant`` / ``unsupported_grant_type`` / ``invalid_request`` 400).
- ``{iu}/{ti}/M3/m3api-rest/v2/execute/{PROGRAM}/{TRANSACTION}?FIELD=value`` (GET) and the bulk
  ``POST {iu}/{ti}/M3/m3api-rest/v2/execute`` with a Bearer token. Business errors come back
  inside an HTTP 200 (see ``infor_mi``). A missing/invalid/expired token is a 401 and the
  gateway quota (``requests_per_minute`` per tenant) a 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from sandboxes.faults import FaultKind
from sandboxes.seeding import Dataset
from sandboxes.state import Account
from sandboxes.system import DemoAccount, SandboxSystem, SystemContext, system_context
from sandboxes.systems import infor_mi
from sandboxes.systems.infor_mi import M3, TRANSACTIONS, MIError, fmt

DEMO_TENANT = "CLARITY_TST"
DEMO_CREDENTIALS = {
    "ci": "CLARITY_TST~demo-client-7f3a9c",
    "cs": "demo-client-secret-2b8e41d6",
    "saak": "CLARITY_TST#demo-service-account-key",
    "sask": "demo-service-account-secret-9c1f",
}
QUERY_OPTIONS = {"cono", "divi", "maxrecs", "returncols", "excludeempty", "dateformat",
                 "metadata", "extendedresult"}


# -- accounts ---------------------------------------------------------------------------------

def create_account(ctx: SystemContext, tenant: str, given: dict[str, Any]) -> dict[str, Any]:
    """The tenant's ``.ionapi`` file: what Infor's ION API "Authorized apps" page downloads."""
    ionapi = {
        "ti": tenant,
        "cn": "ClarityConnect",
        "dt": "12",
        "ci": f"{tenant}~{secrets.token_urlsafe(18)}",
        "cs": secrets.token_urlsafe(32),
        "iu": f"{ctx.base_url}/ionapi",
        "pu": f"{ctx.base_url}/sso/{tenant}/as/",
        "oa": "authorization.oauth2",
        "ot": "token.oauth2",
        "or": "revoke_token.oauth2",
        "ev": "U" + secrets.token_hex(5).upper(),
        "v": "1.0",
        "saak": f"{tenant}#{secrets.token_urlsafe(24)}",
        "sask": secrets.token_urlsafe(32),
    }
    ionapi.update({k: v for k, v in given.items() if k in ionapi and k not in ("iu", "pu")})
    return ionapi


def _company(account: Account) -> dict[str, Any]:
    settings = account.settings
    settings.setdefault("cono", 100)
    settings.setdefault("divi", "AAA")
    settings.setdefault("currency", "GBP")
    settings.setdefault("default_warehouse", "MAI")
    return settings


def m3_for(account: Account, cono: int | None = None, divi: str | None = None) -> M3:
    settings = _company(account)
    m3 = M3(account, cono or int(settings["cono"]), divi or str(settings["divi"]))
    if not m3.rows("MITWHL"):
        for whlo, name in (("MAI", "Main Warehouse"), ("EAS", "East Coast DC")):
            m3.put("MITWHL", {"WHLO": whlo, "WHNM": name, "FACI": "A01"}, whlo)
    return m3


def _account_from_path(path: str) -> str | None:
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] in ("sso", "ionapi"):
        return parts[1]
    return None


# -- errors -----------------------------------------------------------------------------------

def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def gateway_error(status: int, error: str, description: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status, headers=headers)


def _unauthorized(description: str) -> JSONResponse:
    return gateway_error(
        401, "invalid_token", description,
        **{"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def fault_response(ctx: SystemContext, kind: FaultKind, scope: Scope) -> Response:
    if kind is FaultKind.RATE_LIMITED:
        return gateway_error(429, "too_many_requests",
                             "API quota exceeded for this tenant, retry later",
                             **{"Retry-After": "1"})
    return gateway_error(
        503 if scope.get("method") == "GET" else 500, "server_error",
        "The M3 backend did not answer (MI server unavailable)",
    )


# -- token endpoint -------------------------------------------------------------------------

def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = raw.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


async def _form(request: Request) -> dict[str, str]:
    # Parsed by hand: Starlette's form parser needs python-multipart, which we don't ship.
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


async def token(request: Request) -> Response:
    ctx = system_context(request)
    tenant = request.path_params["tenant"]
    form = await _form(request)
    account = ctx.account(tenant)
    client_id, client_secret = _client_credentials(request, form)
    creds = account.credentials if account else {}
    if not account or client_id != creds.get("ci") or client_secret != creds.get("cs"):
        return oauth_error(401, "invalid_client", "Invalid client or client credentials.")
    grant = form.get("grant_type", "")
    ttl = float(ctx.limit("token_ttl_s", tenant))
    if grant == "password":
        if not form.get("username") or not form.get("password"):
            return oauth_error(400, "invalid_request", "Missing username or password.")
        if form["username"] != creds.get("saak") or form["password"] != creds.get("sask"):
            return oauth_error(400, "invalid_grant", "Invalid resource owner credentials.")
        refresh = ctx.state.token_issue(tenant, "refresh", ttl_s=None, nbytes=32)
    elif grant == "refresh_token":
        refresh_token = ctx.state.token_get(form.get("refresh_token", ""), "refresh")
        # Refresh tokens outlive "expire tokens now": only revocation ends them.
        if refresh_token is None or refresh_token.revoked or refresh_token.account != tenant:
            return oauth_error(400, "invalid_grant", "Refresh token is invalid or expired.")
        refresh = refresh_token
    else:
        return oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    access = ctx.state.token_issue(tenant, "access", ttl_s=ttl, nbytes=32)
    return JSONResponse(
        {"access_token": access.value, "token_type": "Bearer", "expires_in": int(ttl),
         "refresh_token": refresh.value},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def revoke(request: Request) -> Response:
    ctx = system_context(request)
    form = await _form(request)
    value = form.get("token", "")
    found = ctx.state.token_get(value)
    if found is not None and found.account == request.path_params["tenant"]:
        ctx.state.token_revoke(value)
    return Response(status_code=200)


# -- M3 REST ----------------------------------------------------------------------------------

def _gateway(request: Request) -> tuple[SystemContext, Account] | Response:
    """Bearer token and quota checks of the ION API gateway."""
    ctx = system_context(request)
    tenant = request.path_params["tenant"]
    account = ctx.account(tenant)
    if account is None:
        return gateway_error(404, "not_found", f"Unknown tenant {tenant}")
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return _unauthorized("Missing bearer token")
    found = ctx.state.token_get(header[7:].strip(), "access")
    if found is None or found.account != tenant:
        return _unauthorized("Invalid access token")
    if found.expired:
        return _unauthorized("Access token expired")
    limit = int(ctx.limit("requests_per_minute", tenant))
    budget = ctx.rolling_window("gateway", 60.0).hit(tenant, limit)
    if not budget.allowed:
        retry = max(1, -(-budget.reset_ms // 1000))
        return gateway_error(
            429, "too_many_requests",
            f"Quota of {limit} requests per minute exceeded for tenant {tenant}",
            **{"Retry-After": str(retry)},
        )
    return ctx, account


def _error_result(name: str, exc: MIError) -> dict[str, Any]:
    return {
        "transaction": name,
        "errorMessage": exc.message,
        "errorType": "ServerReturnedNOK",
        "errorCode": exc.code,
        "errorField": exc.field,
        "errorCfg": "",
        "notProcessed": False,
        "records": [],
    }


def _to_format(value: str, dateformat: str) -> str:
    if len(value) != 8 or not value.isdigit():
        return value
    formats = {"YMD8": "%Y%m%d", "YMD6": "%y%m%d", "MDY6": "%m%d%y", "DMY6": "%d%m%y",
               "ISO": "%Y-%m-%d"}
    try:
        return datetime.strptime(value, "%Y%m%d").strftime(formats.get(dateformat, "%Y%m%d"))
    except ValueError:
        return value


def _from_format(value: str, dateformat: str) -> str:
    formats = {"YMD6": "%y%m%d", "MDY6": "%m%d%y", "DMY6": "%d%m%y", "ISO": "%Y-%m-%d"}
    if not value or dateformat not in formats:
        return value
    try:
        return datetime.strptime(value, formats[dateformat]).strftime("%Y%m%d")
    except ValueError:
        return value


def run_transaction(
    account: Account, program: str, name: str, record: dict[str, Any], options: dict[str, str]
) -> dict[str, Any]:
    """One MI call → one entry of ``results`` (records or the error fields)."""
    tx = TRANSACTIONS.get((program.upper(), name))
    if tx is None:
        known = TRANSACTIONS.get((program.upper(), next(
            (n for p, n in TRANSACTIONS if p == program.upper()), "")))
        message = (f"Transaction {name} does not exist in program {program}" if known
                   else f"Program {program} does not exist")
        return _error_result(name, MIError(message, "XTR0001" if known else "XPR0001"))
    settings = _company(account)
    dateformat = options.get("dateformat", "YMD8").upper()
    try:
        cono = int(options.get("cono") or settings["cono"])
    except ValueError:
        return _error_result(name, MIError("Company must be numeric", "WCO0101", "CONO"))
    if cono != int(settings["cono"]):
        return _error_result(name, MIError(f"Company {cono} does not exist", "WCO0203", "CONO"))
    m3 = m3_for(account, cono, options.get("divi") or None)
    raw = {k.upper(): v for k, v in record.items()}
    for field in infor_mi.DATE_FIELDS & raw.keys():
        raw[field] = _from_format(str(raw[field]), dateformat)
    try:
        clean = infor_mi.validate_input(tx, raw)
        records = tx.handler(m3, clean)
    except MIError as exc:
        return _error_result(name, exc)
    maxrecs = int(options.get("maxrecs") or 100)
    if maxrecs > 0:
        records = records[:maxrecs]
    returncols = [c.strip().upper() for c in options.get("returncols", "").split(",") if c.strip()]
    exclude_empty = options.get("excludeempty", "false").lower() == "true"
    out = []
    for row in records:
        text = {k: fmt(v) for k, v in row.items()}
        for field in infor_mi.DATE_FIELDS & text.keys():
            text[field] = _to_format(text[field], dateformat)
        if returncols:
            text = {c: text.get(c, "") for c in returncols}
        if exclude_empty:
            text = {k: v for k, v in text.items() if v != ""}
        out.append(text)
    return {"transaction": name, "records": out}


def _envelope(results: list[dict[str, Any]]) -> dict[str, Any]:
    failed = sum(1 for r in results if "errorMessage" in r)
    return {
        "results": results,
        "wasTerminated": False,
        "nrOfSuccessfullTransactions": len(results) - failed,
        "nrOfFailedTransactions": failed,
        "nrOfNotProcessedTransactions": 0,
    }


async def execute_one(request: Request) -> Response:
    checked = _gateway(request)
    if isinstance(checked, Response):
        return checked
    _, account = checked
    params = request.query_params
    options = {k: v for k, v in params.items() if k in QUERY_OPTIONS}
    record = {k: v for k, v in params.items() if k not in QUERY_OPTIONS}
    result = run_transaction(
        account, request.path_params["program"], request.path_params["transaction"], record,
        options,
    )
    return JSONResponse(_envelope([result]))


async def execute_bulk(request: Request) -> Response:
    checked = _gateway(request)
    if isinstance(checked, Response):
        return checked
    _, account = checked
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return gateway_error(400, "invalid_request", "Request body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("transactions"), list):
        return gateway_error(400, "invalid_request",
                             "Body must be {program, cono, transactions: [...]}")
    program = str(body.get("program") or "")
    options = {k: str(v) for k, v in request.query_params.items() if k in QUERY_OPTIONS}
    for key in ("cono", "divi", "maxrecs", "returncols", "excludeempty", "dateformat"):
        if body.get(key) not in (None, ""):
            options[key] = str(body[key])
    results = []
    for entry in body["transactions"]:
        entry = entry if isinstance(entry, dict) else {}
        entry_options = dict(options)
        if entry.get("selectedColumns"):
            entry_options["returncols"] = ",".join(entry["selectedColumns"])
        results.append(run_transaction(
            account, str(entry.get("program") or program), str(entry.get("transaction", "")),
            entry.get("record") or {}, entry_options,
        ))
    return JSONResponse(_envelope(results))


# -- sandbox-only actions (back-office work the API cannot do) ------------------------------

async def sandbox_ionapi(request: Request) -> Response:
    ctx = system_context(request)
    account = ctx.account(request.path_params["tenant"])
    if account is None:
        return gateway_error(404, "not_found", "Unknown tenant")
    return JSONResponse(account.credentials)


async def sandbox_deliver(request: Request) -> Response:
    """Deliver and invoice an order, as warehouse staff and the invoicing run would in M3."""
    ctx = system_context(request)
    account = ctx.account(request.path_params["tenant"])
    if account is None:
        return gateway_error(404, "not_found", "Unknown tenant")
    raw = await request.body()
    body = json.loads(raw) if raw.strip() else {}
    try:
        result = infor_mi.order_deliver(
            m3_for(account), request.path_params["orno"],
            carrier=str(body.get("carrier", "DHL")), tracking=str(body.get("tracking", "")),
        )
    except MIError as exc:
        return gateway_error(400, "invalid_request", exc.message)
    return JSONResponse({k: fmt(v) for k, v in result.items()})


# -- seeding ----------------------------------------------------------------------------------

def _call(m3: M3, program: str, name: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    tx = TRANSACTIONS[(program, name)]
    clean = infor_mi.validate_input(tx, {k: fmt(v) for k, v in record.items()})
    return tx.handler(m3, clean)


def _ymd(iso: str) -> str:
    return iso[:10].replace("-", "")


def seed_account(ctx: SystemContext, account: Account, data: Dataset) -> None:
    m3 = m3_for(account)
    whlo = {w["code"]: w["code"][:3] for w in data.warehouses}
    items: dict[int, str] = {}
    for product in data.products:
        itno = product["sku"][:15]
        items[product["key"]] = itno
        if m3.get("MITMAS", itno) is not None:
            continue
        _call(m3, "MMS200MI", "AddItmBasic", {
            "ITNO": itno, "ITDS": product["name"][:30], "FUDS": product["name"][:60],
            "STAT": "20" if product["active"] else "90", "UNMS": "EA",
            "ITGR": product["category"][:10].upper(), "ITTY": "FIN", "NEWE": product["weight_kg"],
            "GRWE": product["weight_kg"], "SAPR": product["price"], "PUPR": product["cost"],
            "EAN": product["barcode"],
        })
        for code, qty in product["stock"].items():
            if qty:
                _call(m3, "MMS850MI", "AddAdjust",
                      {"WHLO": whlo[code], "ITNO": itno, "QLQT": qty, "RSCD": "INI"})
    customers: dict[int, str] = {}
    for person in data.customers:
        cuno = str(10000 + person["key"])
        customers[person["key"]] = cuno
        if m3.get("OCUSMA", cuno) is not None:
            continue
        address = person["address"]
        name = person["company"] or f"{person['first_name']} {person['last_name']}"
        _call(m3, "CRS610MI", "Add", {
            "CUNO": cuno, "CUNM": name[:36], "CUA1": address["line1"][:36],
            "CUA2": address["line2"][:36], "TOWN": address["city"][:20],
            "ECAR": address["region"][:10], "PONO": address["postal_code"][:10],
            "CSCD": address["country_iso2"], "PHNO": person["phone"][:16],
            "EMAL": person["email"][:60], "CUCD": person["currency"],
            "YREF": f"{person['first_name']} {person['last_name']}"[:30],
        })
    suppliers: dict[int, str] = {}
    for supplier in data.suppliers:
        suno = f"S{1000 + supplier['key']}"
        suppliers[supplier["key"]] = suno
        if m3.get("CIDMAS", suno) is None:
            _call(m3, "CRS620MI", "AddSupplier", {
                "SUNO": suno, "SUNM": supplier["company"][:36], "CUCD": supplier["currency"],
                "CSCD": supplier["address"]["country_iso2"], "PHNO": supplier["phone"][:16],
                "EMAL": supplier["email"][:60], "ADR1": supplier["address"]["line1"][:36],
                "TOWN": supplier["address"]["city"][:20],
                "PONO": supplier["address"]["postal_code"][:10],
            })
    shipments = {s["order_key"]: s for s in data.shipments}
    for order in data.orders:
        if order["status"] == "cancelled":
            continue
        head = _call(m3, "OIS100MI", "AddBatchHead", {
            "CUNO": customers[order["customer_key"]], "ORTP": "SO1",
            "CUOR": order["reference"], "ORDT": _ymd(order["placed_at"]),
            "CUCD": order["currency"], "WHLO": whlo[order["warehouse"]],
            "MODL": order["shipping_method"][:3].upper(),
        })[0]
        for line in order["lines"]:
            _call(m3, "OIS100MI", "AddBatchLine", {
                "ORNO": head["ORNO"], "ITNO": items[line["product_key"]],
                "ORQT": line["quantity"], "SAPR": line["unit_price"],
            })
        try:
            orno = _call(m3, "OIS100MI", "Confirm", {"ORNO": head["ORNO"]})[0]["ORNO"]
        except MIError:
            continue
        shipment = shipments.get(order["key"])
        if shipment is not None:
            infor_mi.order_deliver(m3, orno, carrier=shipment["carrier"],
                                   tracking=shipment["tracking_number"],
                                   shipped=_ymd(shipment["shipped_at"]))
    for payment in data.payments:
        order = data.orders[payment["order_key"] - 1]
        key1 = _call(m3, "GLS840MI", "AddBatchHead", {
            "ACDT": _ymd(payment["paid_at"]), "VDSC": f"Payment {payment['reference']}"[:40],
            "CUCD": payment["currency"],
        })[0]["KEY1"]
        for ait1, amount in (("1010", payment["amount"]), ("1100", -payment["amount"])):
            _call(m3, "GLS840MI", "AddBatchLine", {
                "KEY1": key1, "AIT1": ait1, "ACAM": amount, "VTXT": order["reference"],
                "CUNO": customers[order["customer_key"]],
            })
        _call(m3, "GLS840MI", "Update", {"KEY1": key1})
    for po in data.purchase_orders:
        puno = _call(m3, "PPS200MI", "AddHead", {
            "SUNO": suppliers[po["supplier_key"]], "WHLO": whlo[po["warehouse"]],
            "PUDT": _ymd(po["ordered_at"]), "DWDT": _ymd(po["expected_at"]),
            "YRE1": po["reference"], "CUCD": po["currency"],
        })[0]["PUNO"]
        for line in po["lines"]:
            _call(m3, "PPS200MI", "AddLine", {
                "PUNO": puno, "ITNO": items[line["product_key"]], "ORQA": line["quantity"],
                "PUPR": line["unit_cost"],
            })


EXECUTE = "/ionapi/{tenant}/M3/m3api-rest/v2/execute"

SYSTEM = SandboxSystem(
    name="infor",
    title="Infor CloudSuite M3 (ION API gateway)",
    routes=[
        Route("/sso/{tenant}/as/token.oauth2", token, methods=["POST"]),
        Route("/sso/{tenant}/as/revoke_token.oauth2", revoke, methods=["POST"]),
        Route(EXECUTE, execute_bulk, methods=["POST"]),
        Route(EXECUTE + "/{program}/{transaction}", execute_one, methods=["GET"]),
        Route("/_sandbox/{tenant}/ionapi", sandbox_ionapi, methods=["GET"]),
        Route("/_sandbox/{tenant}/orders/{orno}/deliver", sandbox_deliver, methods=["POST"]),
    ],
    demo_account=DemoAccount(DEMO_TENANT, DEMO_CREDENTIALS),
    seed_account=seed_account,
    create_account=create_account,
    fault_response=fault_response,
    account_from_path=_account_from_path,
    default_limits={"requests_per_minute": 1200, "token_ttl_s": 7200},
    base_path="/ionapi/{ti}/M3/m3api-rest/v2/execute/{PROGRAM}/{TRANSACTION} "
              "(token: POST /sso/{ti}/as/token.oauth2)",
)
