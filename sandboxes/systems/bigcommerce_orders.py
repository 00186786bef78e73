"""BigCommerce Orders: v2 orders, order products, shipping addresses, shipments; v3 refunds and
transactions. v2 answers bare JSON (arrays or objects), ``204`` for an empty list, money as
four-decimal strings and RFC 2822 dates.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandboxes.systems.bigcommerce_catalog import stock_adjust
from sandboxes.systems.bigcommerce_common import (
    ORDER_STATUSES,
    BcError,
    Store,
    api,
    int_param,
    iso8601,
    json_body,
    json_response,
    money,
    object_body,
    parse_date,
    public,
    rfc2822,
    v3_page,
)

ADDRESS_FIELDS = ("first_name", "last_name", "company", "street_1", "street_2", "city", "state",
                  "zip", "country", "country_iso2", "phone", "email")
SORTABLE = ("id", "customer_id", "date_created", "date_modified", "status_id", "channel_id",
            "external_id")
PAID_STATUSES = {2, 3, 8, 9, 10, 11}


def _address(data: dict[str, Any]) -> dict[str, Any]:
    out = {name: str(data.get(name) or "") for name in ADDRESS_FIELDS}
    out["form_fields"] = data.get("form_fields") or []
    return out


def _not_found() -> BcError:
    return BcError(404, "The requested resource was not found.")


def _order(store: Store, order_id: int) -> dict[str, Any]:
    order = store.table("orders").get(order_id)
    if order is None or order.get("is_deleted"):
        raise _not_found()
    return order


def order_view(store: Store, order: dict[str, Any]) -> dict[str, Any]:
    out = public(order)
    oid = order["id"]
    for sub in ("products", "shipping_addresses", "coupons"):
        out[sub] = {"url": f"{store.base_url}/v2/orders/{oid}/{sub}",
                    "resource": f"/orders/{oid}/{sub}"}
    out["status"] = ORDER_STATUSES[order["status_id"]][0]
    return out


def _lines(store: Store, order_id: int) -> list[dict[str, Any]]:
    return store.table("order_products").find(lambda r: r["order_id"] == order_id)


def _addresses(store: Store, order_id: int) -> list[dict[str, Any]]:
    return store.table("order_shipping_addresses").find(lambda r: r["order_id"] == order_id)


def order_create(store: Store, body: dict[str, Any], *, emit: bool = True,
                 created_at: float | None = None) -> dict[str, Any]:
    """Validate and store an order with its lines and addresses (v2 semantics)."""
    products = body.get("products")
    if not isinstance(products, list) or not products:
        raise BcError(400, "The required field 'products' was not supplied.")
    billing = body.get("billing_address")
    if not isinstance(billing, dict):
        raise BcError(400, "The required field 'billing_address' was not supplied.")
    status_id = body.get("status_id", 1)
    if not isinstance(status_id, int) or status_id not in ORDER_STATUSES:
        raise BcError(400, "The field 'status_id' is invalid.")
    customer_id = body.get("customer_id", 0) or 0
    if not isinstance(customer_id, int) or customer_id < 0:
        raise BcError(400, "The field 'customer_id' is invalid.")
    if customer_id and store.table("customers").get(customer_id) is None:
        # A registered customer's order must name a customer of this store (0 is a guest).
        raise BcError(400, f"The customer with ID {customer_id} does not exist.")
    for name in ("external_source", "external_id"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise BcError(400, f"The field '{name}' is invalid.")
    catalog = store.table("products")
    variants = store.table("variants")
    tax_rate = float(store.account.settings.get("tax_rate", 20.0)) / 100
    lines: list[dict[str, Any]] = []
    for index, item in enumerate(products):
        if not isinstance(item, dict):
            raise BcError(400, f"The field 'products[{index}]' is invalid.")
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or quantity < 1:
            raise BcError(400, f"The field 'products[{index}].quantity' is invalid.")
        if "product_id" in item:
            product = catalog.get(item["product_id"])
            if product is None:
                raise BcError(400, f"The product with ID {item['product_id']} does not exist.")
            variant = variants.get(item.get("variant_id") or product["base_variant_id"])
            if variant is None or variant["product_id"] != product["id"]:
                raise BcError(400, f"The field 'products[{index}].variant_id' is invalid.")
            ex_tax = float(variant["price"] if variant.get("price") is not None
                           else product["price"])
            inc_tax = round(ex_tax * (1 + tax_rate), 2)
            if "price_ex_tax" in item:
                ex_tax = float(item["price_ex_tax"])
                inc_tax = float(item.get("price_inc_tax", round(ex_tax * (1 + tax_rate), 2)))
            lines.append({
                "product_id": product["id"], "variant_id": variant["id"],
                "name": product["name"], "sku": variant["sku"] or product["sku"],
                "ex": ex_tax, "inc": inc_tax, "quantity": quantity,
                "weight": float(product.get("weight") or 0),
            })
        else:
            missing = [f for f in ("name", "price_inc_tax", "price_ex_tax") if f not in item]
            if missing:
                raise BcError(400, f"The required field 'products[{index}].{missing[0]}' was "
                                   "not supplied.")
            lines.append({
                "product_id": 0, "variant_id": None, "name": str(item["name"]),
                "sku": str(item.get("sku") or ""), "ex": float(item["price_ex_tax"]),
                "inc": float(item["price_inc_tax"]), "quantity": quantity, "weight": 0.0,
            })
    ship_list = body.get("shipping_addresses") or [billing]
    if not isinstance(ship_list, list) or not all(isinstance(a, dict) for a in ship_list):
        raise BcError(400, "The field 'shipping_addresses' is invalid.")

    now = time.time() if created_at is None else created_at
    if isinstance(body.get("date_created"), str):
        now = parse_date(body["date_created"]) or now
    orders = store.table("orders")
    order_id = orders.next_id()
    ship_ex = float(body.get("shipping_cost_ex_tax", 0) or 0)
    ship_inc = float(body.get("shipping_cost_inc_tax", ship_ex) or 0)
    sub_ex = round(sum(ln["ex"] * ln["quantity"] for ln in lines), 2)
    sub_inc = round(sum(ln["inc"] * ln["quantity"] for ln in lines), 2)
    discount = float(body.get("discount_amount", 0) or 0)
    total_ex = round(sub_ex + ship_ex - discount, 2)
    total_inc = round(sub_inc + ship_inc - discount, 2)
    currency = str(body.get("currency_code") or store.account.settings.get("currency", "GBP"))
    billing_address = _address(billing)
    order = {
        "id": order_id,
        "customer_id": customer_id,
        "date_created": rfc2822(now),
        "date_modified": rfc2822(now),
        "date_shipped": "",
        "status_id": status_id,
        "custom_status": ORDER_STATUSES[status_id][0],
        "subtotal_ex_tax": money(sub_ex),
        "subtotal_inc_tax": money(sub_inc),
        "subtotal_tax": money(sub_inc - sub_ex),
        "base_shipping_cost": money(ship_ex),
        "shipping_cost_ex_tax": money(ship_ex),
        "shipping_cost_inc_tax": money(ship_inc),
        "shipping_cost_tax": money(ship_inc - ship_ex),
        "shipping_cost_tax_class_id": 2,
        "base_handling_cost": money(0), "handling_cost_ex_tax": money(0),
        "handling_cost_inc_tax": money(0), "handling_cost_tax": money(0),
        "base_wrapping_cost": money(0), "wrapping_cost_ex_tax": money(0),
        "wrapping_cost_inc_tax": money(0), "wrapping_cost_tax": money(0),
        "total_ex_tax": money(total_ex),
        "total_inc_tax": money(total_inc),
        "total_tax": money(total_inc - total_ex),
        "items_total": sum(ln["quantity"] for ln in lines),
        "items_shipped": 0,
        "payment_method": str(body.get("payment_method") or "Manual"),
        "payment_provider_id": body.get("payment_provider_id"),
        "payment_status": "captured" if status_id in PAID_STATUSES else "",
        "refunded_amount": money(0),
        "order_is_digital": False,
        "store_credit_amount": money(0),
        "gift_certificate_amount": money(0),
        "ip_address": str(body.get("ip_address") or ""),
        "geoip_country": "", "geoip_country_iso2": "",
        "currency_id": 1,
        "currency_code": currency,
        "currency_exchange_rate": "1.0000000000",
        "default_currency_id": 1,
        "default_currency_code": currency,
        "store_default_currency_code": currency,
        "store_default_to_transactional_exchange_rate": "1.0000000000",
        "staff_notes": str(body.get("staff_notes") or ""),
        "customer_message": str(body.get("customer_message") or ""),
        "discount_amount": money(discount),
        "coupon_discount": money(0),
        "shipping_address_count": len(ship_list),
        "is_deleted": False,
        "ebay_order_id": "0",
        "cart_id": "",
        "billing_address": billing_address,
        "is_email_opt_in": False,
        "credit_card_type": None,
        "order_source": str(body.get("order_source") or "external"),
        "channel_id": int(body.get("channel_id", 1) or 1),
        "external_source": body.get("external_source"),
        "external_id": body.get("external_id"),
        "external_merchant_id": body.get("external_merchant_id"),
        "tax_provider_id": "BasicTaxProvider",
        "customer_locale": "en",
        "external_order_id": str(body.get("external_order_id") or ""),
    }
    orders.insert(order, record_id=order_id)
    address_ids = []
    addresses = store.table("order_shipping_addresses")
    for ship in ship_list:
        address_id = addresses.next_id()
        address = {"id": address_id, "order_id": order_id, **_address({**billing, **ship})}
        address.pop("form_fields", None)
        address.update({
            "items_total": 0, "items_shipped": 0,
            "shipping_method": str(ship.get("shipping_method") or "Flat Rate"),
            "base_cost": money(ship_ex), "cost_ex_tax": money(ship_ex),
            "cost_inc_tax": money(ship_inc), "cost_tax": money(ship_inc - ship_ex),
            "cost_tax_class_id": 2, "base_handling_cost": money(0),
            "handling_cost_ex_tax": money(0), "handling_cost_inc_tax": money(0),
            "handling_cost_tax": money(0), "handling_cost_tax_class_id": 2,
            "shipping_zone_id": 1, "shipping_zone_name": "Default",
            "form_fields": [],
        })
        addresses.insert(address, record_id=address_id)
        address_ids.append(address_id)
    items = store.table("order_products")
    for ln in lines:
        line_id = items.next_id()
        items.insert({
            "id": line_id,
            "order_id": order_id,
            "product_id": ln["product_id"],
            "variant_id": ln["variant_id"],
            "order_address_id": address_ids[0],
            "name": ln["name"],
            "name_customer": ln["name"],
            "name_merchant": ln["name"],
            "sku": ln["sku"],
            "upc": "",
            "type": "physical",
            "base_price": money(ln["ex"]),
            "price_ex_tax": money(ln["ex"]),
            "price_inc_tax": money(ln["inc"]),
            "price_tax": money(ln["inc"] - ln["ex"]),
            "base_total": money(ln["ex"] * ln["quantity"]),
            "total_ex_tax": money(ln["ex"] * ln["quantity"]),
            "total_inc_tax": money(ln["inc"] * ln["quantity"]),
            "total_tax": money((ln["inc"] - ln["ex"]) * ln["quantity"]),
            "weight": f"{ln['weight']:.4f}",
            "quantity": ln["quantity"],
            "base_cost_price": money(0),
            "cost_price_inc_tax": money(0), "cost_price_ex_tax": money(0),
            "cost_price_tax": money(0),
            "is_refunded": False,
            "quantity_refunded": 0,
            "refund_amount": money(0),
            "return_id": 0,
            "quantity_shipped": 0,
            "fixed_shipping_cost": money(0),
            "is_bundled_product": False,
            "product_options": [],
            "applied_discounts": [],
            "event_name": None,
            "external_id": None,
        }, record_id=line_id)
        address = addresses.get(address_ids[0])
        assert address is not None
        address["items_total"] += ln["quantity"]
        if ln["product_id"]:
            stock_adjust(store, ln["product_id"], ln["variant_id"], -ln["quantity"], emit=emit)
    if status_id in PAID_STATUSES or body.get("payment_provider_id"):
        _transaction_add(store, order, "purchase", total_inc, created=now)
    if emit:
        store.emit("store/order/created", {"type": "order", "id": order_id})
    return order


def _transaction_add(store: Store, order: dict[str, Any], event: str, amount: float,
                     *, created: float | None = None) -> dict[str, Any]:
    table = store.table("transactions")
    txn_id = table.next_id()
    gateway = "stripe" if order["payment_method"] not in ("Manual", "Cash", "") else "custom"
    record = {
        "id": txn_id,
        "order_id": order["id"],
        "event": event,
        "method": "credit_card" if gateway == "stripe" else "custom",
        "amount": round(amount, 2),
        "currency": order["currency_code"],
        "gateway": gateway,
        "gateway_transaction_id": f"ch_{order['id']:06d}{txn_id:06d}",
        "date_created": iso8601(created),
        "test": False,
        "status": "ok",
        "fraud_review": False,
        "reference_transaction_id": None,
        "offline": None if gateway == "stripe" else {"display_name": order["payment_method"]},
        "custom": None,
        "payment_method_id": None,
        "payment_instrument_token": None,
        "avs_result": {"code": "", "message": "", "street_match": "", "postal_match": ""},
        "cvv_result": {"code": "", "message": ""},
        "credit_card": None,
        "gift_certificate": None,
        "store_credit": None,
    }
    table.insert(record, record_id=txn_id)
    return record


def status_set(store: Store, order: dict[str, Any], status_id: int) -> None:
    previous = order["status_id"]
    if previous == status_id:
        return
    order["status_id"] = status_id
    order["custom_status"] = ORDER_STATUSES[status_id][0]
    store.emit("store/order/statusUpdated", {
        "type": "order", "id": order["id"],
        "status": {"previous_status_id": previous, "new_status_id": status_id},
    })


def _touch(store: Store, order: dict[str, Any]) -> None:
    order["date_modified"] = rfc2822()
    store.table("orders").touch(order["id"])
    store.emit("store/order/updated", {"type": "order", "id": order["id"]})


# -- v2 orders -----------------------------------------------------------------------------------

def _filtered_orders(store: Store, request: Request) -> list[dict[str, Any]]:
    q = request.query_params
    rows = [o for o in store.table("orders").values()]
    deleted = q.get("is_deleted", "false").lower() == "true"
    rows = [o for o in rows if bool(o.get("is_deleted")) == deleted]
    int_filters = {"min_id": ("id", ">="), "max_id": ("id", "<="),
                   "customer_id": ("customer_id", "=="), "status_id": ("status_id", "=="),
                   "channel_id": ("channel_id", "==")}
    for param, (fname, op) in int_filters.items():
        if param in q:
            try:
                value = int(q[param])
            except ValueError:
                raise BcError(400, f"The field '{param}' is invalid.") from None
            rows = [o for o in rows if _cmp(o[fname], op, value)]
    for param, (fname, op) in {"min_total": ("total_inc_tax", ">="),
                               "max_total": ("total_inc_tax", "<=")}.items():
        if param in q:
            rows = [o for o in rows if _cmp(float(o[fname]), op, float(q[param]))]
    for param, (fname, op) in {
        "min_date_created": ("date_created", ">="), "max_date_created": ("date_created", "<="),
        "min_date_modified": ("date_modified", ">="), "max_date_modified": ("date_modified", "<="),
    }.items():
        if param in q:
            bound = parse_date(q[param])
            if bound is None:
                raise BcError(400, f"The field '{param}' is invalid.")
            rows = [o for o in rows if _cmp(parse_date(o[fname]) or 0, op, bound)]
    if "email" in q:
        wanted = q["email"].lower()
        rows = [o for o in rows if o["billing_address"].get("email", "").lower() == wanted]
    if "payment_method" in q:
        rows = [o for o in rows if o["payment_method"] == q["payment_method"]]
    if "cart_id" in q:
        rows = [o for o in rows if o["cart_id"] == q["cart_id"]]
    sort = q.get("sort", "id:asc")
    field, _, direction = sort.partition(":")
    if field not in SORTABLE:
        raise BcError(400, f"The field 'sort' is invalid: {sort}")
    if field.startswith("date_"):
        def key(o: dict[str, Any]) -> Any:
            return parse_date(o[field]) or 0
    else:
        def key(o: dict[str, Any]) -> Any:
            return (o.get(field) is None, o.get(field) or 0)
    rows.sort(key=key, reverse=direction.lower() == "desc")
    return rows


def _cmp(left: Any, op: str, right: Any) -> bool:
    return {"==": left == right, ">=": left >= right, "<=": left <= right}[op]


def _v2_page(request: Request, rows: list[Any]) -> list[Any]:
    limit = int_param(request, "limit", 50, high=250)
    page = int_param(request, "page", 1)
    return rows[(page - 1) * limit : page * limit]


def _v2_list(items: list[dict[str, Any]]) -> Response:
    # v2 answers an empty collection with 204 and no body, not [].
    if not items:
        return Response(status_code=204)
    return json_response(items)


@api("v2")
async def orders_list(request: Request, store: Store) -> Response:
    rows = _v2_page(request, _filtered_orders(store, request))
    return _v2_list([order_view(store, o) for o in rows])


@api("v2")
async def orders_count(request: Request, store: Store) -> Response:
    rows = [o for o in store.table("orders").values() if not o.get("is_deleted")]
    statuses = []
    for sid, (name, _desc) in ORDER_STATUSES.items():
        count = sum(1 for o in rows if o["status_id"] == sid)
        statuses.append({"id": sid, "name": name, "system_label": name, "custom_label": name,
                         "system_description": _desc, "count": count, "sort_order": sid})
    return json_response({"statuses": statuses, "count": len(rows)})


@api("v2")
async def order_statuses(request: Request, store: Store) -> Response:
    return json_response([
        {"id": sid, "name": name, "system_label": name, "custom_label": name,
         "system_description": desc, "order": sid}
        for sid, (name, desc) in ORDER_STATUSES.items()
    ])


@api("v2")
async def orders_create(request: Request, store: Store) -> Response:
    body = object_body(await json_body(request, "v2"), "v2")
    order = order_create(store, body)
    return json_response(order_view(store, order), status=201)


@api("v2")
async def order_get(request: Request, store: Store) -> Response:
    return json_response(order_view(store, _order(store, request.path_params["order_id"])))


UPDATABLE = ("customer_id", "staff_notes", "customer_message", "payment_method",
             "external_source", "external_merchant_id", "order_source",
             "channel_id", "customer_locale", "is_email_opt_in", "ip_address")


@api("v2")
async def order_update(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    body = object_body(await json_body(request, "v2"), "v2")
    if "external_id" in body:
        # Write-once: BigCommerce takes it on POST only.
        raise BcError(400, "The field 'external_id' cannot be written to. Please remove it "
                           "from your request before trying again.")
    if "status_id" in body and (
        not isinstance(body["status_id"], int) or body["status_id"] not in ORDER_STATUSES
    ):
        raise BcError(400, "The field 'status_id' is invalid.")
    if "billing_address" in body:
        if not isinstance(body["billing_address"], dict):
            raise BcError(400, "The field 'billing_address' is invalid.")
        merged = {**order["billing_address"], **body["billing_address"]}
        order["billing_address"] = _address(merged)
    for name in UPDATABLE:
        if name in body:
            order[name] = body[name]
    if "status_id" in body:
        status_set(store, order, body["status_id"])
    _touch(store, order)
    return json_response(order_view(store, order))


@api("v2")
async def order_delete(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    order["is_deleted"] = True
    order["date_modified"] = rfc2822()
    store.table("orders").touch(order["id"])
    store.emit("store/order/archived", {"type": "order", "id": order["id"]})
    return Response(status_code=204)


@api("v2")
async def order_products(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    return _v2_list(_v2_page(request, [public(r) for r in _lines(store, order["id"])]))


@api("v2")
async def order_product_get(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    line = store.table("order_products").get(request.path_params["item_id"])
    if line is None or line["order_id"] != order["id"]:
        raise _not_found()
    return json_response(public(line))


@api("v2")
async def order_addresses(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    rows = []
    for address in _addresses(store, order["id"]):
        view = public(address)
        view["shipping_quotes"] = {
            "url": f"{store.base_url}/v2/orders/{order['id']}/shipping_addresses/"
                   f"{address['id']}/shipping_quotes",
            "resource": f"/orders/{order['id']}/shipping_addresses/{address['id']}"
                        "/shipping_quotes",
        }
        rows.append(view)
    return _v2_list(_v2_page(request, rows))


@api("v2")
async def order_address_get(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    address = store.table("order_shipping_addresses").get(request.path_params["item_id"])
    if address is None or address["order_id"] != order["id"]:
        raise _not_found()
    return json_response(public(address))


# -- shipments -----------------------------------------------------------------------------------

def shipment_create(store: Store, order: dict[str, Any], body: dict[str, Any], *,
                    emit: bool = True, created_at: float | None = None) -> dict[str, Any]:
    address_id = body.get("order_address_id")
    if address_id is None:
        raise BcError(400, "The required field 'order_address_id' was not supplied.")
    address = store.table("order_shipping_addresses").get(address_id)
    if address is None or address["order_id"] != order["id"]:
        raise BcError(400, "The field 'order_address_id' is invalid.")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise BcError(400, "The required field 'items' was not supplied.")
    lines = store.table("order_products")
    shipped: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        line = lines.get(item.get("order_product_id")) if isinstance(item, dict) else None
        if line is None or line["order_id"] != order["id"]:
            raise BcError(400, f"The field 'items[{index}].order_product_id' is invalid.")
        quantity = item.get("quantity")
        remaining = line["quantity"] - line["quantity_shipped"]
        if not isinstance(quantity, int) or quantity < 1 or quantity > remaining:
            raise BcError(400, f"The field 'items[{index}].quantity' is invalid: only "
                               f"{remaining} left to ship.")
        shipped.append({"order_product_id": line["id"], "product_id": line["product_id"],
                        "quantity": quantity})
    for entry in shipped:
        line = lines.get(entry["order_product_id"])
        assert line is not None
        line["quantity_shipped"] += entry["quantity"]
        address["items_shipped"] += entry["quantity"]
        order["items_shipped"] += entry["quantity"]
    table = store.table("shipments")
    shipment_id = table.next_id()
    billing = {k: v for k, v in order["billing_address"].items() if k != "form_fields"}
    shipping = {k: address.get(k, "") for k in ("first_name", "last_name", "company",
                                                  "street_1", "street_2", "city", "state",
                                                  "zip", "country", "country_iso2", "phone",
                                                  "email")}
    tracking = str(body.get("tracking_number") or "")
    record = {
        "id": shipment_id,
        "order_id": order["id"],
        "customer_id": order["customer_id"],
        "order_address_id": address_id,
        "date_created": rfc2822(created_at),
        "tracking_number": tracking,
        "merchant_shipping_cost": money(float(body.get("merchant_shipping_cost", 0) or 0)),
        "shipping_method": str(body.get("shipping_method") or address["shipping_method"]),
        "shipping_provider": str(body.get("shipping_provider") or ""),
        "tracking_carrier": str(body.get("tracking_carrier") or ""),
        "tracking_link": str(body.get("tracking_link") or ""),
        "comments": str(body.get("comments") or ""),
        "billing_address": billing,
        "shipping_address": shipping,
        "items": shipped,
        "shipping_provider_display_name": str(body.get("shipping_provider") or "Custom"),
        "generated_tracking_link": "",
    }
    table.insert(record, record_id=shipment_id)
    everything = order["items_shipped"] >= order["items_total"]
    order["date_shipped"] = rfc2822(created_at)
    if emit:
        store.emit("store/shipment/created",
                   {"type": "shipment", "id": shipment_id, "orderId": order["id"]})
        status_set(store, order, 2 if everything else 3)
        _touch(store, order)
    else:
        order["status_id"] = 2 if everything else 3
        order["custom_status"] = ORDER_STATUSES[order["status_id"]][0]
    return record


def _shipment(store: Store, order: dict[str, Any], shipment_id: int) -> dict[str, Any]:
    shipment = store.table("shipments").get(shipment_id)
    if shipment is None or shipment["order_id"] != order["id"]:
        raise _not_found()
    return shipment


@api("v2")
async def shipments_list(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    rows = store.table("shipments").find(lambda s: s["order_id"] == order["id"])
    return _v2_list(_v2_page(request, [public(s) for s in rows]))


@api("v2")
async def shipments_create(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    body = object_body(await json_body(request, "v2"), "v2")
    return json_response(public(shipment_create(store, order, body)), status=201)


@api("v2")
async def shipment_get(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    return json_response(public(_shipment(store, order, request.path_params["item_id"])))


@api("v2")
async def shipment_update(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    shipment = _shipment(store, order, request.path_params["item_id"])
    body = object_body(await json_body(request, "v2"), "v2")
    for name in ("tracking_number", "shipping_method", "shipping_provider", "tracking_carrier",
                 "comments", "tracking_link"):
        if name in body:
            shipment[name] = str(body[name] or "")
    store.table("shipments").touch(shipment["id"])
    store.emit("store/shipment/updated",
               {"type": "shipment", "id": shipment["id"], "orderId": order["id"]})
    return json_response(public(shipment))


@api("v2")
async def shipment_delete(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    shipment = _shipment(store, order, request.path_params["item_id"])
    store.table("shipments").delete(shipment["id"])
    return Response(status_code=204)


# -- v3 refunds and transactions -----------------------------------------------------------------

def _quote(store: Store, order: dict[str, Any], body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("items"), list) or not body["items"]:
        raise BcError(422, "JSON data is missing or invalid", {"items": "error.path.missing"})
    lines = store.table("order_products")
    total = 0.0
    tax = 0.0
    items = []
    for index, item in enumerate(body["items"]):
        kind = item.get("item_type") if isinstance(item, dict) else None
        if kind == "PRODUCT":
            line = lines.get(item.get("item_id"))
            if line is None or line["order_id"] != order["id"]:
                raise BcError(422, "Invalid refund item", {f"items.{index}.item_id":
                                                           "Order product not found"})
            quantity = item.get("quantity")
            left = line["quantity"] - line["quantity_refunded"]
            if not isinstance(quantity, int) or quantity < 1 or quantity > left:
                raise BcError(422, "Invalid refund item", {
                    f"items.{index}.quantity": f"Quantity must be between 1 and {left}"})
            total += float(line["price_inc_tax"]) * quantity
            tax += float(line["price_tax"]) * quantity
        elif kind in ("SHIPPING", "HANDLING", "ORDER", "GIFT_WRAPPING", "TAX"):
            amount = item.get("amount")
            if not isinstance(amount, int | float) or amount <= 0:
                raise BcError(422, "Invalid refund item", {f"items.{index}.amount":
                                                           "Amount must be positive"})
            total += float(amount)
        else:
            raise BcError(422, "Invalid refund item", {f"items.{index}.item_type":
                                                       "Unknown item type"})
        items.append(item)
    refundable = float(order["total_inc_tax"]) - float(order["refunded_amount"])
    if total > refundable + 0.005:
        raise BcError(422, "The refund amount exceeds the refundable amount of the order",
                      {"items": f"Refundable amount is {refundable:.2f}"})
    total = round(total, 2)
    return {"total": total, "tax": round(tax, 2), "items": items}


def _refund_methods(store: Store, order: dict[str, Any], amount: float) -> list[Any]:
    methods: list[Any] = []
    gateways = {t["gateway"] for t in store.table("transactions").values()
                if t["order_id"] == order["id"] and t["event"] == "purchase"}
    for gateway in sorted(gateways - {"custom"}):
        methods.append([{"provider_id": gateway, "provider_description": gateway.title(),
                         "amount": amount, "offline": False, "offline_provider": False,
                         "offline_reason": ""}])
    methods.append([{"provider_id": "custom", "provider_description": "Manual refund",
                     "amount": amount, "offline": True, "offline_provider": True,
                     "offline_reason": "This is an offline payment provider."}])
    methods.append([{"provider_id": "storecredit", "provider_description": "Store Credit",
                     "amount": amount, "offline": False, "offline_provider": False,
                     "offline_reason": ""}])
    return methods


@api("v3")
async def refund_quote(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    quote = _quote(store, order, await json_body(request, "v3"))
    return json_response({"data": {
        "order_id": order["id"],
        "total_refund_amount": quote["total"],
        "total_refund_tax_amount": quote["tax"],
        "rounding": 0,
        "adjustment": 0,
        "tax_inclusive": True,
        "refund_methods": _refund_methods(store, order, quote["total"]),
    }, "meta": {}}, status=201)


@api("v3")
async def refund_create(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    body = await json_body(request, "v3")
    quote = _quote(store, order, body)
    payments = body.get("payments")
    if not isinstance(payments, list) or not payments:
        raise BcError(422, "JSON data is missing or invalid", {"payments": "error.path.missing"})
    allowed = {m[0]["provider_id"] for m in _refund_methods(store, order, quote["total"])}
    paid = 0.0
    for index, payment in enumerate(payments):
        if not isinstance(payment, dict) or payment.get("provider_id") not in allowed:
            raise BcError(422, "Invalid refund payment",
                          {f"payments.{index}.provider_id": "Unknown payment provider"})
        paid += float(payment.get("amount", 0))
    if abs(paid - quote["total"]) > 0.005:
        raise BcError(422, "Refund payments total must equal the refund amount",
                      {"payments": f"Expected {quote['total']:.2f}, got {paid:.2f}"})
    lines = store.table("order_products")
    for item in quote["items"]:
        if item["item_type"] == "PRODUCT":
            line = lines.get(item["item_id"])
            assert line is not None
            line["quantity_refunded"] += item["quantity"]
            line["refund_amount"] = money(float(line["refund_amount"])
                                          + float(line["price_inc_tax"]) * item["quantity"])
            line["is_refunded"] = line["quantity_refunded"] >= line["quantity"]
    order["refunded_amount"] = money(float(order["refunded_amount"]) + quote["total"])
    table = store.table("refunds")
    refund_id = table.next_id()
    refund = {
        "id": refund_id,
        "order_id": order["id"],
        "user_id": 0,
        "created": iso8601(),
        "reason": str(body.get("reason") or ""),
        "total_amount": quote["total"],
        "total_tax": quote["tax"],
        "uses_merchant_override_values": bool(body.get("merchant_calculated_override")),
        "payments": [
            {"id": i + 1, "provider_id": p["provider_id"], "amount": float(p["amount"]),
             "offline": bool(p.get("offline", False)), "is_declined": False,
             "declined_message": ""}
            for i, p in enumerate(payments)
        ],
        "items": [
            {"item_type": i["item_type"], "item_id": i.get("item_id", 0),
             "quantity": i.get("quantity"), "requested_amount": i.get("amount"),
             "reason": str(i.get("reason") or "")}
            for i in quote["items"]
        ],
    }
    table.insert(refund, record_id=refund_id)
    _transaction_add(store, order, "refund", quote["total"])
    store.emit("store/order/refund/created",
               {"type": "order", "id": order["id"], "refund_id": refund_id})
    fully = float(order["refunded_amount"]) >= float(order["total_inc_tax"]) - 0.005
    status_set(store, order, 4 if fully else 14)
    _touch(store, order)
    return json_response({"data": refund, "meta": {}}, status=201)


@api("v3")
async def refunds_of_order(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    rows = store.table("refunds").find(lambda r: r["order_id"] == order["id"])
    page, meta = v3_page(request, rows)
    return json_response({"data": page, "meta": meta})


@api("v3")
async def refunds_all(request: Request, store: Store) -> Response:
    rows = list(store.table("refunds").values())
    ids = request.query_params.get("order_id:in")
    if ids:
        wanted = {int(x) for x in ids.split(",") if x.strip().isdigit()}
        rows = [r for r in rows if r["order_id"] in wanted]
    page, meta = v3_page(request, rows)
    return json_response({"data": page, "meta": meta})


@api("v3")
async def transactions_list(request: Request, store: Store) -> Response:
    order = _order(store, request.path_params["order_id"])
    rows = store.table("transactions").find(lambda t: t["order_id"] == order["id"])
    page, meta = v3_page(request, rows)
    return json_response({"data": page, "meta": meta})


P = "/stores/{store_hash}"
routes = [
    Route(f"{P}/v2/orders", orders_list, methods=["GET"]),
    Route(f"{P}/v2/orders", orders_create, methods=["POST"]),
    Route(f"{P}/v2/orders/count", orders_count, methods=["GET"]),
    Route(f"{P}/v2/order_statuses", order_statuses, methods=["GET"]),
    Route(f"{P}/v2/orders/{{order_id:int}}", order_get, methods=["GET"]),
    Route(f"{P}/v2/orders/{{order_id:int}}", order_update, methods=["PUT"]),
    Route(f"{P}/v2/orders/{{order_id:int}}", order_delete, methods=["DELETE"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/products", order_products, methods=["GET"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/products/{{item_id:int}}", order_product_get,
          methods=["GET"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/shipping_addresses", order_addresses,
          methods=["GET"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/shipping_addresses/{{item_id:int}}",
          order_address_get, methods=["GET"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/shipments", shipments_list, methods=["GET"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/shipments", shipments_create, methods=["POST"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/shipments/{{item_id:int}}", shipment_get,
          methods=["GET"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/shipments/{{item_id:int}}", shipment_update,
          methods=["PUT"]),
    Route(f"{P}/v2/orders/{{order_id:int}}/shipments/{{item_id:int}}", shipment_delete,
          methods=["DELETE"]),
    Route(f"{P}/v3/orders/{{order_id:int}}/payment_actions/refund_quotes", refund_quote,
          methods=["POST"]),
    Route(f"{P}/v3/orders/{{order_id:int}}/payment_actions/refunds", refund_create,
          methods=["POST"]),
    Route(f"{P}/v3/orders/{{order_id:int}}/payment_actions/refunds", refunds_of_order,
          methods=["GET"]),
    Route(f"{P}/v3/orders/payment_actions/refunds", refunds_all, methods=["GET"]),
    Route(f"{P}/v3/orders/{{order_id:int}}/transactions", transactions_list, methods=["GET"]),
]
