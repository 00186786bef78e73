"""The mapping engine: declarative documents compiled into fast, safe callables.

Plain Python in, plain Python out; no Django. See ``README.md`` in this folder for the
document format.

    mapping = compile_mapping(document, lookups={"channel_codes": {...}}, rates={...})
    result = mapping.apply(brightpearl_order)
    if result.ok:
        send(result.record)
    else:
        for problem in result.problems: ...   # target_path, source_path, kind, message
"""

from integrations.mapping.engine import (
    FORMAT_VERSION,
    CompiledMapping,
    compile_mapping,
    validate_document,
)
from integrations.mapping.problems import (
    DocumentProblem,
    MappingDocumentError,
    MappingResult,
    Problem,
)
from integrations.mapping.schema import compile_schema
from integrations.mapping.schemas import schema_get, schema_list
from integrations.mapping.transforms import TRANSFORM_NAMES, LiveTable

# The spelling; shadows the builtin only inside ``mapping.compile``.
compile = compile_mapping

__all__ = [
    "FORMAT_VERSION",
    "TRANSFORM_NAMES",
    "CompiledMapping",
    "DocumentProblem",
    "LiveTable",
    "MappingDocumentError",
    "MappingResult",
    "Problem",
    "compile",
    "compile_mapping",
    "compile_schema",
    "schema_get",
    "schema_list",
    "validate_document",
]
