"""Brightpearl authentication: public-app OAuth2 (authorization code + refresh) and private apps.

Pure functions over a ``ConnectionConfig``; no storage. Public apps authorise per account at
``https://oauth.brightpearl.com/authorize/{account}`` and trade codes at
``https://oauth.brightpearlapp.com/token/{account}``. Any other base URL (the sandbox) serves both
under its own prefix: ``{base_url}/oauth/authorize/{account}`` and ``{base_url}/oauth/token/...``.
Settings ``authorize_url`` / ``token_url`` (with ``{account}``) override either.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from requests_oauthlib import OAuth2Session

from integrations.connectors.base import DEFAULT_TIMEOUT, ConnectionConfig, Token
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
)
from integrations.connectors.oauth2_token import token_fetch

SYSTEM = "brightpearl"
OAUTH2_CODE = "oauth2_code"
PRIVATE_APP = "private_app"

# What a person (or the app's own settings, for the public app's client id/secret/dev ref)
# must supply per auth type. The account code goes in ``ConnectionConfig.account``.
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    OAUTH2_CODE: ("client_id", "client_secret", "dev_ref"),
    PRIVATE_APP: ("private_app_ref", "account_token"),
}

REAL_AUTHORIZE_URL = "https://oauth.brightpearl.com/authorize/{account}"
REAL_TOKEN_URL = "https://oauth.brightpearlapp.com/token/{account}"  # noqa: S105
REAL_API_HOSTS = ("brightpearlconnect.com", "brightpearl.com")
REFRESH_MARGIN_S = 60



def _is_real(config: ConnectionConfig) -> bool:
    host = urlsplit(config.base_url).hostname or ""
    return any(host == h or host.endswith("." + h) for h in REAL_API_HOSTS)


def _account(config: ConnectionConfig) -> str:
    if not config.account:
        raise ConfigurationError("The Brightpearl account code is missing.", system=SYSTEM)
    return config.account


def authorize_endpoint(config: ConnectionConfig) -> str:
    template = config.settings.get("authorize_url") or (
        REAL_AUTHORIZE_URL if _is_real(config)
        else f"{config.base_url.rstrip('/')}/oauth/authorize/{{account}}")
    return template.format(account=_account(config))


def token_endpoint(config: ConnectionConfig) -> str:
    template = config.settings.get("token_url") or (
        REAL_TOKEN_URL if _is_real(config)
        else f"{config.base_url.rstrip('/')}/oauth/token/{{account}}")
    return template.format(account=_account(config))


def _session(config: ConnectionConfig, **kwargs: Any) -> OAuth2Session:
    (client_id,) = config.require("client_id")
    return OAuth2Session(client_id, **kwargs)


def _whole_seconds(token: Token) -> Token:
    if token.get("expires_at"):
        token["expires_at"] = int(float(token["expires_at"]))
    return token


def authorization_url(config: ConnectionConfig, redirect_uri: str, state: str) -> str:
    """Where to send the user's browser to approve the app for ``config.account``."""
    address, _state = _session(config, redirect_uri=redirect_uri, state=state).authorization_url(
        authorize_endpoint(config))
    return address


def exchange_code(config: ConnectionConfig, code: str, redirect_uri: str, *,
                  timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> Token:
    """Trade the ``code`` from the callback for a token (with ``api_domain`` and ``expires_at``)."""
    (client_secret,) = config.require("client_secret")
    return _whole_seconds(token_fetch(
        _session(config, redirect_uri=redirect_uri), token_endpoint(config), system=SYSTEM,
        timeout=timeout, client_secret=client_secret, code=code))


def refresh_token(config: ConnectionConfig, token: Token, *,
                  timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> Token:
    """A new access token from the refresh token (Brightpearl keeps the refresh token)."""
    _, client_secret = config.require("client_id", "client_secret")
    refresh = token.get("refresh_token") or config.token.get("refresh_token")
    if not refresh:
        raise AuthError("There is no refresh token: connect the Brightpearl account again.",
                        system=SYSTEM)
    new = _whole_seconds(token_fetch(_session(config), token_endpoint(config), system=SYSTEM,
                                     timeout=timeout, client_secret=client_secret,
                                     refresh_token=refresh))
    # The refresh answer may leave out details only the first exchange gives.
    for key in ("api_domain", "installation_instance_id", "refresh_token"):
        if key not in new and key in token:
            new[key] = token[key]
    return new


def needs_refresh(token: Token, *, margin_s: float = REFRESH_MARGIN_S) -> bool:
    expires_at = token.get("expires_at")
    return bool(expires_at) and float(expires_at) - time.time() < margin_s


def auth_headers(config: ConnectionConfig, token: Token) -> dict[str, str]:
    if config.auth_type == PRIVATE_APP:
        app_ref, account_token = config.require("private_app_ref", "account_token")
        return {"brightpearl-app-ref": str(app_ref),
                "brightpearl-account-token": str(account_token)}
    client_id, dev_ref = config.require("client_id", "dev_ref")
    if not token.get("access_token"):
        raise AuthError("There is no access token: connect the Brightpearl account.",
                        system=SYSTEM)
    return {"Authorization": f"Bearer {token['access_token']}",
            "brightpearl-app-ref": str(client_id), "brightpearl-dev-ref": str(dev_ref)}


def api_root(config: ConnectionConfig, token: Token) -> str:
    """``{host}/public-api/{account}``; the token's ``api_domain`` names the datacentre."""
    base = config.base_url.rstrip("/")
    domain = token.get("api_domain") if config.auth_type != PRIVATE_APP else None
    if domain and not config.settings.get("ignore_api_domain"):
        scheme = urlsplit(base).scheme or "https"
        base = f"{scheme}://{str(domain).strip('/')}"
    return f"{base}/public-api/{_account(config)}"


def budget_key(config: ConnectionConfig) -> str:
    """Brightpearl counts per account and developer (public apps) or per account (private)."""
    if config.auth_type == PRIVATE_APP:
        return f"{SYSTEM}:{config.account}:private"
    return f"{SYSTEM}:{config.account}:{config.credentials.get('dev_ref', '')}"
