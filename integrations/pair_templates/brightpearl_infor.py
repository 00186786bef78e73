"""Brightpearl + Infor (M3 through the ION API): flows and default mappings (seed 000).

Directions from the seed: customers, products and inventory both ways; sales orders,
payments, purchase orders and credit notes Brightpearl → Infor (payments and credit notes as
GL vouchers); shipments and invoices Infor → Brightpearl. Suppliers go Brightpearl → Infor so
that purchase orders name an M3 supplier. M3 has no webhooks, so every Infor-side flow polls
(``LMTS`` change stamps).
"""

from __future__ import annotations

from integrations.pair_templates._brightpearl_erp import (
    COUNTRY_ISO2,
    COUNTRY_ISO3,
    IS_CHARGE_ROW,
    IS_PRODUCT_ROW,
    SALES_CHANNELS,
    customer_number,
    full_name,
)
from integrations.pair_templates.base import (
    FlowTemplate,
    FollowUp,
    LinkSource,
    LinkTable,
    PairTemplate,
)

BP, INFOR = "brightpearl", "infor"
M3_DATE = {"date": {"to": "%Y%m%d"}}

WAREHOUSES = {"1": "MAI", "2": "EAS"}             # Brightpearl warehouse id → M3 WHLO
M3_WAREHOUSES = {code: int(bp) for bp, code in WAREHOUSES.items()}
ORDER_TYPES = {"1": "SO1", "2": "SO1", "3": "A01"}  # channel → ORTP (web shop orders: SO1)
DELIVERY_METHODS = {"FED": 1, "UPS": 2, "DHL": 3}   # M3 MODL → Brightpearl shipping method
PAYMENT_ACCOUNTS = {                               # payment method → M3 bank/clearing account
    "CARD": "1010", "PAYPAL": "1010", "BANK_TRANSFER": "1010", "CASH": "1010",
}
CURRENCIES = {"1": "GBP", "2": "USD", "3": "EUR", "4": "CAD"}  # BP currencyId → CUCD


def _m3_date(path: str) -> dict:
    return {"from": path, "transform": [M3_DATE]}


def _address(kind: int, party: str) -> dict:
    p = f"parties.{party}."
    return {"object": {
        "ADRT": kind,
        "CUNM": {"coalesce": [f"{p}companyName", f"{p}addressFullName"],
                 "transform": [{"truncate": 36}]},
        "CUA1": {"from": f"{p}addressLine1", "transform": [{"truncate": 36}], "required": True},
        "CUA2": {"from": f"{p}addressLine2", "transform": [{"truncate": 36}]},
        "TOWN": {"from": f"{p}addressLine3", "transform": [{"truncate": 20}]},
        "PONO": {"from": f"{p}postalCode", "transform": [{"truncate": 10}]},
        "CSCD": {"from": f"{p}countryIsoCode", "transform": [{"lookup": "countries_iso2"}]},
        "PHNO": {"from": f"{p}telephone", "transform": [{"truncate": 16}]},
        "YREF": {"from": f"{p}addressFullName", "transform": [{"truncate": 30}]},
    }}


SALES_ORDER = FlowTemplate(
    key="sales-order-bp-to-infor",
    name="Sales orders: Brightpearl → Infor",
    entity="sales_order", source=BP, target=INFOR, trigger="webhook",
    events=("sales-order.created",),
    depends_on=("customer-bp-to-infor", "product-bp-to-infor"),
    lookups={"infor_warehouses": WAREHOUSES, "infor_order_types": ORDER_TYPES,
             "sales_channels": SALES_CHANNELS, "countries_iso2": COUNTRY_ISO2},
    follow_ups=(FollowUp(
        action="order_status_set", system=BP,
        args={"order_id": {"from": "source.id"},
              "status_id": {"from": "source.orderStatus.orderStatusId"},
              "note": {"concat": [{"const": "Infor M3 customer order"}, "target.id"],
                       "sep": " "}},
        description="Note the M3 order number on the Brightpearl order (status unchanged)."),),
    description="OIS100MI batch entry: head, one line per product row, delivery (1) and "
                "invoice (3) addresses; shipping rows become the UDN3 freight total.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl sales order → Infor M3 customer order",
        "source": {"system": BP, "entity": "order"},
        "target": {"system": INFOR, "entity": "OIS100MI.SalesOrder"},
        "fields": {
            "CUNO": customer_number("parties.customer.contactId"),
            "ORTP": {"from": "assignment.current.channelId",
                     "transform": [{"lookup": {"table": "infor_order_types", "default": "A01"}}]},
            "FACI": {"const": "A01"},
            "WHLO": {"from": "warehouseId", "transform": [{"lookup": "infor_warehouses"}]},
            "CUOR": {"from": "id", "transform": ["to_string"], "required": True,
                     "comment": "orderId → OrderID: the key M3 retries are matched on"},
            "YREF": {"from": "reference", "transform": [{"truncate": 30}]},
            "ORDT": {**_m3_date("placedOn"), "required": True},
            "RLDT": _m3_date("delivery.deliveryDate"),
            "CUCD": "currency.orderCurrencyCode",
            "UCA1": {"from": "assignment.current.channelId",
                     "transform": [{"lookup": {"table": "sales_channels", "default": "OTHER"}}],
                     "comment": "channelId → Sales Channel user field (reporting)"},
            "UCA2": {"from": "orderPaymentStatus", "comment": "paymentStatus"},
            "UDN1": {"aggregate": "sum", "over": "orderRows", "of": "rowValue.rowNet.value",
                     "transform": [{"round": 2}], "comment": "order net total"},
            "UDN2": {"aggregate": "sum", "over": "orderRows", "of": "rowValue.rowTax.value",
                     "transform": [{"round": 2}], "comment": "order tax total"},
            "UDN3": {"aggregate": "sum", "over": "orderRows", "of": "rowValue.rowNet.value",
                     "where": IS_CHARGE_ROW, "transform": [{"round": 2}],
                     "comment": "freight: rows without a product"},
            "Lines": {"each": "orderRows", "where": IS_PRODUCT_ROW, "fields": {
                "PONR": "$position",
                "ITNO": {"from": "productSku", "transform": ["upper", {"truncate": 15}],
                         "required": True},
                "ORQT": {"from": "quantity.magnitude", "transform": ["to_decimal"]},
                "SAPR": {"from": "productPrice.value",
                         "transform": [{"to_decimal": {"places": 4}}]},
                "DIP1": {"from": "discountPercentage",
                         "transform": [{"to_decimal": {"places": 2}}]},
                "WHLO": {"from": "$root.warehouseId",
                         "transform": [{"lookup": "infor_warehouses"}]},
                "DWDT": _m3_date("$root.delivery.deliveryDate"),
            }},
            "Addresses": {"list": [_address(1, "delivery"), _address(3, "billing")]},
        },
    },
)

PRODUCT_TO_INFOR = FlowTemplate(
    key="product-bp-to-infor",
    name="Products: Brightpearl → Infor",
    entity="product", source=BP, target=INFOR, trigger="webhook",
    events=("product.created", "product.modified"),
    conflict_rule="newest_wins",
    natural_key="identity.sku",
    lookups={"item_statuses": {"LIVE": "20", "DISCONTINUED": "80", "ARCHIVED": "90"}},
    description="MMS200MI AddItmBasic/UpdItmBasic; SKU is the M3 item number. Prices: "
                "list 2 (retail) → SAPR, list 1 (cost) → PUPR.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl product → Infor M3 item",
        "source": {"system": BP, "entity": "product"},
        "target": {"system": INFOR, "entity": "MMS200MI.Item"},
        "fields": {
            "ITNO": {"from": "identity.sku", "transform": ["trim", "upper", {"truncate": 15}],
                     "required": True},
            "ITDS": {"from": "salesChannels[0].productName", "transform": [{"truncate": 30}],
                     "required": True},
            "FUDS": {"from": "salesChannels[0].productName", "transform": [{"truncate": 60}]},
            "STAT": {"from": "status",
                     "transform": [{"lookup": {"table": "item_statuses", "default": "20"}}]},
            "ITTY": {"const": "FIN"},
            "UNMS": {"const": "EA"},
            "NEWE": {"from": "stock.weight.magnitude",
                     "transform": [{"to_decimal": {"places": 3}}]},
            "GRWE": {"from": "stock.weight.magnitude",
                     "transform": [{"to_decimal": {"places": 3}}]},
            "EAN": {"coalesce": ["identity.ean", "identity.barcode"],
                    "transform": [{"truncate": 13}]},
            "CUCD": "priceLists[?priceListId == `2`].currencyCode | [0]",
            "SAPR": {"from": 'priceLists[?priceListId == `2`].quantityPrice."1" | [0]',
                     "transform": [{"to_decimal": {"places": 2}}]},
            "PUPR": {"from": 'priceLists[?priceListId == `1`].quantityPrice."1" | [0]',
                     "transform": [{"to_decimal": {"places": 2}}]},
        },
    },
)

PRODUCT_TO_BP = FlowTemplate(
    key="product-infor-to-bp",
    name="Products: Infor → Brightpearl",
    entity="product", source=INFOR, target=BP, trigger="poll", poll_interval_s=900,
    conflict_rule="newest_wins",
    natural_key="ITNO",
    lookups={"infor_brands": {"OUTDOOR": 4, "APPAREL": 2, "HOME": 5, "TOOLS": 3}},
    description="Items changed in M3 (LstItmByItm with LMTS) create/update Brightpearl "
                "products; SAPR/PUPR go to the retail (2) and cost (1) price lists.",
    mapping={
        "format_version": 1,
        "name": "Infor M3 item → Brightpearl product",
        "source": {"system": INFOR, "entity": "MMS200MI.Item"},
        "target": {"system": BP, "entity": "product"},
        "fields": {
            "brandId": {"from": "ITGR",
                        "transform": [{"lookup": {"table": "infor_brands",
                                                 "on_miss": "null"}}, "to_int"],
                        "default": 1,
                        "comment": "M3 item group → Brightpearl brand; brand 1 otherwise"},
            "identity": {"object": {
                "sku": {"from": "ITNO", "required": True},
                "ean": "EAN",
                "barcode": "EAN",
            }},
            "stock": {"object": {
                "stockTracked": {"const": True},
                "weight": {"object": {"magnitude": {"from": "NEWE",
                                                    "transform": [{"to_decimal": {"places": 4}}]}}},
            }},
            "salesChannels": {"list": [{"object": {
                "salesChannelName": {"const": "Brightpearl"},
                "productName": {"coalesce": ["FUDS", "ITDS"], "required": True},
                "productCondition": {"const": "new"},
            }}]},
            "priceLists": {"list": [
                {"object": {"priceListId": 2, "quantityPrice": {"object": {
                    "1": {"from": "SAPR", "transform": [{"to_decimal": {"places": 2}}],
                          "default": 0}}}}},
                {"object": {"priceListId": 1, "quantityPrice": {"object": {
                    "1": {"from": "PUPR", "transform": [{"to_decimal": {"places": 2}}],
                          "default": 0}}}}},
            ]},
        },
    },
)

CUSTOMER_TO_INFOR = FlowTemplate(
    key="customer-bp-to-infor",
    name="Customers: Brightpearl → Infor",
    entity="customer", source=BP, target=INFOR, trigger="webhook",
    events=("contact.created", "contact.modified"),
    conflict_rule="newest_wins",
    lookups={"countries_iso2": COUNTRY_ISO2, "infor_currencies": CURRENCIES,
             "sales_channels": SALES_CHANNELS},
    description="CRS610MI Add/ChgBasicData from the contact and its default (DEF) address; "
                "firstName + lastName → CUNM unless the contact is an organisation.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl contact → Infor M3 customer",
        "source": {"system": BP, "entity": "contact"},
        "target": {"system": INFOR, "entity": "CRS610MI.Customer"},
        "fields": {
            "CUNO": customer_number("contactId"),
            "CUNM": {"coalesce": ["organisation.name", full_name()],
                     "transform": [{"truncate": 36}], "required": True},
            "CUTP": {"const": 0},
            "STAT": {"const": "20"},
            "CUA1": {"from": "postalAddresses.DEF.addressLine1",
                     "transform": [{"truncate": 36}]},
            "CUA2": {"from": "postalAddresses.DEF.addressLine2",
                     "transform": [{"truncate": 36}]},
            "TOWN": {"from": "postalAddresses.DEF.addressLine3",
                     "transform": [{"truncate": 20}]},
            "ECAR": {"when": [{"if": {"from": "postalAddresses.DEF.countryIsoCode",
                                      "in": ["USA", "CAN", "AUS"]},
                               "then": {"from": "postalAddresses.DEF.addressLine4",
                                        "transform": ["upper", {"truncate": 3}]}}],
                     "comment": "state/province only where M3 keeps one"},
            "PONO": {"from": "postalAddresses.DEF.postalCode", "transform": [{"truncate": 10}]},
            "CSCD": {"from": "postalAddresses.DEF.countryIsoCode",
                     "transform": [{"lookup": "countries_iso2"}]},
            "PHNO": {"from": "communication.telephones.PRI", "transform": [{"truncate": 16}]},
            "PHN2": {"from": "communication.telephones.MOB", "transform": [{"truncate": 16}]},
            "EMAL": {"from": "communication.emails.PRI.email", "transform": [{"truncate": 60}]},
            "YREF": {**full_name(), "transform": [{"truncate": 30}]},
            "CUCD": {"from": "financialDetails.currencyId",
                     "transform": [{"lookup": {"table": "infor_currencies", "on_miss": "null"}}]},
            "UCA1": {"from": "assignment.current.channelId",
                     "transform": [{"lookup": {"table": "sales_channels", "default": "OTHER"}}]},
        },
    },
)

CUSTOMER_TO_BP = FlowTemplate(
    key="customer-infor-to-bp",
    name="Customers: Infor → Brightpearl",
    entity="customer", source=INFOR, target=BP, trigger="poll", poll_interval_s=900,
    conflict_rule="newest_wins",
    lookups={"countries_iso3": COUNTRY_ISO3},
    description="CRS610MI customers changed in M3 (LstByNumber with LMTS) → Brightpearl "
                "contacts; the contact person (YREF, else CUNM) is split into first/last name.",
    mapping={
        "format_version": 1,
        "name": "Infor M3 customer → Brightpearl contact",
        "source": {"system": INFOR, "entity": "CRS610MI.Customer"},
        "target": {"system": BP, "entity": "contact"},
        "fields": {
            "firstName": {"coalesce": ["YREF", "CUNM"],
                          "transform": [{"split": {"index": 0, "max": 1}}]},
            "lastName": {"coalesce": ["YREF", "CUNM"],
                         "transform": [{"split": {"index": 1, "max": 1}}]},
            "organisation": {"when": [{"if": {"from": "CUTP", "ne": "0"},
                                       "then": {"object": {"name": "CUNM"}}}],
                             "comment": "M3 customer type 0 is a person"},
            "communication": {"object": {
                "emails": {"object": {"PRI": {"object": {"email": "EMAL"}}}},
                "telephones": {"object": {"PRI": "PHNO", "MOB": "PHN2"}},
            }},
            "relationshipToAccount": {"object": {"isCustomer": {"const": True}}},
            "postalAddresses": {"object": {"DEF": {"object": {
                "addressFullName": "CUNM",
                "addressLine1": "CUA1",
                "addressLine2": "CUA2",
                "addressLine3": "TOWN",
                "addressLine4": "ECAR",
                "postalCode": "PONO",
                "countryIsoCode": {"from": "CSCD", "transform": [{"lookup": "countries_iso3"}]},
                "telephone": "PHNO",
                "email": "EMAL",
            }}}},
        },
    },
)

INVENTORY_TO_INFOR = FlowTemplate(
    key="inventory-bp-to-infor",
    name="Inventory: Brightpearl → Infor",
    entity="inventory", source=BP, target=INFOR, trigger="webhook",
    events=("product.modified.on-hand-modified",),
    conflict_rule="newest_wins",
    depends_on=("product-bp-to-infor",),
    lookups={"infor_warehouses": WAREHOUSES},
    description="On-hand of Brightpearl warehouse 1 (Main) → M3 MAI; the connector posts the "
                "difference (MMS850MI). Copy the flow per further warehouse. The M3 item is "
                "found in the infor_items link table (the product flows' record links).",
    mapping={
        "format_version": 1,
        "name": "Brightpearl product availability → Infor M3 item/warehouse balance",
        "source": {"system": BP, "entity": "product-availability"},
        "target": {"system": INFOR, "entity": "MMS200MI.ItemWarehouse"},
        "fields": {
            "WHLO": {"const": "1", "transform": [{"lookup": "infor_warehouses"}]},
            "ITNO": {"from": "productId", "transform": [{"lookup": "infor_items"}],
                     "comment": "link: the product flows (Brightpearl id → ITNO)"},
            "STQT": {"from": 'warehouses."1".onHand', "transform": ["to_decimal"],
                     "default": 0},
        },
    },
)

INVENTORY_TO_BP = FlowTemplate(
    key="inventory-infor-to-bp",
    name="Inventory: Infor → Brightpearl",
    entity="inventory", source=INFOR, target=BP, trigger="poll", poll_interval_s=300,
    conflict_rule="newest_wins",
    depends_on=("product-infor-to-bp",),
    lookups={"m3_warehouses": M3_WAREHOUSES},
    description="M3 balances changed since the last poll (MMS060MI List with LMTS) set the "
                "Brightpearl on-hand (whole units) of the product the bp_product_ids link "
                "table names for the SKU.",
    mapping={
        "format_version": 1,
        "name": "Infor M3 item/warehouse balance → Brightpearl stock level",
        "source": {"system": INFOR, "entity": "MMS200MI.ItemWarehouse"},
        "target": {"system": BP, "entity": "stock_level"},
        "fields": {
            "productId": {"from": "ITNO", "transform": [{"lookup": "bp_product_ids"}, "to_int"],
                          "comment": "link: the product flows (M3 ITNO → Brightpearl id)"},
            "sku": "ITNO",
            "warehouseId": {"from": "WHLO", "transform": [{"lookup": "m3_warehouses"}, "to_int"]},
            "onHand": {"from": "STQT", "transform": [
                {"to_decimal": {"places": 0, "rounding": "down"}}, "to_int"]},
            "reason": {"concat": [{"const": "Infor M3 balance"}, "WHLO"], "sep": " "},
        },
    },
)

PAYMENT = FlowTemplate(
    key="payment-bp-to-infor",
    name="Payments: Brightpearl → Infor GL",
    entity="payment", source=BP, target=INFOR, trigger="poll", poll_interval_s=300,
    depends_on=("sales-order-bp-to-infor",),
    lookups={"payment_accounts": PAYMENT_ACCOUNTS},
    description="Customer payments (Brightpearl has no payment event; polled by createdOn) "
                "post a GLS840MI voucher: bank/clearing account by payment method against "
                "accounts receivable (1100). Refunds (paymentType PAYMENT) reverse the signs.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl customer payment → Infor M3 GL voucher",
        "source": {"system": BP, "entity": "customer-payment"},
        "target": {"system": INFOR, "entity": "GLS840MI.Voucher"},
        "fields": {
            "DIVI": {"const": "AAA"},
            "ACDT": {**_m3_date("paymentDate"), "required": True},
            "VSER": {"const": "BP"},
            "VDSC": {"concat": [{"const": "Brightpearl payment"}, "transactionRef",
                                {"const": "order"}, "orderId"], "sep": " ",
                     "transform": [{"truncate": 40}]},
            "CUCD": "currencyCode",
            "Lines": {"list": [
                {"object": {
                    "AIT1": {"from": "paymentMethodCode",
                             "transform": [{"lookup": "payment_accounts"}]},
                    "ACAM": {"when": [{"if": {"from": "paymentType", "eq": "PAYMENT"},
                                       "then": {"from": "amountPaid",
                                                "transform": ["negate", {"round": 2}]}}],
                             "else": {"from": "amountPaid", "transform": [{"round": 2}]}},
                    "VTXT": {"from": "transactionRef", "transform": [{"truncate": 40}]},
                }},
                {"object": {
                    "AIT1": {"const": "1100"},
                    "ACAM": {"when": [{"if": {"from": "paymentType", "eq": "PAYMENT"},
                                       "then": {"from": "amountPaid",
                                                "transform": [{"round": 2}]}}],
                             "else": {"from": "amountPaid",
                                      "transform": ["negate", {"round": 2}]}},
                    "VTXT": {"concat": [{"const": "Order"}, "orderId"], "sep": " "},
                }},
            ]},
        },
    },
)

PURCHASE_ORDER = FlowTemplate(
    key="purchase-order-bp-to-infor",
    name="Purchase orders: Brightpearl → Infor",
    entity="purchase_order", source=BP, target=INFOR, trigger="webhook",
    events=("purchase-order.created",),
    depends_on=("supplier-bp-to-infor", "product-bp-to-infor"),
    lookups={"infor_warehouses": WAREHOUSES},
    description="PPS200MI AddHead + AddLine; the supplier is the one the supplier flow "
                "created (SUNO: BP + contact id).",
    mapping={
        "format_version": 1,
        "name": "Brightpearl purchase order → Infor M3 purchase order",
        "source": {"system": BP, "entity": "order"},
        "target": {"system": INFOR, "entity": "PPS200MI.PurchaseOrder"},
        "fields": {
            "FACI": {"const": "A01"},
            "WHLO": {"from": "warehouseId", "transform": [{"lookup": "infor_warehouses"}]},
            "SUNO": customer_number("parties.supplier.contactId"),
            "ORTY": {"const": "P10"},
            "PUDT": _m3_date("placedOn"),
            "DWDT": {"coalesce": [_m3_date("delivery.deliveryDate"), _m3_date("placedOn")]},
            "CUCD": "currency.orderCurrencyCode",
            "YRE1": {"concat": ["reference", {"const": "/"}, "id"], "sep": "",
                     "transform": [{"truncate": 30}]},
            "Lines": {"each": "orderRows", "where": IS_PRODUCT_ROW, "fields": {
                "PNLI": "$position",
                "ITNO": {"from": "productSku", "transform": ["upper", {"truncate": 15}],
                         "required": True},
                "ORQA": {"from": "quantity.magnitude", "transform": ["to_decimal"]},
                "PUPR": {"from": "productPrice.value",
                         "transform": [{"to_decimal": {"places": 4}}]},
                "DWDT": _m3_date("$root.delivery.deliveryDate"),
            }},
        },
    },
)

SUPPLIER = FlowTemplate(
    key="supplier-bp-to-infor",
    name="Suppliers: Brightpearl → Infor",
    entity="supplier", source=BP, target=INFOR, trigger="webhook",
    events=("contact.created", "contact.modified"),
    lookups={"countries_iso2": COUNTRY_ISO2, "infor_currencies": CURRENCIES},
    description="Supplier contacts (relationshipToAccount.isSupplier; other contacts are "
                "skipped) → CRS620MI AddSupplier, or UpdSupplier once it exists (SUNO: BP + "
                "contact id), so purchase orders find their supplier.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl supplier contact → Infor M3 supplier",
        "source": {"system": BP, "entity": "contact"},
        "target": {"system": INFOR, "entity": "CRS620MI.Supplier"},
        "fields": {
            "SUNO": customer_number("contactId"),
            "SUNM": {"coalesce": ["organisation.name", full_name()],
                     "transform": [{"truncate": 36}], "required": True},
            "SUTY": {"const": 0},
            "ADR1": {"from": "postalAddresses.DEF.addressLine1",
                     "transform": [{"truncate": 36}]},
            "ADR2": {"from": "postalAddresses.DEF.addressLine2",
                     "transform": [{"truncate": 36}]},
            "TOWN": {"from": "postalAddresses.DEF.addressLine3",
                     "transform": [{"truncate": 20}]},
            "PONO": {"from": "postalAddresses.DEF.postalCode", "transform": [{"truncate": 10}]},
            "CSCD": {"from": "postalAddresses.DEF.countryIsoCode",
                     "transform": [{"lookup": "countries_iso2"}]},
            "PHNO": {"from": "communication.telephones.PRI", "transform": [{"truncate": 16}]},
            "EMAL": {"from": "communication.emails.PRI.email", "transform": [{"truncate": 60}]},
            "YREF": {**full_name(), "transform": [{"truncate": 30}]},
            "CUCD": {"from": "financialDetails.currencyId",
                     "transform": [{"lookup": {"table": "infor_currencies", "on_miss": "null"}}]},
        },
    },
)

CREDIT_NOTE = FlowTemplate(
    key="credit-note-bp-to-infor",
    name="Credit notes: Brightpearl → Infor GL",
    entity="credit_note", source=BP, target=INFOR, trigger="webhook",
    events=("sales-credit.created",),
    depends_on=("sales-order-bp-to-infor",),
    description="A sales credit posts a GLS840MI voucher: returns (3090) and VAT (2310) "
                "debited with the summed row net and tax, accounts receivable (1100) "
                "credited with the total.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl sales credit → Infor M3 GL voucher",
        "source": {"system": BP, "entity": "order"},
        "target": {"system": INFOR, "entity": "GLS840MI.Voucher"},
        "fields": {
            "DIVI": {"const": "AAA"},
            "ACDT": {**_m3_date("placedOn"), "required": True},
            "VSER": {"const": "BP"},
            "VDSC": {"concat": [{"const": "Brightpearl credit"}, "id", "reference"], "sep": " ",
                     "transform": [{"truncate": 40}]},
            "CUCD": "currency.orderCurrencyCode",
            "Lines": {"list": [
                {"object": {
                    "AIT1": {"const": "3090"},
                    "ACAM": {"aggregate": "sum", "over": "orderRows",
                             "of": "rowValue.rowNet.value", "transform": [{"round": 2}]},
                    "VTXT": {"concat": [{"const": "Credit"}, "id"], "sep": " "},
                }},
                {"object": {
                    "AIT1": {"const": "2310"},
                    "ACAM": {"aggregate": "sum", "over": "orderRows",
                             "of": "rowValue.rowTax.value", "transform": [{"round": 2}]},
                    "VTXT": {"concat": [{"const": "VAT on credit"}, "id"], "sep": " "},
                }},
                {"object": {
                    "AIT1": {"const": "1100"},
                    "ACAM": {"calc": "add", "args": [
                        {"aggregate": "sum", "over": "orderRows", "of": "rowValue.rowNet.value",
                         "transform": [{"round": 2}]},
                        {"aggregate": "sum", "over": "orderRows", "of": "rowValue.rowTax.value",
                         "transform": [{"round": 2}]}],
                        "transform": ["negate"]},
                    "VTXT": {"concat": [{"const": "Credit"}, "id"], "sep": " "},
                    "CUNO": customer_number("parties.customer.contactId"),
                }},
            ]},
        },
    },
)

SHIPMENT = FlowTemplate(
    key="shipment-infor-to-bp",
    name="Shipments and invoices: Infor → Brightpearl",
    entity="shipment", source=INFOR, target=BP, trigger="poll", poll_interval_s=300,
    depends_on=("sales-order-bp-to-infor",),
    lookups={"m3_warehouses": M3_WAREHOUSES, "delivery_methods": DELIVERY_METHODS},
    description="M3 deliveries (MWS410MI, invoiced by OIS350MI) create the Brightpearl "
                "goods-out note with the tracking number (ETRN) and mark it shipped; the "
                "Brightpearl order of the M3 order (RIDN) comes from the bp_order_ids link "
                "table (the sales-order flow's record links).",
    mapping={
        "format_version": 1,
        "name": "Infor M3 delivery → Brightpearl goods-out note",
        "source": {"system": INFOR, "entity": "MWS410MI.Delivery"},
        "target": {"system": BP, "entity": "goods_out_note"},
        "fields": {
            "orderId": {"from": "RIDN", "transform": [{"lookup": "bp_order_ids"}, "to_int"],
                        "comment": "link: sales-order-bp-to-infor (M3 ORNO → Brightpearl id)"},
            "warehouses": {"list": [{"object": {
                "warehouseId": {"from": "WHLO",
                                "transform": [{"lookup": "m3_warehouses"}, "to_int"]},
            }}]},
            "shipping": {"object": {
                "reference": "ETRN",
                "shippingMethodId": {"from": "MODL", "transform": [
                    {"lookup": {"table": "delivery_methods", "on_miss": "null"}}, "to_int"]},
            }},
            "shipped": {"when": [{"if": {"from": "PGRS", "eq": "90"}, "then": {"const": True}}],
                        "else": {"const": False}},
            "status": {"object": {
                "shippedOn": {"concat": [
                    {"from": "DSDT", "transform": [{"date": {"from": "%Y%m%d", "to": "date"}}]},
                    {"from": "DSHM", "transform": [{"pad_left": {"length": 4}},
                                                   {"date": {"from": "%H%M", "to": "%H:%M"}}]}],
                    "sep": "T", "comment": "M3 date + time of dispatch"},
            }},
        },
    },
)

# Which record links fill each link table. M3's item number (ITNO) is the id of an item
# record, so the product flows of both directions link Brightpearl id ↔ ITNO exactly (the SKU
# upper-cased and cut to 15, as the product flow writes it).
LINK_TABLES = (
    LinkTable("infor_items", (
        LinkSource(PRODUCT_TO_INFOR.key, key="source_id", value="target_id"),
        LinkSource(PRODUCT_TO_BP.key, key="target_id", value="source_id"),
    ), "Brightpearl product id → M3 item number (ITNO)"),
    LinkTable("bp_product_ids", (
        LinkSource(PRODUCT_TO_BP.key, key="source_id", value="target_id"),
        LinkSource(PRODUCT_TO_INFOR.key, key="target_id", value="source_id"),
    ), "M3 item number (ITNO) → Brightpearl product id"),
    LinkTable("bp_order_ids", (
        LinkSource(SALES_ORDER.key, key="target_id", value="source_id"),
    ), "M3 customer order number (ORNO) → Brightpearl sales order id"),
)

TEMPLATE = PairTemplate(
    key="brightpearl-infor",
    name="Brightpearl + Infor",
    partner=INFOR,
    version=1,
    description="Brightpearl retail operations with Infor M3 (ION API): order-to-cash into "
                "M3 and its GL, two-way master data and stock, M3 shipments back.",
    flows=(SALES_ORDER, PRODUCT_TO_INFOR, PRODUCT_TO_BP, CUSTOMER_TO_INFOR, CUSTOMER_TO_BP,
           INVENTORY_TO_INFOR, INVENTORY_TO_BP, PAYMENT, SUPPLIER, PURCHASE_ORDER, CREDIT_NOTE,
           SHIPMENT),
    link_tables=LINK_TABLES,
)
