"""Brightpearl ID sets, search results and dates, as plain functions.

Searches (``*-search``) answer positional rows described by ``metaData.columns``; they page
with ``pageSize`` and a 1-based ``firstResult``, and filter periods as ``from/to``
(``updatedOn=2025-06-01T00:00:00.000Z/``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

MAX_ID_SET = 500  # Brightpearl refuses ID sets of more than 500 ids
MAX_GOODS_IN_ID_SET = 200  # ... and goods-in note ID sets of more than 200
MAX_PAGE_SIZE = 500


def id_set_format(ids: Iterable[int | str]) -> str:
    """``[1, 2, 3, 7]`` → ``"1-3,7"``."""
    ordered = sorted({int(i) for i in ids})
    parts: list[str] = []
    start = prev = None
    for value in ordered:
        if start is not None and prev is not None and value == prev + 1:
            prev = value
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = value
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def id_set_parse(text: str) -> list[int]:
    """``"1-3,7"`` → ``[1, 2, 3, 7]``; a plain ``"12"`` is one id."""
    ids: list[int] = []
    for part in str(text).split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(f"Not a Brightpearl ID set: {text!r}")
        low, high = int(match[1]), int(match[2] or match[1])
        ids.extend(range(low, high + 1))
    return ids


def id_sets(ids: Iterable[int | str], *, size: int = MAX_ID_SET) -> Iterator[str]:
    """ID-set strings of at most ``size`` ids each."""
    ordered = sorted({int(i) for i in ids})
    for start in range(0, len(ordered), size):
        yield id_set_format(ordered[start:start + size])


def bp_datetime(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds, rounded down (a filter ``from`` must not skip)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def search_rows(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Positional ``results`` → dicts keyed by ``metaData.columns[].name``."""
    names = [c["name"] for c in response["metaData"]["columns"]]
    return [dict(zip(names, row, strict=False)) for row in response.get("results") or []]


def next_first_result(response: dict[str, Any]) -> int | None:
    meta = response["metaData"]
    if not meta.get("morePagesAvailable"):
        return None
    return int(meta["lastResult"]) + 1
