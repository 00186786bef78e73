"""Infor CloudSuite (M3) behind the ION API gateway.

Per tenant (``ti``) the sandbox hands out an ``.ionapi`` credential set (the account's
credentials; ``GET /_control/infor/<ti>`` shows it) and serves:

- ``POST {pu}{ot}`` = ``/infor/sso/{ti}/as/token.oauth2``: password grant with the service
  account key/secret (``saak``/``sask``) and ``client_id``/``client_secret`` (form fields or
  HTTP Basic), the authorization_code grant of the tenant's web app, and the refresh_token
  grant. Errors are OAuth JSON (``invalid_client`` 401, ``invalid_grant`` /
  ``unauthorized_client`` / ``unsupported_grant_type`` / ``invalid_request`` 400).
- ``{pu}{oa}`` = ``/infor/sso/{ti}/as/authorization.oauth2``: the Infor sign-in page of the
  web app (``response_type=code``, ``client_id``, ``redirect_uri``, ``state``). Signing in as
  the tenant's user redirects back with a one-time ``code``; "Cancel" with
  ``error=access_denied``. Each tenant has two authorized apps, as an ION API tenant would:
  the Backend Service app (the ``.ionapi`` keys at the top level of its credentials) and a
  Web application (``web_app``, its own ``.ionapi`` without ``saak``/``sask``), plus the
  user who signs in (``user`` / ``user_password``).
- ``{iu}/{ti}/M3/m3api-rest/v2/execute/{PROGRAM}/{TRANSACTION}?FIELD=value`` (GET) and the bulk
  ``POST {iu}/{ti}/M3/m3api-rest/v2/execute`` with a Bearer token. Business errors come back
  inside an HTTP 200 (see ``infor_mi``). A missing/invalid/expired token is a 401 and the
  gateway quota (``requests_per_minute`` per tenant) a 429 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
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
    "web_app": {"ci": "CLARITY_TST~demo-web-app-4d21e0", "cs": "demo-web-app-secret-8a3f57"},
    "user": "integration@clarity-tst.example.com",
    "user_password": "demo-infor-password",
}
# What the ION API hands out as the service account's file (the rest are the sandbox's).
SANDBOX_ONLY_KEYS = ("web_app", "user", "user_password")
CODE_TTL_S = 600
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
    # The tenant's Web application: same gateway and SSO, its own client, no service account.
    web_app = {k: v for k, v in ionapi.items() if k not in ("saak", "sask")}
    web_app.update(cn="ClarityConnectWeb", ci=f"{tenant}~{secrets.token_urlsafe(18)}",
                   cs=secrets.token_urlsafe(32))
    web_app.update({k: v for k, v in (given.get("web_app") or {}).items() if k in ("ci", "cs")})
    return {
        **ionapi, "web_app": web_app,
        "user": str(given.get("user") or f"integration@{tenant.lower()}.example.com"),
        "user_password": str(given.get("user_password") or secrets.token_urlsafe(12)),
    }


def backend_ionapi(account: Account) -> dict[str, Any]:
    return {k: v for k, v in account.credentials.items() if k not in SANDBOX_ONLY_KEYS}


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


def _app_of(creds: dict[str, Any], client_id: str, client_secret: str) -> str | None:
    """Which authorized app the client credentials belong to: "backend", "web" or none."""
    web = creds.get("web_app") or {}
    if client_id and client_id == creds.get("ci") and client_secret == creds.get("cs"):
        return "backend"
    if client_id and client_id == web.get("ci") and client_secret == web.get("cs"):
        return "web"
    return None


async def token(request: Request) -> Response:
    ctx = system_context(request)
    tenant = request.path_params["tenant"]
    form = await _form(request)
    account = ctx.account(tenant)
    client_id, client_secret = _client_credentials(request, form)
    creds = account.credentials if account else {}
    app = _app_of(creds, client_id, client_secret)
    if not account or app is None:
        return oauth_error(401, "invalid_client", "Invalid client or client credentials.")
    grant = form.get("grant_type", "")
    ttl = float(ctx.limit("token_ttl_s", tenant))
    if grant == "password":
        if app != "backend":
            return oauth_error(400, "unauthorized_client",
                               "Only a Backend Service app may use the password grant.")
        if not form.get("username") or not form.get("password"):
            return oauth_error(400, "invalid_request", "Missing username or password.")
        if form["username"] != creds.get("saak") or form["password"] != creds.get("sask"):
            return oauth_error(400, "invalid_grant", "Invalid resource owner credentials.")
        refresh = ctx.state.token_issue(tenant, "refresh", ttl_s=None, nbytes=32,
                                        data={"client_id": client_id})
    elif grant == "authorization_code":
        if app != "web":
            return oauth_error(400, "unauthorized_client",
                               "The authorization code grant is for Web application clients.")
        code = ctx.state.token_get(form.get("code", ""), "infor_code")
        if (code is None or code.expired or code.revoked or code.account != tenant
                or code.data.get("client_id") != client_id):
            return oauth_error(400, "invalid_grant", "Authorization code is invalid or expired.")
        if form.get("redirect_uri", "") != code.data.get("redirect_uri"):
            return oauth_error(400, "invalid_grant", "redirect_uri does not match the one the "
                                                     "code was issued for.")
        ctx.state.token_revoke(code.value)  # one use only
        refresh = ctx.state.token_issue(tenant, "refresh", ttl_s=None, nbytes=32,
                                        data={"client_id": client_id})
    elif grant == "refresh_token":
        refresh_token = ctx.state.token_get(form.get("refresh_token", ""), "refresh")
        # Refresh tokens outlive "expire tokens now": only revocation ends them.
        if refresh_token is None or refresh_token.revoked or refresh_token.account != tenant:
            return oauth_error(400, "invalid_grant", "Refresh token is invalid or expired.")
        if refresh_token.data.get("client_id", client_id) != client_id:
            return oauth_error(400, "invalid_grant", "Refresh token was issued to another client.")
        refresh = refresh_token
    else:
        return oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    access = ctx.state.token_issue(tenant, "access", ttl_s=ttl, nbytes=32)
    return JSONResponse(
        {"access_token": access.value, "token_type": "Bearer", "expires_in": int(ttl),
         "refresh_token": refresh.value},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


SIGN_IN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Infor - Sign in</title>
<style>body{{font-family:sans-serif;max-width:26rem;margin:4rem auto}}
input{{width:100%;font-size:1rem;margin:.25rem 0 .75rem}}
button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}}</style></head>
<body><h1>Infor (sandbox)</h1>
<p><strong>{app}</strong> wants to use the ION API of tenant <strong>{tenant}</strong>
as you.</p>{problem}
<form method="post" action="">
<input type="hidden" name="client_id" value="{client_id}">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="state" value="{state}">
<input type="hidden" name="response_type" value="code">
<label>User name<input name="username" id="username" autocomplete="username"></label>
<label>Password<input name="password" id="password" type="password"></label>
<button type="submit" name="action" value="signin" id="signin">Sign in</button>
<button type="submit" name="action" value="cancel" id="cancel">Cancel</button>
</form></body></html>
"""


def _redirect_back(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{sep}{urlencode(params)}", status_code=302)


async def authorize(request: Request) -> Response:
    """The SSO sign-in of an authorization-code (Web application) client."""
    ctx = system_context(request)
    tenant = request.path_params["tenant"]
    account = ctx.account(tenant)
    params = (dict(request.query_params) if request.method == "GET" else await _form(request))
    if account is None:
        return HTMLResponse(f"<h1>Unknown tenant {html.escape(tenant)}</h1>", status_code=404)
    web = account.credentials.get("web_app") or {}
    client_id = params.get("client_id", "")
    if client_id == account.credentials.get("ci"):
        return HTMLResponse("<h1>unauthorized_client</h1><p>A Backend Service app cannot "
                            "sign users in; use a Web application client.</p>", status_code=400)
    if not client_id or client_id != web.get("ci"):
        return HTMLResponse("<h1>invalid_client</h1><p>Unknown client_id.</p>", status_code=400)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        return HTMLResponse("<h1>invalid_request</h1><p>redirect_uri is required.</p>",
                            status_code=400)
    state = {"state": params["state"]} if params.get("state") else {}
    if params.get("response_type", "") != "code":
        return _redirect_back(redirect_uri, {"error": "unsupported_response_type", **state})

    def page(problem: str = "") -> HTMLResponse:
        return HTMLResponse(SIGN_IN_PAGE.format(
            app=html.escape(str(web.get("cn", client_id))), tenant=html.escape(tenant),
            client_id=html.escape(client_id), redirect_uri=html.escape(redirect_uri),
            state=html.escape(params.get("state", "")),
            problem=f'<p id="error" style="color:#b00">{html.escape(problem)}</p>'
            if problem else ""))

    if request.method == "GET":
        return page()
    if params.get("action") == "cancel":
        return _redirect_back(redirect_uri, {
            "error": "access_denied", "error_description": "The user cancelled the sign-in.",
            **state})
    if (params.get("username") != account.credentials.get("user")
            or params.get("password") != account.credentials.get("user_password")):
        return page("The user name or password is incorrect.")
    code = ctx.state.token_issue(tenant, "infor_code", ttl_s=CODE_TTL_S, nbytes=24,
                                 data={"client_id": client_id, "redirect_uri": redirect_uri})
    return _redirect_back(redirect_uri, {"code": code.value, **state})


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
    """The "Download credentials" of ION API: the Backend Service app's file, or with
    ``?app=web`` the Web application's (no service account keys)."""
    ctx = system_context(request)
    account = ctx.account(request.path_params["tenant"])
    if account is None:
        return gateway_error(404, "not_found", "Unknown tenant")
    if request.query_params.get("app") == "web":
        return JSONResponse(account.credentials.get("web_app") or {})
    return JSONResponse(backend_ionapi(account))


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
        Route("/sso/{tenant}/as/authorization.oauth2", authorize, methods=["GET", "POST"]),
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
              "(token: POST /sso/{ti}/as/token.oauth2; sign-in: "
              "/sso/{ti}/as/authorization.oauth2)",
)
