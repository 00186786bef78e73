"""Salesforce emulator: OAuth2 at ``/salesforce/services/oauth2/*`` (login.salesforce.com) and
orgs at ``/salesforce/instances/{org}`` (the ``instance_url``), REST under
``{instance_url}/services/data/vXX.X/``.

Every data request goes through ``data_api``: Bearer session check (401 ``INVALID_SESSION_ID``),
the org's daily API counter (403 ``REQUEST_LIMIT_EXCEEDED``; ``Sforce-Limit-Info`` on every
answer), then ``dispatch``, which ``composite`` also calls for its subrequests.
Records: ``salesforce_records``; SOQL: ``salesforce_soql``; Outbound Messages:
``salesforce_outbound``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from sandboxes.faults import FaultKind
from sandboxes.seeding import Dataset
from sandboxes.state import Account
from sandboxes.system import DemoAccount, SandboxSystem, SystemContext, json_dumps, system_context
from sandboxes.systems import salesforce_outbound as outbound
from sandboxes.systems.salesforce_records import Org, SfError, not_found
from sandboxes.systems.salesforce_schema import (
    SOBJECTS,
    SObjectType,
    make_id,
    normalize_id,
    sf_datetime,
    sobject_named,
)
from sandboxes.systems.salesforce_soql import SoqlError, execute, parse, parse_datetime

DEMO_ORG = "ccdemo"
DEMO_CREDENTIALS = {
    "username": "integration@ccdemo.example.com",
    "password": "demo-password",
    "client_id": "sf-demo-consumer-key",
    "client_secret": "sf-demo-consumer-secret",
    "redirect_uri": "http://localhost:8000/oauth/salesforce/callback",
    "access_token": "sf-demo-access-token",
    "refresh_token": "sf-demo-refresh-token",
}
VERSION_RE = re.compile(r"^v\d{2}\.\d$")
MAX_COMPOSITE = 25
MAX_COLLECTION = 200
SCOPE = "api refresh_token"


def sf_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json_dumps(data), status_code=status, media_type="application/json",
                    headers=headers)


def _errors(exc: SfError) -> Response:
    return sf_json(exc.errors, exc.status)


# -- accounts ------------------------------------------------------------------------------------

def create_account(ctx: SystemContext, name: str, requested: dict[str, Any]) -> dict[str, Any]:
    existing = ctx.account(name)
    creds = dict(existing.credentials) if existing else {}
    creds.update(requested)
    seed = zlib.crc32(name.encode()) % 900000 + 1000
    creds.setdefault("org_id", make_id("00D", seed))
    creds.setdefault("user_id", make_id("005", seed))
    creds.setdefault("username", f"integration@{name}.example.com")
    creds.setdefault("password", secrets.token_urlsafe(12))
    creds.setdefault("client_id", "3MVG9" + secrets.token_urlsafe(30))
    creds.setdefault("client_secret", secrets.token_hex(32).upper())
    creds.setdefault("redirect_uri", DEMO_CREDENTIALS["redirect_uri"])
    creds.setdefault("instance_url", f"{ctx.base_url}/instances/{name}")
    if creds.get("access_token") and ctx.state.token_get(creds["access_token"]) is None:
        _session_issue(ctx, name, creds["client_id"], value=creds["access_token"])
    if creds.get("refresh_token") and ctx.state.token_get(creds["refresh_token"]) is None:
        ctx.state.token_issue(name, "sf_refresh", ttl_s=None, value=creds["refresh_token"],
                              data={"client_id": creds["client_id"]})
    return creds


def init_account(ctx: SystemContext, account: Account) -> None:
    org = Org(ctx, account)
    creds = account.credentials
    users = account.table("User")
    if users.get(creds["user_id"]) is None:
        stamp = sf_datetime()
        users.insert({
            "Id": creds["user_id"], "IsDeleted": False, "CreatedDate": stamp,
            "CreatedById": creds["user_id"], "LastModifiedDate": stamp,
            "LastModifiedById": creds["user_id"], "SystemModstamp": stamp,
            "Username": creds["username"], "FirstName": "Integration", "LastName": "User",
            "Name": "Integration User", "Email": creds["username"], "IsActive": True,
        }, record_id=creds["user_id"])
    if not any(b["IsStandard"] for b in org.rows("Pricebook2")):
        book = org.create(SOBJECTS["Pricebook2"], {"Name": "Standard Price Book",
                                                   "IsActive": True}, emit=False)
        book["IsStandard"] = True


def _session_issue(ctx: SystemContext, org: str, client_id: str, *, value: str | None = None
                   ) -> Any:
    account = ctx.account(org)
    org_id = account.credentials["org_id"] if account else ""
    token_value = value or f"{org_id[:15]}!{secrets.token_urlsafe(72)}"
    # A ready-made token from the account's credentials (the demo's) lasts until expired through
    # the control API; sessions from the token endpoint follow the org's timeout.
    ttl = None if value else ctx.limit("session_ttl_s", org)
    return ctx.state.token_issue(org, "sf_session", ttl_s=ttl, value=token_value,
                                 data={"client_id": client_id})


# -- OAuth ---------------------------------------------------------------------------------------

def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return sf_json({"error": error, "error_description": description}, status)


def _app(ctx: SystemContext, client_id: str) -> Account | None:
    for account in ctx.state.accounts.values():
        if account.credentials.get("client_id") == client_id:
            return account
    return None


def _token_answer(ctx: SystemContext, account: Account, client_id: str, *,
                  refresh: str | None) -> Response:
    session = _session_issue(ctx, account.name, client_id)
    issued = str(int(time.time() * 1000))
    identity = f"{ctx.base_url}/id/{account.credentials['org_id']}/{account.credentials['user_id']}"
    signature = base64.b64encode(hmac.new(
        account.credentials["client_secret"].encode(), (identity + issued).encode(),
        hashlib.sha256).digest()).decode()
    body = {
        "access_token": session.value,
        "signature": signature,
        "scope": SCOPE,
        "instance_url": f"{ctx.base_url}/instances/{account.name}",
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued,
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    return sf_json(body)


async def oauth_token(request: Request) -> Response:
    ctx = system_context(request)
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "")
    if grant not in ("authorization_code", "refresh_token", "client_credentials", "password"):
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    account = _app(ctx, client_id)
    if account is None:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    secret = form.get("client_secret")
    if (secret is not None or grant != "refresh_token") and secret != account.credentials[
            "client_secret"]:
        return _oauth_error("invalid_client", "invalid client credentials")
    if grant == "authorization_code":
        code = ctx.state.token_get(form.get("code", ""), "sf_code")
        if code is None or code.expired or code.account != account.name:
            return _oauth_error("invalid_grant", "invalid authorization code")
        if form.get("redirect_uri") != code.data["redirect_uri"]:
            return _oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
        ctx.state.token_revoke(code.value)
        refresh = ctx.state.token_issue(account.name, "sf_refresh", ttl_s=None, nbytes=48,
                                        data={"client_id": client_id})
        return _token_answer(ctx, account, client_id, refresh=refresh.value)
    if grant == "refresh_token":
        token = ctx.state.token_get(form.get("refresh_token", ""), "sf_refresh")
        if token is None or token.revoked or token.account != account.name:
            return _oauth_error("invalid_grant", "expired access/refresh token")
        return _token_answer(ctx, account, client_id, refresh=None)
    if grant == "password" and (
        form.get("username") != account.credentials["username"]
        or form.get("password") != account.credentials["password"]
    ):
        return _oauth_error("invalid_grant", "authentication failure")
    return _token_answer(ctx, account, client_id, refresh=None)


async def oauth_revoke(request: Request) -> Response:
    ctx = system_context(request)
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    value = form.get("token") or request.query_params.get("token", "")
    token = ctx.state.token_get(value)
    if token is None or not token.kind.startswith("sf_"):
        return _oauth_error("unsupported_token_type", "this token type is not supported")
    ctx.state.token_revoke(value)
    return Response(status_code=200)


def _login_page(query: dict[str, str], error: str = "") -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in query.items()
        if k in ("client_id", "redirect_uri", "state", "scope", "response_type")
    )
    problem = f'<p id="error" style="color:#c23934">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Login | Salesforce (sandbox)</title></head>
<body style="font-family: sans-serif; max-width: 24rem; margin: 3rem auto">
<h1>Salesforce</h1>{problem}
<form method="post">{hidden}
<p><label>Username<br><input name="username" id="username" type="email"></label></p>
<p><label>Password<br><input name="password" id="password" type="password"></label></p>
<p><button type="submit" name="action" value="allow" id="Login">Log In and Allow</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button></p>
</form></body></html>"""


async def oauth_authorize(request: Request) -> Response:
    ctx = system_context(request)
    if request.method == "GET":
        params = dict(request.query_params)
    else:
        params = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    account = _app(ctx, params.get("client_id", ""))
    if account is None:
        return HTMLResponse("<h1>error=invalid_client_id</h1><p>client identifier invalid</p>",
                            status_code=400)
    redirect = params.get("redirect_uri", "")
    if redirect != account.credentials["redirect_uri"] and not params.get(
            "redirect_uri", "").startswith(("http://localhost", "http://127.0.0.1")) and not (
            urlsplit(redirect).hostname or "").endswith(".localhost"):
        return HTMLResponse("<h1>error=redirect_uri_mismatch</h1>", status_code=400)
    if params.get("response_type", "code") != "code":
        return HTMLResponse("<h1>error=unsupported_response_type</h1>", status_code=400)
    if request.method == "GET":
        return HTMLResponse(_login_page(params))
    sep = "&" if "?" in redirect else "?"
    state = {"state": params["state"]} if params.get("state") else {}
    if params.get("action") == "deny":
        query = urlencode({"error": "access_denied",
                           "error_description": "end-user denied authorization", **state})
        return RedirectResponse(f"{redirect}{sep}{query}", status_code=302)
    if (params.get("username") != account.credentials["username"]
            or params.get("password") != account.credentials["password"]):
        return HTMLResponse(_login_page(params, "Please check your username and password."),
                            status_code=200)
    code = ctx.state.token_issue(account.name, "sf_code", ttl_s=900, nbytes=40,
                                 data={"redirect_uri": redirect})
    return RedirectResponse(f"{redirect}{sep}{urlencode({'code': code.value, **state})}",
                            status_code=302)


async def identity(request: Request) -> Response:
    ctx = system_context(request)
    token = _session(ctx, request, None)
    if token is None:
        return sf_json("Bad_OAuth_Token", 403)
    account = ctx.account(token.account)
    assert account is not None
    creds = account.credentials
    if request.path_params["org_id"] != creds["org_id"]:
        return sf_json("Bad_Id", 403)
    base = f"{ctx.base_url}/instances/{account.name}/services/data/v{{version}}"
    return sf_json({
        "id": f"{ctx.base_url}/id/{creds['org_id']}/{creds['user_id']}",
        "organization_id": creds["org_id"], "user_id": creds["user_id"],
        "username": creds["username"], "display_name": "Integration User",
        "email": creds["username"], "active": True, "user_type": "STANDARD",
        "language": "en_US", "locale": "en_GB", "utcOffset": 0,
        "urls": {"rest": base + "/", "sobjects": base + "/sobjects/",
                 "query": base + "/query/", "limits": base + "/limits/"},
    })


# -- the data API --------------------------------------------------------------------------------

def _session(ctx: SystemContext, request: Request, org: str | None) -> Any:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not value:
        return None
    token = ctx.state.token_get(value.strip(), "sf_session")
    if token is None or token.expired or (org is not None and token.account != org):
        return None
    return token


@dataclass
class Call:
    """One API call (a request, or a composite subrequest)."""

    org: Org
    version: str
    method: str
    segments: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] | None = None


async def data_api(request: Request) -> Response:
    ctx = system_context(request)
    org_name = request.path_params["org"]
    account = ctx.account(org_name)
    version = request.path_params.get("version")
    if account is None:
        return sf_json([{"errorCode": "NOT_FOUND", "message": "The requested resource does "
                         "not exist"}], 404)
    session = _session(ctx, request, org_name)
    if session is None:
        return sf_json([{"message": "Session expired or invalid",
                         "errorCode": "INVALID_SESSION_ID"}], 401)
    limit = int(ctx.limit("daily_api_requests", org_name))
    budget = ctx.daily_counter("api").hit(org_name, limit)
    usage = {"Sforce-Limit-Info": f"api-usage={budget.used}/{limit}"}
    if not budget.allowed:
        return sf_json([{"message": "TotalRequests Limit exceeded.",
                         "errorCode": "REQUEST_LIMIT_EXCEEDED"}], 403, usage)
    if version is None:
        return sf_json([{"label": f"Version {v}", "url": f"/services/data/v{v}", "version": v}
                        for v in ("58.0", "59.0", "60.0", "61.0", "62.0")], 200, usage)
    if not VERSION_RE.match(version):
        return sf_json([{"errorCode": "NOT_FOUND", "message": "The requested resource does "
                         "not exist"}], 404, usage)
    raw = await request.body()
    body: Any = None
    if raw.strip():
        try:
            body = json.loads(raw)
        except ValueError:
            return sf_json([{"message": "Unexpected character: was expecting JSON",
                             "errorCode": "JSON_PARSER_ERROR"}], 400, usage)
    org = Org(ctx, account)
    rest = request.path_params.get("rest", "")
    call = Call(org, version, request.method, [s for s in rest.split("/") if s],
                dict(request.query_params), {k.lower(): v for k, v in request.headers.items()},
                body)
    answer = await dispatch(call)
    if org.changes:
        outbound.changes_publish(ctx, account, org.changes, session.value)
    headers = {**usage, **(answer.headers or {})}
    if answer.body is None:
        return Response(status_code=answer.status, headers=headers)
    return sf_json(answer.body, answer.status, headers)


async def dispatch(call: Call) -> Answer:
    try:
        return _route(call)
    except SfError as exc:
        return Answer(exc.status, exc.errors)
    except SoqlError as exc:
        return Answer(400, [{"message": exc.message, "errorCode": exc.code}])


def _not_allowed(call: Call, allowed: str) -> SfError:
    return SfError(405, "METHOD_NOT_ALLOWED",
                   f"HTTP Method '{call.method}' not allowed. Allowed are {allowed}")


def _route(call: Call) -> Answer:
    seg = call.segments
    if not seg:
        return Answer(200, {name: f"/services/data/{call.version}/{name}" for name in (
            "sobjects", "query", "queryAll", "composite", "limits", "search", "recent")})
    head = seg[0]
    if head == "limits" and len(seg) == 1:
        return _limits(call)
    if head in ("query", "queryAll"):
        if call.method != "GET":
            raise _not_allowed(call, "GET")
        if len(seg) == 2:
            return _query_more(call, seg[1])
        return _query(call, include_deleted=head == "queryAll")
    if head == "composite":
        if len(seg) == 1:
            return _composite(call)
        if seg[1] == "sobjects" and len(seg) == 2:
            return _collection(call)
        raise not_found()
    if head == "sobjects":
        return _sobjects(call)
    raise not_found()


def _limits(call: Call) -> Answer:
    ctx, name = call.org.ctx, call.org.account.name
    limit = int(ctx.limit("daily_api_requests", name))
    used = ctx.daily_counter("api").used(name)
    return Answer(200, {
        "DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DataStorageMB": {"Max": 5, "Remaining": 5},
    })


def _type(name: str) -> SObjectType:
    sobject = sobject_named(name)
    if sobject is None:
        raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
    return sobject


def _view(call: Call, sobject: SObjectType, record: dict[str, Any],
          fields: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {
        "type": sobject.name,
        "url": f"/services/data/{call.version}/sobjects/{sobject.name}/{record['Id']}"}}
    names = fields or list(sobject.fields)
    for name in names:
        out[name] = record.get(name)
    return out


def _save_result(record_id: str, created: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
    if created is not None:
        out["created"] = created
    return out


def _sobjects(call: Call) -> Answer:
    seg = call.segments
    org = call.org
    if len(seg) == 1:
        if call.method != "GET":
            raise _not_allowed(call, "GET")
        return Answer(200, {"encoding": "UTF-8", "maxBatchSize": 200,
                            "sobjects": [o.summary() for o in SOBJECTS.values()]})
    sobject = _type(seg[1])
    if len(seg) == 2:
        if call.method == "POST":
            record = org.create(sobject, call.body)
            return Answer(201, _save_result(record["Id"]))
        if call.method == "GET":
            recent = sorted(org.rows(sobject.name), key=lambda r: r["LastModifiedDate"],
                            reverse=True)[:5]
            return Answer(200, {"objectDescribe": sobject.summary(), "recentItems": [
                _view(call, sobject, r, ["Id", "Name"] if "Name" in sobject.fields else ["Id"])
                for r in recent if not r["IsDeleted"]]})
        raise _not_allowed(call, "GET,POST")
    if len(seg) == 3 and seg[2] == "describe":
        return Answer(200, sobject.describe())
    if len(seg) == 3 and seg[2] in ("updated", "deleted"):
        return _changed_since(call, sobject, seg[2])
    if len(seg) == 3:
        return _by_id(call, sobject, seg[2])
    if len(seg) == 4:
        return _by_external_id(call, sobject, seg[2], seg[3])
    raise not_found()


def _by_id(call: Call, sobject: SObjectType, raw_id: str) -> Answer:
    org = call.org
    full = normalize_id(raw_id)
    if full is None or full[:3] != sobject.key_prefix:
        # Salesforce reads a segment that isn't an id of this object as an external-id field.
        raise SfError(404, "NOT_FOUND",
                      f"Provided external ID field does not exist or is not accessible: {raw_id}")
    record = org.get(sobject, full)
    if record is None:
        raise not_found()
    if record["IsDeleted"]:
        raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted")
    if call.method == "GET":
        fields = None
        if call.query.get("fields"):
            fields = []
            for name in call.query["fields"].split(","):
                f = sobject.field_named(name.strip())
                if f is None:
                    raise SfError(400, "INVALID_FIELD",
                                  f"No such column '{name.strip()}' on sobject of type "
                                  f"{sobject.name}")
                fields.append(f.name)
        return Answer(200, _view(call, sobject, record, fields))
    if call.method == "PATCH":
        org.update(sobject, record, call.body)
        return Answer(204)
    if call.method == "DELETE":
        org.delete(sobject, record)
        return Answer(204)
    raise _not_allowed(call, "GET,PATCH,DELETE")


def _newer_than_46(version: str) -> bool:
    return float(version[1:]) >= 46.0


def _by_external_id(call: Call, sobject: SObjectType, field_name: str, value: str) -> Answer:
    org = call.org
    f = sobject.field_named(field_name)
    if f is None or not (f.external_id or f.name == "Id"):
        raise SfError(404, "NOT_FOUND", "Provided external ID field does not exist or is not "
                                        f"accessible: {field_name}")
    if f.name == "Id":
        full = normalize_id(value)
        record = org.get(sobject, full) if full else None
        matches = [record] if record is not None and not record["IsDeleted"] else []
    else:
        matches = org.find_by(sobject, f.name, value)
    if len(matches) > 1:
        return Answer(300, [
            f"/services/data/{call.version}/sobjects/{sobject.name}/{m['Id']}" for m in matches])
    if call.method == "GET":
        if not matches:
            raise not_found()
        return Answer(200, _view(call, sobject, matches[0]))
    if call.method == "DELETE":
        if not matches:
            raise not_found()
        org.delete(sobject, matches[0])
        return Answer(204)
    if call.method not in ("PATCH", "POST"):
        raise _not_allowed(call, "GET,PATCH,DELETE,POST")
    body = dict(call.body) if isinstance(call.body, dict) else call.body
    if isinstance(body, dict):
        body.pop(f.name, None)
    if not matches:
        if f.name == "Id":
            raise not_found()
        record = org.create(sobject, {**(body or {}), f.name: value})
        return Answer(201, _save_result(record["Id"], created=True))
    org.update(sobject, matches[0], body if body is not None else {})
    if _newer_than_46(call.version):
        return Answer(200, _save_result(matches[0]["Id"], created=False))
    return Answer(204)


def _changed_since(call: Call, sobject: SObjectType, kind: str) -> Answer:
    try:
        start = parse_datetime(call.query["start"])
        end = parse_datetime(call.query["end"])
    except (KeyError, ValueError):
        raise SfError(400, "INVALID_QUERY_FILTER_OPERATOR",
                      "start and end must be valid dateTime values") from None
    if end < start:
        raise SfError(400, "INVALID_REPLICATION_DATE",
                      "startDate must chronologically precede endDate by more than one minute")
    hits = []
    for record in call.org.rows(sobject.name):
        stamp = parse_datetime(record["LastModifiedDate"])
        if start <= stamp <= end and bool(record["IsDeleted"]) == (kind == "deleted"):
            hits.append(record)
    covered = sf_datetime(end.timestamp())
    if kind == "updated":
        return Answer(200, {"ids": [r["Id"] for r in hits], "latestDateCovered": covered})
    return Answer(200, {
        "deletedRecords": [{"id": r["Id"], "deletedDate": r["LastModifiedDate"]} for r in hits],
        "earliestDateAvailable": sf_datetime(0), "latestDateCovered": covered})


# -- query ---------------------------------------------------------------------------------------

_cursors: OrderedDict[str, tuple[str, str, list[dict[str, Any]]]] = OrderedDict()
_cursor_seq = itertools.count(1)
MAX_CURSORS = 500


def _batch_size(call: Call) -> int:
    options = call.headers.get("sforce-query-options", "")
    match = re.search(r"batchSize\s*=\s*(\d+)", options)
    floor = int(call.org.ctx.limit("query_min_batch_size", call.org.account.name))
    if not match:
        return 2000
    # Salesforce honours batchSize between 200 and 2000 (the floor is a sandbox limit so tests
    # can page through a few records).
    return max(floor, min(2000, int(match.group(1))))


def _page(call: Call, org_name: str, records: list[dict[str, Any]], offset: int, size: int,
          locator_id: str | None) -> dict[str, Any]:
    chunk = records[offset : offset + size]
    done = offset + size >= len(records)
    out: dict[str, Any] = {"totalSize": len(records), "done": done, "records": chunk}
    if not done:
        if locator_id is None:
            locator_id = make_id("01g", next(_cursor_seq))[:15] + "AAA"
            _cursors[locator_id] = (org_name, str(size), records)
            while len(_cursors) > MAX_CURSORS:
                _cursors.popitem(last=False)
        out["nextRecordsUrl"] = (f"/services/data/{call.version}/query/"
                                 f"{locator_id}-{offset + size}")
    return out


def _query(call: Call, *, include_deleted: bool) -> Answer:
    text = call.query.get("q")
    if text is None:
        raise SfError(400, "MALFORMED_QUERY", "A query string has to be specified")
    query = parse(text)
    org = call.org
    total, records = execute(query, rows=org.rows, get=org.get_any, version=call.version,
                             include_deleted=include_deleted)
    if query.count:
        return Answer(200, {"totalSize": total, "done": True, "records": []})
    return Answer(200, _page(call, org.account.name, records, 0, _batch_size(call), None))


def _query_more(call: Call, locator: str) -> Answer:
    locator_id, _, offset = locator.rpartition("-")
    entry = _cursors.get(locator_id)
    if entry is None or entry[0] != call.org.account.name or not offset.isdigit():
        raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    _org, size, records = entry
    _cursors.move_to_end(locator_id)
    return Answer(200, _page(call, _org, records, int(offset), int(size), locator_id))


# -- composite -----------------------------------------------------------------------------------

REF_RE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")


def _resolve_ref(results: dict[str, Any], ref: str, path: str) -> Any:
    if ref not in results:
        raise KeyError(ref)
    value = results[ref]
    for part in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        key, index = part
        value = value[key] if key else value[int(index)]
    return value


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = REF_RE.fullmatch(value)
        if whole:
            return _resolve_ref(results, whole.group(1), whole.group(2))
        return REF_RE.sub(lambda m: str(_resolve_ref(results, m.group(1), m.group(2))), value)
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    return value


def _composite(call: Call) -> Answer:
    if call.method != "POST":
        raise _not_allowed(call, "POST")
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
        raise SfError(400, "JSON_PARSER_ERROR", "Cannot deserialize the composite request: "
                                                "compositeRequest is required")
    subrequests = body["compositeRequest"]
    if len(subrequests) > MAX_COMPOSITE:
        raise SfError(400, "LIMIT_EXCEEDED", f"A composite request may contain at most "
                                             f"{MAX_COMPOSITE} subrequests")
    all_or_none = bool(body.get("allOrNone", False))
    org = call.org
    if all_or_none:
        org.journal = []
    results: dict[str, Any] = {}
    responses: list[dict[str, Any]] = []
    failed = False
    for sub in subrequests:
        ref = str(sub.get("referenceId", ""))
        if failed and all_or_none:
            responses.append(_halted(ref))
            continue
        try:
            url = _substitute(str(sub.get("url", "")), results)
            sub_body = _substitute(sub.get("body"), results)
        except (KeyError, IndexError, TypeError):
            failed = True
            responses.append({"body": [{"errorCode": "PROCESSING_HALTED", "message":
                              f"Invalid reference specified. No value for {ref} found."}],
                              "httpHeaders": {}, "httpStatusCode": 400, "referenceId": ref})
            continue
        parts = urlsplit(url)
        path = parts.path
        match = re.match(r"^/services/data/(v\d{2}\.\d)/?(.*)$", path)
        if match is None:
            answer = Answer(404, [{"errorCode": "NOT_FOUND",
                                   "message": "The requested resource does not exist"}])
        else:
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            answer = _sync_dispatch(Call(org, match.group(1), str(sub.get("method", "GET"))
                                         .upper(), [s for s in match.group(2).split("/") if s],
                                         query, {}, sub_body))
        if answer.status >= 400:
            failed = True
        elif answer.body is not None:
            results[ref] = answer.body
        headers = {"Location": f"/services/data/{call.version}/sobjects"} if (
            answer.status == 201 and isinstance(answer.body, dict)) else {}
        responses.append({"body": answer.body, "httpHeaders": headers,
                          "httpStatusCode": answer.status, "referenceId": ref})
    if failed and all_or_none:
        org.rollback()
        for item in responses:
            if item["httpStatusCode"] < 400:
                item.update(_halted(item["referenceId"]))
    org.journal = None
    return Answer(200, {"compositeResponse": responses})


def _halted(ref: str) -> dict[str, Any]:
    return {"body": [{"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled "
                      "back since another operation in the same transaction failed."}],
            "httpHeaders": {}, "httpStatusCode": 400, "referenceId": ref}


def _sync_dispatch(call: Call) -> Answer:
    if call.segments[:1] == ["composite"]:
        return Answer(400, [{"errorCode": "INVALID_API_INPUT",
                             "message": "Composite requests cannot be nested"}])
    try:
        return _route(call)
    except SfError as exc:
        return Answer(exc.status, exc.errors)
    except SoqlError as exc:
        return Answer(400, [{"message": exc.message, "errorCode": exc.code}])


def _collection(call: Call) -> Answer:
    """sObject Collections: create (POST) or update (PATCH) up to 200 records."""
    if call.method not in ("POST", "PATCH"):
        raise _not_allowed(call, "POST,PATCH")
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SfError(400, "JSON_PARSER_ERROR", "records is required")
    records = body["records"]
    if len(records) > MAX_COLLECTION:
        raise SfError(400, "EXCEEDED_ID_LIMIT", f"record count must be at most {MAX_COLLECTION}")
    all_or_none = bool(body.get("allOrNone", False))
    org = call.org
    if all_or_none:
        org.journal = []
    results = []
    failed = False
    for item in records:
        try:
            if not isinstance(item, dict) or not isinstance(item.get("attributes"), dict):
                raise SfError(400, "INVALID_FIELD", "No type is specified in attributes")
            sobject = _type(item["attributes"].get("type", ""))
            if call.method == "POST":
                record = org.create(sobject, item)
            else:
                record_id = item.get("id") or item.get("Id")
                found = org.get(sobject, str(record_id)) if record_id else None
                if found is None or found["IsDeleted"]:
                    raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference "
                                                                      "id")
                record = org.update(sobject, found, {k: v for k, v in item.items()
                                                     if k not in ("id", "Id")})
            results.append({"id": record["Id"], "success": True, "errors": []})
        except SfError as exc:
            failed = True
            results.append({"id": None, "success": False, "errors": exc.errors})
    if failed and all_or_none:
        org.rollback()
        results = [r if not r["success"] else {"id": None, "success": False, "errors": [
            {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
             "message": "Record rolled back because not all records were valid and the "
                        "request was using AllOrNone header", "fields": []}]}
            for r in results]
    org.journal = None
    return Answer(200, results)


# -- setup: outbound messages --------------------------------------------------------------------

async def outbound_setup(request: Request) -> Response:
    ctx = system_context(request)
    account = ctx.account(request.path_params["org"])
    if account is None:
        return sf_json({"error": "no such org"}, 404)
    if request.method == "GET":
        return sf_json({"outboundMessages": outbound.configs(account)})
    try:
        body = json.loads(await request.body() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        seq = len(outbound.configs(account)) + 1
        config = outbound.config_create(account, body, seq)
    except ValueError as exc:
        return sf_json({"error": str(exc)}, 400)
    return sf_json(config, 201)


async def outbound_setup_delete(request: Request) -> Response:
    ctx = system_context(request)
    account = ctx.account(request.path_params["org"])
    if account is None:
        return sf_json({"error": "no such org"}, 404)
    configs = outbound.configs(account)
    kept = [c for c in configs if c["id"] != request.path_params["config_id"]]
    if len(kept) == len(configs):
        return sf_json({"error": "no such outbound message"}, 404)
    configs[:] = kept
    return Response(status_code=204)


# -- seeding -------------------------------------------------------------------------------------

ORDER_STATUS_BY_SEED = {"new": "Draft", "paid": "Activated", "allocated": "Activated",
                        "shipped": "Partially Fulfilled", "completed": "Fulfilled",
                        "cancelled": "Cancelled"}


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).timestamp()


def seed_account(ctx: SystemContext, account: Account, data: Dataset) -> None:
    """Write the dataset as Accounts, Contacts, Products with prices, Orders, Opportunities,
    Cases, Leads and the custom inventory / shipment / payment objects."""
    org = Org(ctx, account)
    s = SOBJECTS
    book = next(b for b in org.rows("Pricebook2") if b["IsStandard"])
    products: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for item in data.products:
        at = _epoch(item["created_at"])
        product = org.create(s["Product2"], {
            "Name": item["name"], "ProductCode": item["sku"], "StockKeepingUnit": item["sku"],
            "Description": item["description"], "IsActive": item["active"],
            "Family": {"Apparel": "Apparel"}.get(item["category"], "None"),
            "QuantityUnitOfMeasure": "Each",
            "AvailableStock__c": float(sum(item["stock"].values())),
        }, at=at, emit=False)
        entry = org.create(s["PricebookEntry"], {
            "Pricebook2Id": book["Id"], "Product2Id": product["Id"], "UnitPrice": item["price"],
            "IsActive": True}, at=at, emit=False)
        products[item["key"]] = (product, entry)
        for warehouse, quantity in item["stock"].items():
            org.create(s["Inventory__c"], {
                "Product__c": product["Id"], "Warehouse__c": warehouse,
                "Quantity_On_Hand__c": float(quantity), "Quantity_Allocated__c": 0.0,
                "Quantity_Available__c": float(quantity)}, at=at, emit=False)
    accounts: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for person in data.customers:
        at = _epoch(person["created_at"])
        address = person["address"]
        street = "\n".join(p for p in (address["line1"], address["line2"]) if p)
        name = person["company"] or f"{person['first_name']} {person['last_name']}"
        acct = org.create(s["Account"], {
            "Name": name, "Type": "Customer - Direct" if person["company"] else "Customer - "
                                                                               "Channel",
            "Phone": person["phone"], "BillingStreet": street, "BillingCity": address["city"],
            "BillingState": address["region"], "BillingPostalCode": address["postal_code"],
            "BillingCountry": address["country"], "ShippingStreet": street,
            "ShippingCity": address["city"], "ShippingState": address["region"],
            "ShippingPostalCode": address["postal_code"],
            "ShippingCountry": address["country"], "Industry": "Retail"}, at=at, emit=False)
        contact = org.create(s["Contact"], {
            "AccountId": acct["Id"], "FirstName": person["first_name"],
            "LastName": person["last_name"], "Email": person["email"],
            "Phone": person["phone"], "MailingStreet": street, "MailingCity": address["city"],
            "MailingPostalCode": address["postal_code"], "MailingCountry": address["country"],
        }, at=at, emit=False)
        accounts[person["key"]] = (acct, contact)
    shipments = {sh["order_key"]: sh for sh in data.shipments}
    payments = {p["order_key"]: p for p in data.payments}
    for index, order in enumerate(data.orders):
        owner = accounts.get(order["customer_key"])
        if owner is None:
            continue
        at = _epoch(order["placed_at"])
        acct, contact = owner
        status = ORDER_STATUS_BY_SEED.get(order["status"], "Draft")
        opportunity = None
        if index % 3 == 0:
            opportunity = org.create(s["Opportunity"], {
                "Name": f"{acct['Name']} - {order['reference']}", "AccountId": acct["Id"],
                "StageName": "Closed Won" if order["paid"] else "Proposal/Price Quote",
                "CloseDate": order["placed_at"][:10], "Amount": order["total"],
                "Pricebook2Id": book["Id"], "LeadSource": "Web"}, at=at, emit=False)
        address = order["shipping_address"]
        record = org.create(s["Order"], {
            "AccountId": acct["Id"], "EffectiveDate": order["placed_at"][:10],
            "Status": "Draft", "Pricebook2Id": book["Id"], "Type": "Web",
            "OrderReferenceNumber": order["reference"], "Description": order["notes"],
            "OpportunityId": opportunity["Id"] if opportunity else None,
            "ShippingStreet": address["line1"], "ShippingCity": address["city"],
            "ShippingPostalCode": address["postal_code"],
            "ShippingCountry": address["country"]}, at=at, emit=False)
        for line in order["lines"]:
            product = products.get(line["product_key"])
            if product is not None:
                org.create(s["OrderItem"], {
                    "OrderId": record["Id"], "PricebookEntryId": product[1]["Id"],
                    "Quantity": line["quantity"], "UnitPrice": line["unit_price"]},
                    at=at, emit=False)
        record["Status"] = status
        shipment = shipments.get(order["key"])
        if shipment is not None:
            org.create(s["Shipment__c"], {
                "Order__c": record["Id"], "Tracking_Number__c": shipment["tracking_number"],
                "Carrier__c": shipment["carrier"], "Shipped_Date__c": shipment["shipped_at"][:10],
                "Status__c": "Delivered" if order["status"] == "completed" else "Shipped"},
                at=_epoch(shipment["shipped_at"]), emit=False)
        payment = payments.get(order["key"])
        if payment is not None:
            org.create(s["Payment__c"], {
                "Order__c": record["Id"], "Account__c": acct["Id"],
                "Amount__c": payment["amount"], "Currency__c": payment["currency"],
                "Payment_Date__c": payment["paid_at"][:10],
                "Payment_Method__c": payment["method"],
                "Transaction_Ref__c": payment["reference"]}, at=at, emit=False)
        if index % 4 == 1:
            org.create(s["Case"], {
                "AccountId": acct["Id"], "ContactId": contact["Id"],
                "Subject": f"Where is my order {order['reference']}?", "Origin": "Email",
                "Type": "Question", "Reason": "Late Delivery",
                "Status": "Closed" if order["shipped"] else "New"}, at=at, emit=False)
    for person in data.customers[: max(1, len(data.customers) // 3)]:
        org.create(s["Lead"], {
            "FirstName": person["first_name"], "LastName": person["last_name"],
            "Company": person["company"] or f"{person['last_name']} Household",
            "Email": person["email"].replace("@", ".lead@"), "LeadSource": "Web",
            "City": person["address"]["city"], "Country": person["address"]["country"]},
            at=_epoch(person["created_at"]), emit=False)


# -- faults and registration ---------------------------------------------------------------------

def fault_response(ctx: SystemContext, kind: FaultKind, scope: Scope) -> Response:
    org = _org_from_path(scope.get("path", "").split("/salesforce", 1)[-1])
    if kind is FaultKind.RATE_LIMITED:
        limit = int(ctx.limit("daily_api_requests", org))
        return sf_json([{"message": "TotalRequests Limit exceeded.",
                         "errorCode": "REQUEST_LIMIT_EXCEEDED"}], 403,
                       {"Sforce-Limit-Info": f"api-usage={limit}/{limit}"})
    error_id = f"{zlib.crc32(str(time.time()).encode()) % 10**9}-{secrets.randbelow(10**5)}"
    return sf_json([{"message": "An unexpected error occurred. Please include this ErrorId if "
                     f"you contact support: {error_id} (-1855432133)",
                     "errorCode": "UNKNOWN_EXCEPTION"}], 500)


def _org_from_path(path: str) -> str | None:
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "instances" else None


async def not_found_route(request: Request) -> Response:
    return sf_json([{"errorCode": "NOT_FOUND",
                     "message": "The requested resource does not exist"}], 404)


INSTANCE = "/instances/{org}"
routes = [
    Route("/services/oauth2/token", oauth_token, methods=["POST"]),
    Route("/services/oauth2/authorize", oauth_authorize, methods=["GET", "POST"]),
    Route("/services/oauth2/revoke", oauth_revoke, methods=["POST", "GET"]),
    Route("/id/{org_id}/{user_id}", identity, methods=["GET"]),
    Route(f"{INSTANCE}/_setup/outbound-messages", outbound_setup, methods=["GET", "POST"]),
    Route(f"{INSTANCE}/_setup/outbound-messages/{{config_id}}", outbound_setup_delete,
          methods=["DELETE"]),
    Route(f"{INSTANCE}/services/data", data_api, methods=["GET"]),
    Route(f"{INSTANCE}/services/data/", data_api, methods=["GET"]),
    Route(f"{INSTANCE}/services/data/{{version}}", data_api, methods=["GET"]),
    Route(f"{INSTANCE}/services/data/{{version}}/{{rest:path}}", data_api,
          methods=["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"]),
    Route("/{path:path}", not_found_route, methods=["GET", "POST", "PATCH", "DELETE", "PUT"]),
]

SYSTEM = SandboxSystem(
    name="salesforce",
    title="Salesforce",
    routes=routes,
    demo_account=DemoAccount(DEMO_ORG, DEMO_CREDENTIALS),
    create_account=create_account,
    init_account=init_account,
    seed_account=seed_account,
    fault_response=fault_response,
    account_from_path=_org_from_path,
    default_limits={
        "daily_api_requests": 15000,
        # Session timeout of the org's policy (2 h); expiry shows as 401 INVALID_SESSION_ID.
        "session_ttl_s": 7200,
        "query_min_batch_size": 200,
        # Salesforce retries for 24 h with growing intervals; compressed here.
        "outbound_retry_delays_s": [0.2, 0.5, 1.0, 2.0, 5.0],
    },
    base_path="/instances/{org}/services/data/vXX.X",
)
