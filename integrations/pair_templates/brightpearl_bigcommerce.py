"""Brightpearl + BigCommerce (seed 003): the storefront sells, Brightpearl fulfils and accounts.

Orders, payments and refunds flow from BigCommerce into Brightpearl; the catalogue, stock and
shipments flow back; customers go both ways. Both systems assign their own ids, so a record
that points at another one reads the other system's id from a link table: ``bp_*_ids`` maps a
BigCommerce id (or SKU) to the Brightpearl id, ``bc_*_ids`` the other way. ``LINK_TABLES``
says which flow's record links fill each one (and which id is the key); the pipeline fills
them before a mapping runs. A missing entry fails the record (``on_miss: fail``): "BigCommerce
product SKU not found in Brightpearl during order sync" is a dead letter naming the line, not
an order without its product.
"""

from __future__ import annotations

from typing import Any

from integrations.connectors.bigcommerce import BRIGHTPEARL_SOURCE
from integrations.pair_templates._brightpearl_erp import (
    COUNTRY_ISO2,
    COUNTRY_ISO3,
    COUNTRY_NAMES,
    IS_PRODUCT_ROW,
)
from integrations.pair_templates.base import (
    FlowTemplate,
    FollowUp,
    LinkSource,
    LinkTable,
    PairTemplate,
)

BP = "brightpearl"
BC = "bigcommerce"

# BigCommerce v2 dates are RFC 2822: "Tue, 04 Mar 2025 14:02:00 +0000".
RFC2822 = "%a, %d %b %Y %H:%M:%S %z"


def _document(name: str, source: str, source_entity: str, target: str, target_entity: str,
              fields: dict[str, Any]) -> dict[str, Any]:
    return {"format_version": 1, "name": name,
            "source": {"system": source, "entity": source_entity},
            "target": {"system": target, "entity": target_entity},
            "fields": fields}


def _link(path: str, table: str) -> dict[str, Any]:
    """The other system's id for ``path``, from a link table; a miss fails the record.

    Record links hold ids as text; both systems' ids are whole numbers (``to_int``).
    """
    return {"from": path,
            "transform": [{"lookup": {"table": table, "on_miss": "fail"}}, "to_int"],
            "required": True}


def _bp_address(prefix: str) -> dict[str, Any]:
    """A BigCommerce v2 order address as a Brightpearl postal address."""
    return {"object": {
        "addressFullName": {"concat": [f"{prefix}first_name", f"{prefix}last_name"],
                            "sep": " "},
        "companyName": f"{prefix}company",
        "addressLine1": f"{prefix}street_1",
        "addressLine2": f"{prefix}street_2",
        "addressLine3": f"{prefix}city",
        "addressLine4": f"{prefix}state",
        "postalCode": f"{prefix}zip",
        "countryIsoCode": {"from": f"{prefix}country_iso2",
                           "transform": [{"lookup": {"table": "countries_iso3",
                                                     "on_miss": "fail"}}]},
        "telephone": f"{prefix}phone",
        "email": f"{prefix}email",
    }}


# BigCommerce order status → Brightpearl sales order status (order-service/order-status):
# 'Awaiting Payment' is Brightpearl's pending state, 'Awaiting Fulfillment' is processing.
ORDER_STATUSES: dict[str, Any] = {
    "0": 1,    # Incomplete → Draft / Quote
    "1": 3,    # Pending → Awaiting payment
    "7": 3,    # Awaiting Payment → Awaiting payment
    "11": 2,   # Awaiting Fulfillment → New web order
    "12": 2,   # Manual Verification Required → New web order
    "9": 6,    # Awaiting Shipment → Ready to ship
    "8": 6,    # Awaiting Pickup → Ready to ship
    "3": 6,    # Partially Shipped → Ready to ship (the goods-out notes say what left)
    "2": 7,    # Shipped → Shipped
    "10": 4,   # Completed → Invoiced
    "5": 5,    # Cancelled → Cancelled
    "6": 5,    # Declined → Cancelled
}
# BigCommerce channel → Brightpearl channel (product-service/channel) and warehouse.
CHANNELS = {"1": 1}
CHANNEL_WAREHOUSES = {"1": 1}
# Shipping method names (BigCommerce) → Brightpearl shipping method ids.
SHIPPING_METHODS = {"Standard": 1, "Express": 3, "Next Day": 3, "Click & Collect": 6}
# Standard rates as whole percent → Brightpearl tax codes.
TAX_CODES = {"25": "T25", "23": "T23", "21": "T21", "20": "T20", "19": "T19", "10": "T10",
             "5": "T5", "0": "T0"}

COUNTRY_LOOKUPS = {"countries_iso3": dict(COUNTRY_ISO3)}

# Order lines and shipping charges mapped as one list: the products, then one charge row per
# shipping address (``products`` and ``shipping_addresses`` are inlined by the connector).
_LINES = "[products, shipping_addresses][]"
_IS_PRODUCT = {"from": "product_id", "exists": True}
_NET = {"coalesce": ["total_ex_tax", "cost_ex_tax"]}
_TAX = {"coalesce": ["total_tax", "cost_tax"]}
_TAX_CODE = {"when": [{"if": {"any": [{"from": _TAX, "eq": 0}, {"from": _NET, "eq": 0}]},
                       "then": {"const": "T0"}}],
             "else": {"calc": "mul", "args": [{"calc": "div", "args": [_TAX, _NET]}, 100],
                      "transform": [{"round": 0}, "to_string",
                                    {"lookup": {"table": "bc_tax_codes", "on_miss": "fail"}}]}}

ORDER_TO_SALES_ORDER = _document(
    "BigCommerce order -> Brightpearl sales order", BC, "v2.order", BP, "order", {
        "orderTypeCode": {"const": "SO"},
        # Seed: BigCommerce id → Brightpearl customer reference (and external reference).
        "reference": {"from": "id", "transform": ["to_string"], "required": True},
        "externalRef": {"concat": [{"const": "BC"}, "id"], "sep": "-"},
        "placedOn": {"from": "date_created", "transform": [{"date": {"from": RFC2822}}]},
        "orderStatus": {"object": {"orderStatusId": {
            "from": "status_id", "transform": [{"lookup": {"table": "bc_order_statuses",
                                                           "default": 2}}, "to_int"]}}},
        "warehouseId": {"from": "channel_id",
                        "transform": [{"lookup": {"table": "channel_warehouses",
                                                  "default": 1}}, "to_int"]},
        "currency": {"object": {"code": {"from": "currency_code", "required": True}}},
        "parties": {"object": {"customer": {"object": {
            "contactId": _link("customer_id", "bp_contact_ids")}}}},
        "assignment": {"object": {"channelId": {
            "from": "channel_id", "transform": [{"lookup": {"table": "channels",
                                                            "default": 1}}, "to_int"]}}},
        "delivery": {"object": {
            "address": _bp_address("shipping_addresses[0]."),
            "shippingMethodId": {"from": "shipping_addresses[0].shipping_method",
                                 "transform": [{"lookup": {"table": "shipping_methods",
                                                           "on_miss": "null"}}, "to_int"]},
        }},
        "rows": {"each": _LINES,
                 "where": {"any": [_IS_PRODUCT, {"from": "cost_ex_tax", "gt": 0}]},
                 "fields": {
            "productId": {"when": [{"if": _IS_PRODUCT, "then": _link("sku", "bp_product_ids")}]},
            "productName": {"when": [{"if": {"not": _IS_PRODUCT}, "then": {
                "concat": [{"const": "Shipping:"}, "shipping_method"], "sep": " "}}]},
            "quantity": {"object": {"magnitude": {
                "when": [{"if": _IS_PRODUCT, "then": "quantity"}], "else": 1,
                "transform": [{"to_decimal": {"places": 4}}]}}},
            "rowValue": {"object": {
                "taxCode": _TAX_CODE,
                "rowNet": {"object": {"value": {**_NET, "transform": [{"round": 4}]}}},
                "rowTax": {"object": {"value": {**_TAX, "transform": [{"round": 4}]}}},
            }},
            "nominalCode": {"when": [{"if": _IS_PRODUCT, "then": {"const": "4000"}}],
                            "else": {"const": "4020"}},
            # The BigCommerce order product on its row: a goods-out note names order rows,
            # and BigCommerce ships order products.
            "externalRef": {"when": [{"if": _IS_PRODUCT, "then": {
                "from": "id", "transform": ["to_string"]}}]},
        }},
    })

# BigCommerce transaction (v3 orders/{id}/transactions) → Brightpearl customer payment.
PAYMENT_METHODS = {"credit_card": "CARD", "paypal": "PAYPAL", "bank_deposit": "BANK_TRANSFER",
                   "cash": "CASH", "cod": "CASH", "store_credit": "CARD",
                   "gift_certificate": "CARD"}
PAYMENT_TYPES = {"purchase": "RECEIPT", "capture": "RECEIPT", "refund": "PAYMENT"}

TRANSACTION_TO_PAYMENT = _document(
    "BigCommerce transaction -> Brightpearl customer payment", BC, "v3.transaction", BP,
    "payment", {
        "transactionRef": {"coalesce": ["gateway_transaction_id",
                                        {"concat": [{"const": "BC-TXN"}, "id"], "sep": "-"}],
                           "transform": [{"truncate": 64}]},
        "paymentMethodCode": {"from": "method", "transform": [
            {"lookup": {"table": "bc_payment_methods", "on_miss": "fail"}}]},
        "paymentType": {"from": "event", "transform": [
            {"lookup": {"table": "payment_types", "on_miss": "fail"}}]},
        "orderId": _link("order_id", "bp_order_ids"),
        "currencyIsoCode": {"from": "currency", "required": True},
        "amountPaid": {"from": "amount", "transform": [{"round": 2}], "required": True},
        "paymentDate": {"from": "date_created", "required": True},
        "journalRef": {"concat": [{"const": "BigCommerce order"}, "order_id", "gateway"],
                       "sep": " ", "transform": [{"truncate": 64}]},
    })

# A refund as a Brightpearl sales credit: the refunded quantities of the order's lines.
REFUND_TO_SALES_CREDIT = _document(
    "BigCommerce refunded order -> Brightpearl sales credit", BC, "v2.order", BP, "order", {
        "orderTypeCode": {"const": "SC"},
        "reference": {"concat": [{"const": "BC-RF"}, "id"], "sep": "-"},
        "externalRef": {"from": "id", "transform": ["to_string"]},
        "placedOn": {"from": "date_modified", "transform": [{"date": {"from": RFC2822}}]},
        "orderStatus": {"object": {"orderStatusId": {"const": 21}}},
        "warehouseId": {"from": "channel_id",
                        "transform": [{"lookup": {"table": "channel_warehouses",
                                                  "default": 1}}, "to_int"]},
        "currency": {"object": {"code": {"from": "currency_code", "required": True}}},
        "parties": {"object": {"customer": {"object": {
            "contactId": _link("customer_id", "bp_contact_ids")}}}},
        "rows": {"each": "products", "where": {"from": "quantity_refunded", "gt": 0}, "fields": {
            "productId": _link("sku", "bp_product_ids"),
            "quantity": {"object": {"magnitude": {"from": "quantity_refunded",
                                                  "transform": [{"to_decimal": {"places": 4}}]}}},
            "rowValue": {"object": {
                "taxCode": {"when": [{"if": {"from": "price_tax", "eq": 0},
                                      "then": {"const": "T0"}}],
                            "else": {"calc": "mul", "args": [
                                {"calc": "div", "args": ["price_tax", "price_ex_tax"]}, 100],
                                "transform": [{"round": 0}, "to_string",
                                              {"lookup": {"table": "bc_tax_codes",
                                                          "on_miss": "fail"}}]}},
                "rowNet": {"object": {"value": {
                    "calc": "mul", "args": ["price_ex_tax", "quantity_refunded"],
                    "transform": [{"round": 4}]}}},
                "rowTax": {"object": {"value": {
                    "calc": "mul", "args": ["price_tax", "quantity_refunded"],
                    "transform": [{"round": 4}]}}},
            }},
            "nominalCode": {"const": "4000"},
        }},
    })

CUSTOMER_GROUP_PRICE_LISTS = {"0": 2}

CUSTOMER_TO_CONTACT = _document(
    "BigCommerce customer -> Brightpearl contact", BC, "v3.customer", BP, "contact", {
        "firstName": {"from": "first_name", "transform": [{"truncate": 64}]},
        "lastName": {"from": "last_name", "transform": [{"truncate": 64}], "required": True},
        "communication": {"object": {
            "emails": {"object": {"PRI": {"object": {"email": {"from": "email",
                                                               "transform": ["lower"],
                                                               "required": True}}}}},
            "telephones": {"object": {"PRI": "phone"}},
        }},
        "organisation": {"object": {"name": "company"}},
        "relationshipToAccount": {"object": {"isCustomer": True}},
        "financialDetails": {"object": {"priceListId": {
            "from": "customer_group_id",
            "transform": [{"lookup": {"table": "customer_group_price_lists", "default": 2}},
                          "to_int"]}}},
        "postalAddresses": {"when": [{"if": {"from": "addresses[0]", "exists": True}, "then": {
            "object": {kind: {"object": {
                "addressFullName": {"concat": ["addresses[0].first_name",
                                               "addresses[0].last_name"], "sep": " "},
                "companyName": "addresses[0].company",
                "addressLine1": "addresses[0].address1",
                "addressLine2": "addresses[0].address2",
                "addressLine3": "addresses[0].city",
                "addressLine4": "addresses[0].state_or_province",
                "postalCode": "addresses[0].postal_code",
                "countryIsoCode": {"from": "addresses[0].country_code",
                                   "transform": [{"lookup": {"table": "countries_iso3",
                                                             "on_miss": "fail"}}]},
                "telephone": "addresses[0].phone",
            }} for kind in ("DEF", "BIL", "DEL")}}}]},
    })

CONTACT_TO_CUSTOMER = _document(
    "Brightpearl contact -> BigCommerce customer", BP, "contact", BC, "v3.customer", {
        # Customers are matched on email in BigCommerce (the connector looks it up first).
        "email": {"from": "communication.emails.PRI.email", "transform": ["trim", "lower"],
                  "required": True},
        "first_name": {"coalesce": ["firstName", "organisation.name"],
                       "transform": [{"truncate": 100}], "required": True},
        "last_name": {"coalesce": ["lastName", "organisation.name"],
                      "transform": [{"truncate": 100}], "required": True},
        "company": "organisation.name",
        "phone": {"coalesce": ["communication.telephones.PRI", "communication.telephones.MOB"],
                  "transform": [{"truncate": 50}]},
        "addresses": {"list": [{"object": {
            "first_name": {"coalesce": ["firstName", "organisation.name"], "required": True},
            "last_name": {"coalesce": ["lastName", "organisation.name"], "required": True},
            "company": "organisation.name",
            "address1": {"from": "postalAddresses.DEL.addressLine1", "required": True},
            "address2": "postalAddresses.DEL.addressLine2",
            "city": {"from": "postalAddresses.DEL.addressLine3", "required": True},
            "state_or_province": "postalAddresses.DEL.addressLine4",
            "postal_code": {"from": "postalAddresses.DEL.postalCode", "required": True},
            "country_code": {"from": "postalAddresses.DEL.countryIsoCode",
                             "transform": [{"lookup": {"table": "countries_iso2",
                                                       "on_miss": "fail"}}]},
            "phone": "communication.telephones.PRI",
            "address_type": {"when": [{"if": {"from": "organisation.name", "empty": False},
                                       "then": {"const": "commercial"}}],
                             "else": {"const": "residential"}},
        }}]},
    })

# Brightpearl category codes → BigCommerce category ids, brands by id.
CATEGORIES: dict[str, Any] = {"Outdoor": 20, "Tools": 21, "Home": 22, "Apparel": 23,
                              "Accessories": 24}
BRANDS: dict[str, Any] = {}

# Price list logic: the retail list (2) is the storefront price, the cost list (1) the cost.
_PRICE_ON = "priceLists[?priceListId == `{}`].quantityPrice.\"1\" | [0]"

PRODUCT_TO_PRODUCT = _document(
    "Brightpearl product -> BigCommerce catalog product", BP, "product", BC, "v3.product", {
        "name": {"from": "salesChannels[0].productName", "transform": [{"truncate": 250}],
                 "required": True},
        "type": {"const": "physical"},
        "sku": {"from": "identity.sku", "required": True},
        "weight": {"from": "stock.weight.magnitude", "default": 0,
                   "transform": [{"to_decimal": {"places": 4}}]},
        "price": {"from": _PRICE_ON.format(2), "transform": [{"to_decimal": {"places": 2}}],
                  "required": True},
        "cost_price": {"from": _PRICE_ON.format(1), "transform": [{"to_decimal": {"places": 2}}]},
        "description": "salesChannels[0].description.text",
        "is_visible": {"when": [{"if": {"from": "status", "eq": "LIVE"}, "then": True}],
                       "else": False},
        "categories": {"aggregate": "list", "over": "salesChannels[0].categories",
                       "of": {"from": "categoryCode",
                              "transform": [{"lookup": {"table": "categories",
                                                        "on_miss": "fail"}}, "to_int"]}},
        "brand_id": {"from": "brandId", "transform": [{"lookup": {"table": "brands",
                                                                  "on_miss": "null"}}, "to_int"]},
        "upc": {"from": "identity.upc", "transform": [{"truncate": 32}]},
        "gtin": {"coalesce": ["identity.ean", "identity.barcode"]},
        "mpn": "identity.mpn",
        "inventory_tracking": {"const": "product"},
    })

# Brightpearl warehouse → BigCommerce inventory location.
LOCATIONS: dict[str, Any] = {"1": 1, "2": 2}

AVAILABILITY_TO_ADJUSTMENT = _document(
    "Brightpearl availability -> BigCommerce absolute inventory", BP, "product_availability",
    BC, "v3.inventory_adjustment", {
        "reason": {"concat": [{"const": "Brightpearl stock of product"}, "productId"],
                   "sep": " "},
        # What each warehouse can still sell (on hand - allocated) sets that location's level.
        "items": {"each": "warehouses", "fields": {
            "location_id": {"from": "$key", "transform": [
                {"lookup": {"table": "locations", "on_miss": "fail"}}, "to_int"]},
            "product_id": _link("$root.productId", "bc_product_ids"),
            "quantity": {"from": "inStock", "transform": ["to_int"], "required": True},
        }},
    })

CARRIERS = {"1": "royal-mail", "2": "dpd", "3": "dhl", "4": "fedex", "5": "ups"}
SHIPPING_METHOD_NAMES = {"1": "Standard", "3": "Express", "6": "Click & Collect"}

GOODS_OUT_NOTE_TO_SHIPMENT = _document(
    "Brightpearl goods-out note -> BigCommerce shipment", BP, "goods_out_note", BC,
    "v2.shipment", {
        "order_id": _link("orderId", "bc_order_ids"),
        "tracking_number": {"from": "shipping.reference", "transform": [{"truncate": 50}]},
        "tracking_carrier": {"from": "shipping.shippingMethodId",
                             "transform": [{"lookup": {"table": "bc_carriers",
                                                       "on_miss": "null"}}]},
        "shipping_method": {"from": "shipping.shippingMethodId",
                            "transform": [{"lookup": {"table": "shipping_method_names",
                                                      "on_miss": "null"}}]},
        "comments": {"concat": [{"const": "Brightpearl goods-out note"}, "goodsOutNoteId"],
                     "sep": " "},
        # Exactly what the note ships (the connector reads each note row with its order row):
        # the order product the order flow kept on the row, else the row's SKU, which the
        # BigCommerce connector matches to a line of the order.
        "items": {"each": "rows", "fields": {
            "order_product_id": {"coalesce": ["orderRow.externalRef"], "transform": ["to_int"]},
            "sku": {"when": [{"if": {"from": "orderRow.externalRef", "empty": True},
                              "then": {"from": "orderRow.productSku", "required": True}}]},
            "quantity": {"from": "quantity", "transform": ["to_int"], "required": True},
        }},
    })

# Brightpearl sales order status → BigCommerce order status, for orders taken in Brightpearl.
BP_ORDER_STATUSES: dict[str, Any] = {
    "1": 1,    # Draft / Quote → Pending
    "2": 11,   # New order → Awaiting Fulfillment
    "3": 7,    # Awaiting payment → Awaiting Payment
    "4": 10,   # Invoiced → Completed
    "5": 5,    # Cancelled → Cancelled
    "6": 9,    # Ready to ship → Awaiting Shipment
    "7": 2,    # Shipped → Shipped
}


def _bc_address(party: str) -> dict[str, Any]:
    """A Brightpearl order party (its address) as a BigCommerce v2 order address."""
    name = f"{party}.addressFullName"
    return {"object": {
        "first_name": {"from": name, "transform": [{"split": {"index": 0, "max": 1}}],
                       "required": True},
        # A one-word name is the last name too: BigCommerce requires both.
        "last_name": {"coalesce": [{"from": name, "transform": [{"split": {"index": 1,
                                                                           "max": 1}}]},
                                   name], "required": True},
        "company": f"{party}.companyName",
        "street_1": {"from": f"{party}.addressLine1", "required": True},
        "street_2": f"{party}.addressLine2",
        "city": {"from": f"{party}.addressLine3", "required": True},
        # BigCommerce wants a state: the county line, else the town.
        "state": {"coalesce": [f"{party}.addressLine4", f"{party}.addressLine3"]},
        "zip": {"from": f"{party}.postalCode", "required": True},
        "country": {"from": f"{party}.countryIsoCode", "transform": [
            {"lookup": {"table": "country_names", "on_miss": "fail"}}]},
        "country_iso2": {"from": f"{party}.countryIsoCode", "transform": [
            {"lookup": {"table": "countries_iso2", "on_miss": "fail"}}]},
        "phone": f"{party}.telephone",
        "email": f"{party}.email",
    }}


_ROW_NET = "rowValue.rowNet.value"
_ROW_TAX = "rowValue.rowTax.value"
_QUANTITY = "quantity.magnitude"
_IS_CHARGE_ROW = {"not": IS_PRODUCT_ROW}

SALES_ORDER_TO_ORDER = _document(
    "Brightpearl sales order -> BigCommerce order", BP, "native_sales_order", BC, "v2.order", {
        # The Brightpearl order it came from: shown to the merchant, and how the connector
        # knows not to send the order back (``BRIGHTPEARL_SOURCE``).
        "external_source": {"const": BRIGHTPEARL_SOURCE},
        "external_id": {"from": "id", "transform": ["to_string"], "required": True},
        "customer_id": _link("parties.customer.contactId", "bc_customer_ids"),
        "status_id": {"from": "orderStatus.orderStatusId", "transform": [
            {"lookup": {"table": "bp_order_statuses", "default": 11}}, "to_int"]},
        "date_created": {"from": "placedOn", "transform": [{"date": {"to": RFC2822}}]},
        "billing_address": _bc_address("parties.billing"),
        "shipping_addresses": {"list": [_bc_address("parties.delivery")]},
        "products": {"each": "orderRows", "where": IS_PRODUCT_ROW, "fields": {
            "product_id": _link("productId", "bc_product_ids"),
            "quantity": {"from": _QUANTITY, "transform": [{"round": 0}, "to_int"],
                         "required": True},
            # Brightpearl's row values are totals: BigCommerce takes unit prices.
            "price_ex_tax": {"calc": "div", "args": [_ROW_NET, _QUANTITY],
                             "transform": [{"round": 4}]},
            "price_inc_tax": {"calc": "div", "args": [
                {"calc": "add", "args": [_ROW_NET, _ROW_TAX]}, _QUANTITY],
                "transform": [{"round": 4}]},
        }},
        # Shipping (and other charge) rows are the order's shipping cost.
        "shipping_cost_ex_tax": {"aggregate": "sum", "over": "orderRows", "of": _ROW_NET,
                                 "where": _IS_CHARGE_ROW, "transform": [{"round": 4}]},
        "shipping_cost_inc_tax": {"aggregate": "sum", "over": "orderRows", "of": {
            "calc": "add", "args": [_ROW_NET, _ROW_TAX]}, "where": _IS_CHARGE_ROW,
            "transform": [{"round": 4}]},
        "payment_method": {"const": "Manual"},
        "staff_notes": {"concat": [{"concat": [{"const": "Brightpearl sales order"}, "id"],
                                    "sep": " "}, "reference"], "sep": ", reference "},
    })

_PRODUCT_FLOW = "product-bp-to-bc"
_ORDER_FLOW = "sales-order-bc-to-bp"
_ORDER_BACK_FLOW = "sales-order-bp-to-bc"
_CUSTOMER_FLOW = "customer-bc-to-bp"
_CUSTOMER_BACK_FLOW = "customer-bp-to-bc"

# Which record links fill each link table: (flow, key, value) of every flow whose links hold
# the pair of ids. Customers go both ways, so either customer flow may have linked them.
LINK_TABLES = (
    LinkTable("bp_contact_ids", (
        LinkSource(_CUSTOMER_FLOW, key="source_id", value="target_id"),
        LinkSource(_CUSTOMER_BACK_FLOW, key="target_id", value="source_id"),
    ), "BigCommerce customer id → Brightpearl contact id"),
    LinkTable("bp_product_ids", (
        LinkSource(_PRODUCT_FLOW, key="natural_key", value="source_id"),
    ), "SKU → Brightpearl product id (order and refund lines name the SKU)"),
    LinkTable("bp_order_ids", (
        LinkSource(_ORDER_FLOW, key="source_id", value="target_id"),
        LinkSource(_ORDER_BACK_FLOW, key="target_id", value="source_id"),
    ), "BigCommerce order id → Brightpearl sales order id"),
    LinkTable("bc_product_ids", (
        LinkSource(_PRODUCT_FLOW, key="source_id", value="target_id"),
    ), "Brightpearl product id → BigCommerce product id"),
    LinkTable("bc_order_ids", (
        LinkSource(_ORDER_FLOW, key="target_id", value="source_id"),
        LinkSource(_ORDER_BACK_FLOW, key="source_id", value="target_id"),
    ), "Brightpearl sales order id → BigCommerce order id"),
    LinkTable("bc_customer_ids", (
        LinkSource(_CUSTOMER_BACK_FLOW, key="source_id", value="target_id"),
        LinkSource(_CUSTOMER_FLOW, key="target_id", value="source_id"),
    ), "Brightpearl contact id → BigCommerce customer id"),
)

TEMPLATE = PairTemplate(
    key="brightpearl-bigcommerce",
    name="Brightpearl + BigCommerce",
    partner=BC,
    version=1,
    description="Storefront orders, payments and refunds into Brightpearl; Brightpearl's "
                "catalogue, stock and shipments onto the storefront; customers both ways.",
    flows=(
        FlowTemplate(
            key=_ORDER_FLOW, name="Sales orders: BigCommerce → Brightpearl",
            entity="sales_order", source=BC, target=BP, trigger="webhook",
            events=("store/order/created",),
            mapping=ORDER_TO_SALES_ORDER,
            lookups={"bc_order_statuses": ORDER_STATUSES, "channels": CHANNELS,
                     "channel_warehouses": CHANNEL_WAREHOUSES,
                     "shipping_methods": SHIPPING_METHODS, "bc_tax_codes": TAX_CODES,
                     **COUNTRY_LOOKUPS},
            follow_ups=(FollowUp(
                action="order_status_set", system=BC,
                args={"order_id": "source.id", "status_id": {"const": 11}},
                description="Move the BigCommerce order to Awaiting Fulfillment (the seed's "
                            "'Processing') once Brightpearl has it; BigCommerce notifies the "
                            "customer."),),
            depends_on=(_CUSTOMER_FLOW, _PRODUCT_FLOW),
            description="Header, lines by SKU, tax per line and shipping as a charge row; "
                        "Brightpearl allocates stock."),
        FlowTemplate(
            key=_ORDER_BACK_FLOW, name="Sales orders taken in Brightpearl → BigCommerce",
            entity="sales_order", source=BP, target=BC, trigger="webhook",
            # Rows are added after an order is created: the order goes once it has them.
            events=("sales-order.created", "sales-order.modified"),
            mapping=SALES_ORDER_TO_ORDER,
            lookups={"bp_order_statuses": BP_ORDER_STATUSES,
                     "countries_iso2": dict(COUNTRY_ISO2), "country_names": dict(COUNTRY_NAMES)},
            depends_on=(_CUSTOMER_BACK_FLOW, _PRODUCT_FLOW),
            enabled_by_default=False,
            description="Phone, POS and manual orders entered in Brightpearl as BigCommerce "
                        "orders of the shopper's account, so the storefront's order history "
                        "shows them. Orders that came from BigCommerce (or any other system: "
                        "they carry an external reference) are never sent back; the "
                        "BigCommerce order names its Brightpearl order, and BigCommerce's "
                        "flows do not read it back. Off by default: tick it to go live with "
                        "it."),
        FlowTemplate(
            key="payment-bc-to-bp", name="Payments: BigCommerce transactions → Brightpearl",
            entity="payment", source=BC, target=BP, trigger="webhook",
            events=("store/order/created", "store/order/statusUpdated"),
            mapping=TRANSACTION_TO_PAYMENT,
            lookups={"bc_payment_methods": PAYMENT_METHODS, "payment_types": PAYMENT_TYPES},
            depends_on=(_ORDER_FLOW,),
            description="Each captured transaction of the order as a Brightpearl customer "
                        "payment (which sets the order's payment status)."),
        FlowTemplate(
            key="credit-note-bc-to-bp", name="Returns: BigCommerce refunds → Brightpearl "
                                             "sales credits",
            entity="credit_note", source=BC, target=BP, trigger="webhook",
            events=("store/order/refund/created",),
            mapping=REFUND_TO_SALES_CREDIT,
            lookups={"bc_tax_codes": TAX_CODES, "channel_warehouses": CHANNEL_WAREHOUSES},
            depends_on=(_ORDER_FLOW,),
            description="The refunded quantities of the order's lines as one sales credit."),
        FlowTemplate(
            key=_CUSTOMER_FLOW, name="Customers: BigCommerce → Brightpearl",
            entity="customer", source=BC, target=BP, trigger="webhook",
            events=("store/customer/created", "store/customer/updated",
                    "store/customer/address/created"),
            mapping=CUSTOMER_TO_CONTACT,
            lookups={"customer_group_price_lists": CUSTOMER_GROUP_PRICE_LISTS,
                     **COUNTRY_LOOKUPS},
            conflict_rule="newest_wins", natural_key="email"),
        FlowTemplate(
            key=_CUSTOMER_BACK_FLOW, name="Customers: Brightpearl → BigCommerce",
            entity="customer", source=BP, target=BC, trigger="webhook",
            events=("contact.created", "contact.modified"),
            mapping=CONTACT_TO_CUSTOMER,
            lookups={"countries_iso2": dict(COUNTRY_ISO2)},
            conflict_rule="newest_wins", natural_key="communication.emails.PRI.email"),
        FlowTemplate(
            key=_PRODUCT_FLOW, name="Products: Brightpearl → BigCommerce",
            entity="product", source=BP, target=BC, trigger="webhook",
            events=("product.created", "product.modified", "product.modified.price-modified"),
            mapping=PRODUCT_TO_PRODUCT,
            lookups={"categories": CATEGORIES, "brands": BRANDS},
            natural_key="identity.sku"),
        FlowTemplate(
            key="inventory-bp-to-bc", name="Stock: Brightpearl → BigCommerce",
            entity="inventory", source=BP, target=BC, trigger="webhook",
            events=("product.modified.on-hand-modified",),
            mapping=AVAILABILITY_TO_ADJUSTMENT,
            lookups={"locations": LOCATIONS},
            depends_on=(_PRODUCT_FLOW,),
            description="Absolute levels per location, so a missed event heals on the next."),
        FlowTemplate(
            key="shipment-bp-to-bc", name="Shipments: Brightpearl goods-out notes → BigCommerce",
            entity="shipment", source=BP, target=BC, trigger="webhook",
            events=("goods-out-note.modified.shipped",),
            mapping=GOODS_OUT_NOTE_TO_SHIPMENT,
            lookups={"bc_carriers": CARRIERS, "shipping_method_names": SHIPPING_METHOD_NAMES},
            depends_on=(_ORDER_FLOW,),
            description="Tracking onto the order; BigCommerce marks it (partially) shipped and "
                        "emails the customer."),
    ),
    link_tables=LINK_TABLES,
)
