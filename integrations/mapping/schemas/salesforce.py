"""Salesforce sObject targets (REST ``sobjects/...`` bodies). Custom fields end in ``__c``."""

from __future__ import annotations

from integrations.mapping.schemas._fields import ISO_DATE, ISO_DATETIME, entity, flag, money, text

SYSTEM = "salesforce"
CUSTOM = r"[A-Za-z][A-Za-z0-9_]*__c"
SF_ID = r"[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?"


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
    "AccountId": text(18, required=True, pattern=SF_ID),
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
}, description="Order", custom_fields=CUSTOM)

ORDER_ITEM = entity(SYSTEM, "OrderItem", {
    "OrderId": text(18, required=True, pattern=SF_ID),
    "PricebookEntryId": text(18, required=True, pattern=SF_ID),
    "Quantity": money(2, required=True),
    "UnitPrice": money(2, required=True),
    "Description": text(255),
    "ServiceDate": text(10, pattern=ISO_DATE),
}, description="Order product (line)", custom_fields=CUSTOM)

INVENTORY = entity(SYSTEM, "Inventory__c", {
    "Name": text(80, required=True),
    "Product__c": text(18, pattern=SF_ID),
    "Warehouse__c": text(80),
    "AvailableStock__c": money(2),
}, description="Custom object: stock per product (and warehouse)", custom_fields=CUSTOM)

SHIPMENT = entity(SYSTEM, "Shipment__c", {
    "Name": text(80, required=True),
    "Order__c": text(18, pattern=SF_ID),
    "TrackingNumber__c": text(255),
    "Carrier__c": text(255),
    "ShippedOn__c": text(40, pattern=ISO_DATETIME),
}, description="Custom object: shipment / goods-out note", custom_fields=CUSTOM)

PAYMENT = entity(SYSTEM, "Payment__c", {
    "Name": text(80, required=True),
    "Order__c": text(18, pattern=SF_ID),
    "Account__c": text(18, pattern=SF_ID),
    "Amount__c": money(2, required=True),
    "Currency__c": text(3),
    "PaymentMethod__c": text(255),
    "PaymentDate__c": text(10, pattern=ISO_DATE),
}, description="Custom object: payment", custom_fields=CUSTOM)

SCHEMAS = [ACCOUNT, CONTACT, PRODUCT, ORDER, ORDER_ITEM, INVENTORY, SHIPMENT, PAYMENT]
