"""Brightpearl + SYSPRO (e.net REST business objects): flows and default mappings (seed 001).

Directions from the seed: sales orders, payments (AR), purchase orders and shipments
Brightpearl → SYSPRO; customers, products (stock codes) and inventory both ways. SYSPRO has
no webhooks, so SYSPRO-side flows poll (COMFND on the rowversion ``TimeStamp``). SYSPRO
records arrive as dicts parsed from the business objects' XML, with the XML element names.
"""

from __future__ import annotations

from integrations.pair_templates._brightpearl_erp import (
    COUNTRY_NAME_ISO3,
    COUNTRY_NAMES,
    IS_CHARGE_ROW,
    IS_PRODUCT_ROW,
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

BP, SYSPRO = "brightpearl", "syspro"

WAREHOUSES = {"1": "FG", "2": "E"}                 # Brightpearl warehouse → SYSPRO warehouse
SYSPRO_WAREHOUSES = {code: int(bp) for bp, code in WAREHOUSES.items()}
ORDER_SOURCES = {"1": "WEB", "2": "AMAZON", "3": "POS"}   # channelId → order source code
TAX_CODES = {"T20": "A", "T5": "B", "T0": "Z", "T-": "E"}  # Brightpearl tax code → SYSPRO
CARRIERS = {"1": "FedEx", "2": "UPS", "3": "DHL", "4": "Royal Mail"}
PAYMENT_TYPES = {"CARD": "CC", "PAYPAL": "EF", "BANK_TRANSFER": "EF", "CASH": "C",
                 "CHEQUE": "Q"}
PAYMENT_BANKS = {"CARD": "BANK1", "PAYPAL": "BANK1", "BANK_TRANSFER": "BANK1", "CASH": "BANK1",
                 "CHEQUE": "BANK1"}
SUPPLIERS = {"207": "SUP001", "208": "SUP002", "209": "SUP003"}
CURRENCIES = {"1": "GBP", "2": "USD", "3": "EUR", "4": "CAD"}
TERMS = {"0": "CO", "14": "14", "30": "30", "45": "45", "60": "60"}  # credit days → TermsCode
PRODUCT_BRANDS = {"APPAREL": 2, "TOOLS": 3, "OUTDOOR": 4, "HOME": 5}


def _text(path: str, length: int) -> dict:
    return {"from": path, "transform": [{"truncate": length}]}


def _address_lines(prefix: str, target: str, address: str) -> dict:
    """Brightpearl address → SYSPRO's five address lines (line 5: the country's name)."""
    return {
        f"{target}1": _text(f"{address}.addressLine1", 40),
        f"{target}2": _text(f"{address}.addressLine2", 40),
        f"{target}3": _text(f"{address}.addressLine3", 40),
        f"{target}4": _text(f"{address}.addressLine4", 40),
        f"{target}5": {"from": f"{address}.countryIsoCode",
                       "transform": [{"lookup": "country_names"}]},
        f"{prefix}PostalCode": _text(f"{address}.postalCode", 10),
    }


def _bp_address(prefix: str, postal: str) -> dict:
    """SYSPRO's five address lines → a Brightpearl postal address."""
    return {"object": {
        "addressLine1": f"{prefix}1",
        "addressLine2": f"{prefix}2",
        "addressLine3": f"{prefix}3",
        "addressLine4": f"{prefix}4",
        "postalCode": postal,
        "countryIsoCode": {"from": f"{prefix}5",
                           "transform": [{"lookup": "country_codes"}]},
    }}


SALES_ORDER = FlowTemplate(
    key="sales-order-bp-to-syspro",
    name="Sales orders: Brightpearl → SYSPRO",
    entity="sales_order", source=BP, target=SYSPRO, trigger="webhook",
    events=("sales-order.created",),
    depends_on=("customer-bp-to-syspro", "product-bp-to-syspro"),
    lookups={"syspro_warehouse_codes": WAREHOUSES, "order_sources": ORDER_SOURCES,
             "syspro_tax_codes": TAX_CODES,
             "country_names": COUNTRY_NAMES},
    follow_ups=(FollowUp(
        action="order_status_set", system=BP,
        args={"order_id": {"from": "source.id"},
              "status_id": {"from": "source.orderStatus.orderStatusId"},
              "note": {"concat": [{"const": "SYSPRO sales order"}, "target.id"], "sep": " "}},
        description="Note the SYSPRO sales order number on the Brightpearl order."),),
    description="SORTOI import: orderId → CustomerPoNumber (traceability, and what a retry is "
                "matched on), productId's SKU → StockCode, the delivery address → ShipAddress "
                "1-5, shipping rows → a FreightLine.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl sales order → SYSPRO sales order (SORTOI)",
        "source": {"system": BP, "entity": "order"},
        "target": {"system": SYSPRO, "entity": "SORTOI"},
        "fields": {
            "OrderHeader": {"object": {
                "CustomerPoNumber": {"from": "id", "transform": ["to_string"]},
                "OrderActionType": {"const": "A"},
                "Customer": customer_number("parties.customer.contactId"),
                "OrderDate": iso_date("placedOn"),
                "RequestedShipDate": iso_date("delivery.deliveryDate"),
                "Warehouse": {"from": "warehouseId",
                              "transform": [{"lookup": "syspro_warehouse_codes"}]},
                "OrderSource": {"from": "assignment.current.channelId", "transform": [
                    {"lookup": {"table": "order_sources", "default": "OTHER"}}]},
                "CustomerName": {"coalesce": ["parties.delivery.companyName",
                                              "parties.delivery.addressFullName"],
                                 "transform": [{"truncate": 50}]},
                **_address_lines("Ship", "ShipAddress", "parties.delivery"),
                "Email": "parties.customer.email",
                "Currency": "currency.orderCurrencyCode",
                "ShippingInstrs": {"aggregate": "first", "over": "orderRows", "of": "productName",
                                   "where": IS_CHARGE_ROW, "transform": [{"truncate": 30}]},
                "OrderComments": {"concat": [{"const": "Brightpearl"}, "reference"], "sep": " ",
                                  "transform": [{"truncate": 100}]},
            }},
            "OrderDetails": {"object": {
                "StockLine": {"each": "orderRows", "where": IS_PRODUCT_ROW, "fields": {
                    "CustomerPoLine": {"from": "$key", "comment": "Brightpearl order row id"},
                    "LineActionType": {"const": "A"},
                    "StockCode": {"from": "productSku", "transform": ["upper", {"truncate": 30}],
                                  "required": True},
                    "StockDescription": _text("productName", 50),
                    "Warehouse": {"from": "$root.warehouseId",
                                  "transform": [{"lookup": "syspro_warehouse_codes"}]},
                    "OrderQty": {"from": "quantity.magnitude", "transform": ["to_decimal"]},
                    "OrderUom": {"const": "EA"},
                    "Price": {"from": "productPrice.value",
                              "transform": [{"to_decimal": {"places": 5}}]},
                    "LineDiscPercent1": {"from": "discountPercentage",
                                         "transform": [{"to_decimal": {"places": 2}}]},
                    "LineValue": {"from": "rowValue.rowNet.value", "transform": [{"round": 2}]},
                    "TaxCode": {"from": "rowValue.taxCode",
                                "transform": [{"lookup": "syspro_tax_codes"}]},
                }},
                "FreightLine": {"when": [{
                    "if": {"from": {"aggregate": "count", "over": "orderRows",
                                    "where": IS_CHARGE_ROW}, "gt": 0},
                    "then": {"list": [{"object": {
                        "FreightValue": {"aggregate": "sum", "over": "orderRows",
                                         "of": "rowValue.rowNet.value", "where": IS_CHARGE_ROW,
                                         "transform": [{"round": 2}]},
                    }}]}}]},
            }},
        },
    },
)

PRODUCT_TO_SYSPRO = FlowTemplate(
    key="product-bp-to-syspro",
    name="Products: Brightpearl → SYSPRO",
    entity="product", source=BP, target=SYSPRO, trigger="webhook",
    events=("product.created", "product.modified"),
    conflict_rule="newest_wins",
    natural_key="identity.sku",
    lookups={"syspro_warehouse_codes": WAREHOUSES},
    description="INVSST stock code setup; the SKU is the stock code, the retail price list (2) "
                "the list price.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl product → SYSPRO stock code",
        "source": {"system": BP, "entity": "product"},
        "target": {"system": SYSPRO, "entity": "SetupInvStockCode"},
        "fields": {
            "StockCode": {"from": "identity.sku", "transform": ["trim", "upper", {"truncate": 30}],
                          "required": True},
            "Description": {"from": "salesChannels[0].productName",
                            "transform": [{"truncate": 50}], "required": True},
            "LongDesc": {"from": "salesChannels[0].description.text",
                         "transform": [{"truncate": 100}]},
            "StockUom": {"const": "EA"},
            "ProductClass": {"from": "salesChannels[0].categories[0].categoryCode",
                             "transform": ["upper", {"truncate": 20}]},
            "WarehouseToUse": {"const": "1", "transform": [{"lookup": "syspro_warehouse_codes"}]},
            "Mass": {"from": "stock.weight.magnitude", "transform": [{"round": 3}]},
            "ListPrice": {"from": 'priceLists[?priceListId == `2`].quantityPrice."1" | [0]',
                          "transform": [{"to_decimal": {"places": 5}}]},
            "AlternateKey1": {"coalesce": ["identity.ean", "identity.barcode"]},
            "StockOnHold": {"when": [{"if": {"from": "status", "eq": "LIVE"},
                                      "then": {"const": "N"}}], "else": {"const": "Y"}},
        },
    },
)

PRODUCT_TO_BP = FlowTemplate(
    key="product-syspro-to-bp",
    name="Products: SYSPRO → Brightpearl",
    entity="product", source=SYSPRO, target=BP, trigger="poll", poll_interval_s=900,
    conflict_rule="newest_wins",
    natural_key="StockItem.StockCode",
    lookups={"syspro_brands": PRODUCT_BRANDS},
    description="Stock codes changed in InvMaster, read with INVQRY: list price → retail list "
                "(2), unit cost of the stock code's main warehouse → cost list (1).",
    mapping={
        "format_version": 1,
        "name": "SYSPRO stock item (INVQRY) → Brightpearl product",
        "source": {"system": SYSPRO, "entity": "INVQRY"},
        "target": {"system": BP, "entity": "product"},
        "fields": {
            "brandId": {"from": "StockItem.ProductClass",
                        "transform": [{"lookup": {"table": "syspro_brands",
                                                 "on_miss": "null"}}, "to_int"],
                        "default": 1},
            "identity": {"object": {
                "sku": {"from": "StockItem.StockCode", "required": True},
                "ean": "StockItem.AlternateKey1",
                "barcode": "StockItem.AlternateKey1",
            }},
            "stock": {"object": {
                "stockTracked": {"const": True},
                "weight": {"object": {"magnitude": {"from": "StockItem.Mass",
                                                    "transform": [{"to_decimal": {"places": 4}}]}}},
            }},
            "salesChannels": {"list": [{"object": {
                "salesChannelName": {"const": "Brightpearl"},
                "productName": {"from": "StockItem.Description", "required": True},
                "productCondition": {"const": "new"},
                "description": {"object": {"text": "StockItem.LongDesc",
                                           "format": {"const": "PLAINTEXT"}}},
            }}]},
            "priceLists": {"list": [
                {"object": {"priceListId": 2, "quantityPrice": {"object": {
                    "1": {"from": "StockItem.ListPrice",
                          "transform": [{"to_decimal": {"places": 2}}], "default": 0}}}}},
                {"object": {"priceListId": 1, "quantityPrice": {"object": {
                    "1": {"aggregate": "first", "over": "WarehouseItem", "of": "UnitCost",
                          "where": {"from": "UnitCost", "exists": True},
                          "transform": [{"to_decimal": {"places": 2}}], "default": 0,
                          "comment": "SYSPRO keeps one unit cost per warehouse; the first"}}}}},
            ]},
        },
    },
)

CUSTOMER_TO_SYSPRO = FlowTemplate(
    key="customer-bp-to-syspro",
    name="Customers: Brightpearl → SYSPRO",
    entity="customer", source=BP, target=SYSPRO, trigger="webhook",
    events=("contact.created", "contact.modified"),
    conflict_rule="newest_wins",
    lookups={"country_names": COUNTRY_NAMES, "syspro_currencies": CURRENCIES, "terms": TERMS},
    description="ARSSCS customer setup: billing address → sold-to, delivery address → ship-to; "
                "credit terms (days) → TermsCode.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl contact → SYSPRO customer (ARSSCS)",
        "source": {"system": BP, "entity": "contact"},
        "target": {"system": SYSPRO, "entity": "ARSSCS"},
        "fields": {
            "Customer": customer_number("contactId"),
            "Name": {"coalesce": ["organisation.name", full_name()],
                     "transform": [{"truncate": 50}], "required": True},
            "ShortName": {**full_name(), "transform": ["upper", {"truncate": 20}]},
            "Telephone": _text("communication.telephones.PRI", 20),
            "Email": "communication.emails.PRI.email",
            "Currency": {"from": "financialDetails.currencyId",
                         "transform": [{"lookup": {"table": "syspro_currencies",
                                                  "on_miss": "null"}}]},
            "CreditLimit": {"from": "financialDetails.creditLimit", "transform": [{"round": 2}]},
            "TermsCode": {"from": "financialDetails.creditTermDays",
                          "transform": [{"lookup": {"table": "terms", "default": "30"}}]},
            **_address_lines("Sold", "SoldToAddr", "postalAddresses.BIL"),
            **_address_lines("Ship", "ShipToAddr", "postalAddresses.DEL"),
        },
    },
)

CUSTOMER_TO_BP = FlowTemplate(
    key="customer-syspro-to-bp",
    name="Customers: SYSPRO → Brightpearl",
    entity="customer", source=SYSPRO, target=BP, trigger="poll", poll_interval_s=900,
    conflict_rule="newest_wins",
    lookups={"country_codes": COUNTRY_NAME_ISO3},
    description="ArCustomer changes read with ARSQRY → contacts: sold-to is the default and "
                "billing address, ship-to the delivery address.",
    mapping={
        "format_version": 1,
        "name": "SYSPRO customer (ARSQRY) → Brightpearl contact",
        "source": {"system": SYSPRO, "entity": "ARSQRY"},
        "target": {"system": BP, "entity": "contact"},
        "fields": {
            "firstName": {"from": "Customer.Name",
                          "transform": [{"split": {"index": 0, "max": 1}}]},
            "lastName": {"from": "Customer.Name",
                         "transform": [{"split": {"index": 1, "max": 1}}]},
            "communication": {"object": {
                "emails": {"object": {"PRI": {"object": {"email": "Customer.Email"}}}},
                "telephones": {"object": {"PRI": "Customer.Telephone"}},
            }},
            "relationshipToAccount": {"object": {"isCustomer": {"const": True}}},
            "financialDetails": {"object": {"creditLimit": {
                "from": "Customer.CreditLimit", "transform": [{"to_decimal": {"places": 2}}]}}},
            "postalAddresses": {"object": {
                "DEF": _bp_address("Customer.SoldToAddr", "Customer.SoldPostalCode"),
                "BIL": _bp_address("Customer.SoldToAddr", "Customer.SoldPostalCode"),
                "DEL": _bp_address("Customer.ShipToAddr", "Customer.ShipPostalCode"),
            }},
        },
    },
)

INVENTORY_TO_SYSPRO = FlowTemplate(
    key="inventory-bp-to-syspro",
    name="Inventory: Brightpearl → SYSPRO",
    entity="inventory", source=BP, target=SYSPRO, trigger="webhook",
    events=("product.modified.on-hand-modified",),
    conflict_rule="newest_wins",
    depends_on=("product-bp-to-syspro",),
    lookups={"syspro_warehouse_codes": WAREHOUSES},
    description="On-hand of Brightpearl warehouse 1 → SYSPRO FG; the connector posts the "
                "difference as an INVTMA adjustment. Copy the flow per further warehouse. The "
                "stock code comes from the syspro_stock_codes link table (product flows).",
    mapping={
        "format_version": 1,
        "name": "Brightpearl product availability → SYSPRO warehouse stock",
        "source": {"system": BP, "entity": "product-availability"},
        "target": {"system": SYSPRO, "entity": "INVSST"},
        "fields": {
            "StockCode": {"from": "productId", "transform": [{"lookup": "syspro_stock_codes"}],
                          "comment": "link: the product flows (Brightpearl id → StockCode)"},
            "Warehouse": {"const": "1", "transform": [{"lookup": "syspro_warehouse_codes"}]},
            "QtyOnHand": {"from": 'warehouses."1".onHand', "transform": ["to_decimal"],
                          "default": 0},
            "Reason": {"const": "BP-SYNC"},
        },
    },
)

INVENTORY_TO_BP = FlowTemplate(
    key="inventory-syspro-to-bp",
    name="Inventory: SYSPRO → Brightpearl",
    entity="inventory", source=SYSPRO, target=BP, trigger="poll", poll_interval_s=300,
    conflict_rule="newest_wins",
    depends_on=("product-syspro-to-bp",),
    lookups={"syspro_warehouses": SYSPRO_WAREHOUSES},
    description="InvWarehouse rows changed (goods received, manufacturing) set the Brightpearl "
                "on-hand of the product with that SKU; warehouses without a Brightpearl "
                "counterpart (S, spares) fail visibly rather than syncing into the wrong one.",
    mapping={
        "format_version": 1,
        "name": "SYSPRO warehouse stock (INVQRY) → Brightpearl stock level",
        "source": {"system": SYSPRO, "entity": "INVQRY.WarehouseItem"},
        "target": {"system": BP, "entity": "stock_level"},
        "fields": {
            "productId": {"from": "StockCode",
                          "transform": [{"lookup": "bp_product_ids"}, "to_int"],
                          "comment": "link: the product flows (StockCode → Brightpearl id)"},
            "sku": "StockCode",
            "warehouseId": {"from": "Warehouse",
                            "transform": [{"lookup": "syspro_warehouses"}, "to_int"]},
            "onHand": {"from": "QtyOnHand", "transform": [
                {"to_decimal": {"places": 0, "rounding": "down"}}, "to_int"]},
            "reason": {"concat": [{"const": "SYSPRO stock, warehouse"}, "Warehouse"], "sep": " "},
        },
    },
)

PAYMENT = FlowTemplate(
    key="payment-bp-to-syspro",
    name="Payments: Brightpearl → SYSPRO AR",
    entity="payment", source=BP, target=SYSPRO, trigger="poll", poll_interval_s=300,
    depends_on=("sales-order-bp-to-syspro",),
    lookups={"syspro_payment_types": PAYMENT_TYPES, "payment_banks": PAYMENT_BANKS},
    description="Customer payments (polled: Brightpearl has no payment event) post to "
                "Accounts Receivable with ARSTPY; payment method → payment type and bank. The "
                "payment record carries its order (order.parties.customer.contactId).",
    mapping={
        "format_version": 1,
        "name": "Brightpearl customer payment → SYSPRO AR payment (ARSTPY)",
        "source": {"system": BP, "entity": "customer-payment"},
        "target": {"system": SYSPRO, "entity": "ARSTPY"},
        "fields": {
            "Customer": customer_number("order.parties.customer.contactId"),
            "PaymentReference": _text("transactionRef", 30),
            "PaymentDate": iso_date("paymentDate"),
            "PaymentValue": {"when": [{"if": {"from": "paymentType", "eq": "PAYMENT"},
                                       "then": {"from": "amountPaid",
                                                "transform": ["negate", {"round": 2}]}}],
                             "else": {"from": "amountPaid", "transform": [{"round": 2}]}},
            "PaymentType": {"from": "paymentMethodCode",
                            "transform": [{"lookup": "syspro_payment_types"}]},
            "Bank": {"from": "paymentMethodCode", "transform": [{"lookup": "payment_banks"}]},
            "Currency": "currencyCode",
            "Narration": {"concat": [{"const": "Brightpearl order"}, "orderId", "order.reference"],
                          "sep": " ", "transform": [{"truncate": 50}]},
        },
    },
)

PURCHASE_ORDER = FlowTemplate(
    key="purchase-order-bp-to-syspro",
    name="Purchase orders: Brightpearl → SYSPRO",
    entity="purchase_order", source=BP, target=SYSPRO, trigger="webhook",
    events=("purchase-order.created",),
    depends_on=("product-bp-to-syspro",),
    lookups={"syspro_warehouse_codes": WAREHOUSES, "syspro_suppliers": SUPPLIERS},
    description="PORTOI import; the suppliers table names the SYSPRO supplier of each "
                "Brightpearl supplier contact. Reference = Brightpearl reference/id (a retry "
                "finds the order by it).",
    mapping={
        "format_version": 1,
        "name": "Brightpearl purchase order → SYSPRO purchase order (PORTOI)",
        "source": {"system": BP, "entity": "order"},
        "target": {"system": SYSPRO, "entity": "PORTOI"},
        "fields": {
            "OrderHeader": {"object": {
                "OrderActionType": {"const": "A"},
                "Supplier": {"from": "parties.supplier.contactId",
                             "transform": [{"lookup": "syspro_suppliers"}]},
                "OrderDate": iso_date("placedOn"),
                "DueDate": iso_date("delivery.deliveryDate"),
                "Warehouse": {"from": "warehouseId",
                              "transform": [{"lookup": "syspro_warehouse_codes"}]},
                "Currency": "currency.orderCurrencyCode",
                "Reference": {"concat": ["reference", {"const": "/"}, "id"], "sep": "",
                              "transform": [{"truncate": 30}]},
            }},
            "OrderDetails": {"object": {
                "StockLine": {"each": "orderRows", "where": IS_PRODUCT_ROW, "fields": {
                    "PurchaseOrderLine": {"from": "$position", "transform": ["to_string"]},
                    "LineActionType": {"const": "A"},
                    "StockCode": {"from": "productSku", "transform": ["upper", {"truncate": 30}],
                                  "required": True},
                    "Warehouse": {"from": "$root.warehouseId",
                                  "transform": [{"lookup": "syspro_warehouse_codes"}]},
                    "OrderQty": {"from": "quantity.magnitude", "transform": ["to_decimal"]},
                    "Price": {"from": "productPrice.value",
                              "transform": [{"to_decimal": {"places": 5}}]},
                    "LatestDueDate": iso_date("$root.delivery.deliveryDate"),
                }},
            }},
        },
    },
)

SHIPMENT = FlowTemplate(
    key="shipment-bp-to-syspro",
    name="Shipments: Brightpearl → SYSPRO",
    entity="shipment", source=BP, target=SYSPRO, trigger="webhook",
    events=("goods-out-note.modified.shipped",),
    depends_on=("sales-order-bp-to-syspro",),
    lookups={"syspro_carriers": CARRIERS},
    description="A shipped goods-out note dispatches the SYSPRO order (dispatch note + AR "
                "invoice): the syspro_sales_orders link table (sales-order flow) names it; "
                "CustomerPoNumber (= the Brightpearl order id) identifies it as well.",
    mapping={
        "format_version": 1,
        "name": "Brightpearl goods-out note → SYSPRO dispatch",
        "source": {"system": BP, "entity": "goods-out-note"},
        "target": {"system": SYSPRO, "entity": "SORTDN"},
        "fields": {
            "SalesOrder": {"from": "orderId", "transform": [{"lookup": "syspro_sales_orders"}],
                           "comment": "link: sales-order-bp-to-syspro (Brightpearl id → order)"},
            "CustomerPoNumber": {"from": "orderId", "transform": ["to_string"], "required": True},
            "Carrier": {"from": "shipping.shippingMethodId",
                        "transform": [{"lookup": {"table": "syspro_carriers", "on_miss": "null"}}]},
            "WaybillNo": _text("shipping.reference", 30),
            "ShipDate": {**iso_date("status.shippedOn"), "required": True},
        },
    },
)

# Which record links fill each link table. The stock code is the id of a SYSPRO stock item, so
# the product flows of both directions link Brightpearl id ↔ StockCode exactly (the SKU
# upper-cased and cut to 30, as the product flow writes it).
LINK_TABLES = (
    LinkTable("syspro_stock_codes", (
        LinkSource(PRODUCT_TO_SYSPRO.key, key="source_id", value="target_id"),
        LinkSource(PRODUCT_TO_BP.key, key="target_id", value="source_id"),
    ), "Brightpearl product id → SYSPRO stock code"),
    LinkTable("bp_product_ids", (
        LinkSource(PRODUCT_TO_BP.key, key="source_id", value="target_id"),
        LinkSource(PRODUCT_TO_SYSPRO.key, key="target_id", value="source_id"),
    ), "SYSPRO stock code → Brightpearl product id"),
    LinkTable("syspro_sales_orders", (
        LinkSource(SALES_ORDER.key, key="source_id", value="target_id"),
    ), "Brightpearl sales order id → SYSPRO sales order number"),
)

TEMPLATE = PairTemplate(
    key="brightpearl-syspro",
    name="Brightpearl + SYSPRO",
    partner=SYSPRO,
    version=1,
    description="Brightpearl retail operations with SYSPRO ERP: orders, AR payments, purchase "
                "orders and dispatches into SYSPRO; customers, stock codes and stock both ways.",
    flows=(SALES_ORDER, PRODUCT_TO_SYSPRO, PRODUCT_TO_BP, CUSTOMER_TO_SYSPRO, CUSTOMER_TO_BP,
           INVENTORY_TO_SYSPRO, INVENTORY_TO_BP, PAYMENT, PURCHASE_ORDER, SHIPMENT),
    link_tables=LINK_TABLES,
)
