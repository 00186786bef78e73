"""SOQL literals: every value put into query text goes through these (values are quoted and
escaped; names of objects and fields come from our own tables and settings, never from data)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def soql_literal(value: Any) -> str:
    """A value as a quoted SOQL string literal (backslash and quote escaped)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def soql_datetime(moment: datetime) -> str:
    """A datetime literal (unquoted, UTC), as in ``LastModifiedDate > 2025-01-01T00:00:00Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
