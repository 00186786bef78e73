"""Token requests through requests-oauthlib, with failures turned into connector error types.

``OAuth2Session.fetch_token`` parses the token endpoint's body and raises oauthlib's errors; a
5xx page or a dropped connection would otherwise leave as a confusing ``MissingTokenError`` or a
raw ``requests`` exception. ``token_fetch`` classifies them like any other call.

oauthlib refuses plain-http token URLs unless ``OAUTHLIB_INSECURE_TRANSPORT=1`` is set in the
environment: local sandboxes on ``http://127.0.0.1`` need it (development and test settings).
"""

from __future__ import annotations

import time
from typing import Any

import requests
from oauthlib.oauth2 import OAuth2Error
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError
from requests_oauthlib import OAuth2Session

from integrations.connectors.base import Token
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    RateLimited,
    TransientError,
)

# OAuth error codes that mean our setup is wrong rather than the user's grant.
_CONFIGURATION_ERRORS = {"redirect_uri_mismatch", "unsupported_grant_type",
                         "unsupported_response_type", "invalid_scope", "invalid_request"}


def token_fetch(
    session: OAuth2Session,
    token_url: str,
    *,
    system: str,
    timeout: tuple[float, float],
    client_secret: str | None = None,
    refresh_token: str | None = None,
    **params: Any,
) -> Token:
    """POST a grant to ``token_url`` (client id and secret in the form body) and return the
    token as a plain dict, with an absolute ``expires_at`` when the system gave a lifetime.

    The grant is the session client's (authorization code, client credentials, password), or
    ``refresh_token`` when one is given."""

    def refuse_server_failures(response: requests.Response) -> requests.Response:
        # Checked before oauthlib parses the body, so an outage is not taken for a bad grant.
        if response.status_code == 429:
            wait = float(response.headers.get("Retry-After") or 30)
            raise RateLimited("The token endpoint asked us to slow down.", wait_s=wait,
                              system=system, status=429)
        if response.status_code >= 500:
            raise TransientError("The token endpoint had a temporary failure.", system=system,
                                 status=response.status_code)
        return response

    try:
        if refresh_token is not None:
            session.register_compliance_hook("refresh_token_response", refuse_server_failures)
            token = session.refresh_token(token_url, refresh_token=refresh_token,
                                          timeout=timeout, client_id=session.client_id,
                                          client_secret=client_secret, **params)
        else:
            session.register_compliance_hook("access_token_response", refuse_server_failures)
            token = session.fetch_token(token_url, include_client_id=True,
                                        client_secret=client_secret, timeout=timeout, **params)
    except InsecureTransportError as exc:
        raise ConfigurationError(f"{token_url} is not https (set OAUTHLIB_INSECURE_TRANSPORT=1 "
                                 "for a local sandbox).", system=system) from exc
    except OAuth2Error as exc:
        code = exc.error or ""
        message = f"{code}: {exc.description}" if exc.description else code or str(exc)
        status = exc.status_code if isinstance(exc.status_code, int) else None
        if code in _CONFIGURATION_ERRORS:
            raise ConfigurationError(f"Token request refused ({message}).", system=system,
                                     status=status, code=code) from exc
        raise AuthError(f"Token request refused ({message}).", system=system, status=status,
                        code=code) from exc
    except requests.Timeout as exc:
        raise TransientError("The token endpoint did not answer in time.",
                             system=system) from exc
    except requests.RequestException as exc:
        raise TransientError(f"Could not reach the token endpoint: {exc}",
                             system=system) from exc
    except ValueError as exc:
        # oauthlib found no JSON / no access_token in a 2xx body.
        raise TransientError(f"The token endpoint answered an unreadable body: {exc}",
                             system=system) from exc
    out = dict(token)
    if out.get("expires_in") and "expires_at" not in out:
        out["expires_at"] = time.time() + float(out["expires_in"])
    return out
