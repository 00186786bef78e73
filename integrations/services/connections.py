"""Writes for connections, and the bridge from a ``Connection`` row to a live connector.

Connectors know nothing of Django: this module hands them credentials and the current token,
gives them a shared request budget, and saves refreshed tokens. Refreshes of one connection
are serialised with a row lock, so two workers never both spend a rotating refresh token.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from config.redis import redis_client
from integrations.connectors.base import ConnectionConfig, Connector, Token
from integrations.connectors.budget import RequestBudget
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    ConnectorError,
    NotFound,
    PermissionDenied,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from integrations.connectors.registry import connector_class, credential_fields
from integrations.models import Connection

logger = logging.getLogger(__name__)


def connection_config(connection: Connection) -> ConnectionConfig:
    return ConnectionConfig(
        base_url=connection.base_url, account=connection.account,
        auth_type=connection.auth_type, credentials=dict(connection.credentials),
        token=dict(connection.token), settings=dict(connection.settings),
    )


def budget_key(connection: Connection) -> str:
    """One budget per external account, whichever tenant or connection row uses it."""
    host = urlsplit(connection.base_url).netloc
    return f"{connection.system}:{host}:{connection.account}"


def _expires_at(token: Token) -> dt.datetime | None:
    value = token.get("expires_at")
    return dt.datetime.fromtimestamp(float(value), tz=dt.UTC) if value else None


def connection_token_save(*, connection: Connection, token: Token) -> Connection:
    connection.token = token
    connection.token_expires_at = _expires_at(token)
    connection.save(update_fields=["token", "token_expires_at", "updated_at"])
    return connection


def _refresher(connection_id: int, connector_box: list[Connector]) -> Any:
    def refresh(failed: Token) -> Token:
        with transaction.atomic():
            row = Connection.objects.select_for_update().get(pk=connection_id)
            if row.token and row.token != failed:
                # Another worker refreshed while we waited for the lock: use its token.
                return dict(row.token)
            connector = connector_box[0]
            connector.token = dict(failed)
            token = connector.fetch_token()
            connection_token_save(connection=row, token=token)
            return token

    return refresh


_local = threading.local()
SESSIONS_PER_THREAD = 32


def _new_session() -> requests.Session:
    session = requests.Session()
    if not urllib.request.getproxies():
        # requests reads the proxy variables and ~/.netrc again for every request unless told
        # not to (about 5 % of a worker's CPU); with no proxy configured there is nothing to
        # find, and credentials always come from the connection, never from .netrc.
        session.trust_env = False
        # What trust_env would also have read: a CA bundle named in the environment.
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
    return session


def _session_for(connection: Connection) -> requests.Session:
    """A keep-alive HTTP session per thread and connection: a worker's next event reuses the
    TCP/TLS connection instead of a handshake per call. Never shared between connections or
    threads, and its cookie jar starts empty for each connector, as a new session's would."""
    if connection.pk is None:
        return _new_session()
    sessions: OrderedDict[tuple[str, int], requests.Session] | None = getattr(
        _local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = OrderedDict()
    key = (db.schema_name, connection.pk)
    session = sessions.pop(key, None) or _new_session()
    session.cookies.clear()
    sessions[key] = session
    while len(sessions) > SESSIONS_PER_THREAD:
        sessions.popitem(last=False)[1].close()
    return session


def connector_for(connection: Connection, **options: Any) -> Connector:
    """A connector for ``connection`` with its shared budget and a locked token refresher."""
    options.setdefault("session", _session_for(connection))
    cls = connector_class(connection.system)
    box: list[Connector] = []
    budget = None
    limit = getattr(cls, "rate_limit_for", None)
    rate_limit = limit(connection_config(connection)) if callable(limit) else cls.rate_limit
    if rate_limit is not None:
        budget = RequestBudget(redis_client(), key=budget_key(connection), limit=rate_limit)
    connector = cls(connection_config(connection), refresher=_refresher(connection.pk, box),
                    budget=budget, **options)
    box.append(connector)
    return connector


@dataclass(frozen=True)
class ConnectionTestResult:
    ok: bool
    message: str


def _plain_words(error: ConnectorError, connection: Connection) -> str:
    system = connection.get_system_display()
    host = urlsplit(connection.base_url).netloc or connection.base_url
    if isinstance(error, PermissionDenied):
        return (f"{system} accepted the credentials but the account lacks a permission this "
                f"integration needs: {error.message}")
    if isinstance(error, AuthError):
        return f"{system} refused the credentials: {error.message} Check them and connect again."
    if isinstance(error, ConfigurationError):
        return f"The connection is not set up completely: {error.message}"
    if isinstance(error, RateLimited):
        return (f"{system} is rate-limiting this account right now; try again in "
                f"{max(1, round(error.wait_s))} seconds.")
    if isinstance(error, TransientError):
        return f"Could not reach {system} at {host}: {error.message}"
    if isinstance(error, NotFound):
        return (f"{system} answered, but the account {connection.account!r} was not found at "
                f"{host}.")
    if isinstance(error, ValidationFailed):
        return f"{system} refused the test call: {error.message}"
    return f"{system}: {error.message}"


def connection_test(*, connection: Connection) -> ConnectionTestResult:
    """Make one cheap authenticated call and record the outcome as the connection's health."""
    now = timezone.now()
    try:
        connector_for(connection, timeout=(5.0, 15.0)).test()
    except LookupError:
        result = ConnectionTestResult(False, f"There is no connector for {connection.system!r}.")
    except ConnectorError as exc:
        result = ConnectionTestResult(False, _plain_words(exc, connection))
    else:
        result = ConnectionTestResult(True, f"Connected to {connection.get_system_display()}.")
    connection.refresh_from_db()
    connection.health = Connection.Health.OK if result.ok else Connection.Health.FAILING
    connection.last_checked_at = now
    connection.last_error = "" if result.ok else result.message
    if result.ok:
        connection.last_success_at = now
    connection.save(update_fields=["health", "last_checked_at", "last_error",
                                   "last_success_at", "updated_at"])
    return result


def connection_create(
    *,
    name: str,
    system: str,
    base_url: str,
    auth_type: str,
    credentials: dict[str, Any],
    account: str = "",
    environment: str = Connection.Environment.SANDBOX,
    settings: dict[str, Any] | None = None,
) -> Connection:
    """Create a connection after checking the system, auth type and required credentials."""
    errors: dict[str, list[str]] = {}
    if system not in Connection.System.values:
        errors["system"] = [f"Unknown system {system!r}; choose one of "
                            f"{', '.join(Connection.System.values)}."]
    else:
        fields = credential_fields(system)
        if auth_type not in fields:
            errors["auth_type"] = [f"{Connection.System(system).label} connects with "
                                   f"{' or '.join(sorted(fields))}, not {auth_type!r}."]
        else:
            missing = [f for f in fields[auth_type] if not credentials.get(f)]
            if missing:
                errors["credentials"] = [f"Missing: {', '.join(missing)}."]
    if Connection.objects.filter(name=name).exists():
        errors["name"] = [f"A connection called {name!r} exists already."]
    if errors:
        raise ValidationError(errors)
    connection = Connection(
        name=name, system=system, base_url=base_url, auth_type=auth_type, account=account,
        credentials=credentials, environment=environment, settings=settings or {},
    )
    connection.full_clean()
    connection.save()
    return connection


