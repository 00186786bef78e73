"""Brightpearl + Salesforce (seed 002): customer 360 in the CRM, orders from won opportunities.

Brightpearl is the system of record for products, stock, orders, shipments and payments;
Salesforce shows them to sales and service. Customers go both ways. Salesforce records point
at their Brightpearl twin through the external-id field ``Brightpearl_Id__c`` (unique; the
seed's ``ExternalID__c`` is filled too on accounts and contacts), so a lookup to a parent is
written as ``"Account": {"Brightpearl_Id__c": "202"}`` and Salesforce resolves it: no
Salesforce id has to be known in advance. The two things Salesforce cannot resolve that way
come from tables: the price book of a Brightpearl price list (``sf_price_books``, set up once
per tenant) and the price book entry of a product (``sf_pricebook_entries``, the record links
of the price flow). Tables whose name ends in ``_ids`` or ``_entries`` are such link tables:
``LINK_TABLES`` says which flow's record links fill each, and the pipeline fills them before a
mapping runs; a missing entry fails the record (``on_miss: fail``) instead of writing a wrong
reference.
"""

from __future__ import annotations

from typing import Any

from integrations.pair_templates._brightpearl_erp import COUNTRY_NAME_ISO3, COUNTRY_NAMES
from integrations.pair_templates.base import (
    FlowTemplate,
    FollowUp,
    LinkSource,
    LinkTable,
    PairTemplate,
)

BP = "brightpearl"
SF = "salesforce"

# Salesforce outbound messages: one per object, sent on create and update. The SOQL poll
# behind them is the safety net (delivery is at-least-once, unordered, given up after 24 h).
SF_CHANGED = ("created", "updated")


def _sf_events(sobject: str) -> tuple[str, ...]:
    return tuple(f"{sobject}.{event}" for event in SF_CHANGED)


def _document(name: str, source: str, source_entity: str, target: str, target_entity: str,
              fields: dict[str, Any]) -> dict[str, Any]:
    return {"format_version": 1, "name": name,
            "source": {"system": source, "entity": source_entity},
            "target": {"system": target, "entity": target_entity},
            "fields": fields}


def _bp_id(path: str) -> dict[str, Any]:
    """A Brightpearl id as the text Salesforce's external-id fields hold."""
    return {"from": path, "transform": ["to_string"], "required": True}


def _by_bp_id(path: str) -> dict[str, Any]:
    """A Salesforce lookup to the record whose ``Brightpearl_Id__c`` is this Brightpearl id."""
    return {"object": {"Brightpearl_Id__c": _bp_id(path)}}


def _sf_address(prefix: str, address: str) -> dict[str, Any]:
    """A Brightpearl postal address as Salesforce's compound address fields."""
    return {
        f"{prefix}Street": {"concat": [f"{address}.addressLine1", f"{address}.addressLine2"],
                            "sep": "\n"},
        f"{prefix}City": {"from": f"{address}.addressLine3", "transform": [{"truncate": 40}]},
        f"{prefix}State": f"{address}.addressLine4",
        f"{prefix}PostalCode": f"{address}.postalCode",
        f"{prefix}Country": {"from": f"{address}.countryIsoCode",
                             "transform": [{"lookup": {"table": "country_names",
                                                       "on_miss": "keep"}}]},
    }


def _bp_address(prefix: str) -> dict[str, Any]:
    """A Salesforce compound address as a Brightpearl postal address (street lines split)."""
    return {"object": {
        "addressLine1": {"from": f"{prefix}Street", "transform": [{"split": {"sep": "\n"}}],
                         "required": True},
        "addressLine2": {"from": f"{prefix}Street",
                         "transform": [{"split": {"sep": "\n", "index": 1, "max": 1}}]},
        "addressLine3": f"{prefix}City",
        "addressLine4": f"{prefix}State",
        "postalCode": f"{prefix}PostalCode",
        "countryIsoCode": {"from": f"{prefix}Country",
                           "transform": [{"lookup": {"table": "country_codes",
                                                     "on_miss": "fail"}}]},
    }}


# Brightpearl stores ISO 3166 alpha-3 codes; Salesforce (without state and country picklists)
# holds the country's name.
COUNTRY_LOOKUPS = {"country_names": dict(COUNTRY_NAMES)}

# Brightpearl's customer group is the contact's price list (2 Retail, 3 Trade by convention);
# Salesforce keeps it as Account.Type.
CUSTOMER_TYPES = {"2": "Customer - Direct", "3": "Channel Partner / Reseller"}

CUSTOMER_TO_ACCOUNT = _document(
    "Brightpearl contact -> Salesforce account", BP, "contact", SF, "Account", {
        "Name": {"coalesce": ["organisation.name",
                              {"concat": ["firstName", "lastName"], "sep": " "}],
                 "transform": ["trim"], "required": True},
        "AccountNumber": {"from": "assignment.current.accountReference",
                          "transform": [{"truncate": 40}]},
        "Type": {"from": "financialDetails.priceListId",
                 "transform": [{"lookup": {"table": "customer_types",
                                           "default": "Customer - Direct"}}]},
        "Phone": "communication.telephones.PRI",
        "Website": "communication.websites.PRI",
        **_sf_address("Billing", "postalAddresses.BIL"),
        **_sf_address("Shipping", "postalAddresses.DEL"),
        "Brightpearl_Id__c": _bp_id("contactId"),
        "ExternalID__c": _bp_id("contactId"),
    })

CUSTOMER_TO_CONTACT = _document(
    "Brightpearl contact -> Salesforce contact", BP, "contact", SF, "Contact", {
        "Account": _by_bp_id("contactId"),
        "Salutation": {"from": "salutation",
                       "transform": [{"lookup": {"table": "salutations", "on_miss": "null"}}]},
        "FirstName": {"from": "firstName", "transform": [{"truncate": 40}]},
        "LastName": {"coalesce": ["lastName", "organisation.name", "firstName"],
                     "transform": [{"truncate": 80}], "required": True},
        "Email": "communication.emails.PRI.email",
        "Phone": "communication.telephones.PRI",
        "MobilePhone": "communication.telephones.MOB",
        **_sf_address("Mailing", "postalAddresses.DEF"),
        "Brightpearl_Id__c": _bp_id("contactId"),
        "ExternalID__c": _bp_id("contactId"),
    })

SALUTATIONS = {"Mr": "Mr.", "Mrs": "Mrs.", "Ms": "Ms.", "Miss": "Ms.", "Dr": "Dr.",
               "Prof": "Prof."}

CONTACT_TO_CUSTOMER = _document(
    "Salesforce contact -> Brightpearl contact", SF, "Contact", BP, "contact", {
        "salutation": {"from": "Salutation", "transform": [{"replace": {"old": ".", "new": ""}}]},
        "firstName": {"from": "FirstName", "transform": [{"truncate": 64}]},
        "lastName": {"from": "LastName", "transform": [{"truncate": 64}], "required": True},
        "communication": {"object": {
            "emails": {"object": {"PRI": {"object": {"email": "Email"}}}},
            "telephones": {"object": {"PRI": "Phone", "MOB": "MobilePhone"}},
        }},
        # Person accounts are named after the person: only a real company name is copied.
        "organisation": {"object": {"name": {"when": [
            {"if": {"expr": "Account.Name != join(' ', [not_null(FirstName, ''), LastName])"},
             "then": "Account.Name"}]}}},
        "relationshipToAccount": {"object": {"isCustomer": True}},
        "financialDetails": {"object": {"priceListId": {
            "from": "Account.Type",
            "transform": [{"lookup": {"table": "price_lists", "default": 2}}, "to_int"]}}},
        "postalAddresses": {"object": {"DEF": _bp_address("Mailing"),
                                       "BIL": _bp_address("Mailing"),
                                       "DEL": _bp_address("Mailing")}},
    })

PRODUCT_TO_PRODUCT2 = _document(
    "Brightpearl product -> Salesforce product", BP, "product", SF, "Product2", {
        "Name": {"from": "salesChannels[0].productName", "required": True},
        # SKU harmonisation: order lines are matched on Product2.ProductCode = Brightpearl SKU.
        "ProductCode": {"from": "identity.sku", "required": True},
        "StockKeepingUnit": "identity.sku",
        "Description": {"from": "salesChannels[0].description.text",
                        "transform": [{"truncate": 4000}]},
        "Family": {"from": "salesChannels[0].categories[0].categoryCode",
                   "transform": [{"lookup": {"table": "product_families", "default": "None"}}]},
        "IsActive": {"when": [{"if": {"from": "status", "eq": "LIVE"}, "then": True}],
                     "else": False},
        "QuantityUnitOfMeasure": {"const": "Each"},
        "Brightpearl_Id__c": _bp_id("id"),
    })

PRODUCT_FAMILIES = {"Apparel": "Apparel", "Footwear": "Footwear", "Accessories": "Accessories",
                    "Outdoor": "Accessories", "Tools": "Home", "Home": "Home",
                    "Homeware": "Home"}

# The price on the retail list (2) is the list price in Salesforce.
RETAIL_PRICE = "priceLists[?priceListId == `2`].quantityPrice.\"1\" | [0]"

PRODUCT_TO_PRICEBOOK_ENTRY = _document(
    "Brightpearl retail price -> Salesforce price book entry", BP, "product", SF,
    "PricebookEntry", {
        "Pricebook2Id": {"const": "2", "transform": [{"lookup": "sf_price_books"}],
                         "comment": "the price book that shows Brightpearl's retail list (2)"},
        "Product2": _by_bp_id("id"),
        "UnitPrice": {"from": RETAIL_PRICE, "transform": [{"to_decimal": {"places": 2}}],
                      "required": True},
        "IsActive": {"when": [{"if": {"from": "status", "eq": "LIVE"}, "then": True}],
                     "else": False},
        "UseStandardPrice": False,
    })

INVENTORY_TO_PRODUCT2 = _document(
    "Brightpearl availability -> Salesforce product stock", BP, "product_availability", SF,
    "Product2.stock", {
        "Brightpearl_Id__c": _bp_id("productId"),
        # One figure for sales: what every warehouse can still sell (on hand - allocated).
        "AvailableStock__c": {"aggregate": "sum", "over": "warehouses", "of": "inStock",
                              "transform": [{"to_decimal": {"places": 2}}]},
    })

# Salesforce order status from Brightpearl: shipping state first (partiallyShipped /
# fully shipped), otherwise the order status.
ORDER_STATUSES = {"1": "Draft", "2": "Activated", "3": "Draft", "4": "Fulfilled",
                  "5": "Cancelled", "6": "Activated", "7": "Fulfilled"}
ORDER_TYPES = {"1": "Web", "2": "Web", "3": "Retail"}

SALES_ORDER_TO_ORDER = _document(
    "Brightpearl sales order -> Salesforce order", BP, "order", SF, "Order", {
        "Account": _by_bp_id("parties.customer.contactId"),
        "EffectiveDate": {"from": "placedOn", "transform": [{"date": {"to": "date"}}],
                          "required": True},
        "Status": {"when": [
            {"if": {"from": "shippingStatusCode", "eq": "ASS"}, "then": {"const": "Fulfilled"}},
            {"if": {"from": "shippingStatusCode", "eq": "PSS"},
             "then": {"const": "Partially Fulfilled"}},
        ], "else": {"from": "orderStatus.orderStatusId",
                    "transform": [{"lookup": {"table": "sf_order_statuses",
                                              "default": "Activated"}}]}},
        "Pricebook2Id": {"from": "priceListId", "transform": [{"lookup": "sf_price_books"}]},
        "OrderReferenceNumber": "reference",
        "Type": {"from": "assignment.current.channelId",
                 "transform": [{"lookup": {"table": "order_types", "default": "Web"}}]},
        "Description": {"concat": [{"const": "Brightpearl order"}, "id"], "sep": " "},
        **_sf_address("Billing", "parties.billing"),
        **_sf_address("Shipping", "parties.delivery"),
        "Brightpearl_Id__c": _bp_id("id"),
        # Charge rows (shipping) have no product and no price book entry: the order total in
        # Salesforce is the goods total.
        "OrderItems": {"each": "orderRows", "where": {"from": "productId", "gt": 0}, "fields": {
            "PricebookEntryId": {"from": "productId",
                                 "transform": [{"lookup": "sf_pricebook_entries"}],
                                 "required": True},
            "Quantity": {"from": "quantity.magnitude", "transform": [{"round": 2}]},
            "UnitPrice": {"calc": "div", "args": ["rowValue.rowNet.value", "quantity.magnitude"],
                          "transform": [{"round": 2}]},
            "Description": {"from": "productName", "transform": [{"truncate": 255}]},
            "Brightpearl_Id__c": {"concat": ["$root.id", "$key"], "sep": "-"},
        }},
    })

# Only won opportunities become orders: any other stage is a lookup miss and fails the record
# (the outbound message rule should also filter on StageName = 'Closed Won').
OPPORTUNITY_STAGES = {"Closed Won": 2}
LEAD_SOURCE_CHANNELS = {"Web": 1, "Phone Inquiry": 3, "Partner Referral": 3,
                        "Purchased List": 3, "Other": 3}

OPPORTUNITY_TO_SALES_ORDER = _document(
    "Salesforce won opportunity -> Brightpearl sales order", SF, "Opportunity", BP, "order", {
        "orderTypeCode": {"const": "SO"},
        "reference": {"from": "Name", "transform": [{"truncate": 64}]},
        "externalRef": "Id",
        "placedOn": {"from": "CloseDate", "required": True},
        "orderStatus": {"object": {"orderStatusId": {
            "from": "StageName", "transform": [{"lookup": {"table": "opportunity_stages",
                                                           "on_miss": "fail"}}, "to_int"]}}},
        # Only multi-currency orgs have CurrencyIsoCode; otherwise Brightpearl's base currency.
        "currency": {"when": [{"if": {"from": "CurrencyIsoCode", "exists": True},
                               "then": {"object": {"code": "CurrencyIsoCode"}}}]},
        # The Brightpearl id Salesforce holds, else the link table: a miss there is a
        # customer or product not synced yet, so the opportunity waits for it.
        "parties": {"object": {"customer": {"object": {"contactId": {
            "coalesce": ["Account.Brightpearl_Id__c",
                         {"from": "AccountId",
                          "transform": [{"lookup": {"table": "bp_contact_ids",
                                                    "on_miss": "fail"}}]}],
            "transform": ["to_int"], "required": True}}}}},
        "assignment": {"object": {"channelId": {
            "from": "LeadSource", "transform": [{"lookup": {"table": "lead_source_channels",
                                                            "default": 3}}, "to_int"]}}},
        # One row per opportunity product (the connector reads them with the opportunity);
        # TotalPrice is the line's net after any discount.
        "rows": {"each": "OpportunityLineItems.records", "fields": {
            "productId": {"coalesce": [
                "PricebookEntry.Product2.Brightpearl_Id__c",
                {"from": "PricebookEntry.Product2.ProductCode",
                 "transform": [{"lookup": {"table": "bp_product_ids", "on_miss": "fail"}}]}],
                "transform": ["to_int"], "required": True},
            "quantity": {"object": {"magnitude": {"from": "Quantity",
                                                  "transform": [{"round": 4}]}}},
            "rowValue": {"object": {
                "taxCode": {"from": "$root.Account.BillingCountry",
                            "transform": [{"lookup": {"table": "sf_tax_codes",
                                                      "default": "T20"}}]},
                "rowNet": {"object": {"value": {"from": "TotalPrice",
                                                "transform": [{"round": 4}]}}},
                "rowTax": {"object": {"value": {
                    "calc": "pct", "args": ["TotalPrice", {
                        "from": "$root.Account.BillingCountry",
                        "transform": [{"lookup": {"table": "tax_rates", "default": "20"}}]}],
                    "transform": [{"round": 2}]}}},
            }},
        }},
    })

# Standard VAT rate per billing country (Salesforce quotes net prices).
TAX_CODES = {"United Kingdom": "T20", "Ireland": "T23", "United States": "T0", "Canada": "T0"}
TAX_RATES = {"United Kingdom": "20", "Ireland": "23", "United States": "0", "Canada": "0"}

GOODS_OUT_NOTE_TO_SHIPMENT = _document(
    "Brightpearl goods-out note -> Salesforce shipment", BP, "goods_out_note", SF,
    "Shipment__c", {
        "Order__r": _by_bp_id("orderId"),
        "Tracking_Number__c": {"from": "shipping.reference", "transform": [{"truncate": 100}]},
        "Carrier__c": {"from": "shipping.shippingMethodId",
                       "transform": [{"lookup": {"table": "sf_carriers", "on_miss": "null"}}]},
        "Shipped_Date__c": {"from": "status.shippedOn", "transform": [{"date": {"to": "date"}}]},
        "Status__c": {"when": [{"if": {"from": "status.shipped", "eq": True},
                                "then": {"const": "Shipped"}}], "else": {"const": "Pending"}},
        "Brightpearl_Id__c": _bp_id("goodsOutNoteId"),
    })

# Brightpearl shipping methods (setup) → carrier names; unknown methods leave it empty.
CARRIERS = {"1": "Royal Mail", "2": "DPD", "3": "DHL Express", "4": "FedEx", "5": "UPS"}

PAYMENT_TO_PAYMENT = _document(
    "Brightpearl customer payment -> Salesforce payment", BP, "customer_payment", SF,
    "Payment__c", {
        "Order__r": _by_bp_id("orderId"),
        "Amount__c": {"from": "amountPaid", "transform": [{"round": 2}], "required": True},
        "Currency__c": "currencyCode",
        "Payment_Date__c": {"from": "paymentDate", "transform": [{"date": {"to": "date"}}]},
        "Payment_Method__c": {"from": "paymentMethodCode",
                              "transform": [{"lookup": {"table": "sf_payment_methods",
                                                        "on_miss": "keep"}}]},
        "Transaction_Ref__c": "transactionRef",
        "Brightpearl_Id__c": _bp_id("paymentId"),
    })

PAYMENT_METHODS = {"CARD": "Card", "PAYPAL": "PayPal", "BANK_TRANSFER": "Bank Transfer",
                   "CASH": "Cash", "CHEQUE": "Cheque"}

# Salesforce payment method → the Brightpearl bank nominal the money lands in (debit); the
# customer's debt is cleared on the debtors control account (credit).
PAYMENT_NOMINAL_CODES = {"Card": "1200", "Credit Card": "1200", "Bank Transfer": "1200",
                         "Cash": "1200", "Cheque": "1200", "PayPal": "1210"}
DEBTORS_CONTROL = "1100"

_JOURNAL_TEXT = {"concat": [{"const": "Salesforce payment"}, "Name", "Transaction_Ref__c"],
                 "sep": " ", "transform": [{"truncate": 255}]}
_JOURNAL_AMOUNT = {"from": "Amount__c", "transform": [{"round": 2}], "required": True}

PAYMENT_TO_JOURNAL = _document(
    "Salesforce payment -> Brightpearl journal", SF, "Payment__c", BP, "journal", {
        "description": _JOURNAL_TEXT,
        "taxDate": {"from": "Payment_Date__c", "required": True},
        "journalTypeCode": {"const": "SR"},
        "currency": {"object": {"code": {"from": "Currency__c", "default": "GBP"}}},
        "debits": {"list": [{"object": {
            "nominalCode": {"from": "Payment_Method__c",
                            "transform": [{"lookup": {"table": "payment_nominal_codes",
                                                      "on_miss": "fail"}}]},
            "transactionAmount": _JOURNAL_AMOUNT, "description": _JOURNAL_TEXT}}]},
        "credits": {"list": [{"object": {
            "nominalCode": {"const": DEBTORS_CONTROL},
            "transactionAmount": _JOURNAL_AMOUNT, "description": _JOURNAL_TEXT}}]},
    })

CREDIT_STATUSES = {"20": "Working", "21": "Closed"}

CREDIT_NOTE_TO_CASE = _document(
    "Brightpearl sales credit -> Salesforce return case", BP, "order", SF, "Case", {
        "Account": _by_bp_id("parties.customer.contactId"),
        "Subject": {"concat": [{"const": "Credit note"}, "id", {"const": "for order"},
                               "parentOrderId"], "sep": " "},
        "Description": {"concat": [
            {"concat": [{"const": "Credited"},
                        {"from": "totalValue.total", "transform": [{"round": 2}]},
                        "currency.orderCurrencyCode"], "sep": " "},
            {"aggregate": "join", "over": "orderRows", "of": "productName", "sep": "\n"}],
            "sep": ":\n"},
        "Status": {"from": "orderStatus.orderStatusId",
                   "transform": [{"lookup": {"table": "credit_statuses", "default": "New"}}]},
        "Type": {"const": "Return"},
        "Priority": {"const": "Medium"},
        "Brightpearl_Id__c": _bp_id("id"),
    })

_ACCOUNT_FLOW = "customer-bp-to-sf-account"
_CUSTOMER_IN_FLOW = "customer-sf-to-bp"
_PRODUCT_FLOW = "product-bp-to-sf"
_PRICE_FLOW = "price-bp-to-sf"
_ORDER_FLOW = "sales-order-bp-to-sf"

# Which record links fill each link table. A won opportunity names its account: accounts made
# from Brightpearl contacts link account id → contact id directly; a customer created in
# Salesforce arrives as a contact, whose account id is the natural key of its link (an account
# with several contacts maps to the Brightpearl contact of one of them).
LINK_TABLES = (
    LinkTable("bp_contact_ids", (
        LinkSource(_ACCOUNT_FLOW, key="target_id", value="source_id"),
        LinkSource(_CUSTOMER_IN_FLOW, key="natural_key", value="target_id"),
    ), "Salesforce account id → Brightpearl contact id"),
    LinkTable("bp_product_ids", (
        LinkSource(_PRODUCT_FLOW, key="natural_key", value="source_id"),
    ), "SKU (Product2.ProductCode) → Brightpearl product id"),
    LinkTable("sf_pricebook_entries", (
        LinkSource(_PRICE_FLOW, key="source_id", value="target_id"),
    ), "Brightpearl product id → PricebookEntry id (retail price book)"),
)

TEMPLATE = PairTemplate(
    key="brightpearl-salesforce",
    name="Brightpearl + Salesforce",
    partner=SF,
    version=1,
    description="Customers both ways, Brightpearl products, prices, stock, orders, shipments, "
                "payments and credits into Salesforce; won opportunities into Brightpearl "
                "orders; Salesforce payments into Brightpearl journals.",
    flows=(
        FlowTemplate(
            key=_ACCOUNT_FLOW, name="Customers: Brightpearl → Salesforce accounts",
            entity="customer", source=BP, target=SF, trigger="webhook",
            events=("contact.created", "contact.modified"),
            mapping=CUSTOMER_TO_ACCOUNT,
            lookups={"customer_types": CUSTOMER_TYPES, **COUNTRY_LOOKUPS},
            conflict_rule="newest_wins",
            description="The company (or person) a Brightpearl customer is, as an account."),
        FlowTemplate(
            key="customer-bp-to-sf-contact", name="Customers: Brightpearl → Salesforce contacts",
            entity="customer", source=BP, target=SF, trigger="webhook",
            events=("contact.created", "contact.modified"),
            mapping=CUSTOMER_TO_CONTACT,
            lookups={"salutations": SALUTATIONS, **COUNTRY_LOOKUPS},
            depends_on=(_ACCOUNT_FLOW,), conflict_rule="newest_wins",
            description="The person, under the account of the same Brightpearl contact."),
        FlowTemplate(
            key=_CUSTOMER_IN_FLOW, name="Customers: Salesforce contacts → Brightpearl",
            entity="customer", source=SF, target=BP, trigger="webhook",
            events=_sf_events("Contact"),
            mapping=CONTACT_TO_CUSTOMER,
            lookups={"country_codes": dict(COUNTRY_NAME_ISO3),
                     "price_lists": {v: int(k) for k, v in CUSTOMER_TYPES.items()}},
            follow_ups=(FollowUp(
                action="record_update", system=SF,
                args={"sobject": {"const": "Contact"}, "id": "source.Id",
                      "fields": {"object": {"Brightpearl_Id__c": "target.id"}}},
                description="Write the new Brightpearl contact id back to the contact."),),
            conflict_rule="newest_wins", natural_key="AccountId",
            description="Contacts created or changed in Salesforce (with their account's "
                        "name and type) become Brightpearl customers."),
        FlowTemplate(
            key=_PRODUCT_FLOW, name="Products: Brightpearl → Salesforce",
            entity="product", source=BP, target=SF, trigger="webhook",
            events=("product.created", "product.modified"),
            mapping=PRODUCT_TO_PRODUCT2,
            lookups={"product_families": PRODUCT_FAMILIES},
            natural_key="identity.sku"),
        FlowTemplate(
            key=_PRICE_FLOW, name="Prices: Brightpearl retail list → Salesforce price book",
            entity="product", source=BP, target=SF, trigger="webhook",
            events=("product.created", "product.modified.price-modified"),
            mapping=PRODUCT_TO_PRICEBOOK_ENTRY,
            lookups={"sf_price_books": {}},
            depends_on=(_PRODUCT_FLOW,), natural_key="identity.sku",
            description="Set sf_price_books to the Salesforce price book (Pricebook2 id) that "
                        "shows Brightpearl price list 2 before enabling."),
        FlowTemplate(
            key="inventory-bp-to-sf", name="Stock: Brightpearl → Salesforce products",
            entity="inventory", source=BP, target=SF, trigger="webhook",
            events=("product.modified.on-hand-modified",),
            mapping=INVENTORY_TO_PRODUCT2,
            depends_on=(_PRODUCT_FLOW,),
            description="Available stock summed over all warehouses into "
                        "Product2.AvailableStock__c."),
        FlowTemplate(
            key=_ORDER_FLOW, name="Sales orders: Brightpearl → Salesforce orders",
            entity="sales_order", source=BP, target=SF, trigger="webhook",
            # Rows are added after the order is created: take every later change too.
            events=("sales-order.created", "sales-order.modified"),
            mapping=SALES_ORDER_TO_ORDER,
            lookups={"sf_order_statuses": ORDER_STATUSES, "order_types": ORDER_TYPES,
                     "sf_price_books": {}, **COUNTRY_LOOKUPS},
            depends_on=(_ACCOUNT_FLOW, _PRICE_FLOW),
            description="Order details, status and fulfilment state for sales and service; "
                        "Brightpearl stays the system of record."),
        FlowTemplate(
            key="sales-order-sf-to-bp", name="Sales orders: Salesforce won opportunities → "
                                             "Brightpearl",
            entity="sales_order", source=SF, target=BP, trigger="webhook",
            events=("Opportunity.updated",),
            mapping=OPPORTUNITY_TO_SALES_ORDER,
            lookups={"opportunity_stages": OPPORTUNITY_STAGES,
                     "lead_source_channels": LEAD_SOURCE_CHANNELS,
                     "sf_tax_codes": TAX_CODES, "tax_rates": TAX_RATES},
            follow_ups=(FollowUp(
                action="record_update", system=SF,
                args={"sobject": {"const": "Opportunity"}, "id": "source.Id",
                      "fields": {"object": {"Brightpearl_Id__c": "target.id"}}},
                description="Write the Brightpearl order id back to the opportunity."),),
            depends_on=(_CUSTOMER_IN_FLOW, _PRODUCT_FLOW),
            description="An opportunity reaching Closed Won (with its products) creates the "
                        "Brightpearl sales order that allocates stock."),
        FlowTemplate(
            key="shipment-bp-to-sf", name="Shipments: Brightpearl goods-out notes → Salesforce",
            entity="shipment", source=BP, target=SF, trigger="webhook",
            events=("goods-out-note.modified.shipped",),
            mapping=GOODS_OUT_NOTE_TO_SHIPMENT,
            lookups={"sf_carriers": CARRIERS},
            depends_on=(_ORDER_FLOW,),
            description="Tracking numbers on the order for 'where is my order?' calls."),
        FlowTemplate(
            key="payment-bp-to-sf", name="Payments: Brightpearl → Salesforce",
            entity="payment", source=BP, target=SF, trigger="poll", poll_interval_s=300,
            mapping=PAYMENT_TO_PAYMENT,
            lookups={"sf_payment_methods": PAYMENT_METHODS},
            depends_on=(_ORDER_FLOW,),
            description="Brightpearl raises no payment events: customer payments are polled "
                        "(customer-payment-search by createdOn)."),
        FlowTemplate(
            key="payment-sf-to-bp", name="Payments: Salesforce → Brightpearl journals",
            entity="payment", source=SF, target=BP, trigger="webhook",
            events=("Payment__c.created",),
            mapping=PAYMENT_TO_JOURNAL,
            lookups={"payment_nominal_codes": PAYMENT_NOMINAL_CODES},
            conflict_rule="source_wins", enabled_by_default=False,
            description="For payments taken in Salesforce only: enable after setting the "
                        "outbound message rule to Brightpearl_Id__c = null, so payments that "
                        "came from Brightpearl are not journalled twice."),
        FlowTemplate(
            key="credit-note-bp-to-sf", name="Credit notes: Brightpearl → Salesforce cases",
            entity="credit_note", source=BP, target=SF, trigger="webhook",
            # Rows are added after the credit is created: take every later change too.
            events=("sales-credit.created", "sales-credit.modified"),
            mapping=CREDIT_NOTE_TO_CASE,
            lookups={"credit_statuses": CREDIT_STATUSES},
            depends_on=(_ACCOUNT_FLOW,),
            description="Returns and credits as closed-loop return cases on the account."),
    ),
    link_tables=LINK_TABLES,
)
