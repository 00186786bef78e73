"""The small base every connector shares: HTTP with timeouts, budgets, auth and error classes.

Connectors are plain classes (no Django): the caller passes credentials and the current token
in, and receives refreshed tokens through ``on_token``. Everything that can go wrong leaves as
one of the types in ``errors``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests

from integrations.connectors.budget import RateLimit, RequestBudget
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

logger = logging.getLogger(__name__)

Token = dict[str, Any]
# Called with the token that just failed; returns a token to use (refreshed, or one another
# worker already refreshed). The caller serialises refreshes of one connection.
TokenRefresher = Callable[[Token], Token]

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds: no call can hang a worker


@dataclass
class ConnectionConfig:
    """What a connector needs to know about one account, as plain data."""

    base_url: str
    account: str = ""
    auth_type: str = ""
    credentials: dict[str, Any] = field(default_factory=dict)
    token: Token = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def require(self, *names: str) -> list[Any]:
        missing = [n for n in names if not self.credentials.get(n)]
        if missing:
            raise ConfigurationError(f"Missing credential{'s' if len(missing) > 1 else ''}: "
                                     f"{', '.join(missing)}.")
        return [self.credentials[n] for n in names]


@dataclass(frozen=True)
class WriteResult:
    id: str
    created: bool
    record: dict[str, Any] | None = None


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    next_cursor: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    entity: str
    external_id: str
    event_type: str
    occurred_at: str | None = None


_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class Connector:
    """Base class: subclasses set ``system``, ``rate_limit`` and implement auth and entities."""

    system: ClassVar[str] = ""
    rate_limit: ClassVar[RateLimit | None] = None
    entities: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        config: ConnectionConfig,
        *,
        refresher: TokenRefresher | None = None,
        budget: RequestBudget | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.config = config
        self.token: Token = dict(config.token)
        self.refresher = refresher
        self.budget = budget
        self.session = session or requests.Session()
        self.timeout = timeout

    # --- to implement -------------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {}

    def fetch_token(self) -> Token:
        """Obtain a new token from scratch or by refresh (no locking: see ``refresher``)."""
        raise AuthError("This connection cannot obtain a token by itself.", system=self.system)

    def error_for(self, response: requests.Response) -> ConnectorError:
        """Classify a non-success response. Systems override to read their error bodies."""
        return self.classify_status(response, message=response.text[:500])

    def observe(self, response: requests.Response) -> None:
        """Read rate-limit headers of any response (systems override)."""

    def test(self) -> None:
        """One cheap authenticated call; raises a classified error on failure."""
        raise NotImplementedError

    def get_batch(self, entity: str, external_ids: Sequence[str]
                  ) -> dict[str, dict[str, Any] | ConnectorError]:
        """Each id's record, or the error reading it. Systems that read many records in one
        call override this; the default reads them one by one."""
        found: dict[str, dict[str, Any] | ConnectorError] = {}
        for external_id in external_ids:
            try:
                found[external_id] = self.get(entity, external_id)
            except ConnectorError as exc:
                found[external_id] = exc
        return found

    def find_existing(self, entity: str, record: dict[str, Any]) -> str | None:
        """The id of a record an earlier, interrupted write already created, found by the
        reference the record carries; None when there is none or the system cannot tell.

        Asked before creating when an earlier attempt may have written without recording it
        (a worker killed mid-write), so a retry updates instead of duplicating."""
        return None

    def duplicate_candidates(self, entity: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Records already in the system that may be ``record`` under another id (found by
        the system's own search on email, name, phone or SKU), read as ``get`` reads them,
        for the duplicate check to score. Systems without such a search answer none."""
        return []

    # --- events pushed by the system (webhooks) ---------------------------------------------
    @classmethod
    def webhook_parse(cls, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        """The events one delivery reports; ``ValidationFailed`` for a body we cannot read."""
        raise ConfigurationError(f"{cls.system} does not push events; its flows poll.",
                                 system=cls.system)

    def webhook_verify(self, *, headers: Mapping[str, str], query: Mapping[str, str],
                       body: bytes, secret: str) -> bool:
        """Whether a delivery is genuine, in the way this system supports (secret URL,
        echoed header, signature). Systems that push nothing accept nothing."""
        return False

    # --- shared machinery ---------------------------------------------------------------------
    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.config.base_url.rstrip('/')}/{path.lstrip('/')}"

    def ensure_token(self) -> None:
        if not self.token and self.refresher is not None:
            self.token = self.refresher({})

    def request(
        self,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        refreshed = False
        while True:
            if self.budget is not None:
                self.budget.acquire()
            all_headers = {"Accept": "application/json"}
            if authenticate:
                self.ensure_token()
                all_headers.update(self.auth_headers())
            all_headers.update(headers or {})
            response = self._send(method, self.url(path), headers=all_headers, **kwargs)
            self.observe(response)
            if response.status_code in ok:
                return response
            error = self.error_for(response)
            if (isinstance(error, AuthError) and not isinstance(error, PermissionDenied)
                    and authenticate and not refreshed and self.refresher is not None):
                # Once per call: a second 401 right after a refresh means the credentials,
                # not the token, are wrong.
                refreshed = True
                self.token = self.refresher(self.token)
                continue
            if isinstance(error, RateLimited) and self.budget is not None:
                self.budget.penalize(error.wait_s)
            raise error

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            try:
                return self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.ConnectionError:
                # A server, or the load balancer in front of it, closes a keep-alive
                # connection it held idle; a request sent on it at that moment is reset
                # unseen. A read goes once more on a fresh connection. A write does not: had
                # it arrived, it would be made twice (the pipeline's retry looks first).
                if method.upper() not in _IDEMPOTENT:
                    raise
                return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise TransientError(f"No answer from {_host(url)} within {self.timeout[1]:g} s.",
                                 system=self.system) from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"Could not reach {_host(url)}: the host is unreachable or "
                                 "closed the connection.", system=self.system) from exc
        except requests.RequestException as exc:
            raise TransientError(f"Request to {_host(url)} failed: {exc}",
                                 system=self.system) from exc

    def json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            # A cut or garbled body is treated as a network fault: the same call may succeed.
            raise TransientError("The response body was not valid JSON.", system=self.system,
                                 status=response.status_code) from exc

    def classify_status(
        self,
        response: requests.Response,
        *,
        message: str,
        code: str = "",
        field: str = "",
        wait_s: float | None = None,
    ) -> ConnectorError:
        status = response.status_code
        common = {"system": self.system, "status": status, "code": code}
        if status == 401:
            return AuthError(message or "Credentials were refused.", **common)
        if status == 403:
            return PermissionDenied(message or "The account lacks a permission for this call.",
                                    **common)
        if status == 404:
            return NotFound(message or "Not found.", **common)
        if status == 429 or (wait_s is not None and status in (503, 403)):
            return RateLimited(message or "Rate limit reached.", wait_s=wait_s or 1.0, **common)
        if status >= 500 or status in (408, 409, 423, 425):
            return TransientError(message or "The system had a temporary failure.", **common)
        return ValidationFailed(message or "The request was refused.", field=field, **common)


def _host(url: str) -> str:
    return requests.utils.urlparse(url).netloc or url


def paginate(fetch: Callable[[str | None], Page]) -> Iterator[dict[str, Any]]:
    """Walk every page from a fetch(cursor) function."""
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.records
        if not page.next_cursor:
            return
        cursor = page.next_cursor
