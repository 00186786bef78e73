"""BigCommerce v3 Catalog (products, variants), Inventory (locations, adjustments, items) and
Customers. v3 bodies are ``{"data": ..., "meta": ...}``; validation errors are 422 problem+json
with Play-style codes (``error.path.missing``); batch updates answer 207 on partial success.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandboxes.systems.bigcommerce_common import (
    LOCATIONS,
    BcError,
    Store,
    api,
    csv_ints,
    iso8601,
    json_body,
    json_response,
    parse_date,
    public,
    v3_page,
)

MAX_INVENTORY_ITEMS = 2000
MAX_CUSTOMERS_PER_CREATE = 10
MAX_PRODUCTS_PER_BATCH = 10
MAX_VARIANTS_PER_BATCH = 50


def _missing(name: str) -> BcError:
    return BcError(422, "JSON data is missing or invalid", {name: "error.path.missing"})


def _invalid(name: str, code: str) -> BcError:
    return BcError(422, "JSON data is missing or invalid", {name: code})


def _check_types(body: dict[str, Any], spec: dict[str, str], prefix: str = "") -> None:
    for name, kind in spec.items():
        if name not in body or body[name] is None:
            continue
        value = body[name]
        ok = {
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "string": isinstance(value, str),
            "bool": isinstance(value, bool),
            "list": isinstance(value, list),
            "object": isinstance(value, dict),
        }[kind]
        if not ok:
            code = {"number": "error.expected.jsnumber", "int": "error.expected.jsnumber",
                    "string": "error.expected.jsstring", "bool": "error.expected.jsboolean",
                    "list": "error.expected.jsarray", "object": "error.expected.jsobject"}[kind]
            raise _invalid(prefix + name, code)


# -- filters -------------------------------------------------------------------------------------

def _typed(value: str, kind: str) -> Any:
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value.lower() in ("1", "true")
    if kind == "date":
        parsed = parse_date(value)
        if parsed is None:
            raise ValueError(value)
        return parsed
    return value


def _field(record: dict[str, Any], name: str, kind: str) -> Any:
    value = record.get(name)
    if kind == "date" and isinstance(value, str):
        return parse_date(value)
    if kind == "str" and isinstance(value, str):
        return value.lower()
    return value


def apply_filters(rows: list[dict[str, Any]], request: Request, spec: dict[str, str]
                  ) -> list[dict[str, Any]]:
    """BigCommerce's ``field``, ``field:in``, ``:not_in``, ``:min``, ``:max``, ``:greater``,
    ``:less``, ``:like`` query filters over the fields in ``spec`` (name -> kind)."""
    for key, raw in request.query_params.multi_items():
        name, _, op = key.partition(":")
        kind = spec.get(name)
        if kind is None:
            continue
        try:
            if op in ("in", "not_in"):
                values = {_typed(v.strip(), kind) if kind != "str" else v.strip().lower()
                          for v in raw.split(",") if v.strip()}
                keep_in = op == "in"
                rows = [r for r in rows if (_field(r, name, kind) in values) == keep_in]
                continue
            if op == "like":
                needle = raw.lower().strip("%")
                rows = [r for r in rows if needle in str(r.get(name) or "").lower()]
                continue
            value = _typed(raw, kind) if kind != "str" else raw.lower()
        except ValueError:
            raise BcError(422, "The filter value is invalid", {key: "error.invalid"}) from None
        test: Callable[[Any], bool] = {
            "": lambda v, value=value: v == value,
            "min": lambda v, value=value: v is not None and v >= value,
            "max": lambda v, value=value: v is not None and v <= value,
            "greater": lambda v, value=value: v is not None and v > value,
            "less": lambda v, value=value: v is not None and v < value,
        }.get(op, lambda v: True)
        rows = [r for r in rows if test(_field(r, name, kind))]
    return rows


def _sorted(rows: list[dict[str, Any]], request: Request, allowed: tuple[str, ...],
            default: str = "id") -> list[dict[str, Any]]:
    sort = request.query_params.get("sort", default)
    direction = request.query_params.get("direction", "asc")
    if ":" in sort:
        sort, _, direction = sort.partition(":")
    if sort not in allowed:
        raise BcError(422, "Invalid sort field", {"sort": f"error.invalid: {sort}"})

    def key(r: dict[str, Any]) -> Any:
        value = r.get(sort)
        if sort.startswith("date_") and isinstance(value, str):
            return parse_date(value) or 0
        return (value is None, value.lower() if isinstance(value, str) else value or 0)

    return sorted(rows, key=key, reverse=direction.lower() == "desc")


def _fields_filter(record: dict[str, Any], request: Request) -> dict[str, Any]:
    include = request.query_params.get("include_fields")
    exclude = request.query_params.get("exclude_fields")
    if include:
        keep = {f.strip() for f in include.split(",")} | {"id"}
        record = {k: v for k, v in record.items() if k in keep or k == "variants"}
    if exclude:
        drop = {f.strip() for f in exclude.split(",")} - {"id"}
        record = {k: v for k, v in record.items() if k not in drop}
    return record


# -- products and variants -----------------------------------------------------------------------

PRODUCT_TYPES = {
    "name": "string", "type": "string", "sku": "string", "description": "string",
    "weight": "number", "width": "number", "depth": "number", "height": "number",
    "price": "number", "cost_price": "number", "retail_price": "number", "sale_price": "number",
    "map_price": "number", "tax_class_id": "int", "product_tax_code": "string",
    "categories": "list", "brand_id": "int", "inventory_level": "int",
    "inventory_warning_level": "int", "inventory_tracking": "string",
    "fixed_cost_shipping_price": "number", "is_free_shipping": "bool", "is_visible": "bool",
    "is_featured": "bool", "warranty": "string", "bin_picking_number": "string",
    "upc": "string", "mpn": "string", "gtin": "string", "search_keywords": "string",
    "availability": "string", "availability_description": "string", "sort_order": "int",
    "condition": "string", "is_condition_shown": "bool", "order_quantity_minimum": "int",
    "order_quantity_maximum": "int", "page_title": "string", "meta_keywords": "list",
    "meta_description": "string", "preorder_message": "string", "is_preorder_only": "bool",
    "is_price_hidden": "bool", "price_hidden_label": "string", "variants": "list",
    "custom_url": "object",
}
PRODUCT_FILTERS = {
    "id": "int", "name": "str", "sku": "str", "price": "float", "weight": "float",
    "type": "str", "date_modified": "date", "date_last_imported": "date", "is_visible": "bool",
    "is_featured": "bool", "inventory_level": "int", "total_sold": "int", "brand_id": "int",
    "availability": "str", "condition": "str", "upc": "str", "mpn": "str", "gtin": "str",
}
VARIANT_TYPES = {
    "sku": "string", "price": "number", "cost_price": "number", "sale_price": "number",
    "retail_price": "number", "map_price": "number", "weight": "number", "width": "number",
    "height": "number", "depth": "number", "is_free_shipping": "bool",
    "purchasing_disabled": "bool", "purchasing_disabled_message": "string",
    "upc": "string", "mpn": "string", "gtin": "string", "inventory_level": "int",
    "inventory_warning_level": "int", "bin_picking_number": "string", "option_values": "list",
    "image_url": "string", "fixed_cost_shipping_price": "number",
}
READ_ONLY_PRODUCT = {"id", "date_created", "date_modified", "calculated_price",
                     "base_variant_id", "reviews_rating_sum", "reviews_count", "total_sold",
                     "view_count", "variants"}


def _product_defaults(product_id: int, now: float) -> dict[str, Any]:
    return {
        "id": product_id, "name": "", "type": "physical", "sku": "", "description": "",
        "weight": 0, "width": 0, "depth": 0, "height": 0, "price": 0, "cost_price": 0,
        "retail_price": 0, "sale_price": 0, "map_price": 0, "tax_class_id": 0,
        "product_tax_code": "", "calculated_price": 0, "categories": [], "brand_id": 0,
        "option_set_id": None, "option_set_display": "right", "inventory_level": 0,
        "inventory_warning_level": 0, "inventory_tracking": "none", "reviews_rating_sum": 0,
        "reviews_count": 0, "total_sold": 0, "fixed_cost_shipping_price": 0,
        "is_free_shipping": False, "is_visible": True, "is_featured": False,
        "related_products": [-1], "warranty": "", "bin_picking_number": "", "layout_file": "",
        "upc": "", "mpn": "", "gtin": "", "date_last_imported": None, "search_keywords": "",
        "availability": "available", "availability_description": "",
        "gift_wrapping_options_type": "any", "gift_wrapping_options_list": [],
        "sort_order": 0, "condition": "New", "is_condition_shown": False,
        "order_quantity_minimum": 0, "order_quantity_maximum": 0, "page_title": "",
        "meta_keywords": [], "meta_description": "", "date_created": iso8601(now),
        "date_modified": iso8601(now), "view_count": 0, "preorder_release_date": None,
        "preorder_message": "", "is_preorder_only": False, "is_price_hidden": False,
        "price_hidden_label": "", "custom_url": {"url": f"/product-{product_id}/",
                                                 "is_customized": False},
        "base_variant_id": None, "open_graph_type": "product", "open_graph_title": "",
        "open_graph_description": "", "open_graph_use_meta_description": True,
        "open_graph_use_product_name": True, "open_graph_use_image": True,
    }


def _sku_taken(store: Store, sku: str, *, product_id: int | None = None,
               variant_id: int | None = None) -> bool:
    if not sku:
        return False
    lowered = sku.lower()
    for product in store.table("products").values():
        if product["sku"].lower() == lowered and product["id"] != product_id:
            return True
    for variant in store.table("variants").values():
        if (variant["sku"].lower() == lowered and variant["id"] != variant_id
                and not (variant["_base"] and variant["product_id"] == product_id)):
            return True
    return False


def _variants_of(store: Store, product_id: int) -> list[dict[str, Any]]:
    return store.table("variants").find(lambda v: v["product_id"] == product_id)


def _refresh_inventory(store: Store, product: dict[str, Any]) -> None:
    variants = _variants_of(store, product["id"])
    for variant in variants:
        variant["inventory_level"] = sum(variant["_locations"].values())
    product["inventory_level"] = sum(v["inventory_level"] for v in variants)


def variant_view(product: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
    out = public(variant)
    price = variant["price"] if variant["price"] is not None else product["price"]
    weight = variant["weight"] if variant["weight"] is not None else product["weight"]
    out["calculated_price"] = price
    out["calculated_weight"] = weight
    return out


def product_view(store: Store, product: dict[str, Any], request: Request | None
                 ) -> dict[str, Any]:
    out = public(product)
    out["calculated_price"] = product["sale_price"] or product["price"]
    includes = (request.query_params.get("include", "") if request else "").split(",")
    if "variants" in includes:
        out["variants"] = [variant_view(product, v) for v in _variants_of(store, product["id"])]
    if "images" in includes:
        out["images"] = []
    if "custom_fields" in includes:
        out["custom_fields"] = []
    return _fields_filter(out, request) if request else out


def _variant_new(store: Store, product: dict[str, Any], data: dict[str, Any], *, base: bool
                 ) -> dict[str, Any]:
    table = store.table("variants")
    variant_id = table.next_id()
    option_values = []
    for index, ov in enumerate(data.get("option_values") or []):
        option_values.append({
            "id": ov.get("id", variant_id * 10 + index),
            "label": str(ov.get("label", "")),
            "option_id": ov.get("option_id", index + 1),
            "option_display_name": str(ov.get("option_display_name", f"Option {index + 1}")),
        })
    variant = {
        "id": variant_id, "product_id": product["id"], "sku": str(data.get("sku") or ""),
        "sku_id": None if base else variant_id + 1000, "price": data.get("price"),
        "sale_price": data.get("sale_price"), "retail_price": data.get("retail_price"),
        "map_price": data.get("map_price"), "weight": data.get("weight"),
        "width": data.get("width"), "height": data.get("height"), "depth": data.get("depth"),
        "is_free_shipping": bool(data.get("is_free_shipping", False)),
        "fixed_cost_shipping_price": data.get("fixed_cost_shipping_price"),
        "purchasing_disabled": bool(data.get("purchasing_disabled", False)),
        "purchasing_disabled_message": str(data.get("purchasing_disabled_message") or ""),
        "image_url": str(data.get("image_url") or ""), "cost_price": data.get("cost_price"),
        "upc": str(data.get("upc") or ""), "mpn": str(data.get("mpn") or ""),
        "gtin": str(data.get("gtin") or ""), "inventory_level": 0,
        "inventory_warning_level": int(data.get("inventory_warning_level") or 0),
        "bin_picking_number": str(data.get("bin_picking_number") or ""),
        "option_values": option_values,
        "_base": base,
        "_locations": {"1": int(data.get("inventory_level") or 0)},
    }
    table.insert(variant, record_id=variant_id)
    return variant


def product_create(store: Store, body: Any, *, emit: bool = True,
                   created_at: float | None = None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _invalid("body", "error.expected.jsobject")
    for name in ("name", "type", "weight", "price"):
        if body.get(name) is None:
            raise _missing(name)
    _check_types(body, PRODUCT_TYPES)
    if body["type"] not in ("physical", "digital"):
        raise _invalid("type", "error.invalid: must be one of physical, digital")
    if not 1 <= len(body["name"]) <= 250:
        raise _invalid("name", "error.minLength: 1, maxLength: 250")
    products = store.table("products")
    if any(p["name"].lower() == body["name"].lower() for p in products.values()):
        raise BcError(409, "The product name is a duplicate",
                      {"name": f"The product name '{body['name']}' is a duplicate."})
    if _sku_taken(store, body.get("sku") or ""):
        raise BcError(409, "The product sku is a duplicate",
                      {"sku": f"Sku {body['sku']} is not unique."})
    variants_in = body.get("variants") or []
    for index, data in enumerate(variants_in):
        if not isinstance(data, dict) or not data.get("option_values"):
            raise _missing(f"variants[{index}].option_values")
        _check_types(data, VARIANT_TYPES, f"variants[{index}].")
    now = time.time() if created_at is None else created_at
    product_id = products.next_id()
    product = _product_defaults(product_id, now)
    for name in PRODUCT_TYPES:
        if name in body and name not in READ_ONLY_PRODUCT:
            product[name] = body[name]
    products.insert(product, record_id=product_id)
    if variants_in:
        for data in variants_in:
            _variant_new(store, product, data, base=False)
        product["inventory_tracking"] = body.get("inventory_tracking", "variant")
    else:
        base = _variant_new(store, product, {"sku": product["sku"],
                                             "inventory_level": body.get("inventory_level")},
                            base=True)
        product["base_variant_id"] = base["id"]
        if "inventory_level" in body and "inventory_tracking" not in body:
            product["inventory_tracking"] = "product"
    _refresh_inventory(store, product)
    if emit:
        store.emit("store/product/created", {"type": "product", "id": product_id})
    return product


def _product_update(store: Store, product: dict[str, Any], body: dict[str, Any]) -> None:
    _check_types(body, PRODUCT_TYPES)
    if "type" in body and body["type"] not in ("physical", "digital"):
        raise _invalid("type", "error.invalid: must be one of physical, digital")
    if "name" in body:
        if not body["name"]:
            raise _invalid("name", "error.minLength: 1, maxLength: 250")
        taken = any(p["name"].lower() == body["name"].lower() and p["id"] != product["id"]
                    for p in store.table("products").values())
        if taken:
            raise BcError(409, "The product name is a duplicate",
                          {"name": f"The product name '{body['name']}' is a duplicate."})
    if "sku" in body and _sku_taken(store, body["sku"] or "", product_id=product["id"]):
        raise BcError(409, "The product sku is a duplicate",
                      {"sku": f"Sku {body['sku']} is not unique."})
    inventory_changed = False
    for name, value in body.items():
        if name in PRODUCT_TYPES and name not in READ_ONLY_PRODUCT and name != "inventory_level":
            product[name] = value
    base = store.table("variants").get(product["base_variant_id"]) if product[
        "base_variant_id"] else None
    if base is not None:
        base["sku"] = product["sku"]
    if "inventory_level" in body:
        if base is None:
            raise _invalid("inventory_level", "error.invalid: product has variants; set "
                           "inventory on the variants")
        base["_locations"]["1"] = body["inventory_level"]
        if "inventory_tracking" not in body and product["inventory_tracking"] == "none":
            product["inventory_tracking"] = "product"
        inventory_changed = True
    _refresh_inventory(store, product)
    product["date_modified"] = iso8601()
    store.table("products").touch(product["id"])
    store.emit("store/product/updated", {"type": "product", "id": product["id"]})
    if inventory_changed:
        store.emit("store/product/inventory/updated", {
            "type": "product", "id": product["id"],
            "inventory": {"product_id": product["id"], "method": "absolute",
                          "value": product["inventory_level"]},
        })


def _product(store: Store, product_id: int) -> dict[str, Any]:
    product = store.table("products").get(product_id)
    if product is None:
        raise BcError(404, "The requested product was not found.")
    return product


@api("v3")
async def products_list(request: Request, store: Store) -> Response:
    rows = list(store.table("products").values())
    rows = apply_filters(rows, request, PRODUCT_FILTERS)
    keyword = request.query_params.get("keyword")
    if keyword:
        needle = keyword.lower()
        rows = [p for p in rows if needle in p["name"].lower() or needle in p["sku"].lower()
                or needle in p["description"].lower()]
    categories = request.query_params.get("categories:in") or request.query_params.get(
        "categories")
    if categories:
        wanted = set(csv_ints(categories))
        rows = [p for p in rows if wanted & set(p["categories"])]
    rows = _sorted(rows, request, ("id", "name", "sku", "price", "date_modified",
                                   "date_last_imported", "inventory_level", "is_visible",
                                   "total_sold"))
    page, meta = v3_page(request, rows)
    return json_response({"data": [product_view(store, p, request) for p in page],
                          "meta": meta})


@api("v3")
async def products_create(request: Request, store: Store) -> Response:
    product = product_create(store, await json_body(request, "v3"))
    # Creating a product answers 200, not 201.
    return json_response({"data": product_view(store, product, request), "meta": {}})


@api("v3")
async def product_get(request: Request, store: Store) -> Response:
    product = _product(store, request.path_params["product_id"])
    return json_response({"data": product_view(store, product, request), "meta": {}})


@api("v3")
async def product_update(request: Request, store: Store) -> Response:
    product = _product(store, request.path_params["product_id"])
    body = await json_body(request, "v3")
    if not isinstance(body, dict):
        raise _invalid("body", "error.expected.jsobject")
    _product_update(store, product, body)
    return json_response({"data": product_view(store, product, request), "meta": {}})


@api("v3")
async def products_batch_update(request: Request, store: Store) -> Response:
    body = await json_body(request, "v3")
    if not isinstance(body, list) or not body:
        raise _invalid("body", "error.expected.jsarray")
    if len(body) > MAX_PRODUCTS_PER_BATCH:
        raise BcError(413, f"The request may contain at most {MAX_PRODUCTS_PER_BATCH} products")
    updated: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(body):
        try:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                raise _missing(f"[{index}].id")
            product = store.table("products").get(item["id"])
            if product is None:
                raise BcError(404, "The requested product was not found.",
                              {f"[{index}].id": f"Product {item['id']} does not exist"})
            _product_update(store, product, {k: v for k, v in item.items() if k != "id"})
            updated.append(product_view(store, product, None))
        except BcError as exc:
            errors.append({"status": exc.status, "title": exc.message,
                           "type": "https://developer.bigcommerce.com/api-docs/getting-started/"
                                   "api-status-codes",
                           "errors": exc.errors, "index": index})
    meta = {"total": len(body), "success": len(updated), "failed": len(errors)}
    if errors and not updated:
        first = errors[0]
        raise BcError(first["status"] if first["status"] != 404 else 422, first["title"],
                      {k: v for e in errors for k, v in e["errors"].items()})
    if errors:
        return json_response({"data": updated, "errors": errors, "meta": meta}, status=207)
    return json_response({"data": updated, "meta": {}})


def _product_delete(store: Store, product_id: int) -> None:
    store.table("products").delete(product_id)
    for variant in _variants_of(store, product_id):
        store.table("variants").delete(variant["id"])
    store.emit("store/product/deleted", {"type": "product", "id": product_id})


@api("v3")
async def product_delete(request: Request, store: Store) -> Response:
    product = _product(store, request.path_params["product_id"])
    _product_delete(store, product["id"])
    return Response(status_code=204)


@api("v3")
async def products_delete(request: Request, store: Store) -> Response:
    ids = csv_ints(request.query_params.get("id:in"))
    if not ids:
        raise BcError(422, "A filter is required to delete products", {"id:in": "error.required"})
    for product_id in ids:
        if store.table("products").get(product_id) is not None:
            _product_delete(store, product_id)
    return Response(status_code=204)


def _variant(store: Store, product: dict[str, Any], variant_id: int) -> dict[str, Any]:
    variant = store.table("variants").get(variant_id)
    if variant is None or variant["product_id"] != product["id"]:
        raise BcError(404, "The requested variant was not found.")
    return variant


def _variant_update(store: Store, product: dict[str, Any], variant: dict[str, Any],
                    body: dict[str, Any]) -> None:
    _check_types(body, VARIANT_TYPES)
    if "sku" in body and _sku_taken(store, body["sku"] or "", variant_id=variant["id"],
                                    product_id=product["id"] if variant["_base"] else None):
        raise BcError(409, "The variant sku is a duplicate",
                      {"sku": f"Sku {body['sku']} is not unique."})
    for name, value in body.items():
        if name in VARIANT_TYPES and name not in ("inventory_level", "option_values"):
            variant[name] = value
    if variant["_base"] and "sku" in body:
        product["sku"] = variant["sku"]
    if "inventory_level" in body:
        variant["_locations"]["1"] = body["inventory_level"]
        if product["inventory_tracking"] == "none":
            product["inventory_tracking"] = "variant" if not variant["_base"] else "product"
    _refresh_inventory(store, product)
    product["date_modified"] = iso8601()
    store.table("products").touch(product["id"])
    store.emit("store/product/updated", {"type": "product", "id": product["id"]})


@api("v3")
async def variants_list(request: Request, store: Store) -> Response:
    product = _product(store, request.path_params["product_id"])
    rows = [variant_view(product, v) for v in _variants_of(store, product["id"])]
    page, meta = v3_page(request, rows)
    return json_response({"data": page, "meta": meta})


@api("v3")
async def variants_create(request: Request, store: Store) -> Response:
    product = _product(store, request.path_params["product_id"])
    body = await json_body(request, "v3")
    if not isinstance(body, dict):
        raise _invalid("body", "error.expected.jsobject")
    if not body.get("option_values"):
        raise _missing("option_values")
    _check_types(body, VARIANT_TYPES)
    if _sku_taken(store, body.get("sku") or ""):
        raise BcError(409, "The variant sku is a duplicate",
                      {"sku": f"Sku {body['sku']} is not unique."})
    if product["base_variant_id"] is not None:
        # Options replace the base variant: stock now lives on the option variants.
        store.table("variants").delete(product["base_variant_id"])
        product["base_variant_id"] = None
        product["inventory_tracking"] = "variant"
    variant = _variant_new(store, product, body, base=False)
    _refresh_inventory(store, product)
    product["date_modified"] = iso8601()
    store.table("products").touch(product["id"])
    store.emit("store/product/updated", {"type": "product", "id": product["id"]})
    return json_response({"data": variant_view(product, variant), "meta": {}})


@api("v3")
async def variant_get(request: Request, store: Store) -> Response:
    product = _product(store, request.path_params["product_id"])
    variant = _variant(store, product, request.path_params["variant_id"])
    return json_response({"data": variant_view(product, variant), "meta": {}})


@api("v3")
async def variant_update(request: Request, store: Store) -> Response:
    product = _product(store, request.path_params["product_id"])
    variant = _variant(store, product, request.path_params["variant_id"])
    body = await json_body(request, "v3")
    if not isinstance(body, dict):
        raise _invalid("body", "error.expected.jsobject")
    _variant_update(store, product, variant, body)
    return json_response({"data": variant_view(product, variant), "meta": {}})


@api("v3")
async def variant_delete(request: Request, store: Store) -> Response:
    product = _product(store, request.path_params["product_id"])
    variant = _variant(store, product, request.path_params["variant_id"])
    store.table("variants").delete(variant["id"])
    _refresh_inventory(store, product)
    return Response(status_code=204)


@api("v3")
async def all_variants_list(request: Request, store: Store) -> Response:
    products = store.table("products")
    rows = []
    for variant in store.table("variants").values():
        product = products.get(variant["product_id"])
        if product is not None:
            rows.append(variant_view(product, variant))
    rows = apply_filters(rows, request, {"id": "int", "sku": "str", "product_id": "int"})
    page, meta = v3_page(request, rows)
    return json_response({"data": page, "meta": meta})


@api("v3")
async def all_variants_update(request: Request, store: Store) -> Response:
    body = await json_body(request, "v3")
    if not isinstance(body, list) or not body:
        raise _invalid("body", "error.expected.jsarray")
    if len(body) > MAX_VARIANTS_PER_BATCH:
        raise BcError(413, f"The request may contain at most {MAX_VARIANTS_PER_BATCH} variants")
    out = []
    for index, item in enumerate(body):
        variant = store.table("variants").get(item.get("id")) if isinstance(item, dict) else None
        if variant is None:
            raise BcError(422, "JSON data is missing or invalid",
                          {f"[{index}].id": "Variant not found"})
        product = _product(store, variant["product_id"])
        _variant_update(store, product, variant, {k: v for k, v in item.items() if k != "id"})
        out.append(variant_view(product, variant))
    return json_response({"data": out, "meta": {}})


# -- inventory -----------------------------------------------------------------------------------

def stock_adjust(store: Store, product_id: int, variant_id: int | None, delta: int,
                 *, emit: bool = True, location_id: int = 1) -> None:
    """Add ``delta`` at a location (orders take stock from the default location)."""
    product = store.table("products").get(product_id)
    variant = store.table("variants").get(variant_id) if variant_id else None
    if product is None or variant is None:
        return
    key = str(location_id)
    variant["_locations"][key] = variant["_locations"].get(key, 0) + delta
    _refresh_inventory(store, product)
    if emit and product["inventory_tracking"] != "none":
        _inventory_event(store, product, variant, "relative", delta)


def _inventory_event(store: Store, product: dict[str, Any], variant: dict[str, Any],
                     method: str, value: int) -> None:
    if variant["_base"]:
        store.emit("store/product/inventory/updated", {
            "type": "product", "id": product["id"],
            "inventory": {"product_id": product["id"], "method": method, "value": value},
        })
    else:
        store.emit("store/sku/inventory/updated", {
            "type": "sku", "id": variant["sku_id"],
            "inventory": {"product_id": product["id"], "method": method, "value": value,
                          "variant_id": variant["id"]},
        })


def _resolve_item(store: Store, item: Any, index: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _invalid(f"items.{index}", "error.expected.jsobject")
    if not isinstance(item.get("location_id"), int):
        raise _missing(f"items.{index}.location_id")
    if item["location_id"] not in {loc["id"] for loc in LOCATIONS}:
        raise BcError(422, "Location not found",
                      {f"items.{index}.location_id": f"Location {item['location_id']} does "
                                                     "not exist"})
    if not isinstance(item.get("quantity"), int) or isinstance(item.get("quantity"), bool):
        raise _missing(f"items.{index}.quantity")
    keys = [k for k in ("sku", "variant_id", "product_id") if item.get(k) is not None]
    if len(keys) != 1:
        raise BcError(422, "Exactly one of sku, variant_id or product_id is required",
                      {f"items.{index}": "error.identity"})
    variants = store.table("variants")
    variant: dict[str, Any] | None = None
    if keys[0] == "variant_id":
        variant = variants.get(item["variant_id"])
    elif keys[0] == "sku":
        lowered = str(item["sku"]).lower()
        found = variants.find(lambda v: v["sku"].lower() == lowered)
        variant = found[0] if found else None
    else:
        product = store.table("products").get(item["product_id"])
        if product is not None and product["base_variant_id"] is None:
            raise BcError(422, "The product has variants; adjust the variants instead",
                          {f"items.{index}.product_id": "error.product_has_variants"})
        variant = variants.get(product["base_variant_id"]) if product else None
    if variant is None:
        raise BcError(422, "Item not found",
                      {f"items.{index}.{keys[0]}": f"{item[keys[0]]} does not exist"})
    return variant


async def _adjust(request: Request, store: Store, method: str) -> Response:
    body = await json_body(request, "v3")
    if not isinstance(body, dict):
        raise _invalid("body", "error.expected.jsobject")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise _missing("items")
    if len(items) > MAX_INVENTORY_ITEMS:
        raise BcError(422, f"An adjustment may contain at most {MAX_INVENTORY_ITEMS} items",
                      {"items": f"error.maxLength: {MAX_INVENTORY_ITEMS}"})
    resolved = [_resolve_item(store, item, i) for i, item in enumerate(items)]
    if method == "absolute":
        for index, item in enumerate(items):
            if item["quantity"] < 0:
                raise _invalid(f"items.{index}.quantity", "error.min: 0")
    products = store.table("products")
    for item, variant in zip(items, resolved, strict=True):
        key = str(item["location_id"])
        if method == "absolute":
            variant["_locations"][key] = item["quantity"]
        else:
            variant["_locations"][key] = variant["_locations"].get(key, 0) + item["quantity"]
        product = products.get(variant["product_id"])
        assert product is not None
        if product["inventory_tracking"] == "none":
            product["inventory_tracking"] = "product" if variant["_base"] else "variant"
        _refresh_inventory(store, product)
        product["date_modified"] = iso8601()
        products.touch(product["id"])
        value = variant["inventory_level"] if method == "absolute" else item["quantity"]
        _inventory_event(store, product, variant, method, value)
    return json_response({"transaction_id": str(uuid.uuid4())})


@api("v3")
async def adjust_absolute(request: Request, store: Store) -> Response:
    return await _adjust(request, store, "absolute")


@api("v3")
async def adjust_relative(request: Request, store: Store) -> Response:
    return await _adjust(request, store, "relative")


@api("v3")
async def inventory_items(request: Request, store: Store) -> Response:
    q = request.query_params
    rows = list(store.table("variants").values())
    if q.get("variant_id:in"):
        wanted = set(csv_ints(q["variant_id:in"]))
        rows = [v for v in rows if v["id"] in wanted]
    if q.get("product_id:in"):
        wanted = set(csv_ints(q["product_id:in"]))
        rows = [v for v in rows if v["product_id"] in wanted]
    if q.get("sku:in"):
        skus = {s.strip().lower() for s in q["sku:in"].split(",")}
        rows = [v for v in rows if v["sku"].lower() in skus]
    locations = LOCATIONS
    if q.get("location_id:in"):
        wanted = set(csv_ints(q["location_id:in"]))
        locations = [loc for loc in LOCATIONS if loc["id"] in wanted]
    data = [_inventory_item(v, locations) for v in rows]
    page, meta = v3_page(request, data)
    return json_response({"data": page, "meta": meta})


def _inventory_item(variant: dict[str, Any], locations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "identity": {"sku": variant["sku"], "variant_id": variant["id"],
                     "product_id": variant["product_id"], "sku_id": variant["sku_id"]},
        "locations": [
            {
                "location_id": loc["id"],
                "location_code": loc["code"],
                "location_name": loc["label"],
                "available_to_sell": max(0, variant["_locations"].get(str(loc["id"]), 0)),
                "total_inventory_onhand": variant["_locations"].get(str(loc["id"]), 0),
                "settings": {
                    "safety_stock": 0,
                    "is_in_stock": variant["_locations"].get(str(loc["id"]), 0) > 0,
                    "warning_level": variant["inventory_warning_level"],
                    "bin_picking_number": variant["bin_picking_number"],
                },
            }
            for loc in locations
        ],
    }


@api("v3")
async def inventory_locations(request: Request, store: Store) -> Response:
    data = [
        {**loc, "description": "", "managed_by_external_source": False, "enabled": True,
         "storefront_visibility": True, "time_zone": "Europe/London",
         "address": None, "blackout_hours": [], "operating_hours": None}
        for loc in LOCATIONS
    ]
    page, meta = v3_page(request, data)
    return json_response({"data": page, "meta": meta})


# -- customers -----------------------------------------------------------------------------------

CUSTOMER_TYPES = {
    "email": "string", "first_name": "string", "last_name": "string", "company": "string",
    "phone": "string", "notes": "string", "tax_exempt_category": "string",
    "customer_group_id": "int", "registration_ip_address": "string", "addresses": "list",
    "accepts_product_review_abandoned_cart_emails": "bool", "origin_channel_id": "int",
    "channel_ids": "list", "authentication": "object", "store_credit_amounts": "list",
}
CUSTOMER_FILTERS = {
    "id": "int", "email": "str", "company": "str", "customer_group_id": "int",
    "date_created": "date", "date_modified": "date", "phone": "str",
    "registration_ip_address": "str",
}
ADDRESS_REQUIRED = ("first_name", "last_name", "address1", "city", "country_code")


def _email_ok(value: str) -> bool:
    local, _, domain = value.partition("@")
    return bool(local) and "." in domain and " " not in value


def _validate_customer(store: Store, item: Any, index: int, *, creating: bool,
                       seen_emails: set[str]) -> None:
    if not isinstance(item, dict):
        raise _invalid(f"[{index}]", "error.expected.jsobject")
    if creating:
        for name in ("email", "first_name", "last_name"):
            if not item.get(name):
                raise _missing(f"[{index}].{name}")
    _check_types(item, CUSTOMER_TYPES, f"[{index}].")
    if "email" in item:
        email = item["email"].lower()
        if not _email_ok(email):
            raise _invalid(f"[{index}].email", "error.email")
        taken = any(c["email"].lower() == email and c["id"] != item.get("id")
                    for c in store.table("customers").values())
        if taken or email in seen_emails:
            raise BcError(422, f"The email address {item['email']} is already in use.",
                          {f"[{index}].email": "error.duplicate"})
        seen_emails.add(email)
    for a_index, address in enumerate(item.get("addresses") or []):
        for name in ADDRESS_REQUIRED:
            if not isinstance(address, dict) or not address.get(name):
                raise _missing(f"[{index}].addresses[{a_index}].{name}")


def _address_add(store: Store, customer_id: int, data: dict[str, Any]) -> dict[str, Any]:
    table = store.table("customer_addresses")
    address_id = table.next_id()
    record = {
        "id": address_id, "customer_id": customer_id,
        "first_name": data["first_name"], "last_name": data["last_name"],
        "company": str(data.get("company") or ""), "address1": data["address1"],
        "address2": str(data.get("address2") or ""), "city": data["city"],
        "state_or_province": str(data.get("state_or_province") or ""),
        "postal_code": str(data.get("postal_code") or ""),
        "country_code": data["country_code"], "country": str(data.get("country") or ""),
        "phone": str(data.get("phone") or ""),
        "address_type": data.get("address_type", "residential"),
    }
    table.insert(record, record_id=address_id)
    return record


def customer_create(store: Store, item: dict[str, Any], *, emit: bool = True,
                    created_at: float | None = None) -> dict[str, Any]:
    table = store.table("customers")
    customer_id = table.next_id()
    now = time.time() if created_at is None else created_at
    record = {
        "id": customer_id,
        "authentication": {"force_password_reset": False},
        "company": str(item.get("company") or ""),
        "customer_group_id": int(item.get("customer_group_id") or 0),
        "email": item["email"],
        "first_name": item["first_name"],
        "last_name": item["last_name"],
        "notes": str(item.get("notes") or ""),
        "phone": str(item.get("phone") or ""),
        "registration_ip_address": str(item.get("registration_ip_address") or ""),
        "tax_exempt_category": str(item.get("tax_exempt_category") or ""),
        "date_created": iso8601(now),
        "date_modified": iso8601(now),
        "accepts_product_review_abandoned_cart_emails": bool(
            item.get("accepts_product_review_abandoned_cart_emails", False)),
        "origin_channel_id": int(item.get("origin_channel_id") or 1),
        "channel_ids": item.get("channel_ids"),
        "store_credit_amounts": item.get("store_credit_amounts") or [{"amount": 0}],
        "address_count": 0,
        "attribute_count": 0,
    }
    table.insert(record, record_id=customer_id)
    for address in item.get("addresses") or []:
        _address_add(store, customer_id, address)
        record["address_count"] += 1
    if emit:
        store.emit("store/customer/created", {"type": "customer", "id": customer_id})
    return record


def customer_view(store: Store, customer: dict[str, Any], includes: list[str]
                  ) -> dict[str, Any]:
    out = public(customer)
    if "addresses" in includes:
        out["addresses"] = store.table("customer_addresses").find(
            lambda a: a["customer_id"] == customer["id"])
    if "storecredit" not in includes:
        out.pop("store_credit_amounts", None)
    if "attributes" in includes:
        out["attributes"] = []
    return out


def _includes(request: Request) -> list[str]:
    return [s.strip() for s in request.query_params.get("include", "").split(",") if s.strip()]


@api("v3")
async def customers_list(request: Request, store: Store) -> Response:
    rows = apply_filters(list(store.table("customers").values()), request, CUSTOMER_FILTERS)
    q = request.query_params
    if q.get("name:in"):
        names = {n.strip().lower() for n in q["name:in"].split(",")}
        rows = [c for c in rows if f"{c['first_name']} {c['last_name']}".lower() in names]
    if q.get("name:like"):
        needle = q["name:like"].lower().strip("%")
        rows = [c for c in rows if needle in f"{c['first_name']} {c['last_name']}".lower()]
    rows = _sorted(rows, request, ("id", "date_created", "last_name", "date_modified"))
    page, meta = v3_page(request, rows)
    includes = _includes(request)
    return json_response({"data": [customer_view(store, c, includes) for c in page],
                          "meta": meta})


@api("v3")
async def customers_create(request: Request, store: Store) -> Response:
    body = await json_body(request, "v3")
    if not isinstance(body, list) or not body:
        raise _invalid("body", "error.expected.jsarray")
    if len(body) > MAX_CUSTOMERS_PER_CREATE:
        raise BcError(413, f"You can create at most {MAX_CUSTOMERS_PER_CREATE} customers per "
                           "request")
    seen: set[str] = set()
    for index, item in enumerate(body):
        _validate_customer(store, item, index, creating=True, seen_emails=seen)
    created = [customer_create(store, item) for item in body]
    includes = ["addresses"] if any(item.get("addresses") for item in body) else []
    return json_response({"data": [customer_view(store, c, includes) for c in created],
                          "meta": {}})


@api("v3")
async def customers_update(request: Request, store: Store) -> Response:
    body = await json_body(request, "v3")
    if not isinstance(body, list) or not body:
        raise _invalid("body", "error.expected.jsarray")
    if len(body) > MAX_CUSTOMERS_PER_CREATE:
        raise BcError(413, f"You can update at most {MAX_CUSTOMERS_PER_CREATE} customers per "
                           "request")
    table = store.table("customers")
    seen: set[str] = set()
    for index, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            raise _missing(f"[{index}].id")
        if table.get(item["id"]) is None:
            raise BcError(422, "Customer not found",
                          {f"[{index}].id": f"Customer {item['id']} does not exist"})
        _validate_customer(store, item, index, creating=False, seen_emails=seen)
    out = []
    for item in body:
        customer = table.get(item["id"])
        assert customer is not None
        for name in CUSTOMER_TYPES:
            if name in item and name != "addresses":
                customer[name] = item[name]
        customer["date_modified"] = iso8601()
        table.touch(customer["id"])
        store.emit("store/customer/updated", {"type": "customer", "id": customer["id"]})
        out.append(customer_view(store, customer, []))
    return json_response({"data": out, "meta": {}})


@api("v3")
async def customers_delete(request: Request, store: Store) -> Response:
    ids = csv_ints(request.query_params.get("id:in"))
    if not ids:
        raise BcError(422, "A filter is required to delete customers",
                      {"id:in": "error.required"})
    for customer_id in ids:
        if store.table("customers").delete(customer_id) is not None:
            store.emit("store/customer/deleted", {"type": "customer", "id": customer_id})
    return Response(status_code=204)


@api("v3")
async def addresses_list(request: Request, store: Store) -> Response:
    rows = list(store.table("customer_addresses").values())
    rows = apply_filters(rows, request, {"id": "int", "customer_id": "int", "company": "str"})
    page, meta = v3_page(request, rows)
    return json_response({"data": page, "meta": meta})


@api("v3")
async def addresses_create(request: Request, store: Store) -> Response:
    body = await json_body(request, "v3")
    if not isinstance(body, list) or not body:
        raise _invalid("body", "error.expected.jsarray")
    for index, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("customer_id"), int):
            raise _missing(f"[{index}].customer_id")
        if store.table("customers").get(item["customer_id"]) is None:
            raise BcError(422, "Customer not found",
                          {f"[{index}].customer_id": "error.not_found"})
        for name in ADDRESS_REQUIRED:
            if not item.get(name):
                raise _missing(f"[{index}].{name}")
    out = []
    for item in body:
        out.append(_address_add(store, item["customer_id"], item))
        customer = store.table("customers").get(item["customer_id"])
        assert customer is not None
        customer["address_count"] += 1
        store.emit("store/customer/address/created",
                   {"type": "customer", "id": item["customer_id"], "address_id": out[-1]["id"]})
    return json_response({"data": out, "meta": {}})


P = "/stores/{store_hash}/v3"
routes = [
    Route(f"{P}/catalog/products", products_list, methods=["GET"]),
    Route(f"{P}/catalog/products", products_create, methods=["POST"]),
    Route(f"{P}/catalog/products", products_batch_update, methods=["PUT"]),
    Route(f"{P}/catalog/products", products_delete, methods=["DELETE"]),
    Route(f"{P}/catalog/products/{{product_id:int}}", product_get, methods=["GET"]),
    Route(f"{P}/catalog/products/{{product_id:int}}", product_update, methods=["PUT"]),
    Route(f"{P}/catalog/products/{{product_id:int}}", product_delete, methods=["DELETE"]),
    Route(f"{P}/catalog/products/{{product_id:int}}/variants", variants_list, methods=["GET"]),
    Route(f"{P}/catalog/products/{{product_id:int}}/variants", variants_create,
          methods=["POST"]),
    Route(f"{P}/catalog/products/{{product_id:int}}/variants/{{variant_id:int}}", variant_get,
          methods=["GET"]),
    Route(f"{P}/catalog/products/{{product_id:int}}/variants/{{variant_id:int}}",
          variant_update, methods=["PUT"]),
    Route(f"{P}/catalog/products/{{product_id:int}}/variants/{{variant_id:int}}",
          variant_delete, methods=["DELETE"]),
    Route(f"{P}/catalog/variants", all_variants_list, methods=["GET"]),
    Route(f"{P}/catalog/variants", all_variants_update, methods=["PUT"]),
    Route(f"{P}/inventory/adjustments/absolute", adjust_absolute, methods=["PUT"]),
    Route(f"{P}/inventory/adjustments/relative", adjust_relative, methods=["POST"]),
    Route(f"{P}/inventory/items", inventory_items, methods=["GET"]),
    Route(f"{P}/inventory/locations", inventory_locations, methods=["GET"]),
    Route(f"{P}/customers", customers_list, methods=["GET"]),
    Route(f"{P}/customers", customers_create, methods=["POST"]),
    Route(f"{P}/customers", customers_update, methods=["PUT"]),
    Route(f"{P}/customers", customers_delete, methods=["DELETE"]),
    Route(f"{P}/customers/addresses", addresses_list, methods=["GET"]),
    Route(f"{P}/customers/addresses", addresses_create, methods=["POST"]),
]
