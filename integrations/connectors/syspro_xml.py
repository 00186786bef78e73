"""SYSPRO business-object XML: built with ElementTree from plain data, read back into dicts.

Values are always set as element text through ElementTree, so a customer name holding ``<``,
``&`` or a closing tag can never change the document's structure.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Elements that repeat in SYSPRO answers: always read as lists, even when there is one.
REPEATED = frozenset({"StockLine", "WarehouseItem", "Row", "Item", "Order", "ErrorMessages",
                      "FreightLine", "CommentLine"})
ROWS_ONLY = frozenset({"Row"})  # COMFND/COMBRW: a row's columns are never lists
FIELD_IN_MESSAGE = re.compile(r"Field '(\w+)'")


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float | Decimal):
        text = format(Decimal(str(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)


def build(tag: str, content: Any) -> ET.Element:
    """``{"a": 1, "B": [{...}, {...}]}`` → ``<tag><a>1</a><B>…</B><B>…</B></tag>``."""
    element = ET.Element(tag)
    fill(element, content)
    return element


def fill(element: ET.Element, content: Any) -> None:
    if isinstance(content, dict):
        for key, value in content.items():
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            for item in items:
                fill(ET.SubElement(element, key), item)
    else:
        element.text = text_of(content)


def to_string(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode")


def parse(text: str) -> ET.Element:
    # Our own server's answer; expat refuses entity-expansion bombs.
    return ET.fromstring(text.strip().encode("utf-8"))  # noqa: S314


def to_dict(element: ET.Element, repeated: frozenset[str] = REPEATED) -> dict[str, Any]:
    """Children as a dict: leaves as text, repeated elements as lists."""
    out: dict[str, Any] = {}
    for child in element:
        value: Any = to_dict(child, repeated) if len(child) else (child.text or "").strip()
        if child.tag in repeated:
            out.setdefault(child.tag, []).append(value)
        elif child.tag in out:
            previous = out[child.tag]
            out[child.tag] = [*previous, value] if isinstance(previous, list) else [previous,
                                                                                    value]
        else:
            out[child.tag] = value
    return out


def business_errors(root: ET.Element) -> list[tuple[str, str]]:
    """``(ErrorNumber, ErrorDescription)`` of every item SYSPRO refused."""
    return [((m.findtext("ErrorNumber") or "").strip(),
             (m.findtext("ErrorDescription") or "").strip())
            for m in root.iter("ErrorMessages")]


def invalid_count(root: ET.Element) -> int:
    status = root.find("StatusOfItems")
    if status is None:
        return 0
    total = 0
    for tag in ("ItemsInvalid", "RecordsInvalid"):
        try:
            total += int(float(status.findtext(tag) or 0))
        except ValueError:
            total += 1
    return total


def field_named(description: str) -> str:
    found = FIELD_IN_MESSAGE.search(description)
    return found.group(1) if found else ""
