"""What can go wrong when talking to an external system, as types the pipeline decides on.

Connectors raise exactly these; the sync pipeline maps each class to one reaction (retry with
backoff, wait as told, refresh the token once, dead-letter now).
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class. ``message`` is in plain words, fit for a dead-letter reason."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        system: str = "",
        status: int | None = None,
        code: str = "",
        detail: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.status = status
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        where = f"{self.system}: " if self.system else ""
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{self.message}{status}"


class TransientError(ConnectorError):
    """Network failure, timeout, 5xx, maintenance: try again later."""

    retryable = True


class RateLimited(TransientError):
    """The system (or our shared budget) asked us to wait ``wait_s`` seconds."""

    def __init__(self, message: str, *, wait_s: float, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.wait_s = wait_s


class AuthError(ConnectorError):
    """Credentials or token refused. Refreshing once may help; otherwise a person must act."""


class PermissionDenied(AuthError):
    """Authenticated, but the account lacks a permission or scope the call needs."""


class ValidationFailed(ConnectorError):
    """The system refused the data. Permanent until the data or mapping changes."""

    def __init__(self, message: str, *, field: str = "", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.field = field


class NotFound(ConnectorError):
    """The record does not exist (yet): a dependency may not have synced."""


class ConfigurationError(ConnectorError):
    """The connection itself is set up wrongly: a missing credential, a bad base URL."""


class NothingToSync(ConnectorError):
    """The event points at something with nothing to write yet (an order not paid yet)."""
