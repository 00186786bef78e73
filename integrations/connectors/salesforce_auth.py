"""Salesforce OAuth 2.0: authorization code (web server flow), refresh token, client
credentials and username-password grants, through requests-oauthlib.

``ConnectionConfig.base_url`` is the login host: ``https://login.salesforce.com``,
``https://test.salesforce.com`` for sandbox orgs, or the org's My Domain URL (which the
client-credentials flow requires). The token answer names the org's ``instance_url``, where
the REST API lives. Salesforce sends no ``expires_in``: a session lasts as the org's policy
says and expiry shows as 401 ``INVALID_SESSION_ID``, so tokens here carry no ``expires_at``.
"""

from __future__ import annotations

from typing import Any

from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from requests_oauthlib import OAuth2Session

from integrations.connectors.base import DEFAULT_TIMEOUT, ConnectionConfig, Token
from integrations.connectors.errors import AuthError, ConfigurationError
from integrations.connectors.oauth2_token import token_fetch

SYSTEM = "salesforce"
DEFAULT_SCOPE = "api refresh_token"

CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    # Connected app keys; the user logs in and approves in the browser.
    "oauth2_code": ("client_id", "client_secret"),
    # Connected app with a "run as" user (base URL must be the org's My Domain).
    "oauth2_client_credentials": ("client_id", "client_secret"),
    "oauth2_password": ("client_id", "client_secret", "username", "password"),
}


def _login(config: ConnectionConfig) -> str:
    return config.base_url.rstrip("/")


def token_url(config: ConnectionConfig) -> str:
    return f"{_login(config)}/services/oauth2/token"


def authorization_url(config: ConnectionConfig, redirect_uri: str, state: str, *,
                      scope: str = DEFAULT_SCOPE) -> str:
    """The login-and-approve page to send the user to."""
    (client_id,) = config.require("client_id")
    session = OAuth2Session(client_id=client_id, redirect_uri=redirect_uri,
                            scope=scope.split())
    url, _state = session.authorization_url(f"{_login(config)}/services/oauth2/authorize",
                                            state=state)
    return url


def exchange_code(config: ConnectionConfig, code: str, redirect_uri: str, *,
                  timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> Token:
    """Trade the callback's ``code`` for a session + refresh token (+ ``instance_url``)."""
    client_id, client_secret = config.require("client_id", "client_secret")
    session = OAuth2Session(client_id=client_id, redirect_uri=redirect_uri)
    return token_fetch(session, token_url(config), system=SYSTEM, timeout=timeout,
                       client_secret=client_secret, code=code)


def fetch_token(config: ConnectionConfig, current: Token, *,
                timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> Token:
    """A new session: by refresh token when we hold one, else by the connection's grant."""
    client_id, client_secret = config.require("client_id", "client_secret")
    refresh = current.get("refresh_token") or config.credentials.get("refresh_token")
    if refresh:
        session = OAuth2Session(client_id=client_id)
        token = token_fetch(session, token_url(config), system=SYSTEM, timeout=timeout,
                            client_secret=client_secret, refresh_token=str(refresh))
        # Salesforce does not rotate refresh tokens: keep the one we have.
        token.setdefault("refresh_token", refresh)
        return token
    kind = config.auth_type or "oauth2_code"
    if kind == "oauth2_client_credentials":
        session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
        return token_fetch(session, token_url(config), system=SYSTEM, timeout=timeout,
                           client_secret=client_secret)
    if kind == "oauth2_password":
        username, password = config.require("username", "password")
        session = OAuth2Session(client=LegacyApplicationClient(client_id=client_id))
        params: dict[str, Any] = {"username": username, "password": password}
        return token_fetch(session, token_url(config), system=SYSTEM, timeout=timeout,
                           client_secret=client_secret, **params)
    if kind == "oauth2_code":
        raise AuthError("The Salesforce session ended and there is no refresh token: "
                        "reconnect through Salesforce login.", system=SYSTEM)
    raise ConfigurationError(f"Unknown Salesforce auth type {kind!r}.", system=SYSTEM)
