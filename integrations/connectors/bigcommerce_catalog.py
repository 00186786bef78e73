"""BigCommerce v3 catalog (products and variants), inventory and customers.

Upserts find the existing record when the caller has no id yet: products by SKU (a product's
own SKU or one of its variants'), customers by email (BigCommerce refuses a second customer
with the same email). v3 customer writes take and answer arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from integrations.connectors.base import Page, WriteResult
from integrations.connectors.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from integrations.connectors.bigcommerce import BigCommerceConnector

ENTITIES = ("product", "customer", "inventory")
SYSTEM = "bigcommerce"
MAX_PRODUCTS_PER_BATCH = 10
MAX_ADJUSTMENT_ITEMS = 2000
VARIANT_FIELDS = ("price", "cost_price", "sale_price", "retail_price", "map_price", "weight",
                  "width", "height", "depth", "upc", "mpn", "gtin", "inventory_warning_level",
                  "bin_picking_number", "purchasing_disabled", "purchasing_disabled_message",
                  "is_free_shipping", "fixed_cost_shipping_price", "image_url")
VARIANT_READ_ONLY = ("id", "product_id", "sku_id", "calculated_price", "calculated_weight",
                     "option_values")


@dataclass(frozen=True)
class BatchFailure:
    index: int
    status: int
    message: str
    field: str = ""


@dataclass(frozen=True)
class BatchResult:
    """A batch write that may have half-succeeded (BigCommerce answers 207)."""

    succeeded: list[dict[str, Any]]
    failed: list[BatchFailure] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.failed) and bool(self.succeeded)


def iso_utc(moment: datetime) -> str:
    """A date filter value (BigCommerce takes ISO 8601 in both v2 and v3 filters)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def next_page(body: dict[str, Any]) -> str | None:
    """The next v3 page number from ``meta.pagination``, or None on the last page."""
    pagination = (body.get("meta") or {}).get("pagination") or {}
    current, total = pagination.get("current_page", 1), pagination.get("total_pages", 1)
    return str(current + 1) if current < total else None


# --- read ----------------------------------------------------------------------------------------

def get(conn: BigCommerceConnector, entity: str, external_id: str) -> dict[str, Any]:
    if entity == "product":
        return conn.v3_data("GET", f"catalog/products/{external_id}",
                            params={"include": "variants"})
    if entity == "customer":
        rows = conn.v3_data("GET", "customers", params={"id:in": external_id,
                                                        "include": "addresses"})
        if not rows:
            raise NotFound(f"Customer {external_id} not found.", system=SYSTEM, status=404)
        return rows[0]
    # inventory: one product's stock, per variant and location.
    rows = conn.v3_data("GET", "inventory/items", params={"product_id:in": external_id})
    if not rows:
        raise NotFound(f"No inventory for product {external_id}.", system=SYSTEM, status=404)
    return {"product_id": int(external_id), "items": rows}


def list_changed(conn: BigCommerceConnector, entity: str, *, since: datetime | None,
                 cursor: str | None) -> Page:
    if entity == "customer":
        # The customers API has no id keyset filter; sorting by creation keeps pages stable
        # while records are modified.
        params: dict[str, Any] = {"page": int(cursor or 1), "limit": conn.page_size,
                                  "sort": "date_created:asc"}
        if since is not None:
            params["date_modified:min"] = iso_utc(since)
        body = conn.json(conn.request("GET", conn.v3("customers"), params=params))
        return Page(body["data"], next_page(body))
    params = {"sort": "id", "direction": "asc", "limit": conn.page_size}
    if since is not None:
        params["date_modified:min"] = iso_utc(since)
    if cursor:
        params["id:greater"] = cursor
    if entity == "inventory":
        params["include_fields"] = "id,date_modified"
    body = conn.json(conn.request("GET", conn.v3("catalog/products"), params=params))
    products = body["data"]
    pagination = (body.get("meta") or {}).get("pagination") or {}
    more = products and pagination.get("total", 0) > pagination.get("count", len(products))
    next_cursor = str(products[-1]["id"]) if more else None
    if entity == "product":
        return Page(products, next_cursor)
    if not products:
        return Page([], None)
    ids = ",".join(str(p["id"]) for p in products)
    items = conn.v3_all("inventory/items", **{"product_id:in": ids})
    return Page(items, next_cursor)


# --- write ---------------------------------------------------------------------------------------

def upsert(conn: BigCommerceConnector, entity: str, record: dict[str, Any], *,
           external_id: str | None) -> WriteResult:
    if entity == "product":
        return product_upsert(conn, record, external_id=external_id)
    if entity == "customer":
        return customer_upsert(conn, record, external_id=external_id)
    relative = record.get("adjustment") == "relative"
    items = record["items"] if isinstance(record.get("items"), list) else [
        {k: v for k, v in record.items() if k not in ("adjustment", "reason")}]
    transaction = inventory_adjust(conn, items, relative=relative,
                                   reason=str(record.get("reason") or ""))
    return WriteResult(transaction, created=False, record={"transaction_id": transaction})


def product_upsert(conn: BigCommerceConnector, record: dict[str, Any], *,
                   external_id: str | None) -> WriteResult:
    product_id, variant_id = external_id, None
    if product_id is None and record.get("sku"):
        product_id, variant_id = _find_by_sku(conn, str(record["sku"]))
    if product_id is None:
        created = conn.v3_data("POST", "catalog/products", json=record,
                               params={"include": "variants"})
        return WriteResult(str(created["id"]), created=True, record=created)
    if variant_id is not None:
        # The SKU is one option of a product: what can change on a variant changes there.
        body = {k: v for k, v in record.items() if k in VARIANT_FIELDS}
        if body:
            conn.v3_data("PUT", f"catalog/products/{product_id}/variants/{variant_id}",
                         json=body)
        updated = conn.v3_data("GET", f"catalog/products/{product_id}",
                               params={"include": "variants"})
        return WriteResult(str(product_id), created=False, record=updated)
    variants = record.get("variants")
    body = {k: v for k, v in record.items() if k not in ("id", "variants")}
    updated = conn.v3_data("PUT", f"catalog/products/{product_id}", json=body)
    if isinstance(variants, list):
        for variant in variants:
            _variant_upsert(conn, product_id, variant)
        updated = conn.v3_data("GET", f"catalog/products/{product_id}",
                               params={"include": "variants"})
    return WriteResult(str(product_id), created=False, record=updated)


def _find_by_sku(conn: BigCommerceConnector, sku: str) -> tuple[str | None, str | None]:
    """(product id, variant id when the SKU is an option variant's) or (None, None)."""
    rows = conn.v3_data("GET", "catalog/products", params={"sku": sku,
                                                           "include_fields": "id,sku"})
    if rows:
        return str(rows[0]["id"]), None
    variants = conn.v3_data("GET", "catalog/variants", params={"sku": sku})
    if not variants:
        return None, None
    return str(variants[0]["product_id"]), str(variants[0]["id"])


def _variant_upsert(conn: BigCommerceConnector, product_id: str, variant: dict[str, Any]
                    ) -> None:
    variant_id = variant.get("id")
    if variant_id is None and variant.get("sku"):
        existing = conn.v3_data("GET", f"catalog/products/{product_id}/variants")
        wanted = str(variant["sku"]).lower()
        match = next((v for v in existing if str(v.get("sku", "")).lower() == wanted), None)
        variant_id = match["id"] if match else None
    if variant_id is None:
        conn.v3_data("POST", f"catalog/products/{product_id}/variants", json=variant)
        return
    body = {k: v for k, v in variant.items() if k not in VARIANT_READ_ONLY}
    conn.v3_data("PUT", f"catalog/products/{product_id}/variants/{variant_id}", json=body)


def products_update_batch(conn: BigCommerceConnector, records: list[dict[str, Any]]
                          ) -> BatchResult:
    """Update up to 10 products (each with its ``id``) in one call. A 207 answer means some
    were written and some refused: both halves are returned, nothing is raised for them."""
    if not 0 < len(records) <= MAX_PRODUCTS_PER_BATCH:
        raise ValidationFailed(f"A product batch holds 1 to {MAX_PRODUCTS_PER_BATCH} products.",
                               system=SYSTEM)
    response = conn.request("PUT", conn.v3("catalog/products"), json=records, ok=(200, 207))
    body = conn.json(response)
    failures = []
    for error in body.get("errors") or []:
        errors = error.get("errors") or {}
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        title = str(error.get("title") or "")
        failures.append(BatchFailure(
            index=int(error.get("index", -1)), status=int(error.get("status") or 422),
            message=f"{title} ({detail})" if detail else title,
            field=str(next(iter(errors))) if errors else ""))
    return BatchResult(list(body.get("data") or []), failures)


def customer_upsert(conn: BigCommerceConnector, record: dict[str, Any], *,
                    external_id: str | None) -> WriteResult:
    customer_id = external_id
    if customer_id is None and record.get("email"):
        found = conn.v3_data("GET", "customers", params={"email:in": record["email"]})
        customer_id = str(found[0]["id"]) if found else None
    if customer_id is None:
        created = conn.v3_data("POST", "customers", json=[record])[0]
        return WriteResult(str(created["id"]), created=True, record=created)
    # Addresses have their own endpoint; a customer update ignores them.
    body = {k: v for k, v in record.items() if k != "addresses"}
    updated = conn.v3_data("PUT", "customers", json=[{**body, "id": int(customer_id)}])[0]
    return WriteResult(str(customer_id), created=False, record=updated)


def inventory_adjust(conn: BigCommerceConnector, items: list[dict[str, Any]], *,
                     relative: bool = False, reason: str = "") -> str:
    """Set (absolute) or change (relative) stock. Each item: ``location_id`` (1 = default),
    ``quantity`` and one of ``sku`` / ``variant_id`` / ``product_id``. Returns BigCommerce's
    transaction id."""
    if not 0 < len(items) <= MAX_ADJUSTMENT_ITEMS:
        raise ValidationFailed(f"An adjustment holds 1 to {MAX_ADJUSTMENT_ITEMS} items.",
                               field="items", system=SYSTEM)
    body: dict[str, Any] = {"items": [{"location_id": 1, **item} for item in items]}
    if reason:
        body["reason"] = reason
    if relative:
        response = conn.request("POST", conn.v3("inventory/adjustments/relative"), json=body)
    else:
        response = conn.request("PUT", conn.v3("inventory/adjustments/absolute"), json=body)
    return str(conn.json(response).get("transaction_id") or "")
