"""What the engine hands back when something is wrong.

Bad *records* never raise: :class:`Problem` values come back in a :class:`MappingResult`.
Bad *documents* raise one :class:`MappingDocumentError` listing every :class:`DocumentProblem`
found, so a user fixing a mapping sees all mistakes at once instead of one per save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a source record could not be mapped, or its output is not valid.

    ``target_path`` names the target field (``Lines[2].ITNO``); ``source_path`` the source
    value it came from where one is known (``orderRows.1002.productSku``); ``kind`` is the
    rule that failed (``lookup``, ``to_decimal``, ``schema.max_length``...).
    """

    target_path: str
    source_path: str | None
    kind: str
    message: str

    def __str__(self) -> str:
        source = f" (from {self.source_path})" if self.source_path else ""
        return f"{self.target_path}{source}: {self.message} [{self.kind}]"

    def as_json(self) -> dict[str, str]:
        """The shape dead letters, previews and the API show."""
        return {"target_path": self.target_path, "source_path": self.source_path or "",
                "kind": self.kind, "message": self.message}


@dataclass(slots=True)
class MappingResult:
    """The target record, or ``None`` with the problems that stopped it.

    Not frozen: one is made per record, and a frozen dataclass costs ~0.4 us more to build.
    """

    record: dict[str, Any] | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class DocumentProblem:
    """One mistake in a mapping document: where it is (``fields.ORDT.transform[0]``) and why."""

    where: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.rule}]"


class MappingDocumentError(ValueError):
    """The mapping document cannot be compiled; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[DocumentProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"mapping document has {len(self.problems)} problem(s):\n{lines}")


class Fail(Exception):
    """Raised inside compiled rules for a bad value; turned into a :class:`Problem` by the
    object builder that knows the target path. Exceptions cost nothing on the happy path in
    Python 3.11, which is why this beats returning sentinel values through every closure."""

    __slots__ = ("kind", "message", "source_path")

    def __init__(self, kind: str, message: str, source_path: str | None = None) -> None:
        self.kind = kind
        self.message = message
        self.source_path = source_path


class Nested(Exception):
    """Problems from inside an object or list value, with paths relative to that value."""

    __slots__ = ("problems",)

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
