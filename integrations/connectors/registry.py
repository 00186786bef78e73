"""Which connector class speaks for which system (``Connection.System`` values)."""

from __future__ import annotations

from integrations.connectors.base import Connector
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
