"""Target-entity schemas per system, as plain data.

``schema_get("dynamics_gp", "taUpdateCreateCustomerRcd")`` returns the schema dict that
:func:`integrations.mapping.schema.compile_schema` understands, or ``None``.
"""

from __future__ import annotations

from typing import Any

from integrations.mapping.schemas import (
    bigcommerce,
    brightpearl,
    dynamics_gp,
    infor,
    salesforce,
    syspro,
)

SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    (schema["system"], schema["entity"]): schema
    for module in (brightpearl, infor, syspro, salesforce, bigcommerce, dynamics_gp)
    for schema in module.SCHEMAS
}


def schema_get(system: str, entity: str) -> dict[str, Any] | None:
    return SCHEMAS.get((system, entity))


def schema_list() -> list[tuple[str, str]]:
    return sorted(SCHEMAS)
