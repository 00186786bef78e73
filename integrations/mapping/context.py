"""State carried while one document is compiled: the data tables and every error found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from integrations.mapping.problems import DocumentProblem


@dataclass
class CompileContext:
    lookups: Mapping[str, Mapping[str, Any]]
    rates: Mapping[str, Mapping[str, Decimal]]
    keep_nulls: bool = False
    errors: list[DocumentProblem] = field(default_factory=list)

    def error(self, where: str, rule: str, message: str) -> None:
        self.errors.append(DocumentProblem(where=where, rule=rule, message=message))
