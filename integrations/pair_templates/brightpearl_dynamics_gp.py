"""Brightpearl + Microsoft Dynamics GP (eConnect): flows and default mappings (seed 004).

Directions from the seed: sales orders, shipments (the shipped order invoiced in GP),
payments (cash receipts reconciled in the GL), purchase orders, goods-in notes (POP receipts),
suppliers (vendors) and credit notes (SOP returns) Brightpearl → GP; customers, products
(items, with the cost and retail price lists) and inventory both ways. GP has no webhooks:
GP-side flows poll the read API (``modifiedSince`` against ``DEX_ROW_TS``). Warehouses ↔
sites and nominal codes ↔ GL accounts are lookup tables, not flows.
"""

from __future__ import annotations

from typing import Any

from integrations.pair_templates._brightpearl_erp import (
    COUNTRY_ISO2,
    COUNTRY_ISO3,
    COUNTRY_NAMES,
    IS_CHARGE_ROW,
    IS_PRODUCT_ROW,
    SALES_CHANNELS,
    customer_number,
    full_name,
    iso_date,
)
from integrations.pair_templates.base import (
    FlowTemplate,
    FollowUp,
    LinkSource,
    LinkTable,
    PairTemplate,
)

BP, GP = "brightpearl", "dynamics_gp"

WAREHOUSES = {"1": "MAIN", "2": "EAST"}            # Brightpearl warehouse → GP site
GP_SITES = {site: int(bp) for bp, site in WAREHOUSES.items()}
CURRENCIES = {"GBP": "Z-UK", "USD": "Z-US$", "CAD": "Z-C$", "EUR": "Z-EURO", "AUD": "Z-AUD"}
CONTACT_CURRENCIES = {"1": "Z-UK", "2": "Z-US$", "3": "Z-EURO", "4": "Z-C$"}  # currencyId
# Brightpearl order status → SOP type: quotes stay quotes, shipped/invoiced orders are
# invoices, everything else (new, awaiting payment, ready to ship) an order.
SOP_TYPES = {"1": 1, "2": 2, "3": 2, "4": 3, "6": 2, "7": 3}
SOP_DOC_IDS = {"1": "STDQTE", "2": "STDORD", "3": "STDINV", "4": "RTN"}
SALES_ACCOUNTS = {"4000": "000-4100-00", "4010": "000-4100-00", "4020": "000-4200-00"}
SHIPPING_METHODS = {"1": "FEDEX", "2": "UPS GROUND", "3": "DHL"}
PAYMENT_TERMS = {"0": "Due on Receipt", "14": "Net 14", "30": "Net 30", "45": "Net 45",
                 "60": "Net 60"}
RECEIPT_TYPES = {"CARD": 2, "PAYPAL": 2, "BANK_TRANSFER": 0, "CHEQUE": 0, "CASH": 1}
CARD_IDS = {"CARD": "VISA", "PAYPAL": "PAYPAL"}
CHECKBOOKS = {"CASH": "CASH"}
ITEM_CLASS_BRANDS = {"APPAREL": 2, "TOOLS": 3, "OUTDOOR": 4, "HOME": 5}


def _text(path: str, length: int) -> dict[str, Any]:
    return {"from": path, "transform": [{"truncate": length}]}


def _money(path: str) -> dict[str, Any]:
    return {"from": path, "transform": [{"round": 2}]}


def _address(address: str) -> dict[str, Any]:
    return {
        "ADDRESS1": _text(f"{address}.addressLine1", 60),
        "ADDRESS2": _text(f"{address}.addressLine2", 60),
        "CITY": _text(f"{address}.addressLine3", 35),
        "STATE": _text(f"{address}.addressLine4", 29),
        "ZIPCODE": _text(f"{address}.postalCode", 10),
        "COUNTRY": {"from": f"{address}.countryIsoCode",
                    "transform": [{"lookup": "country_names"}]},
    }


def _sop_document(*, sop_type: dict[str, Any], doc_id: dict[str, Any],
                  number: dict[str, Any], original: dict[str, Any] | None = None,
                  doc_date: str = "placedOn", name: str) -> dict[str, Any]:
    """A Brightpearl order (or credit) as a SOP document: lines are the product rows;
    shipping rows are summed into FREIGHT, row tax into TAXAMNT (seed 004 mapping notes)."""
    line_value = {"from": "rowValue.rowNet.value", "transform": [{"round": 2}]}
    subtotal = {"aggregate": "sum", "over": "orderRows", "of": line_value,
                "where": IS_PRODUCT_ROW}
    freight = {"aggregate": "sum", "over": "orderRows", "of": line_value,
               "where": IS_CHARGE_ROW}
    # Row tax summed unrounded, then rounded: the order's own tax total, so DOCAMNT equals
    # the Brightpearl total the payment settles.
    tax = {"aggregate": "sum", "over": "orderRows", "of": "rowValue.rowTax.value",
           "transform": [{"round": 2}]}
    header: dict[str, Any] = {
        "SOPTYPE": sop_type,
        "DOCID": doc_id,
        "SOPNUMBE": number,
        "BACHNUMB": {"const": "BRIGHTPEARL"},
        "CUSTNMBR": customer_number("parties.customer.contactId"),
        "CUSTNAME": {"coalesce": ["parties.billing.companyName",
                                  "parties.billing.addressFullName"],
                     "transform": [{"truncate": 64}]},
        "CSTPONBR": _text("reference", 20),
        "DOCDATE": {**iso_date(doc_date), "required": True},
        "ReqShipDate": iso_date("delivery.deliveryDate"),
        "LOCNCODE": {"from": "warehouseId", "transform": [{"lookup": "gp_site_codes"}]},
        "SHIPMTHD": {"from": "delivery.shippingMethodId",
                     "transform": [{"lookup": {"table": "gp_shipping_methods",
                                              "on_miss": "null"}}]},
        "CURNCYID": {"from": "currency.orderCurrencyCode",
                     "transform": [{"lookup": "gp_currencies"}]},
        "ShipToName": _text("parties.delivery.addressFullName", 64),
        **_address("parties.delivery"),
        "PHNUMBR1": _text("parties.delivery.telephone", 21),
        "SUBTOTAL": subtotal,
        "TAXAMNT": tax,
        "FREIGHT": freight,
        "DOCAMNT": {"calc": "add", "args": [subtotal, freight, tax],
                    "comment": "SUBTOTAL + FREIGHT + TAXAMNT, as eConnect checks it"},
        "USERDEF1": {"from": "assignment.current.channelId", "transform": [
            {"lookup": {"table": "sales_channels", "default": "OTHER"}}],
            "comment": "channelId → user-defined field for reporting"},
    }
    if original is not None:
        header["ORIGNUMB"] = original
    return {
        "format_version": 1,
        "name": name,
        "source": {"system": BP, "entity": "order"},
        "target": {"system": GP, "entity": "SOPTransactionType"},
        "fields": {
            "taSopHdrIvcInsert": {"object": header},
            "taSopLineIvcInsert_Items": {"each": "orderRows", "where": IS_PRODUCT_ROW, "fields": {
                "SOPTYPE": _in_line(sop_type),
                "SOPNUMBE": _in_line(number),
                "CUSTNMBR": customer_number("$root.parties.customer.contactId"),
                "DOCDATE": iso_date(f"$root.{doc_date}"),
                "LNITMSEQ": {"calc": "mul", "args": ["$position", 16384],
                             "transform": ["to_int"]},
                "ITEMNMBR": {"from": "productSku", "transform": ["upper", {"truncate": 30}],
                             "required": True},
                "ITEMDESC": _text("productName", 100),
                "UOFM": {"const": "Each"},
                "QUANTITY": {"from": "quantity.magnitude", "transform": ["to_decimal"]},
                "UNITPRCE": {"calc": "div", "args": ["rowValue.rowNet.value", "quantity.magnitude"],
                             "transform": [{"round": 5}],
                             "comment": "net of discount, so UNITPRCE × QUANTITY = XTNDPRCE"},
                "XTNDPRCE": line_value,
                "TAXAMNT": {"from": "rowValue.rowTax.value", "transform": [{"round": 2}]},
                "LOCNCODE": {"from": "$root.warehouseId",
                             "transform": [{"lookup": "gp_site_codes"}]},
                "ACTNUMST": {"from": "nominalCode", "transform": [
                    {"lookup": {"table": "sales_accounts", "on_miss": "null"}}]},
            }},
        },
    }


def _in_line(spec: dict[str, Any]) -> dict[str, Any]:
    """A header value spec re-read from inside ``each`` (paths through ``$root``)."""
    if "from" in spec:
        return {**spec, "from": f"$root.{spec['from']}"}
    if "concat" in spec:
        return {**spec, "concat": [part if isinstance(part, dict) else f"$root.{part}"
                                   for part in spec["concat"]]}
    return spec


SOP_LOOKUPS = {"gp_site_codes": WAREHOUSES, "gp_currencies": CURRENCIES, "sop_types": SOP_TYPES,
               "sales_accounts": SALES_ACCOUNTS, "gp_shipping_methods": SHIPPING_METHODS,
               "sales_channels": SALES_CHANNELS, "country_names": COUNTRY_NAMES}

SALES_ORDER = FlowTemplate(
    key="sales-order-bp-to-dynamics-gp",
    name="Sales orders: Brightpearl → Dynamics GP",
    entity="sales_order", source=BP, target=GP, trigger="webhook",
    events=("sales-order.created",),
    depends_on=("customer-bp-to-dynamics-gp", "product-bp-to-dynamics-gp"),
    lookups=SOP_LOOKUPS,
    follow_ups=(FollowUp(
        action="order_status_set", system=BP,
        args={"order_id": {"from": "source.id"},
              "status_id": {"from": "source.orderStatus.orderStatusId"},
              "note": {"concat": [{"const": "Dynamics GP SOP document"}, "target.id"],
                       "sep": " "}},
        description="Note the GP document number on the Brightpearl order."),),
    description="SOPTransactionType: orderId → SOPNUMBE, order status → SOPTYPE/DOCID "
                "(Awaiting payment → Order), product rows → lines (productId's SKU → ITEMNMBR, "
                "net unit price → UNITPRCE, nominal code → GL account), shipping rows summed "
                "into FREIGHT and row tax into TAXAMNT.",
    mapping=_sop_document(
        name="Brightpearl sales order → Dynamics GP SOP order",
        sop_type={"from": "orderStatus.orderStatusId",
                  "transform": [{"lookup": {"table": "sop_types", "default": 2}}, "to_int"]},
        doc_id={"from": "orderStatus.orderStatusId",
                "transform": [{"lookup": {"table": "sop_types", "default": 2}},
                              {"lookup": {"map": SOP_DOC_IDS}}]},
        number={"from": "id", "transform": ["to_string"]}),
)

SHIPMENT = FlowTemplate(
    key="shipment-bp-to-dynamics-gp",
    name="Shipments: Brightpearl → Dynamics GP (invoice)",
    entity="sales_order", source=BP, target=GP, trigger="webhook",
    events=("sales-order.modified.shipping-status",),
    depends_on=("sales-order-bp-to-dynamics-gp",),
    lookups=SOP_LOOKUPS,
    description="When Brightpearl ships an order (shipping status event; the goods-out note "
                "names no items or prices), GP gets the SOP invoice (SOPTYPE 3, INV + order "
                "id, ORIGNUMB = the GP order, dated when the order shipped) that posts "
                "revenue and COGS.",
    mapping=_sop_document(
        name="Brightpearl shipped sales order → Dynamics GP SOP invoice",
        sop_type={"const": 3}, doc_id={"const": "STDINV"},
        number={"concat": [{"const": "INV"}, "id"], "sep": ""},
        original={"from": "id", "transform": ["to_string"]},
        doc_date="updatedOn"),
)

CREDIT_NOTE = FlowTemplate(
    key="credit-note-bp-to-dynamics-gp",
    name="Credit notes: Brightpearl → Dynamics GP (return)",
    entity="credit_note", source=BP, target=GP, trigger="webhook",
    events=("sales-credit.created",),
    depends_on=("sales-order-bp-to-dynamics-gp",),
    lookups=SOP_LOOKUPS,
    description="A sales credit becomes a SOP return (SOPTYPE 4, RTN) that restocks its "
                "items; ORIGNUMB is the credited order.",
    mapping=_sop_document(
        name="Brightpearl sales credit → Dynamics GP SOP return",
        sop_type={"const": 4}, doc_id={"const": "RTN"},
        number={"concat": [{"const": "RTN"}, "id"], "sep": ""},
        original={"from": "parentOrderId", "transform": ["to_string"]}),
)

PRODUCT_TO_GP = FlowTemplate(
    key="product-bp-to-dynamics-gp",
    name="Products: Brightpearl → Dynamics GP",
    entity="product", source=BP, target=GP, trigger="webhook",
    events=("product.created", "product.modified", "product.modified.price-modified"),
    conflict_rule="newest_wins",
    natural_key="identity.sku",
    description="taUpdateCreateItemRcd: SKU → ITEMNMBR, cost price list (1) → standard and "
                "current cost, category → item class, taxable → TAXOPTNS.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl product → Dynamics GP item",
        "source": {"system": BP, "entity": "product"},
        "target": {"system": GP, "entity": "taUpdateCreateItemRcd"},
        "fields": {
            "ITEMNMBR": {"from": "identity.sku", "transform": ["trim", "upper", {"truncate": 30}],
                         "required": True},
            "ITEMDESC": {"from": "salesChannels[0].productName", "transform": [{"truncate": 100}],
                         "required": True},
            "ITMSHNAM": {"from": "salesChannels[0].shortDescription.text",
                         "transform": [{"truncate": 15}, "trim"]},
            "ITEMTYPE": {"const": 1},
            "ITMCLSCD": {"from": "salesChannels[0].categories[0].categoryCode",
                         "transform": ["upper", {"truncate": 10}]},
            "UOMSCHDL": {"const": "EACH"},
            "STNDCOST": {"from": 'priceLists[?priceListId == `1`].quantityPrice."1" | [0]',
                         "transform": [{"to_decimal": {"places": 5}}]},
            "CURRCOST": {"from": 'priceLists[?priceListId == `1`].quantityPrice."1" | [0]',
                         "transform": [{"to_decimal": {"places": 5}}]},
            "ITEMSHWT": {"calc": "mul", "args": ["stock.weight.magnitude", 100],
                         "transform": [{"round": 0}, "to_int"],
                         "comment": "GP keeps shipping weight in hundredths"},
            "TAXOPTNS": {"when": [{"if": {"from": "financialDetails.taxable", "eq": False},
                                   "then": {"const": 2}}], "else": {"const": 1}},
            "UpdateIfExists": {"const": 1},
        },
    },
)

PRODUCT_TO_BP = FlowTemplate(
    key="product-dynamics-gp-to-bp",
    name="Products: Dynamics GP → Brightpearl",
    entity="product", source=GP, target=BP, trigger="poll", poll_interval_s=900,
    conflict_rule="newest_wins",
    natural_key="ITEMNMBR",
    lookups={"gp_brands": ITEM_CLASS_BRANDS},
    description="GP items changed since the last poll → Brightpearl products; list price → "
                "retail list (2), current cost → cost list (1).",
    mapping={
        "format_version": 1,
        "name": "Dynamics GP item → Brightpearl product",
        "source": {"system": GP, "entity": "items"},
        "target": {"system": BP, "entity": "product"},
        "fields": {
            "brandId": {"from": "ITMCLSCD",
                        "transform": [{"lookup": {"table": "gp_brands",
                                                 "on_miss": "null"}}, "to_int"],
                        "default": 1},
            "identity": {"object": {
                "sku": {"from": "ITEMNMBR", "transform": ["trim"], "required": True},
                "barcode": "UPCCODE",
                "ean": "UPCCODE",
            }},
            "stock": {"object": {"stockTracked": {
                "when": [{"if": {"from": "ITEMTYPE", "in": [1, 2]}, "then": {"const": True}}],
                "else": {"const": False}}}},
            "salesChannels": {"list": [{"object": {
                "salesChannelName": {"const": "Brightpearl"},
                "productName": {"from": "ITEMDESC", "transform": ["trim"], "required": True},
                "productCondition": {"const": "new"},
            }}]},
            "priceLists": {"list": [
                {"object": {"priceListId": 2, "quantityPrice": {"object": {
                    "1": {"from": "LISTPRCE", "transform": [{"to_decimal": {"places": 2}}],
                          "default": 0}}}}},
                {"object": {"priceListId": 1, "quantityPrice": {"object": {
                    "1": {"from": "CURRCOST", "transform": [{"to_decimal": {"places": 4}}],
                          "default": 0}}}}},
            ]},
        },
    },
)

CUSTOMER_TO_GP = FlowTemplate(
    key="customer-bp-to-dynamics-gp",
    name="Customers: Brightpearl → Dynamics GP",
    entity="customer", source=BP, target=GP, trigger="webhook",
    events=("contact.created", "contact.modified"),
    conflict_rule="newest_wins",
    lookups={"country_names": COUNTRY_NAMES, "countries_iso2": COUNTRY_ISO2,
             "gp_contact_currencies": CONTACT_CURRENCIES, "payment_terms": PAYMENT_TERMS,
             "sales_channels": SALES_CHANNELS},
    description="taUpdateCreateCustomerRcd (CUSTNMBR ≤ 15: BP + contact id) from the contact "
                "and its billing address; credit limit and terms from its financial details.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl contact → Dynamics GP customer",
        "source": {"system": BP, "entity": "contact"},
        "target": {"system": GP, "entity": "taUpdateCreateCustomerRcd"},
        "fields": {
            "CUSTNMBR": {**customer_number("contactId"), "transform": [{"truncate": 15}]},
            "CUSTNAME": {"coalesce": ["organisation.name", full_name()],
                         "transform": [{"truncate": 64}], "required": True},
            "SHRTNAME": {**full_name(), "transform": [{"truncate": 15}]},
            "STMTNAME": {"coalesce": ["organisation.name", full_name()],
                         "transform": [{"truncate": 64}]},
            "CNTCPRSN": {**full_name(), "transform": [{"truncate": 60}]},
            "ADRSCODE": {"const": "PRIMARY"},
            **_address("postalAddresses.BIL"),
            "CCode": {"from": "postalAddresses.BIL.countryIsoCode",
                      "transform": [{"lookup": "countries_iso2"}]},
            "PHNUMBR1": _text("communication.telephones.PRI", 21),
            "INET1": "communication.emails.PRI.email",
            "CURNCYID": {"from": "financialDetails.currencyId", "transform": [
                {"lookup": {"table": "gp_contact_currencies", "on_miss": "null"}}]},
            "PYMTRMID": {"from": "financialDetails.creditTermDays", "transform": [
                {"lookup": {"table": "payment_terms", "default": "Net 30"}}]},
            "CRLMTTYP": {"when": [{"if": {"from": "financialDetails.creditLimit", "gt": 0},
                                   "then": {"const": 2}}], "else": {"const": 0},
                         "comment": "0 no credit, 2 up to CRLMTAMT"},
            "CRLMTAMT": _money("financialDetails.creditLimit"),
            "USERDEF1": {"from": "assignment.current.channelId", "transform": [
                {"lookup": {"table": "sales_channels", "default": "OTHER"}}]},
            "UpdateIfExists": {"const": 1},
        },
    },
)

CUSTOMER_TO_BP = FlowTemplate(
    key="customer-dynamics-gp-to-bp",
    name="Customers: Dynamics GP → Brightpearl",
    entity="customer", source=GP, target=BP, trigger="poll", poll_interval_s=900,
    conflict_rule="newest_wins",
    lookups={"countries_iso3": COUNTRY_ISO3},
    description="GP customers changed since the last poll → Brightpearl contacts; the contact "
                "person (else the customer name) gives first and last name.",
    mapping={
        "format_version": 1,
        "name": "Dynamics GP customer → Brightpearl contact",
        "source": {"system": GP, "entity": "customers"},
        "target": {"system": BP, "entity": "contact"},
        "fields": {
            "firstName": {"coalesce": ["CNTCPRSN", "CUSTNAME"],
                          "transform": [{"split": {"index": 0, "max": 1}}]},
            "lastName": {"coalesce": ["CNTCPRSN", "CUSTNAME"],
                         "transform": [{"split": {"index": 1, "max": 1}}]},
            "communication": {"object": {
                "emails": {"object": {"PRI": {"object": {"email": "INET1"}}}},
                "telephones": {"object": {"PRI": "PHNUMBR1"}},
            }},
            "relationshipToAccount": {"object": {"isCustomer": {"const": True}}},
            "postalAddresses": {"object": {"DEF": {"object": {
                "addressFullName": "CUSTNAME",
                "addressLine1": "ADDRESS1",
                "addressLine2": "ADDRESS2",
                "addressLine3": "CITY",
                "addressLine4": "STATE",
                "postalCode": "ZIPCODE",
                "countryIsoCode": {"from": "CCode", "transform": [{"lookup": "countries_iso3"}]},
                "telephone": "PHNUMBR1",
                "email": "INET1",
            }}}},
        },
    },
)

INVENTORY_TO_GP = FlowTemplate(
    key="inventory-bp-to-dynamics-gp",
    name="Inventory: Brightpearl → Dynamics GP",
    entity="inventory", source=BP, target=GP, trigger="webhook",
    events=("product.modified.on-hand-modified",),
    conflict_rule="newest_wins",
    depends_on=("product-bp-to-dynamics-gp",),
    lookups={"gp_site_codes": WAREHOUSES},
    description="On-hand of Brightpearl warehouse 1 → GP site MAIN (IV00102); the connector "
                "posts the difference as an inventory adjustment. Copy per further warehouse. "
                "The item comes from the gp_item_numbers link table (product flows).",
    mapping={
        "format_version": 1,
        "name": "Brightpearl product availability → Dynamics GP item site quantity",
        "source": {"system": BP, "entity": "product-availability"},
        "target": {"system": GP, "entity": "IV00102"},
        "fields": {
            "ITEMNMBR": {"from": "productId", "transform": [{"lookup": "gp_item_numbers"}, "trim"],
                         "comment": "link: the product flows (Brightpearl id → item)"},
            "LOCNCODE": {"const": "1", "transform": [{"lookup": "gp_site_codes"}]},
            "QTYONHND": {"from": 'warehouses."1".onHand', "transform": ["to_decimal"],
                         "default": 0},
            "ATYALLOC": {"from": 'warehouses."1".allocated', "transform": ["to_decimal"]},
        },
    },
)

INVENTORY_TO_BP = FlowTemplate(
    key="inventory-dynamics-gp-to-bp",
    name="Inventory: Dynamics GP → Brightpearl",
    entity="inventory", source=GP, target=BP, trigger="poll", poll_interval_s=300,
    conflict_rule="newest_wins",
    depends_on=("product-dynamics-gp-to-bp",),
    lookups={"gp_sites": GP_SITES},
    description="GP quantities per item and site changed since the last poll set the "
                "Brightpearl on-hand of the product with that SKU.",
    mapping={
        "format_version": 1,
        "name": "Dynamics GP item site quantity → Brightpearl stock level",
        "source": {"system": GP, "entity": "inventory"},
        "target": {"system": BP, "entity": "stock_level"},
        "fields": {
            "productId": {"from": "ITEMNMBR",
                          "transform": ["trim", {"lookup": "bp_product_ids"}, "to_int"],
                          "comment": "link: the product flows (ITEMNMBR → Brightpearl id)"},
            "sku": {"from": "ITEMNMBR", "transform": ["trim"]},
            "warehouseId": {"from": "LOCNCODE",
                            "transform": ["trim", {"lookup": "gp_sites"}, "to_int"]},
            "onHand": {"from": "QTYONHND", "transform": [
                {"to_decimal": {"places": 0, "rounding": "down"}}, "to_int"]},
            "reason": {"concat": [{"const": "Dynamics GP quantity, site"}, "LOCNCODE"],
                       "sep": " "},
        },
    },
)

PAYMENT = FlowTemplate(
    key="payment-bp-to-dynamics-gp",
    name="Payments: Brightpearl → Dynamics GP",
    entity="payment", source=BP, target=GP, trigger="poll", poll_interval_s=300,
    depends_on=("sales-order-bp-to-dynamics-gp",),
    lookups={"receipt_types": RECEIPT_TYPES, "card_ids": CARD_IDS, "checkbooks": CHECKBOOKS,
             "gp_currencies": CURRENCIES},
    description="Customer receipts (polled: Brightpearl has no payment event) → GP cash "
                "receipts: payment method → receipt type, card id and checkbook. Refunds "
                "(paymentType PAYMENT) are refused with a problem: GP records them as "
                "returns, not negative receipts. The payment carries its order (customer).",
    mapping={
        "format_version": 1,
        "name": "Brightpearl customer payment → Dynamics GP cash receipt",
        "source": {"system": BP, "entity": "customer-payment"},
        "target": {"system": GP, "entity": "taRMCashReceiptInsert"},
        "fields": {
            "CUSTNMBR": customer_number("order.parties.customer.contactId"),
            "DOCNUMBR": {"concat": [{"const": "BPPMT"}, "paymentId"], "sep": "-"},
            "DOCDATE": iso_date("paymentDate"),
            "ORTRXAMT": {"when": [{"if": {"from": "paymentType", "in": ["RECEIPT", "CAPTURE"]},
                                   "then": _money("amountPaid")}],
                         "comment": "only receipts; a refund leaves it empty (a problem)"},
            "GLPOSTDT": iso_date("paymentDate"),
            "BACHNUMB": {"const": "BP-RECEIPTS"},
            "CSHRCTYP": {"from": "paymentMethodCode", "transform": [
                {"lookup": {"table": "receipt_types", "default": 0}}, "to_int"]},
            "CHEKBKID": {"from": "paymentMethodCode", "transform": [
                {"lookup": {"table": "checkbooks", "default": "FIRST BANK"}}]},
            "CHEKNMBR": _text("transactionRef", 20),
            "CRCARDID": {"from": "paymentMethodCode", "transform": [
                {"lookup": {"table": "card_ids", "on_miss": "null"}}]},
            "CURNCYID": {"from": "currencyCode", "transform": [{"lookup": "gp_currencies"}]},
            "TRXDSCRN": {"concat": [{"const": "Order"}, "order.reference"], "sep": " ",
                         "transform": [{"truncate": 30}]},
        },
    },
)

PURCHASE_ORDER = FlowTemplate(
    key="purchase-order-bp-to-dynamics-gp",
    name="Purchase orders: Brightpearl → Dynamics GP",
    entity="purchase_order", source=BP, target=GP, trigger="webhook",
    events=("purchase-order.created",),
    depends_on=("supplier-bp-to-dynamics-gp", "product-bp-to-dynamics-gp"),
    lookups={"gp_site_codes": WAREHOUSES, "gp_currencies": CURRENCIES},
    description="POPTransactionType: the vendor is the one the supplier flow created (BP + "
                "contact id); lines at the order's site.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl purchase order → Dynamics GP purchase order",
        "source": {"system": BP, "entity": "order"},
        "target": {"system": GP, "entity": "POPTransactionType"},
        "fields": {
            "taPoHdr": {"object": {
                "POTYPE": {"const": 1},
                "PONUMBER": {"concat": [{"const": "BP"}, "id"], "sep": ""},
                "VENDORID": customer_number("parties.supplier.contactId"),
                "DOCDATE": iso_date("placedOn"),
                "PRMDATE": iso_date("delivery.deliveryDate"),
                "CURNCYID": {"from": "currency.orderCurrencyCode",
                             "transform": [{"lookup": "gp_currencies"}]},
                "SUBTOTAL": {"aggregate": "sum", "over": "orderRows", "where": IS_PRODUCT_ROW,
                             "of": {"from": "rowValue.rowNet.value",
                                    "transform": [{"round": 2}]}},
            }},
            "taPoLine_Items": {"each": "orderRows", "where": IS_PRODUCT_ROW, "fields": {
                "POTYPE": {"const": 1},
                "PONUMBER": {"concat": [{"const": "BP"}, "$root.id"], "sep": ""},
                "VENDORID": customer_number("$root.parties.supplier.contactId"),
                "LOCNCODE": {"from": "$root.warehouseId",
                             "transform": [{"lookup": "gp_site_codes"}]},
                "ITEMNMBR": {"from": "productSku", "transform": ["upper", {"truncate": 30}],
                             "required": True},
                "QUANTITY": {"from": "quantity.magnitude", "transform": ["to_decimal"]},
                "UNITCOST": {"from": "productPrice.value",
                             "transform": [{"to_decimal": {"places": 5}}]},
                "REQDATE": iso_date("$root.delivery.deliveryDate"),
            }},
        },
    },
)

GOODS_RECEIPT = FlowTemplate(
    key="goods-receipt-bp-to-dynamics-gp",
    name="Goods-in notes: Brightpearl → Dynamics GP (POP receipts)",
    entity="goods_receipt", source=BP, target=GP, trigger="webhook",
    events=("goods-in-note.created",),
    depends_on=("purchase-order-bp-to-dynamics-gp", "product-bp-to-dynamics-gp"),
    lookups={"gp_site_codes": WAREHOUSES, "gp_currencies": CURRENCIES},
    description="Stock received on a Brightpearl goods-in note → a GP POP receipt "
                "(POPReceivingsType, POPTYPE 1 shipment) against the GP purchase order the "
                "purchase-order flow wrote: each movement a receipt line (item from "
                "gp_item_numbers, quantity → QTYSHPPD, Brightpearl's unit value → UNITCOST, "
                "warehouse → site). GP raises the site quantity and marks the PO lines "
                "received. The note carries its purchase order (the supplier → VENDORID).",
    mapping={
        "format_version": 1,
        "name": "Brightpearl goods-in note → Dynamics GP purchase receipt",
        "source": {"system": BP, "entity": "goods-in-note"},
        "target": {"system": GP, "entity": "POPReceivingsType"},
        "fields": {
            "taPopRcptHdrInsert": {"object": {
                "POPRCTNM": {"concat": [{"const": "BPGIN"}, "goodsNoteId"], "sep": "",
                             "required": True,
                             "comment": "one receipt per note; a re-sent note is not "
                                        "received twice"},
                "POPTYPE": {"const": 1},
                "VNDDOCNM": _text("userBatchReference", 20),
                "receiptdate": {**iso_date("receivedOn"), "required": True},
                "BACHNUMB": {"const": "BP-GOODSIN"},
                "VENDORID": customer_number("order.parties.supplier.contactId"),
                "REFRENCE": {"concat": [{"const": "Brightpearl goods-in note"}, "goodsNoteId"],
                             "sep": " ", "transform": [{"truncate": 30}]},
                "CURNCYID": {"from": "order.currency.orderCurrencyCode",
                             "transform": [{"lookup": "gp_currencies"}]},
            }},
            "taPopRcptLineInsert_Items": {"each": "goodsMoved", "fields": {
                "POPTYPE": {"const": 1},
                "POPRCTNM": {"concat": [{"const": "BPGIN"}, "$root.goodsNoteId"], "sep": ""},
                "PONUMBER": {"from": "$root.orderId",
                             "transform": [{"lookup": "gp_po_numbers"}, "trim"],
                             "comment": "link: the purchase-order flow (Brightpearl PO → "
                                        "PONUMBER)"},
                "ITEMNMBR": {"from": "productId",
                             "transform": [{"lookup": "gp_item_numbers"}, "trim"],
                             "comment": "link: the product flows (Brightpearl id → item)"},
                "VENDORID": customer_number("$root.order.parties.supplier.contactId"),
                "RCPTLNNM": {"calc": "mul", "args": ["$position", 16384],
                             "transform": ["to_int"]},
                "QTYSHPPD": {"from": "quantity", "transform": ["to_decimal"]},
                "UNITCOST": {"from": "productValue.value",
                             "transform": [{"to_decimal": {"places": 5}}]},
                "LOCNCODE": {"from": "warehouseId", "transform": [{"lookup": "gp_site_codes"}]},
            }},
        },
    },
)

SUPPLIER = FlowTemplate(
    key="supplier-bp-to-dynamics-gp",
    name="Suppliers: Brightpearl → Dynamics GP (vendors)",
    entity="supplier", source=BP, target=GP, trigger="webhook",
    events=("contact.created", "contact.modified"),
    lookups={"country_names": COUNTRY_NAMES, "countries_iso2": COUNTRY_ISO2,
             "gp_contact_currencies": CONTACT_CURRENCIES, "payment_terms": PAYMENT_TERMS},
    description="Supplier contacts (relationshipToAccount.isSupplier) → GP vendors "
                "(VENDORID: BP + contact id), so purchase orders find their vendor.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl supplier contact → Dynamics GP vendor",
        "source": {"system": BP, "entity": "contact"},
        "target": {"system": GP, "entity": "taUpdateCreateVendorRcd"},
        "fields": {
            "VENDORID": customer_number("contactId"),
            "VENDNAME": {"coalesce": ["organisation.name", full_name()],
                         "transform": [{"truncate": 64}], "required": True},
            "VNDCHKNM": {"coalesce": ["organisation.name", full_name()],
                         "transform": [{"truncate": 64}]},
            "VENDSHNM": {"coalesce": ["organisation.name", full_name()],
                         "transform": ["upper", {"truncate": 15}]},
            "VADDCDPR": {"const": "PRIMARY"},
            "VNDCNTCT": {**full_name(), "transform": [{"truncate": 60}]},
            **_address("postalAddresses.DEF"),
            "CCode": {"from": "postalAddresses.DEF.countryIsoCode",
                      "transform": [{"lookup": "countries_iso2"}]},
            "PHNUMBR1": _text("communication.telephones.PRI", 21),
            "CURNCYID": {"from": "financialDetails.currencyId", "transform": [
                {"lookup": {"table": "gp_contact_currencies", "on_miss": "null"}}]},
            "PYMTRMID": {"from": "financialDetails.creditTermDays", "transform": [
                {"lookup": {"table": "payment_terms", "default": "Net 30"}}]},
            "INET1": "communication.emails.PRI.email",
            "UpdateIfExists": {"const": 1},
        },
    },
)

# Which record links fill each link table. ITEMNMBR is the id of a GP item, so the product
# flows of both directions link Brightpearl id ↔ ITEMNMBR exactly (the SKU upper-cased and cut
# to 30, as the product flow writes it). GP pads its char keys with spaces: the keys of these
# tables must be trimmed (the inventory flow trims the ITEMNMBR it looks up).
LINK_TABLES = (
    LinkTable("gp_item_numbers", (
        LinkSource(PRODUCT_TO_GP.key, key="source_id", value="target_id"),
        LinkSource(PRODUCT_TO_BP.key, key="target_id", value="source_id"),
    ), "Brightpearl product id → GP item number (ITEMNMBR)"),
    LinkTable("gp_po_numbers", (
        LinkSource(PURCHASE_ORDER.key, key="source_id", value="target_id"),
    ), "Brightpearl purchase order id → GP purchase order number (PONUMBER)"),
    LinkTable("bp_product_ids", (
        LinkSource(PRODUCT_TO_BP.key, key="source_id", value="target_id"),
        LinkSource(PRODUCT_TO_GP.key, key="target_id", value="source_id"),
    ), "GP item number (ITEMNMBR) → Brightpearl product id"),
)

TEMPLATE = PairTemplate(
    key="brightpearl-dynamics-gp",
    name="Brightpearl + Microsoft Dynamics GP",
    partner=GP,
    version=1,
    description="Brightpearl retail operations with Dynamics GP (eConnect): orders, invoices, "
                "returns, receipts, purchase orders and goods received into GP; customers, "
                "items and stock both ways.",
    flows=(SALES_ORDER, SHIPMENT, CREDIT_NOTE, PRODUCT_TO_GP, PRODUCT_TO_BP, CUSTOMER_TO_GP,
           CUSTOMER_TO_BP, INVENTORY_TO_GP, INVENTORY_TO_BP, PAYMENT, PURCHASE_ORDER,
           GOODS_RECEIPT, SUPPLIER),
    link_tables=LINK_TABLES,
)
