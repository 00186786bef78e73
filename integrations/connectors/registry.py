"""Which connector class speaks for which system (``Connection.System`` values)."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from integrations.connectors import (
    bigcommerce,
    brightpearl_auth,
    dynamics_gp,
    infor,
    salesforce_auth,
    syspro,
)
from integrations.connectors.base import ConnectionConfig, Connector, Token
from integrations.connectors.bigcommerce import BigCommerceConnector
from integrations.connectors.brightpearl import BrightpearlConnector
from integrations.connectors.dynamics_gp import DynamicsGpConnector
from integrations.connectors.infor import InforConnector
from integrations.connectors.salesforce import SalesforceConnector
from integrations.connectors.syspro import SysproConnector

CONNECTORS: dict[str, type[Connector]] = {}
CONNECTORS["brightpearl"] = BrightpearlConnector
CONNECTORS["infor"] = InforConnector
CONNECTORS["syspro"] = SysproConnector
CONNECTORS["dynamics_gp"] = DynamicsGpConnector
CONNECTORS["bigcommerce"] = BigCommerceConnector
CONNECTORS["salesforce"] = SalesforceConnector


def connector_class(system: str) -> type[Connector]:
    try:
        return CONNECTORS[system]
    except KeyError:
        raise LookupError(f"No connector for system {system!r}.") from None


# What a person enters per auth type (Connection.AuthType values), per system.
CREDENTIAL_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "brightpearl": brightpearl_auth.CREDENTIAL_FIELDS,
    "infor": infor.CREDENTIAL_FIELDS,
    "syspro": syspro.CREDENTIAL_FIELDS,
    "dynamics_gp": dynamics_gp.CREDENTIAL_FIELDS,
    "bigcommerce": bigcommerce.CREDENTIAL_FIELDS,
    "salesforce": salesforce_auth.CREDENTIAL_FIELDS,
}

# Modules offering authorization_url(config, redirect_uri, state) and exchange_code(...).
OAUTH_FLOWS: dict[str, ModuleType] = {
    "brightpearl": brightpearl_auth,
    "bigcommerce": bigcommerce,
    "salesforce": salesforce_auth,
    "infor": infor,  # sign-in with Infor: the tenant's own ION API Web application
}
# Callback query parameters a system needs back at the code exchange.
_EXCHANGE_EXTRAS = {"bigcommerce": ("context", "scope")}


def credential_fields(system: str) -> dict[str, tuple[str, ...]]:
    connector_class(system)
    return dict(CREDENTIAL_FIELDS.get(system, {}))


def oauth_authorization_url(system: str, config: ConnectionConfig, *, redirect_uri: str,
                            state: str) -> str:
    return _oauth(system).authorization_url(config, redirect_uri, state)


def oauth_exchange_code(system: str, config: ConnectionConfig, *, code: str, redirect_uri: str,
                        callback_query: Mapping[str, str]) -> Token:
    extras: dict[str, Any] = {name: callback_query[name]
                              for name in _EXCHANGE_EXTRAS.get(system, ())
                              if callback_query.get(name)}
    return _oauth(system).exchange_code(config, code, redirect_uri, **extras)


def _oauth(system: str) -> ModuleType:
    try:
        return OAUTH_FLOWS[system]
    except KeyError:
        raise LookupError(f"{system!r} has no OAuth authorization-code flow.") from None
