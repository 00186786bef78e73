"""BigCommerce: customers and products that may already be the record about to be created.

Searched with the v3 filters BigCommerce documents: customers by ``email:in`` (case is
ignored), ``name:like`` on the last name and on the first name with the last name's start,
and ``phone:in`` as written; catalog products by ``sku``, ``upc``, ``gtin`` and ``keyword``
(name, SKU or description containing the product's name). Customers come with their
addresses (``include=addresses``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrations.connectors.bigcommerce import BigCommerceConnector

SEARCH_LIMIT = 20     # per query: the first page of a common surname
MAX_CANDIDATES = 50


def _text(value: Any) -> str:
    # A comma would split an ``:in`` list, "%" is the like wildcard.
    return str(value or "").replace(",", " ").replace("%", "").strip()


def customer_queries(record: dict[str, Any]) -> list[dict[str, str]]:
    first, last = _text(record.get("first_name")), _text(record.get("last_name"))
    email, phone = _text(record.get("email")), _text(record.get("phone"))
    queries: list[dict[str, str]] = []
    if email:
        queries.append({"email:in": email})
    if last:
        queries.append({"name:like": last})
    if first and last:
        queries.append({"name:like": f"{first} {last[:2]}"})
    if phone:
        queries.append({"phone:in": phone})
    return [{**q, "include": "addresses"} for q in queries]


def product_queries(record: dict[str, Any]) -> list[dict[str, str]]:
    queries = [{key: _text(record.get(key))} for key in ("sku", "upc", "gtin")
               if _text(record.get(key))]
    name = _text(record.get("name"))
    if name:
        queries.append({"keyword": name})
    return queries


def duplicate_candidates(conn: BigCommerceConnector, entity: str, record: dict[str, Any]
                         ) -> list[dict[str, Any]]:
    if entity == "customer":
        path, queries = "customers", customer_queries(record)
    elif entity == "product":
        path, queries = "catalog/products", product_queries(record)
    else:
        return []
    found: dict[str, dict[str, Any]] = {}
    for params in queries:
        for row in conn.v3_data("GET", path, params={**params, "limit": SEARCH_LIMIT}) or []:
            found.setdefault(str(row["id"]), row)
    return list(found.values())[:MAX_CANDIDATES]
