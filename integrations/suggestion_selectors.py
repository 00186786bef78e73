"""Reads for mapping suggestions: the memory of known mappings for the current tenant."""

from __future__ import annotations

from integrations.mapping.suggest_memory import MappingMemory, memory_with
from integrations.models import MappingVersion


def suggestion_memory_get() -> MappingMemory:
    """The shipped templates' mappings plus every saved version of the tenant's own mappings
    (the schema in use is the tenant's; a correspondence counts once per mapping however many
    of its versions have it)."""
    versions = MappingVersion.objects.values_list("mapping_id", "document")
    return memory_with((("tenant", mapping_id), document)
                       for mapping_id, document in versions.iterator())
