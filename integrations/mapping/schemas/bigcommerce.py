"""BigCommerce targets: v2 orders and shipments, v3 catalog, customers and inventory."""

from __future__ import annotations

from integrations.mapping.schemas._fields import (
    choice,
    entity,
    flag,
    integer,
    money,
    obj,
    rows,
    text,
)

SYSTEM = "bigcommerce"

_ADDRESS = {
    "first_name": text(255, required=True),
    "last_name": text(255, required=True),
    "company": text(255),
    "street_1": text(255, required=True),
    "street_2": text(255),
    "city": text(50, required=True),
    "state": text(50, required=True),
    "zip": text(20, required=True),
    "country": text(50, required=True),
    "country_iso2": text(2, required=True),
    "phone": text(50),
    "email": text(255),
}

ORDER = entity(SYSTEM, "v2.order", {
    "customer_id": integer(minimum=0),
    "status_id": integer(minimum=0, maximum=14),
    "external_id": text(255),
    "external_source": text(255),
    "date_created": text(64),
    "billing_address": obj(_ADDRESS, required=True),
    "shipping_addresses": rows(_ADDRESS),
    "products": rows({
        "product_id": integer(minimum=1),
        "name": text(250),
        "sku": text(255),
        "quantity": integer(minimum=1),
        "price_inc_tax": money(4),
        "price_ex_tax": money(4),
    }, required=True, min_items=1),
    "subtotal_ex_tax": money(4),
    "subtotal_inc_tax": money(4),
    "total_ex_tax": money(4),
    "total_inc_tax": money(4),
    "shipping_cost_ex_tax": money(4),
    "shipping_cost_inc_tax": money(4),
    "staff_notes": text(65535),
    "customer_message": text(65535),
    "payment_method": text(100),
}, description="Order (POST/PUT /v2/orders)")

SHIPMENT = entity(SYSTEM, "v2.shipment", {
    # The order goes in the URL: the connector takes it from here (or from an existing
    # shipment's id). Without order_address_id the order's first shipping address is used;
    # without items every unshipped item ships.
    "order_id": integer(minimum=1),
    "order_address_id": integer(minimum=1),
    "tracking_number": text(50),
    "shipping_method": text(100),
    "shipping_provider": text(50),
    "tracking_carrier": text(50),
    "comments": text(65535),
    # A line by its order product id, or by sku (the connector finds the order product).
    "items": rows({
        "order_product_id": integer(minimum=1),
        "sku": text(255),
        "quantity": integer(required=True, minimum=1),
    }, min_items=1),
}, description="Shipment (POST /v2/orders/{id}/shipments)")

PRODUCT = entity(SYSTEM, "v3.product", {
    "name": text(250, required=True),
    "type": choice("physical", "digital", required=True),
    "weight": money(4, required=True),
    "price": money(4, required=True),
    "sku": text(255),
    "description": text(65535),
    "cost_price": money(4),
    "sale_price": money(4),
    "inventory_level": integer(minimum=0),
    "inventory_tracking": choice("none", "product", "variant"),
    "is_visible": flag(),
    "categories": {"type": "list", "items": {"type": "integer"}},
    "brand_id": integer(minimum=0),
    "upc": text(32),
    "gtin": text(14),
    "mpn": text(255),
    "custom_fields": rows({"name": text(250, required=True), "value": text(250, required=True)}),
}, description="Catalog product (POST/PUT /v3/catalog/products)")

CUSTOMER = entity(SYSTEM, "v3.customer", {
    "email": text(255, required=True),
    "first_name": text(100, required=True),
    "last_name": text(100, required=True),
    "company": text(255),
    "phone": text(50),
    "notes": text(65535),
    "customer_group_id": integer(minimum=0),
    "addresses": rows({
        "first_name": text(255, required=True),
        "last_name": text(255, required=True),
        "company": text(255),
        "address1": text(255, required=True),
        "address2": text(255),
        "city": text(255, required=True),
        "state_or_province": text(255),
        "postal_code": text(255, required=True),
        "country_code": text(2, required=True),
        "phone": text(50),
        "address_type": choice("residential", "commercial"),
    }),
}, description="Customer (items of the POST/PUT /v3/customers array)")

INVENTORY_ADJUSTMENT = entity(SYSTEM, "v3.inventory_adjustment", {
    "reason": text(255),
    "items": rows({
        "location_id": integer(required=True, minimum=1),
        "sku": text(255),
        "variant_id": integer(minimum=1),
        "product_id": integer(minimum=1),
        "quantity": integer(required=True),
    }, required=True, min_items=1, max_items=2000),
}, description="Inventory adjustment (PUT /v3/inventory/adjustments/absolute or relative)")

SCHEMAS = [ORDER, SHIPMENT, PRODUCT, CUSTOMER, INVENTORY_ADJUSTMENT]
