"""Brightpearl targets (request bodies of the public API, JSON)."""

from __future__ import annotations

from integrations.mapping.schemas._fields import (
    ISO_DATE,
    ISO_DATETIME,
    choice,
    entity,
    flag,
    integer,
    money,
    obj,
    rows,
    text,
)

SYSTEM = "brightpearl"
CUSTOM = r"PCF_[A-Z0-9_]+"

_POSTAL_ADDRESS = {
    "addressFullName": text(255),
    "companyName": text(255),
    "addressLine1": text(255),
    "addressLine2": text(255),
    "addressLine3": text(255),
    "addressLine4": text(255),
    "postalCode": text(64),
    "countryIsoCode": text(3),
    "telephone": text(64),
    "mobileTelephone": text(64),
    "email": text(255),
}

ORDER = entity(SYSTEM, "order", {
    "orderTypeCode": choice("SO", "SC", "PO", "PC", required=True),
    "reference": text(64),
    "externalRef": text(64),
    "placedOn": text(40, pattern=ISO_DATETIME),
    "priceListId": integer(minimum=1),
    "warehouseId": integer(minimum=1),
    "orderStatus": obj({"orderStatusId": integer(required=True, minimum=1)}),
    "currency": obj({
        "code": text(3, required=True),
        "fixedExchangeRate": flag(),
        "exchangeRate": money(6),
    }),
    "parties": obj({
        "customer": obj({"contactId": integer(required=True, minimum=1)}),
        "supplier": obj({"contactId": integer(required=True, minimum=1)}),
    }, required=True),
    "delivery": obj({
        "date": text(40, pattern=ISO_DATETIME),
        "address": obj(_POSTAL_ADDRESS),
        "shippingMethodId": integer(minimum=1),
    }),
    "assignment": obj({
        "salesChannelId": integer(minimum=1),
        "channelId": integer(minimum=1),
        "staffOwnerContactId": integer(minimum=1),
        "projectId": integer(minimum=0),
        "leadSourceId": integer(minimum=0),
    }),
    "customFields": {"type": "object", "custom_fields": CUSTOM},
    # Posted one by one to order-service/order/{id}/row after the order is created.
    "rows": rows({
        "productId": integer(minimum=1),
        "productName": text(255),
        "quantity": obj({"magnitude": money(4, required=True)}, required=True),
        "rowValue": obj({
            "taxCode": text(10, required=True),
            "rowNet": obj({"value": money(4, required=True)}, required=True),
            "rowTax": obj({"value": money(4, required=True)}),
        }, required=True),
        "nominalCode": text(10),
        "externalRef": text(64),
    }),
}, description="Sales/purchase order (POST order-service/order, rows via .../row)")

PRODUCT = entity(SYSTEM, "product", {
    "brandId": integer(required=True, minimum=1),
    "productTypeId": integer(minimum=1),
    "productGroupId": integer(minimum=0),
    "identity": obj({
        "sku": text(64),
        "isbn": text(64),
        "ean": text(64),
        "upc": text(64),
        "mpn": text(64),
        "barcode": text(64),
    }),
    "featured": flag(),
    "stock": obj({
        "stockTracked": flag(),
        "weight": obj({"magnitude": money(4)}),
    }),
    "financialDetails": obj({
        "taxable": flag(),
        "taxCode": obj({"id": integer(minimum=1), "code": text(10)}),
    }),
    "salesChannels": rows({
        "salesChannelName": text(64, required=True),
        "productName": text(255, required=True),
        "productCondition": choice("new", "used", "refurbished"),
        "description": obj({"text": text(65535), "format": choice("HTML_TRUSTED", "PLAINTEXT")}),
    }),
    "version": integer(minimum=0),
    "customFields": {"type": "object", "custom_fields": CUSTOM},
    # Written by the connector through product-service/product-price, one call per list.
    "priceLists": rows({
        "priceListId": integer(required=True, minimum=1),
        "quantityPrice": obj({"1": money(4, required=True)}, required=True),
    }),
}, description="Product (POST/PUT product-service/product)")

CONTACT = entity(SYSTEM, "contact", {
    "salutation": text(64),
    "firstName": text(64),
    "lastName": text(64),
    "postAddressIds": obj({"DEF": integer(minimum=1), "BIL": integer(minimum=1),
                           "DEL": integer(minimum=1)}),
    "communication": obj({
        "emails": obj({"PRI": obj({"email": text(255)}), "SEC": obj({"email": text(255)})}),
        "telephones": obj({"PRI": text(64), "MOB": text(64)}),
        "websites": obj({"PRI": text(255)}),
    }),
    "organisation": obj({"name": text(255), "jobTitle": text(255)}),
    "relationshipToAccount": obj({"isCustomer": flag(), "isSupplier": flag()}),
    "financialDetails": obj({"priceListId": integer(minimum=1), "creditLimit": money(2)}),
    "contactGroupId": integer(minimum=1),
    "customFields": {"type": "object", "custom_fields": CUSTOM},
    # Created by the connector first (contact-service/postal-address) and linked by id.
    "postalAddresses": obj({
        "DEF": obj(_POSTAL_ADDRESS), "BIL": obj(_POSTAL_ADDRESS), "DEL": obj(_POSTAL_ADDRESS),
    }),
}, description="Contact (POST contact-service/contact)")

POSTAL_ADDRESS = entity(SYSTEM, "postal_address", {
    **_POSTAL_ADDRESS,
    "addressLine1": text(255, required=True),
}, description="Postal address (POST contact-service/postal-address)")

PAYMENT = entity(SYSTEM, "payment", {
    "transactionRef": text(64),
    "transactionCode": text(64),
    "paymentMethodCode": text(32, required=True),
    "paymentType": choice("RECEIPT", "PAYMENT", "AUTH", "CAPTURE", required=True),
    "orderId": integer(required=True, minimum=1),
    "currencyIsoCode": text(3, required=True),
    "exchangeRate": money(6),
    "amountPaid": money(2, required=True),
    "paymentDate": text(40, required=True, pattern=ISO_DATETIME),
    "journalRef": text(64),
}, description="Customer payment (POST accounting-service/customer-payment)")

GOODS_OUT_NOTE = entity(SYSTEM, "goods_out_note", {
    "warehouses": rows({
        "releaseDate": text(40, pattern=ISO_DATETIME),
        "warehouseId": integer(required=True, minimum=1),
        "transfer": flag(),
        "products": rows({
            "productId": integer(required=True, minimum=1),
            "salesOrderRowId": integer(required=True, minimum=1),
            "quantity": integer(required=True, minimum=1),
        }),  # left out: the whole order ships from this warehouse
    }, required=True, min_items=1),
    "priority": flag(),
    "shippingMethodId": integer(minimum=1),
    "labelUri": text(255),
    # Read by the connector: the order the note is for, then tracking (PUT) and SHW event.
    "orderId": integer(minimum=1),
    "shipping": obj({
        "reference": text(64),
        "boxes": integer(minimum=0),
        "shippingMethodId": integer(minimum=0),
        "weight": money(4),
    }),
    "shipped": flag(),
    "status": obj({"shipped": flag(), "shippedOn": text(40, pattern=ISO_DATETIME)}),
}, description="Goods-out note (POST warehouse-service/order/{id}/goods-note/goods-out)")

JOURNAL = entity(SYSTEM, "journal", {
    "description": text(255),
    "taxDate": text(10, required=True, pattern=ISO_DATE),
    "journalTypeCode": text(10),
    "currency": obj({"code": text(3, required=True), "exchangeRate": money(6)}, required=True),
    "credits": rows({
        "nominalCode": text(10, required=True),
        "transactionAmount": money(2, required=True),
        "taxCode": text(10),
        "description": text(255),
    }, required=True, min_items=1),
    "debits": rows({
        "nominalCode": text(10, required=True),
        "transactionAmount": money(2, required=True),
        "taxCode": text(10),
        "description": text(255),
    }, required=True, min_items=1),
}, description="Journal entry (POST accounting-service/journal-entry)")

STOCK_CORRECTION = entity(SYSTEM, "stock_correction", {
    "corrections": rows({
        "productId": integer(required=True, minimum=1),
        "quantity": integer(required=True),
        "reason": text(255, required=True),
        "locationId": integer(minimum=1),
        "cost": obj({"currency": text(3), "value": money(4)}),
    }, required=True, min_items=1),
}, description="Stock correction (POST warehouse-service/warehouse/{id}/stock-correction)")

STOCK_LEVEL = entity(SYSTEM, "stock_level", {
    # The connector reads the current on-hand and posts the difference as a stock correction.
    "productId": integer(minimum=1),
    "sku": text(64),
    "warehouseId": integer(required=True, minimum=1),
    "onHand": integer(required=True),
    "reason": text(255),
}, description="Absolute stock level of a product in a warehouse (set via stock-correction)")

SCHEMAS = [ORDER, PRODUCT, CONTACT, POSTAL_ADDRESS, PAYMENT, GOODS_OUT_NOTE, JOURNAL,
           STOCK_CORRECTION, STOCK_LEVEL]
