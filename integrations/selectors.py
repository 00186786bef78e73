"""Reads for the integrations app."""

from __future__ import annotations

from integrations.models import LookupEntry, LookupTable


def lookup_tables_as_dict() -> dict[str, dict[str, str]]:
    """Every lookup table of the current tenant, as the mapping engine takes them."""
    tables: dict[str, dict[str, str]] = {name: {} for name in
                                         LookupTable.objects.values_list("name", flat=True)}
    for name, key, value in LookupEntry.objects.values_list("table__name", "key", "value"):
        tables[name][key] = value
    return dict(tables)
