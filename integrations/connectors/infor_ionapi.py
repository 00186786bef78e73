"""Infor ION API credentials: the ``.ionapi`` file and the service-account token grants.

An ION API "Backend service" authorized app downloads as a ``.ionapi`` JSON file holding the
tenant (``ti``), OAuth client (``ci``/``cs``), gateway URL (``iu``), SSO base and token path
(``pu``/``ot``) and the service account key and secret (``saak``/``sask``). Tokens come from the
resource-owner password grant with the service account, and are renewed with the refresh_token
grant.

The grants use plain ``requests`` through the connector's own sender rather than
requests-oauthlib's ``LegacyApplicationClient``: the form is five fields, and going through
``Connector._send`` gives the token call the same timeouts and the same classification of
dropped connections, 5xx and 429 as every API call (oauthlib would raise its own exception
types for those, or try to parse an HTML error page as a token).
"""

from __future__ import annotations

import json
import time
from typing import Any

from integrations.connectors.errors import ConfigurationError

# What each key means, for messages a person can act on.
IONAPI_KEYS = {
    "ti": "tenant (ti)",
    "ci": "client id (ci)",
    "cs": "client secret (cs)",
    "iu": "ION API URL (iu)",
    "pu": "SSO URL (pu)",
    "ot": "token path (ot)",
    "saak": "service account access key (saak)",
    "sask": "service account secret key (sask)",
}
EXPIRY_MARGIN_S = 60.0


def parse_ionapi(text: str) -> dict[str, str]:
    """Validate an uploaded ``.ionapi`` file; return its fields or say plainly what is wrong."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise ConfigurationError(
            f"The .ionapi file is not valid JSON{where}: upload the file exactly as the ION "
            "API 'Authorized apps' page downloaded it.", system="infor") from None
    if not isinstance(data, dict):
        raise ConfigurationError("The .ionapi file must be a JSON object with keys ti, ci, cs, "
                                 "iu, pu, ot, saak and sask.", system="infor")
    values = {k: str(v).strip() for k, v in data.items() if v is not None}
    missing = [label for key, label in IONAPI_KEYS.items() if not values.get(key)]
    if missing:
        hint = ""
        if {"saak", "sask"} & {k for k, v in IONAPI_KEYS.items() if v in missing}:
            hint = (" A file without saak/sask belongs to a web or mobile app: create a "
                    "'Backend service' authorized app and download its credentials.")
        raise ConfigurationError(f"The .ionapi file lacks: {', '.join(missing)}.{hint}",
                                 system="infor")
    for key in ("iu", "pu"):
        if not values[key].startswith(("https://", "http://")):
            raise ConfigurationError(
                f"The .ionapi {IONAPI_KEYS[key]} must be a URL starting with https://, "
                f"not {values[key]!r}.", system="infor")
    return values


def ionapi_from(credentials: dict[str, Any]) -> dict[str, str]:
    """The ``.ionapi`` fields of a connection: an uploaded file, or the fields themselves."""
    if credentials.get("ionapi"):
        raw = credentials["ionapi"]
        return parse_ionapi(raw if isinstance(raw, str) else json.dumps(raw))
    return parse_ionapi(json.dumps(credentials))


def token_url(ionapi: dict[str, str]) -> str:
    return f"{ionapi['pu'].rstrip('/')}/{ionapi['ot'].lstrip('/')}"


def token_from(answer: dict[str, Any], *, now: float | None = None) -> dict[str, Any]:
    """A token dict with an absolute ``expires_at`` (epoch seconds)."""
    token = dict(answer)
    if "expires_in" in answer:
        token["expires_at"] = (now if now is not None else time.time()) + float(
            answer["expires_in"])
    return token


def expiring(token: dict[str, Any], *, margin_s: float = EXPIRY_MARGIN_S) -> bool:
    """True if the token is missing or ends within ``margin_s`` seconds."""
    if not token.get("access_token"):
        return True
    expires_at = token.get("expires_at")
    return expires_at is not None and float(expires_at) - time.time() < margin_s
