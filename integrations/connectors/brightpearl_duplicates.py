"""Brightpearl: contacts and products that may already be the record about to be created.

Searched with the documented ``*-search`` resources: ``contact-service/contact-search`` by
``primaryEmail`` (string filters match case-insensitively), by last name with the first
name's initial (``firstName=J*``: a typo later in the first name still finds it), by the
first name with the last name's initial, with the two swapped (typed into the wrong boxes)
and by the primary phone as written; ``product-service/product-search`` by ``SKU``,
``EAN``, ``UPC``, ``barcode`` and the product name. The rows found are read in one ID-set
call, as ``get`` reads them (contacts with their postal addresses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrations.connectors.brightpearl import BrightpearlConnector

SEARCH_PAGE = 20      # rows per query: enough for a common surname's first page
MAX_CANDIDATES = 50


def _text(value: Any) -> str:
    # "*" is the search's wildcard: a value carrying one would widen the search.
    return str(value or "").replace("*", "").strip()


def contact_queries(record: dict[str, Any], *, supplier: bool) -> list[dict[str, str]]:
    first, last = _text(record.get("firstName")), _text(record.get("lastName"))
    communication = record.get("communication") or {}
    email = _text(((communication.get("emails") or {}).get("PRI") or {}).get("email"))
    phone = _text((communication.get("telephones") or {}).get("PRI"))
    queries: list[dict[str, str]] = []
    if email:
        queries.append({"primaryEmail": email})
    if last:
        queries.append({"lastName": last, **({"firstName": f"{first[0]}*"} if first else {})})
    if first and last:
        queries.append({"firstName": first, "lastName": f"{last[0]}*"})
        queries.append({"firstName": last, "lastName": first})
    if phone:
        queries.append({"pri": phone})
    flag = "isSupplier" if supplier else "isCustomer"
    return [{**q, flag: "true"} for q in queries]


def product_queries(record: dict[str, Any]) -> list[dict[str, str]]:
    identity = record.get("identity") or {}
    queries = [{column: _text(identity.get(key))}
               for column, key in (("SKU", "sku"), ("EAN", "ean"), ("UPC", "upc"),
                                   ("barcode", "barcode"))
               if _text(identity.get(key))]
    channels = record.get("salesChannels") or []
    name = _text(channels[0].get("productName")) if channels and isinstance(
        channels[0], dict) else ""
    if name:
        queries.append({"productName": name})
    return queries


def duplicate_candidates(conn: BrightpearlConnector, entity: str, record: dict[str, Any]
                         ) -> list[dict[str, Any]]:
    if entity in ("customer", "supplier"):
        path, column = "contact-service/contact-search", "contactId"
        queries = contact_queries(record, supplier=entity == "supplier")
    elif entity == "product":
        path, column = "product-service/product-search", "productId"
        queries = product_queries(record)
    else:
        return []
    ids: dict[int, None] = {}
    for filters in queries:
        rows, _next = conn.search(path, filters=filters, page_size=SEARCH_PAGE)
        ids.update((int(row[column]), None) for row in rows)
    if not ids:
        return []
    return conn.get_many(entity, list(ids)[:MAX_CANDIDATES])
