"""The JSON control API under ``/_control/``: inspect, reset, seed, faults, limits, accounts."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandboxes.faults import FaultSettings
from sandboxes.runtime import Sandbox
from sandboxes.system import SystemContext


def _sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _ctx(request: Request, name: str | None = None) -> SystemContext:
    name = name or request.path_params["system"]
    ctx = _sandbox(request).context(name)
    if ctx is None:
        raise LookupError(f"no system {name!r}")
    return ctx


def _handle(func: Any) -> Any:
    """Turn lookup and validation errors into 404 / 400 JSON answers."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            return await func(request)
        except LookupError as exc:
            return _error(404, str(exc).strip("'\""))
        except (ValueError, TypeError) as exc:
            return _error(400, str(exc))

    endpoint.__name__ = func.__name__
    return endpoint


@_handle
async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "systems": list(_sandbox(request).contexts)})


@_handle
async def systems(request: Request) -> JSONResponse:
    sandbox = _sandbox(request)
    return JSONResponse({
        name: {
            "title": ctx.system.title,
            "base_url": ctx.base_url,
            "base_path": ctx.system.base_path,
            "demo_account": ctx.system.demo_account.name,
            "demo_credentials": ctx.system.demo_account.credentials,
            "accounts": sorted(ctx.state.accounts),
        }
        for name, ctx in sandbox.contexts.items()
    })


@_handle
async def state(request: Request) -> JSONResponse:
    sandbox = _sandbox(request)
    return JSONResponse(
        {"systems": {name: ctx.state.counts() for name, ctx in sandbox.contexts.items()}}
    )


@_handle
async def account_detail(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    account = ctx.account(request.path_params["account"])
    if account is None:
        raise LookupError(f"no account {request.path_params['account']!r}")
    return JSONResponse({
        "system": ctx.name,
        "account": account.name,
        "credentials": account.credentials,
        "settings": account.settings,
        "counts": account.counts(),
        "base_url": ctx.base_url,
    })


@_handle
async def records_list(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    account = ctx.account(request.path_params["account"])
    if account is None:
        raise LookupError(f"no account {request.path_params['account']!r}")
    table = account.tables.get(request.path_params["entity"])
    rows = list(table.items()) if table is not None else []
    offset = int(request.query_params.get("offset", 0))
    limit = int(request.query_params.get("limit", 1000))
    since = request.query_params.get("modified_since")
    if since is not None and table is not None:
        keep = set(table.modified_since(float(since)))
        rows = [(rid, rec) for rid, rec in rows if rid in keep]
    page = rows[offset : offset + limit]
    return JSONResponse({
        "count": len(rows),
        "ids": [rid for rid, _ in page],
        "records": [rec for _, rec in page],
    })


@_handle
async def record_get(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    account = ctx.account(request.path_params["account"])
    table = account.tables.get(request.path_params["entity"]) if account else None
    raw_id = request.path_params["id"]
    if table is not None:
        for candidate in ((int(raw_id),) if raw_id.lstrip("-").isdigit() else ()) + (raw_id,):
            record = table.get(candidate)
            if record is not None:
                return JSONResponse({
                    "id": candidate,
                    "record": record,
                    "created": table.created[candidate],
                    "updated": table.updated[candidate],
                })
    raise LookupError(f"no record {raw_id!r}")


@_handle
async def reset(request: Request) -> JSONResponse:
    body = await _body(request)
    sandbox = _sandbox(request)
    system = body.get("system")
    if system is not None:
        _ctx(request, system)
    sandbox.reset(system, body.get("account"), demo=bool(body.get("demo", True)))
    return JSONResponse({"reset": True, "system": system, "account": body.get("account")})


@_handle
async def seed(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    body = await _body(request)
    name = request.path_params["account"]
    if ctx.account(name) is None:
        raise LookupError(f"no account {name!r}")
    counts = _sandbox(request).account_seed(ctx, name, body, seed=body.get("seed"))
    account = ctx.account(name)
    assert account is not None
    return JSONResponse({"seeded": counts, "counts": account.counts()})


@_handle
async def accounts_create(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    body = await _body(request)
    name = body.get("account")
    if not name or not isinstance(name, str):
        raise ValueError("'account' (a name) is required")
    account = ctx.account_create(name, body.get("credentials") or {})
    seeded: dict[str, int] = {}
    if body.get("seed"):
        sizes = body["seed"] if isinstance(body["seed"], dict) else {}
        seeded = _sandbox(request).account_seed(ctx, name, sizes, seed=sizes.get("seed"))
    _sandbox(request).changes += 1
    return JSONResponse(
        {
            "system": ctx.name,
            "account": name,
            "credentials": account.credentials,
            "base_url": ctx.base_url,
            "seeded": seeded,
        },
        status_code=201,
    )


@_handle
async def accounts_list(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    return JSONResponse({
        name: {"credentials": acc.credentials, "counts": acc.counts()}
        for name, acc in ctx.state.accounts.items()
    })


def _target(request: Request, body: dict[str, Any]) -> tuple[SystemContext, str | None]:
    system = request.path_params.get("system") or body.get("system")
    if not system:
        raise ValueError("'system' is required (in the path or the body)")
    account = request.path_params.get("account") or body.get("account")
    return _ctx(request, system), account


@_handle
async def faults_get(request: Request) -> JSONResponse:
    sandbox = _sandbox(request)
    if "system" in request.path_params:
        faults = _ctx(request).faults.to_json()
        if "account" in request.path_params:
            return JSONResponse(faults.get(request.path_params["account"], {}))
        return JSONResponse(faults)
    return JSONResponse({name: ctx.faults.to_json() for name, ctx in sandbox.contexts.items()})


@_handle
async def faults_put(request: Request) -> JSONResponse:
    body = await _body(request)
    ctx, account = _target(request, body)
    settings = FaultSettings.from_json(body)
    ctx.faults.put(account, settings)
    expired = 0
    if body.get("expire_tokens_now"):
        expired = ctx.state.tokens_expire(account)
    return JSONResponse({
        "system": ctx.name,
        "account": account,
        "faults": settings.to_json(),
        "tokens_expired": expired,
    })


@_handle
async def faults_delete(request: Request) -> JSONResponse:
    sandbox = _sandbox(request)
    if "system" in request.path_params:
        ctx = _ctx(request)
        account = request.path_params.get("account")
        ctx.faults.clear(account, everything=account is None)
    else:
        for ctx in sandbox.contexts.values():
            ctx.faults.clear(everything=True)
    return JSONResponse({"cleared": True})


@_handle
async def limits_get(request: Request) -> JSONResponse:
    sandbox = _sandbox(request)

    def view(ctx: SystemContext) -> dict[str, Any]:
        out: dict[str, Any] = dict(ctx.limits[None])
        accounts = {acc: vals for acc, vals in ctx.limits.items() if acc is not None}
        if accounts:
            out["accounts"] = accounts
        return out

    if "system" in request.path_params:
        return JSONResponse(view(_ctx(request)))
    return JSONResponse({name: view(ctx) for name, ctx in sandbox.contexts.items()})


@_handle
async def limits_put(request: Request) -> JSONResponse:
    body = await _body(request)
    ctx, account = _target(request, body)
    values = {k: v for k, v in body.items() if k not in ("system", "account", "reset_counters")}
    unknown = set(values) - set(ctx.system.default_limits)
    if unknown:
        raise ValueError(
            f"unknown limits for {ctx.name}: {sorted(unknown)}; "
            f"known: {sorted(ctx.system.default_limits)}"
        )
    ctx.limits.setdefault(account, {}).update(values)
    if body.get("reset_counters", True):
        ctx.limiters_reset(account)
    return JSONResponse({"system": ctx.name, "account": account, "limits": ctx.limits[account]})


@_handle
async def deliveries(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    items = _sandbox(request).dispatcher.deliveries(ctx.name, request.path_params["account"])
    return JSONResponse({"count": len(items), "deliveries": [d.to_json() for d in items]})


@_handle
async def deliveries_hold(request: Request) -> JSONResponse:
    """``PUT {"held": true}``: the account's webhook deliveries queue up unsent;
    ``{"held": false}`` sends them all at once (concurrently, as the system would after an
    outage, each with its usual retries)."""
    ctx = _ctx(request)
    account = request.path_params["account"]
    body = await _body(request)
    if not isinstance(body.get("held"), bool):
        raise ValueError('send {"held": true} or {"held": false}')
    dispatcher = _sandbox(request).dispatcher
    released = 0
    if body["held"]:
        dispatcher.hold(ctx.name, account)
    else:
        released = dispatcher.release(ctx.name, account)
    return JSONResponse({"system": ctx.name, "account": account,
                         "held": dispatcher.held(ctx.name, account), "released": released})


@_handle
async def tokens_expire(request: Request) -> JSONResponse:
    body = await _body(request)
    ctx, account = _target(request, body)
    return JSONResponse({"tokens_expired": ctx.state.tokens_expire(account)})


@_handle
async def save(request: Request) -> JSONResponse:
    sandbox = _sandbox(request)
    if sandbox.config.state_file is None:
        raise ValueError("no --state-file configured")
    sandbox.save()
    return JSONResponse({"saved": str(sandbox.config.state_file)})


routes = [
    Route("/health", health, methods=["GET"]),
    Route("/systems", systems, methods=["GET"]),
    Route("/state", state, methods=["GET"]),
    Route("/save", save, methods=["POST"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/faults", faults_get, methods=["GET"]),
    Route("/faults", faults_put, methods=["PUT"]),
    Route("/faults", faults_delete, methods=["DELETE"]),
    Route("/faults/{system}", faults_get, methods=["GET"]),
    Route("/faults/{system}", faults_put, methods=["PUT"]),
    Route("/faults/{system}", faults_delete, methods=["DELETE"]),
    Route("/faults/{system}/{account}", faults_get, methods=["GET"]),
    Route("/faults/{system}/{account}", faults_put, methods=["PUT"]),
    Route("/faults/{system}/{account}", faults_delete, methods=["DELETE"]),
    Route("/limits", limits_get, methods=["GET"]),
    Route("/limits", limits_put, methods=["PUT"]),
    Route("/limits/{system}", limits_get, methods=["GET"]),
    Route("/limits/{system}", limits_put, methods=["PUT"]),
    Route("/limits/{system}/{account}", limits_put, methods=["PUT"]),
    Route("/expire-tokens", tokens_expire, methods=["POST"]),
    Route("/{system}/accounts", accounts_create, methods=["POST"]),
    Route("/{system}/accounts", accounts_list, methods=["GET"]),
    Route("/{system}/{account}", account_detail, methods=["GET"]),
    Route("/{system}/{account}/seed", seed, methods=["POST"]),
    Route("/{system}/{account}/webhook-deliveries", deliveries, methods=["GET"]),
    Route("/{system}/{account}/webhook-deliveries/hold", deliveries_hold, methods=["PUT"]),
    Route("/{system}/{account}/{entity}", records_list, methods=["GET"]),
    Route("/{system}/{account}/{entity}/{id}", record_get, methods=["GET"]),
]
