"""Infor ION API credentials: the ``.ionapi`` file, and where its token grants go.

An ION API authorized app downloads as a ``.ionapi`` JSON file holding the tenant (``ti``),
OAuth client (``ci``/``cs``), gateway URL (``iu``), SSO base (``pu``) and the paths of the
authorize, token and revoke endpoints under it (``oa``/``ot``/``or``). Two kinds connect:

- a **Backend Service** app (auth type ``oauth2_password``): the file also carries a service
  account key and secret (``saak``/``sask``); tokens come from the resource-owner password
  grant with them;
- a **Web application** (auth type ``oauth2_code``, "sign in with Infor"): no service account;
  a person signs in at ``{pu}{oa}`` and the code is traded at ``{pu}{ot}``.

Both renew with the refresh_token grant.

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

SERVICE_ACCOUNT, SIGN_IN = "oauth2_password", "oauth2_code"  # Connection auth types
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
SIGN_IN_KEYS = {**{k: v for k, v in IONAPI_KEYS.items() if k not in ("saak", "sask")},
                "oa": "authorization path (oa)"}
# What a person types in when there is no file to upload, as ION API's "Authorized app" page
# labels it: the Web application's client and the gateway and SSO addresses it lists.
ENTERED_KEYS = {
    "ti": "Tenant (ti)",
    "ci": "Client ID",
    "cs": "Client secret",
    "iu": "ION API URL",
    "authorization_url": "Authorization URL",
    "token_url": "Token URL",
}
EXPIRY_MARGIN_S = 60.0


def ionapi_compose(entered: dict[str, str]) -> dict[str, str]:
    """``.ionapi`` fields from values typed in (``ENTERED_KEYS``): the authorization URL is
    split into the SSO base ``pu`` and its path ``oa``; the token URL becomes ``ot``, relative
    to ``pu`` when it lies under it. Checked later by ``parse_ionapi``."""
    values = {k: str(v).strip() for k, v in entered.items() if v and str(v).strip()}
    authorize = values.pop("authorization_url", "")
    token = values.pop("token_url", "")
    if authorize:
        base, _, path = authorize.rpartition("/")
        values["pu"], values["oa"] = f"{base}/", path
    if token:
        pu = values.get("pu", "")
        values["ot"] = token[len(pu):] if pu and token.startswith(pu) else token
    return values


def parse_ionapi(text: str, *, auth_type: str = SERVICE_ACCOUNT) -> dict[str, str]:
    """Validate an uploaded ``.ionapi`` file for ``auth_type``; return its fields or say
    plainly what is wrong."""
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
    values = {k: str(v).strip() for k, v in data.items()
              if v is not None and not isinstance(v, dict | list)}
    required = SIGN_IN_KEYS if auth_type == SIGN_IN else IONAPI_KEYS
    missing = [label for key, label in required.items() if not values.get(key)]
    if missing:
        hint = ""
        if auth_type != SIGN_IN and not (values.get("saak") or values.get("sask")):
            hint = (" A file without saak/sask belongs to a web or mobile app: create a "
                    "'Backend service' authorized app and download its credentials, or "
                    "choose sign-in with Infor for a Web application.")
        raise ConfigurationError(f"The .ionapi file lacks: {', '.join(missing)}.{hint}",
                                 system="infor")
    if auth_type == SIGN_IN and (values.get("saak") or values.get("sask")):
        raise ConfigurationError(
            "This .ionapi file belongs to a Backend Service app (it carries saak/sask), which "
            "cannot sign users in: connect it as a service account, or download the "
            "credentials of a Web application.", system="infor")
    for key in ("iu", "pu"):
        if not values[key].startswith(("https://", "http://")):
            raise ConfigurationError(
                f"The .ionapi {IONAPI_KEYS[key]} must be a URL starting with https://, "
                f"not {values[key]!r}.", system="infor")
    return values


def ionapi_from(credentials: dict[str, Any], *, auth_type: str = SERVICE_ACCOUNT
                ) -> dict[str, str]:
    """The ``.ionapi`` fields of a connection: an uploaded file, or the fields themselves."""
    if credentials.get("ionapi"):
        raw = credentials["ionapi"]
        return parse_ionapi(raw if isinstance(raw, str) else json.dumps(raw),
                            auth_type=auth_type)
    return parse_ionapi(json.dumps(credentials), auth_type=auth_type)


def _sso_url(ionapi: dict[str, str], key: str) -> str:
    path = ionapi[key]
    if path.startswith(("https://", "http://")):
        return path
    return f"{ionapi['pu'].rstrip('/')}/{path.lstrip('/')}"


def token_url(ionapi: dict[str, str]) -> str:
    return _sso_url(ionapi, "ot")


def authorize_url(ionapi: dict[str, str]) -> str:
    return _sso_url(ionapi, "oa")


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
