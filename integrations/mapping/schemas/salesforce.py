"""Salesforce sObject targets (REST ``sobjects/...`` bodies). Custom fields end in ``__c``."""

from __future__ import annotations

from integrations.mapping.schemas._fields import (
    ISO_DATE,
    ISO_DATETIME,
    entity,
    flag,
    money,
    obj,
    rows,
    text,
)

SYSTEM = "salesforce"
CUSTOM = r"[A-Za-z][A-Za-z0-9_]*__c"
SF_ID = r"[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?"
EXTERNAL_ID = text(50)  # Brightpearl_Id__c (unique) and ExternalID__c: external-id fields


def _by_external_id() -> dict:
    """A lookup set through the parent's external id instead of its Salesforce id
    (``"Account": {"Brightpearl_Id__c": "202"}``): Salesforce resolves it on write."""
    return obj({"Brightpearl_Id__c": EXTERNAL_ID, "ExternalID__c": EXTERNAL_ID})


def _address(prefix: str) -> dict[str, dict]:
    return {
        f"{prefix}Street": text(255),
        f"{prefix}City": text(40),
        f"{prefix}State": text(80),
        f"{prefix}PostalCode": text(20),
        f"{prefix}Country": text(80),
    }


ACCOUNT = entity(SYSTEM, "Account", {
    "Name": text(255, required=True),
    "AccountNumber": text(40),
    "Type": text(255),
    "RecordTypeId": text(18, pattern=SF_ID),
    "Phone": text(40),
    "Fax": text(40),
    "Website": text(255),
    "Industry": text(255),
    "Description": text(32000),
    "CurrencyIsoCode": text(3),
    **_address("Billing"),
    **_address("Shipping"),
}, description="Account (company / organisation)", custom_fields=CUSTOM)

CONTACT = entity(SYSTEM, "Contact", {
    "LastName": text(80, required=True),
    "FirstName": text(40),
    "Salutation": text(40),
    "Email": text(80),
    "Phone": text(40),
    "MobilePhone": text(40),
    "Title": text(128),
    "AccountId": text(18, pattern=SF_ID),
    "Account": _by_external_id(),
    **_address("Mailing"),
}, description="Contact (individual)", custom_fields=CUSTOM)

PRODUCT = entity(SYSTEM, "Product2", {
    "Name": text(255, required=True),
    "ProductCode": text(255),
    "StockKeepingUnit": text(180),
    "Description": text(4000),
    "Family": text(255),
    "IsActive": flag(),
    "QuantityUnitOfMeasure": text(255),
}, description="Product", custom_fields=CUSTOM)

ORDER = entity(SYSTEM, "Order", {
    # Salesforce needs the account: by id (AccountId) or by external id (Account).
    "AccountId": text(18, pattern=SF_ID),
    "Account": _by_external_id(),
    "EffectiveDate": text(10, required=True, pattern=ISO_DATE),
    "Status": text(40, required=True),
    "Pricebook2Id": text(18, pattern=SF_ID),
    "OrderReferenceNumber": text(80),
    "PoNumber": text(80),
    "Description": text(32000),
    "Type": text(255),
    "CurrencyIsoCode": text(3),
    **_address("Billing"),
    **_address("Shipping"),
    # Written one by one to sobjects/OrderItem after the order (OrderId set by the connector).
    "OrderItems": rows({
        "PricebookEntryId": text(18, required=True, pattern=SF_ID),
        "Quantity": money(2, required=True),
        "UnitPrice": money(2, required=True),
        "Description": text(255),
        "ServiceDate": text(10, pattern=ISO_DATE),
    }, custom_fields=CUSTOM),
}, description="Order", custom_fields=CUSTOM)

ORDER_ITEM = entity(SYSTEM, "OrderItem", {
    "OrderId": text(18, required=True, pattern=SF_ID),
    "PricebookEntryId": text(18, required=True, pattern=SF_ID),
    "Quantity": money(2, required=True),
    "UnitPrice": money(2, required=True),
    "Description": text(255),
    "ServiceDate": text(10, pattern=ISO_DATE),
}, description="Order product (line)", custom_fields=CUSTOM)

PRODUCT_STOCK = entity(SYSTEM, "Product2.stock", {
    "Brightpearl_Id__c": text(50, required=True),
    "AvailableStock__c": money(2),
}, description="Stock on an existing Product2 (PATCH sobjects/Product2/Brightpearl_Id__c/{id}); "
               "the product flow creates the record", custom_fields=CUSTOM)

PRICEBOOK_ENTRY = entity(SYSTEM, "PricebookEntry", {
    # Pricebook2Id and Product2 are set on create only (not updateable).
    "Pricebook2Id": text(18, required=True, pattern=SF_ID),
    "Product2Id": text(18, pattern=SF_ID),
    "Product2": _by_external_id(),
    "UnitPrice": money(2, required=True),
    "IsActive": flag(),
    "UseStandardPrice": flag(),
}, description="Price book entry: a product's price in one price book")

CASE = entity(SYSTEM, "Case", {
    "Subject": text(255),
    "Description": text(32000),
    "Status": text(40),
    "Origin": text(40),
    "Type": text(40),
    "Reason": text(40),
    "Priority": text(40),
    "AccountId": text(18, pattern=SF_ID),
    "Account": _by_external_id(),
    "ContactId": text(18, pattern=SF_ID),
    "Contact": _by_external_id(),
}, description="Case (service request, e.g. a return)", custom_fields=CUSTOM)

# Name is an auto-number on the custom objects below: read-only, never written.
INVENTORY = entity(SYSTEM, "Inventory__c", {
    "Name": text(80),
    "Product__c": text(18, pattern=SF_ID),
    "Warehouse__c": text(80),
    "AvailableStock__c": money(2),
}, description="Custom object: stock per product (and warehouse)", custom_fields=CUSTOM)

SHIPMENT = entity(SYSTEM, "Shipment__c", {
    "Name": text(80),
    "Order__c": text(18, pattern=SF_ID),
    "Order__r": _by_external_id(),
    "Tracking_Number__c": text(100),
    "Shipped_Date__c": text(10, pattern=ISO_DATE),
    "Status__c": text(40),
    "TrackingNumber__c": text(255),
    "Carrier__c": text(255),
    "ShippedOn__c": text(40, pattern=ISO_DATETIME),
}, description="Custom object: shipment / goods-out note", custom_fields=CUSTOM)

PAYMENT = entity(SYSTEM, "Payment__c", {
    "Name": text(80),
    "Order__c": text(18, pattern=SF_ID),
    "Order__r": _by_external_id(),
    "Account__c": text(18, pattern=SF_ID),
    "Account__r": _by_external_id(),
    "Payment_Date__c": text(10, pattern=ISO_DATE),
    "Payment_Method__c": text(80),
    "Transaction_Ref__c": text(100),
    "Amount__c": money(2, required=True),
    "Currency__c": text(3),
    "PaymentMethod__c": text(255),
    "PaymentDate__c": text(10, pattern=ISO_DATE),
}, description="Custom object: payment", custom_fields=CUSTOM)

SCHEMAS = [ACCOUNT, CONTACT, PRODUCT, PRODUCT_STOCK, PRICEBOOK_ENTRY, ORDER, ORDER_ITEM, CASE,
           INVENTORY, SHIPMENT, PAYMENT]
