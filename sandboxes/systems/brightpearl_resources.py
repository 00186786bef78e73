"""Brightpearl emulator: the resources (products, contacts, orders, stock, goods-out and
goods-in notes, payments, journals, webhooks) as plain functions over an account, used by the
API handlers (``*_create(..., emit=True)``) and by seeding (``emit=False``).
"""

from __future__ import annotations

import copy
from typing import Any

from sandboxes.state import Account
from sandboxes.system import SystemContext
from sandboxes.systems.brightpearl_common import (
    FIRST_IDS,
    ORDER_RESOURCE,
    BpError,
    bad_request,
    bp_time,
    event_emit,
    money4,
    not_found,
    number,
    record_saved,
    time_parse,
)

WAREHOUSES = [
    {"id": 1, "name": "Main Warehouse", "typeCode": "OWN", "typeDescription": "Own warehouse",
     "address": {"addressLine1": "Unit 4, Trafford Park", "addressLine3": "Manchester",
                 "postalCode": "M17 1AB", "countryIsoCode": "GBR"}, "defaultLocationId": 1},
    {"id": 2, "name": "East Coast DC", "typeCode": "OWN", "typeDescription": "Own warehouse",
     "address": {"addressLine1": "200 Port Street", "addressLine3": "Newark",
                 "postalCode": "07114", "countryIsoCode": "USA"}, "defaultLocationId": 2},
]
WAREHOUSE_BY_CODE = {"MAIN": 1, "EAST": 2}
CHANNELS = [
    {"id": 1, "name": "Web Store", "channelTypeId": 1},
    {"id": 2, "name": "Amazon", "channelTypeId": 2},
    {"id": 3, "name": "POS", "channelTypeId": 3},
]
PRICE_LISTS = [
    {"id": 1, "name": {"text": "Cost"}, "code": "COST", "currencyCode": "GBP", "priceListTypeCode": "BUY", "gross": False},  # noqa: E501
    {"id": 2, "name": {"text": "Retail"}, "code": "RETAIL", "currencyCode": "GBP", "priceListTypeCode": "SELL", "gross": False},  # noqa: E501
]
ORDER_STATUSES = [
    (1, "Draft / Quote", "SO"), (2, "New web order", "SO"), (3, "Awaiting payment", "SO"),
    (4, "Invoiced", "SO"), (5, "Cancelled", "SO"), (6, "Ready to ship", "SO"),
    (7, "Shipped", "SO"), (10, "Pending PO", "PO"), (11, "Placed with supplier", "PO"),
    (12, "Received", "PO"), (20, "Pending return", "SC"), (21, "Credited", "SC"),
    (30, "Pending purchase credit", "PC"), (31, "Purchase credit complete", "PC"),
]
DEFAULT_STATUS = {"SO": 2, "PO": 10, "SC": 20, "PC": 30}
NOMINAL_CODES = [
    ("1000", "Stock", "ASSET"), ("1001", "Stock in transit", "ASSET"),
    ("1100", "Debtors control", "ASSET"), ("1200", "Bank current account", "ASSET"),
    ("1210", "PayPal", "ASSET"), ("2100", "Creditors control", "LIABILITY"),
    ("2200", "VAT liability", "LIABILITY"), ("4000", "Sales", "INCOME"),
    ("4020", "Shipping income", "INCOME"), ("5000", "Cost of sales", "EXPENSE"),
    ("7502", "Postage and carriage", "EXPENSE"), ("8200", "Stock adjustments", "EXPENSE"),
]
TAX_RATES = {"T20": 20.0, "T5": 5.0, "T0": 0.0, "T19": 19.0, "T10": 10.0, "-": 0.0}
PAYMENT_METHODS = {"CASH", "CARD", "PAYPAL", "BANK_TRANSFER", "CHEQUE", "AMAZON", "STRIPE"}
PAYMENT_TYPES = {"RECEIPT", "PAYMENT", "AUTH", "CAPTURE"}
JOURNAL_TYPES = {"GJ", "SI", "SC", "PI", "PC", "SR", "PP", "BR", "BP", "JC"}
GOODS_OUT_EVENTS = {"PRI": "printed", "PIC": "picked", "PAC": "packed", "SHW": "shipped"}
COUNTRY_ISO3 = {
    "GB": "GBR", "US": "USA", "DE": "DEU", "FR": "FRA", "AU": "AUS", "CA": "CAN", "IE": "IRL",
    "NL": "NLD", "ES": "ESP", "IT": "ITA", "NZ": "NZL",
}
PERIOD_OPEN_FROM = "2024-01-01"


def account_init(ctx: SystemContext, account: Account) -> None:
    """Reference data every Brightpearl account has."""
    account.first_ids.update(FIRST_IDS)
    for entity, rows in (("warehouse", WAREHOUSES), ("channel", CHANNELS),
                         ("price_list", PRICE_LISTS)):
        table = account.table(entity)
        for row in rows:
            table.insert(copy.deepcopy(row), record_id=row["id"])
    statuses = account.table("order_status")
    for status_id, name, type_code in ORDER_STATUSES:
        statuses.insert(
            {"statusId": status_id, "name": name, "orderTypeCode": type_code, "disabled": False},
            record_id=status_id,
        )
    nominals = account.table("nominal_code")
    for code, name, kind in NOMINAL_CODES:
        nominals.insert({"id": nominals.next_seq, "code": code, "name": name, "type": kind,
                         "bank": code in ("1200", "1210"), "expense": kind == "EXPENSE"})
    account.settings.setdefault("period_open_from", PERIOD_OPEN_FROM)
    account.settings.setdefault("row_seq", 1)


def _new_record_id(account: Account, entity: str) -> int:
    return account.table(entity).next_id()


def deep_merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _int_field(body: dict[str, Any], name: str, code: str, *, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(code, f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise bad_request(code, f"{name} must be an integer")
    return int(value)


# -- products ------------------------------------------------------------------------------


def product_create(
    ctx: SystemContext, account: Account, body: dict[str, Any], *, emit: bool = True
) -> int:
    brand_id = _int_field(body, "brandId", "PRDC-001", required=True)
    if account.table("brand").get(brand_id) is None:
        raise bad_request("PRDC-002", f"Brand {brand_id} does not exist")
    identity = body.get("identity") or {}
    if not isinstance(identity, dict):
        raise bad_request("PRDC-003", "identity must be an object")
    channels = body.get("salesChannels") or []
    if not isinstance(channels, list) or not channels or not isinstance(channels[0], dict):
        raise bad_request("PRDC-004", "salesChannels[0].productName is required")
    if not channels[0].get("productName"):
        raise bad_request("PRDC-004", "salesChannels[0].productName is required")
    table = account.table("product")
    product_id = table.next_id()
    now = bp_time()
    stock = body.get("stock") or {}
    financial = body.get("financialDetails") or {}
    record: dict[str, Any] = {
        "id": product_id,
        "brandId": brand_id,
        "collectionId": body.get("collectionId"),
        "productTypeId": body.get("productTypeId", 1),
        "productGroupId": body.get("productGroupId"),
        "identity": {
            "sku": identity.get("sku", ""),
            "isbn": identity.get("isbn", ""),
            "ean": identity.get("ean", ""),
            "upc": identity.get("upc", ""),
            "mpn": identity.get("mpn", ""),
            "barcode": identity.get("barcode", ""),
        },
        "featured": bool(body.get("featured", False)),
        "stock": {
            "stockTracked": bool(stock.get("stockTracked", True)),
            "weight": {"magnitude": number((stock.get("weight") or {}).get("magnitude", 0),
                                           "stock.weight.magnitude")},
            "dimensions": {"length": 0.0, "height": 0.0, "width": 0.0, "volume": 0.0,
                           **(stock.get("dimensions") or {})},
        },
        "financialDetails": {
            "taxable": bool(financial.get("taxable", True)),
            "taxCode": financial.get("taxCode") or {"id": 1, "code": "T20"},
        },
        "salesChannels": [
            {
                "salesChannelName": ch.get("salesChannelName", "Brightpearl"),
                "productName": ch.get("productName", ""),
                "productCondition": ch.get("productCondition", "new"),
                "categories": ch.get("categories", []),
                "description": ch.get("description") or {"languageCode": "en", "text": "",
                                                         "format": "HTML_FRAGMENT"},
                "shortDescription": ch.get("shortDescription") or {
                    "languageCode": "en", "text": "", "format": "HTML_FRAGMENT"},
            }
            for ch in channels
        ],
        "composition": body.get("composition") or {"bundle": False},
        "variations": body.get("variations") or [],
        "createdOn": now,
        "updatedOn": now,
        "warehouses": {},
        "nominalCodeStock": body.get("nominalCodeStock", "1000"),
        "nominalCodePurchases": body.get("nominalCodePurchases", "5000"),
        "nominalCodeSales": body.get("nominalCodeSales", "4000"),
        "reporting": body.get("reporting") or {"categoryId": None, "seasonIds": [],
                                                "subcategoryId": None},
        "primarySupplierId": body.get("primarySupplierId"),
        "status": body.get("status", "LIVE"),
        "salesPopupMessage": body.get("salesPopupMessage", ""),
        "warehousePopupMessage": body.get("warehousePopupMessage", ""),
        "customFields": body.get("customFields") or {},
        "version": 1,
    }
    table.insert(record, record_id=product_id)
    account.table("product_price").insert(
        {"productId": product_id, "priceLists": [
            {"priceListId": pl["id"], "currencyCode": pl["currencyCode"],
             "quantityPrice": {"1": "0.0000"}} for pl in PRICE_LISTS
        ]},
        record_id=product_id,
    )
    if emit:
        event_emit(ctx, account, "product", "created", product_id)
    return product_id


def product_update(
    ctx: SystemContext, account: Account, product_id: int, body: dict[str, Any],
    if_match: str | None,
) -> dict[str, Any]:
    table = account.table("product")
    record = table.get(product_id)
    if record is None:
        raise not_found(f"Product {product_id}")
    expected = (if_match or "").strip().removeprefix("W/").strip('"')
    if not expected:
        raise BpError(412, "PRDC-412", "If-Match header with the product version is required")
    if expected != str(record["version"]):
        raise BpError(
            412, "PRDC-412",
            f"Product {product_id} has version {record['version']}, not {expected}",
        )
    if "brandId" in body:
        brand_id = _int_field(body, "brandId", "PRDC-001", required=True)
        if account.table("brand").get(brand_id) is None:
            raise bad_request("PRDC-002", f"Brand {brand_id} does not exist")
    changes = {k: v for k, v in body.items() if k not in ("id", "version", "createdOn")}
    deep_merge(record, changes)
    record["version"] += 1
    record_saved(table, product_id, record)
    event_emit(ctx, account, "product", "modified", product_id)
    return record


def product_price_set(
    ctx: SystemContext, account: Account, product_id: int, price_list_id: int,
    body: dict[str, Any], *, emit: bool = True,
) -> None:
    prices = account.table("product_price").get(product_id)
    if prices is None:
        raise not_found(f"Product {product_id}")
    if account.table("price_list").get(price_list_id) is None:
        raise not_found(f"Price list {price_list_id}")
    quantity_price = body.get("quantityPrice")
    if not isinstance(quantity_price, dict) or not quantity_price:
        raise bad_request("PRDC-010", "quantityPrice is required, e.g. {\"1\": \"9.99\"}")
    clean = {str(k): money4(number(v, f"quantityPrice.{k}")) for k, v in quantity_price.items()}
    for entry in prices["priceLists"]:
        if entry["priceListId"] == price_list_id:
            entry["quantityPrice"] = clean
            break
    else:
        prices["priceLists"].append({"priceListId": price_list_id, "currencyCode": "GBP",
                                     "quantityPrice": clean})
    account.table("product_price").touch(product_id)
    product = account.table("product").get(product_id)
    if product is not None:
        product["version"] += 1
        record_saved(account.table("product"), product_id, product)
    if emit:
        event_emit(ctx, account, "product", "modified", product_id, "price-modified")


def product_retail_price(account: Account, product_id: int) -> float:
    prices = account.table("product_price").get(product_id)
    for entry in (prices or {}).get("priceLists", []):
        if entry["priceListId"] == 2:
            return float(entry["quantityPrice"].get("1", 0))
    return 0.0


# -- contacts and addresses ----------------------------------------------------------------


def address_create(account: Account, body: dict[str, Any]) -> int:
    if not body.get("addressLine1"):
        raise bad_request("CONC-020", "addressLine1 is required")
    country = str(body.get("countryIsoCode") or "").upper()
    if not country and body.get("countryId") is None:
        raise bad_request("CONC-021", "countryIsoCode is required")
    if country and (len(country) not in (2, 3) or not country.isalpha()):
        raise bad_request("CONC-022", f"Unknown country '{country}'")
    table = account.table("postal_address")
    address_id = table.next_id()
    table.insert({
        "addressId": address_id,
        "addressLine1": body.get("addressLine1", ""),
        "addressLine2": body.get("addressLine2", ""),
        "addressLine3": body.get("addressLine3", ""),
        "addressLine4": body.get("addressLine4", ""),
        "postalCode": body.get("postalCode", ""),
        "countryIsoCode": COUNTRY_ISO3.get(country, country),
        "countryId": body.get("countryId", 0),
    }, record_id=address_id)
    return address_id


def _validate_contact(account: Account, body: dict[str, Any], *, creating: bool) -> None:
    if creating and not (body.get("firstName") or body.get("lastName")):
        raise bad_request("CONC-001", "firstName or lastName is required")
    for name in ("firstName", "lastName", "salutation"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            raise bad_request("CONC-002", f"{name} must be a string")
    addresses = body.get("postAddressIds") or {}
    if not isinstance(addresses, dict):
        raise bad_request("CONC-010", "postAddressIds must be an object")
    for kind, address_id in addresses.items():
        if kind not in ("DEF", "BIL", "DEL"):
            raise bad_request("CONC-011", f"Unknown address type '{kind}'")
        # 0 is how a contact made without an address reads back: no address of that type.
        if address_id != 0 and account.table("postal_address").get(address_id) is None:
            raise bad_request("CONC-012", f"Postal address {address_id} does not exist")
    email = (((body.get("communication") or {}).get("emails") or {}).get("PRI") or {}).get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email):
        raise bad_request("CONC-003", f"Invalid email address '{email}'")


def contact_create(
    ctx: SystemContext, account: Account, body: dict[str, Any], *, emit: bool = True
) -> int:
    _validate_contact(account, body, creating=True)
    table = account.table("contact")
    contact_id = table.next_id()
    now = bp_time()
    relationship = body.get("relationshipToAccount") or {}
    addresses = body.get("postAddressIds") or {}
    default_address = addresses.get("DEF") or next(iter(addresses.values()), 0)
    organisation = body.get("organisation") or {}
    record: dict[str, Any] = {
        "contactId": contact_id,
        "isPrimaryContact": True,
        "salutation": body.get("salutation", ""),
        "firstName": body.get("firstName", ""),
        "lastName": body.get("lastName", ""),
        "createdOn": now,
        "createdById": 4,
        "updatedOn": now,
        "postAddressIds": {k: addresses.get(k, default_address) for k in ("DEF", "BIL", "DEL")},
        "communication": body.get("communication") or {"emails": {}, "telephones": {},
                                                         "websites": {}},
        "contactStatus": {"current": {"contactStatusId": 1, "contactStatusName": "New"}},
        "relationshipToAccount": {
            "isSupplier": bool(relationship.get("isSupplier", False)),
            "isStaff": bool(relationship.get("isStaff", False)),
        },
        "organisation": {"organisationId": 0, "name": organisation.get("name", "")},
        "financialDetails": {"priceListId": 2, "nominalCode": 4000, "creditLimit": 0,
                             "creditTermDays": 0, "currencyId": 1, "taxCodeId": 1,
                             **(body.get("financialDetails") or {})},
        "marketingDetails": body.get("marketingDetails") or {"isReceiveEmailNewsletter": False},
        "assignment": {"current": {"accountReference": "", "channelId": 1,
                                   **((body.get("assignment") or {}).get("current") or {})}},
        "customFields": body.get("customFields") or {},
    }
    table.insert(record, record_id=contact_id)
    if emit:
        event_emit(ctx, account, "contact", "created", contact_id)
    return contact_id


def contact_update(
    ctx: SystemContext, account: Account, contact_id: int, new_record: dict[str, Any]
) -> None:
    table = account.table("contact")
    current = table.get(contact_id)
    if current is None:
        raise not_found(f"Contact {contact_id}")
    _validate_contact(account, new_record, creating=False)
    new_record["contactId"] = contact_id
    new_record["createdOn"] = current["createdOn"]
    table.replace(contact_id, new_record)
    record_saved(table, contact_id, new_record)
    event_emit(ctx, account, "contact", "modified", contact_id)


def contact_party(account: Account, contact_id: int) -> dict[str, Any]:
    contact = account.table("contact").get(contact_id) or {}
    address = account.table("postal_address").get(
        contact.get("postAddressIds", {}).get("DEF", 0)) or {}
    emails = (contact.get("communication") or {}).get("emails") or {}
    phones = (contact.get("communication") or {}).get("telephones") or {}
    return {
        "contactId": contact_id,
        "addressFullName": f"{contact.get('firstName', '')} {contact.get('lastName', '')}".strip(),
        "companyName": (contact.get("organisation") or {}).get("name", ""),
        "addressLine1": address.get("addressLine1", ""),
        "addressLine2": address.get("addressLine2", ""),
        "addressLine3": address.get("addressLine3", ""),
        "addressLine4": address.get("addressLine4", ""),
        "postalCode": address.get("postalCode", ""),
        "countryIsoCode": address.get("countryIsoCode", ""),
        "telephone": (phones.get("PRI") or ""),
        "mobileTelephone": (phones.get("MOB") or ""),
        "email": (emails.get("PRI") or {}).get("email", ""),
    }


# -- orders --------------------------------------------------------------------------------


def order_create(
    ctx: SystemContext, account: Account, body: dict[str, Any], *, emit: bool = True
) -> int:
    type_code = body.get("orderTypeCode")
    if type_code not in ORDER_RESOURCE:
        raise bad_request("ORDC-001", "orderTypeCode must be one of SO, SC, PO, PC")
    parties = body.get("parties") or {}
    party_key = "supplier" if type_code in ("PO", "PC") else "customer"
    party = parties.get(party_key) or {}
    contact_id = _int_field(party, "contactId", "ORDC-002")
    if contact_id is None:
        raise bad_request("ORDC-002", f"parties.{party_key}.contactId is required")
    if account.table("contact").get(contact_id) is None:
        raise bad_request("ORDC-003", f"Contact {contact_id} does not exist")
    status_id = _int_field(body, "statusId", "ORDC-004") or _int_field(
        body, "orderStatusId", "ORDC-004") or DEFAULT_STATUS[type_code]
    status = account.table("order_status").get(status_id)
    if status is None:
        raise bad_request("ORDC-005", f"Order status {status_id} does not exist")
    warehouse_id = _int_field(body, "warehouseId", "ORDC-006") or 1
    if account.table("warehouse").get(warehouse_id) is None:
        raise bad_request("ORDC-006", f"Warehouse {warehouse_id} does not exist")
    channel_id = _int_field(body, "channelId", "ORDC-007") or (
        ((body.get("assignment") or {}).get("current") or {}).get("channelId") or 1)
    currency = body.get("currency") or {}
    currency_code = currency.get("code") or currency.get("orderCurrencyCode") or "GBP"
    placed_on = body.get("placedOn") or bp_time()
    if body.get("placedOn"):
        time_parse(placed_on)
    delivery = body.get("delivery") or {}
    table = account.table("order")
    order_id = table.next_id()
    now = bp_time()
    customer_party = contact_party(account, contact_id)
    record: dict[str, Any] = {
        "id": order_id,
        "parentOrderId": body.get("parentOrderId", 0),
        "orderTypeCode": type_code,
        "reference": body.get("reference", ""),
        "acknowledged": 0,
        "orderStatus": {"orderStatusId": status_id, "name": status["name"]},
        "orderPaymentStatus": "UNPAID" if type_code in ("SO", "PO") else "NOT_APPLICABLE",
        "stockStatusCode": "SON" if type_code in ("SO", "SC") else "PON",
        "allocationStatusCode": "ANA",
        "shippingStatusCode": "NST",
        "placedOn": placed_on,
        "createdOn": now,
        "updatedOn": now,
        "createdById": 4,
        "priceListId": body.get("priceListId", 2 if type_code in ("SO", "SC") else 1),
        "priceModeCode": body.get("priceModeCode", "EXC"),
        "externalRef": body.get("externalRef", ""),
        "installedIntegrationInstanceId": body.get("installedIntegrationInstanceId", 0),
        "delivery": {
            "deliveryDate": delivery.get("date") or delivery.get("deliveryDate") or placed_on,
            "shippingMethodId": delivery.get("shippingMethodId", 0),
        },
        "invoices": [],
        "currency": {"accountingCurrencyCode": "GBP", "orderCurrencyCode": currency_code,
                     "exchangeRate": str(currency.get("exchangeRate", "1.000000"))},
        "totalValue": {"net": 0.0, "taxAmount": 0.0, "baseNet": 0.0, "baseTaxAmount": 0.0,
                       "baseTotal": 0.0, "total": 0.0},
        "assignment": {"current": {"staffOwnerContactId": 4, "projectId": 0,
                                   "channelId": channel_id, "leadSourceId": 0, "teamId": 0}},
        "warehouseId": warehouse_id,
        "parties": {
            party_key: customer_party,
            "delivery": {**customer_party, **_address_party(delivery.get("address"))},
            "billing": {**customer_party, **_address_party(
                (parties.get("billing") or {}).get("address") or parties.get("billing"))},
        },
        "orderRows": {},
        "version": 1,
    }
    table.insert(record, record_id=order_id)
    for row in body.get("rows") or []:
        if not isinstance(row, dict):
            raise bad_request("ORDC-010", "rows[] must be objects")
        order_row_add(ctx, account, order_id, row, emit=False)
    if emit:
        event_emit(ctx, account, ORDER_RESOURCE[type_code], "created", order_id)
    return order_id


def _address_party(address: Any) -> dict[str, Any]:
    if not isinstance(address, dict):
        return {}
    keys = ("addressFullName", "companyName", "addressLine1", "addressLine2", "addressLine3",
            "addressLine4", "postalCode", "countryIsoCode", "telephone", "email")
    return {k: address[k] for k in keys if k in address}


def order_get(account: Account, order_id: int) -> dict[str, Any]:
    record = account.table("order").get(order_id)
    if record is None:
        raise not_found(f"Order {order_id}")
    return record


def order_row_add(
    ctx: SystemContext, account: Account, order_id: int, body: dict[str, Any], *,
    emit: bool = True,
) -> int:
    order = order_get(account, order_id)
    product_id = _int_field(body, "productId", "ORDC-011")
    product = None
    if product_id is not None:
        product = account.table("product").get(product_id)
        if product is None:
            raise bad_request("ORDC-012", f"Product {product_id} does not exist")
    elif not body.get("productName"):
        raise bad_request("ORDC-011", "productId or productName is required")
    quantity = body.get("quantity")
    if not isinstance(quantity, dict) or "magnitude" not in quantity:
        raise bad_request("ORDC-013", "quantity.magnitude is required")
    magnitude = number(quantity["magnitude"], "quantity.magnitude")
    row_value = body.get("rowValue") or {}
    tax_code = row_value.get("taxCode", "T20")
    if tax_code not in TAX_RATES:
        raise bad_request("ORDC-014", f"Unknown tax code '{tax_code}'")
    if "rowNet" in row_value:
        net = number((row_value.get("rowNet") or {}).get("value"), "rowValue.rowNet.value")
    elif product_id is not None:
        net = round(product_retail_price(account, product_id) * magnitude, 2)
    else:
        net = 0.0
    if "rowTax" in row_value:
        tax = number((row_value.get("rowTax") or {}).get("value"), "rowValue.rowTax.value")
    else:
        tax = round(net * TAX_RATES[tax_code] / 100, 2)
    currency = order["currency"]["orderCurrencyCode"]
    row_id = int(account.settings.get("row_seq", 1))
    account.settings["row_seq"] = row_id + 1
    unit = net / magnitude if magnitude else 0.0
    order["orderRows"][str(row_id)] = {
        "orderRowSequence": str(len(order["orderRows"]) + 1),
        "productId": product_id or 0,
        "productName": body.get("productName") or (
            product["salesChannels"][0]["productName"] if product else ""),
        "productSku": product["identity"]["sku"] if product else "",
        "quantity": {"magnitude": money4(magnitude)},
        "itemCost": {"currencyCode": currency, "value": "0.0000"},
        "productPrice": {"currencyCode": currency, "value": money4(unit)},
        "discountPercentage": money4(number(body.get("discountPercentage", 0),
                                            "discountPercentage")),
        "rowValue": {
            "taxRate": money4(TAX_RATES[tax_code]),
            "taxCode": tax_code,
            "taxCalculator": "BP",
            "rowNet": {"currencyCode": currency, "value": money4(net)},
            "rowTax": {"currencyCode": currency, "value": money4(tax)},
            "taxClassId": 1,
        },
        "nominalCode": str(body.get("nominalCode") or (
            "4000" if order["orderTypeCode"] in ("SO", "SC") else "5000")),
        "composition": {"bundleParent": False, "bundleChild": False, "parentOrderRowId": 0},
        "externalRef": body.get("externalRef", ""),
    }
    _order_totals(order)
    order["version"] += 1
    record_saved(account.table("order"), order_id, order)
    if emit:
        event_emit(ctx, account, ORDER_RESOURCE[order["orderTypeCode"]], "modified", order_id)
    return row_id


def _order_totals(order: dict[str, Any]) -> None:
    net = round(sum(float(r["rowValue"]["rowNet"]["value"]) for r in order["orderRows"].values()),
                2)
    tax = round(sum(float(r["rowValue"]["rowTax"]["value"]) for r in order["orderRows"].values()),
                2)
    order["totalValue"] = {"net": net, "taxAmount": tax, "baseNet": net, "baseTaxAmount": tax,
                           "baseTotal": round(net + tax, 2), "total": round(net + tax, 2)}


def order_status_set(
    ctx: SystemContext, account: Account, order_id: int, body: dict[str, Any], *,
    emit: bool = True,
) -> None:
    order = order_get(account, order_id)
    status_id = _int_field(body, "orderStatusId", "ORDC-020", required=True)
    status = account.table("order_status").get(status_id)
    if status is None:
        raise bad_request("ORDC-021", f"Order status {status_id} does not exist")
    order["orderStatus"] = {"orderStatusId": status_id, "name": status["name"]}
    note = body.get("orderNote")
    if isinstance(note, dict) and note.get("text"):
        account.table("order_note").insert(
            {"orderId": order_id, "text": note["text"], "isPublic": bool(note.get("isPublic")),
             "addedOn": bp_time()})
    order["version"] += 1
    record_saved(account.table("order"), order_id, order)
    if emit:
        event_emit(ctx, account, ORDER_RESOURCE[order["orderTypeCode"]], "modified", order_id,
                   "order-status")


def order_patch(
    ctx: SystemContext, account: Account, order_id: int, patched: dict[str, Any]
) -> None:
    order = order_get(account, order_id)
    for key in ("id", "orderTypeCode", "createdOn", "orderRows", "totalValue"):
        patched[key] = order[key]
    patched["version"] = order["version"] + 1
    account.table("order").replace(order_id, patched)
    record_saved(account.table("order"), order_id, patched)
    event_emit(ctx, account, ORDER_RESOURCE[order["orderTypeCode"]], "modified", order_id)


# -- stock ---------------------------------------------------------------------------------


def _stock(account: Account, product_id: int) -> dict[str, Any]:
    table = account.table("stock")
    record = table.get(product_id)
    if record is None:
        record = {"productId": product_id, "warehouses": {}}
        table.insert(record, record_id=product_id)
    return record


def stock_level(account: Account, product_id: int, warehouse_id: int) -> dict[str, Any]:
    return _stock(account, product_id)["warehouses"].setdefault(
        str(warehouse_id), {"onHand": 0, "allocated": 0, "inTransit": 0})


def availability(account: Account, product_id: int) -> dict[str, Any]:
    record = account.table("stock").get(product_id) or {"warehouses": {}}
    warehouses = {}
    total = {"inStock": 0, "onHand": 0, "allocated": 0, "inTransit": 0}
    for wh_id, level in record["warehouses"].items():
        entry = {"inStock": level["onHand"] - level["allocated"], "onHand": level["onHand"],
                 "allocated": level["allocated"], "inTransit": level["inTransit"]}
        warehouses[wh_id] = entry
        for key in total:
            total[key] += entry[key]
    return {"total": total, "warehouses": warehouses}


def stock_correction(
    ctx: SystemContext, account: Account, warehouse_id: int, body: dict[str, Any], *,
    emit: bool = True,
) -> list[int]:
    if account.table("warehouse").get(warehouse_id) is None:
        raise not_found(f"Warehouse {warehouse_id}")
    corrections = body.get("corrections")
    if not isinstance(corrections, list) or not corrections:
        raise bad_request("WHSC-001", "corrections[] is required")
    checked = []
    for index, item in enumerate(corrections):
        if not isinstance(item, dict):
            raise bad_request("WHSC-002", f"corrections[{index}] must be an object")
        product_id = _int_field(item, "productId", "WHSC-003", required=True)
        if account.table("product").get(product_id) is None:
            raise bad_request("WHSC-004", f"Product {product_id} does not exist")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity == 0:
            raise bad_request("WHSC-005", f"corrections[{index}].quantity must be a non-zero "
                                          "integer")
        if not item.get("reason"):
            raise bad_request("WHSC-006", f"corrections[{index}].reason is required")
        level = stock_level(account, product_id, warehouse_id)
        if level["onHand"] + quantity < 0:
            raise bad_request("WHSC-007", f"Not enough stock of product {product_id} to remove "
                                          f"{-quantity} (on hand {level['onHand']})")
        checked.append((product_id, quantity, item))
    movement_ids = []
    movements = account.table("stock_movement")
    for product_id, quantity, item in checked:
        level = stock_level(account, product_id, warehouse_id)
        level["onHand"] += quantity
        account.table("stock").touch(product_id)
        cost = item.get("cost") or {}
        movement_ids.append(movements.insert({
            "productId": product_id, "warehouseId": warehouse_id, "quantity": quantity,
            "reason": item["reason"], "locationId": item.get("locationId", warehouse_id),
            "cost": cost, "createdOn": bp_time(),
        }))
        if emit:
            event_emit(ctx, account, "product", "modified", product_id, "on-hand-modified")
    return movement_ids


# -- goods-out notes -----------------------------------------------------------------------


def goods_out_create(
    ctx: SystemContext, account: Account, order_id: int, body: dict[str, Any], *,
    emit: bool = True,
) -> list[int]:
    order = order_get(account, order_id)
    if order["orderTypeCode"] != "SO":
        raise bad_request("WHSC-010", "Goods-out notes can only be made for sales orders")
    groups = body.get("warehouses")
    if not isinstance(groups, list) or not groups:
        raise bad_request("WHSC-011", "warehouses[] is required")
    notes = account.table("goods_out_note")
    planned = []
    for group in groups:
        warehouse_id = _int_field(group, "warehouseId", "WHSC-012", required=True)
        if account.table("warehouse").get(warehouse_id) is None:
            raise bad_request("WHSC-012", f"Warehouse {warehouse_id} does not exist")
        products = group.get("products")
        if products is None:
            products = [
                {"productId": r["productId"], "salesOrderRowId": int(rid),
                 "quantity": int(float(r["quantity"]["magnitude"]))}
                for rid, r in order["orderRows"].items() if r["productId"]
            ]
        rows: dict[str, list[dict[str, Any]]] = {}
        for item in products:
            row_id = str(item.get("salesOrderRowId"))
            row = order["orderRows"].get(row_id)
            if row is None:
                raise bad_request("WHSC-013", f"Order row {row_id} is not on order {order_id}")
            quantity = item.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                raise bad_request("WHSC-014", "quantity must be a positive integer")
            rows.setdefault(row_id, []).append({
                "productId": row["productId"], "quantity": quantity,
                "locationId": warehouse_id, "externalRef": item.get("externalRef", ""),
            })
        if not rows:
            raise bad_request("WHSC-015", "A goods-out note needs at least one product")
        planned.append((warehouse_id, group, rows))
    note_ids = []
    for warehouse_id, group, rows in planned:
        note_id = notes.next_id()
        now = bp_time()
        notes.insert({
            "goodsOutNoteId": note_id,
            "orderId": order_id,
            "warehouseId": warehouse_id,
            "externalRef": group.get("externalRef", ""),
            "transfer": bool(group.get("transfer", False)),
            "priority": bool(body.get("priority", False)),
            "status": {"shipped": False, "packed": False, "picked": False, "printed": False,
                       "shippedOn": None, "packedOn": None, "pickedOn": None, "printedOn": None},
            "shipping": {"reference": "", "boxes": 1,
                         "shippingMethodId": body.get("shippingMethodId", 0), "weight": 0},
            "releaseDate": group.get("releaseDate") or now,
            "createdOn": now,
            "updatedOn": now,
            "createdBy": 4,
            "labelUri": body.get("labelUri", ""),
            "orderRows": rows,
            "sequence": len(note_ids) + 1,
        }, record_id=note_id)
        for row_items in rows.values():
            for item in row_items:
                stock_level(account, item["productId"], warehouse_id)["allocated"] += item[
                    "quantity"]
        note_ids.append(note_id)
        if emit:
            event_emit(ctx, account, "goods-out-note", "created", note_id)
    order["allocationStatusCode"] = "AAA"
    record_saved(account.table("order"), order_id, order)
    return note_ids


def goods_out_update(
    ctx: SystemContext, account: Account, note_id: int, body: dict[str, Any]
) -> None:
    notes = account.table("goods_out_note")
    note = notes.get(note_id)
    if note is None:
        raise not_found(f"Goods-out note {note_id}")
    if "priority" in body:
        note["priority"] = bool(body["priority"])
    shipping = body.get("shipping")
    if isinstance(shipping, dict):
        note["shipping"].update(
            {k: v for k, v in shipping.items()
             if k in ("reference", "boxes", "shippingMethodId", "weight")})
    if "labelUri" in body:
        note["labelUri"] = body["labelUri"]
    record_saved(notes, note_id, note)
    event_emit(ctx, account, "goods-out-note", "modified", note_id)


def goods_out_event(
    ctx: SystemContext, account: Account, note_id: int, body: dict[str, Any], *,
    emit: bool = True,
) -> None:
    notes = account.table("goods_out_note")
    note = notes.get(note_id)
    if note is None:
        raise not_found(f"Goods-out note {note_id}")
    events = body.get("events")
    if not isinstance(events, list) or not events:
        raise bad_request("WHSC-020", "events[] is required")
    for event in events:
        code = (event or {}).get("eventCode")
        if code not in GOODS_OUT_EVENTS:
            raise bad_request("WHSC-021", f"Unknown event code '{code}' "
                                          f"(one of {', '.join(GOODS_OUT_EVENTS)})")
    for event in events:
        code = event["eventCode"]
        state = GOODS_OUT_EVENTS[code]
        if note["status"][state]:
            continue
        note["status"][state] = True
        note["status"][f"{state}On"] = event.get("occured") or event.get("occurred") or bp_time()
        if state == "shipped":
            _ship(ctx, account, note, emit=emit)
        record_saved(notes, note_id, note)
        if emit:
            event_emit(ctx, account, "goods-out-note", "modified", note_id, state)


def _ship(ctx: SystemContext, account: Account, note: dict[str, Any], *, emit: bool) -> None:
    for row_items in note["orderRows"].values():
        for item in row_items:
            level = stock_level(account, item["productId"], note["warehouseId"])
            level["onHand"] -= item["quantity"]
            level["allocated"] = max(0, level["allocated"] - item["quantity"])
            account.table("stock").touch(item["productId"])
            if emit:
                event_emit(ctx, account, "product", "modified", item["productId"],
                           "on-hand-modified")
    order = account.table("order").get(note["orderId"])
    if order is None:
        return
    shipped: dict[str, int] = {}
    for other in account.table("goods_out_note").by("orderId", order["id"]):
        if other["status"]["shipped"]:
            for row_id, items in other["orderRows"].items():
                shipped[row_id] = shipped.get(row_id, 0) + sum(i["quantity"] for i in items)
    complete = all(
        shipped.get(row_id, 0) >= float(row["quantity"]["magnitude"])
        for row_id, row in order["orderRows"].items()
        if row["productId"]  # shipping and other charge rows are never on a note
    )
    order["shippingStatusCode"] = "ASS" if complete else "PSS"
    order["stockStatusCode"] = "SOS" if complete else order["stockStatusCode"]
    record_saved(account.table("order"), order["id"], order)
    if emit:
        event_emit(ctx, account, "sales-order", "modified", order["id"], "shipping-status")


# -- goods-in notes ------------------------------------------------------------------------

MAX_GOODS_IN_ID_SET = 200  # Brightpearl caps goods-in note ID sets at 200


def _received_by_row(account: Account, order_id: int) -> dict[str, int]:
    received: dict[str, int] = {}
    for note in account.table("goods_in_note").values():
        if note["orderId"] == order_id:
            for moved in note["goodsMoved"]:
                row_id = str(moved["purchaseOrderRowId"])
                received[row_id] = received.get(row_id, 0) + moved["quantity"]
    return received


def goods_in_create(
    ctx: SystemContext, account: Account, order_id: int, body: dict[str, Any], *,
    emit: bool = True,
) -> int:
    """Receive stock against a purchase order: one note for one warehouse (as Brightpearl
    allows per request); on hand rises at once and each movement becomes a batch."""
    order = order_get(account, order_id)
    if order["orderTypeCode"] != "PO":
        raise bad_request("WHSC-040", f"Order {order_id} is not a purchase order; goods-in "
                                      "notes can only be made for purchase orders")
    warehouse_id = _int_field(body, "warehouseId", "WHSC-041", required=True)
    warehouse = account.table("warehouse").get(warehouse_id)
    if warehouse is None:
        raise bad_request("WHSC-041", f"Warehouse {warehouse_id} does not exist")
    moves = body.get("goodsMoved")
    if not isinstance(moves, list) or not moves:
        raise bad_request("WHSC-042", "goodsMoved[] is required")
    received_on = body.get("receivedOn") or body.get("receivedDate") or bp_time()
    time_parse(str(received_on))
    reference = str(body.get("userBatchReference") or "")
    if reference and any(n["userBatchReference"] == reference
                         for n in account.table("goods_in_note").values()):
        raise bad_request("WHSC-048", f"userBatchReference '{reference}' is already used by "
                                      "another goods-in note")
    currency = order["currency"]["orderCurrencyCode"]
    received = _received_by_row(account, order_id)
    planned: list[dict[str, Any]] = []
    for index, item in enumerate(moves):
        if not isinstance(item, dict):
            raise bad_request("WHSC-042", f"goodsMoved[{index}] must be an object")
        product_id = _int_field(item, "productId", "WHSC-043", required=True)
        if account.table("product").get(product_id) is None:
            raise bad_request("WHSC-043", f"Product {product_id} does not exist")
        row_id = _int_field(item, "purchaseOrderRowId", "WHSC-044", required=True)
        row = order["orderRows"].get(str(row_id))
        if row is None:
            raise bad_request("WHSC-044", f"Order row {row_id} is not on purchase order "
                                          f"{order_id}")
        if row["productId"] != product_id:
            raise bad_request("WHSC-045", f"Order row {row_id} is for product "
                                          f"{row['productId']}, not {product_id}")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise bad_request("WHSC-046", f"goodsMoved[{index}].quantity must be a positive "
                                          "integer")
        ordered = int(float(row["quantity"]["magnitude"]))
        already = received.get(str(row_id), 0)
        if already + quantity > ordered:
            raise bad_request("WHSC-047", f"Cannot receive {quantity} of order row {row_id}: "
                                          f"{ordered} ordered, {already} already received")
        received[str(row_id)] = already + quantity
        value = item.get("productValue") or {}
        if not isinstance(value, dict):
            raise bad_request("WHSC-049", f"goodsMoved[{index}].productValue must be an object")
        unit = number(value.get("value", row["productPrice"]["value"]),
                      f"goodsMoved[{index}].productValue.value")
        location = _int_field(item, "destinationLocationId", "WHSC-050") or warehouse[
            "defaultLocationId"]
        planned.append({
            "productId": product_id, "purchaseOrderRowId": row_id, "quantity": quantity,
            "warehouseId": warehouse_id, "destinationLocationId": location,
            "productValue": {"currency": str(value.get("currency") or currency),
                             "value": money4(unit)},
            "cleared": False, "valueConfirmed": True,
        })
    notes = account.table("goods_in_note")
    note_id = notes.next_id()
    now = bp_time()
    for moved in planned:
        moved.update(goodsNoteId=note_id, batchGoodsNoteId=note_id)
    notes.insert({
        "goodsNoteId": note_id,
        "orderId": order_id,
        "transfer": bool(body.get("transfer", False)),
        "goodsNoteStatus": "OPEN",
        "userBatchReference": reference,
        "receivedOn": received_on,
        "createdOn": now,
        "createdBy": 4,
        "goodsMoved": planned,
    }, record_id=note_id)
    batches = account.table("goods_in_batch")
    for moved in planned:
        batches.insert({
            "batchId": note_id, "purchaseOrderId": order_id, "userBatchRef": reference,
            "productId": moved["productId"], "locationId": moved["destinationLocationId"],
            "price": moved["productValue"]["value"],
            "currCode": moved["productValue"]["currency"],
            "receivedQuantity": moved["quantity"], "receivedDate": received_on,
            "warehouseId": warehouse_id,
        })
        stock_level(account, moved["productId"], warehouse_id)["onHand"] += moved["quantity"]
        account.table("stock").touch(moved["productId"])
    complete = all(
        received.get(row_id, 0) >= float(row["quantity"]["magnitude"])
        for row_id, row in order["orderRows"].items() if row["productId"]
    )
    order["stockStatusCode"] = "POA" if complete else "POP"
    record_saved(account.table("order"), order_id, order)
    if emit:
        event_emit(ctx, account, "goods-in-note", "created", note_id)
        for product_id in dict.fromkeys(m["productId"] for m in planned):
            event_emit(ctx, account, "product", "modified", product_id, "on-hand-modified")
    return note_id


# -- payments and journals -----------------------------------------------------------------


def customer_payment_create(
    ctx: SystemContext, account: Account, body: dict[str, Any], *, emit: bool = True
) -> int:
    method = body.get("paymentMethodCode")
    if not method:
        raise bad_request("ACCC-001", "paymentMethodCode is required")
    if method not in PAYMENT_METHODS:
        raise bad_request("ACCC-002", f"Unknown payment method '{method}'")
    payment_type = body.get("paymentType")
    if payment_type not in PAYMENT_TYPES:
        raise bad_request("ACCC-003", f"paymentType must be one of {sorted(PAYMENT_TYPES)}")
    order_id = _int_field(body, "orderId", "ACCC-004", required=True)
    order = account.table("order").get(order_id)
    if order is None:
        raise bad_request("ACCC-005", f"Order {order_id} does not exist")
    amount = number(body.get("amountPaid"), "amountPaid")
    if amount <= 0:
        raise bad_request("ACCC-006", "amountPaid must be positive")
    currency = str(body.get("currencyIsoCode") or "")
    if len(currency) != 3 or not currency.isalpha():
        raise bad_request("ACCC-007", "currencyIsoCode must be a 3-letter code")
    payment_date = body.get("paymentDate")
    if not payment_date:
        raise bad_request("ACCC-008", "paymentDate is required")
    time_parse(str(payment_date))
    journal_id = journal_create(ctx, account, {
        "journalTypeCode": "SR" if payment_type == "RECEIPT" else "BP",
        "taxDate": str(payment_date)[:10],
        "description": f"Payment {body.get('transactionRef', '')} for order {order_id}",
        "currency": {"code": currency.upper()},
        "debits": [{"nominalCode": "1210" if method == "PAYPAL" else "1200",
                    "transactionAmount": amount}],
        "credits": [{"nominalCode": "1100", "transactionAmount": amount}],
        "journalRef": body.get("journalRef", ""),
    }, check_period=False)
    table = account.table("customer_payment")
    payment_id = table.next_id()
    table.insert({
        "paymentId": payment_id,
        "transactionRef": body.get("transactionRef", ""),
        "transactionCode": body.get("transactionCode", ""),
        "paymentMethodCode": method,
        "paymentType": payment_type,
        "orderId": order_id,
        "currencyCode": currency.upper(),
        "exchangeRate": float(body.get("exchangeRate", 1)),
        "amountPaid": round(amount, 2),
        "paymentDate": payment_date,
        "journalId": journal_id,
        "journalRef": body.get("journalRef", ""),
        "createdOn": bp_time(),
    }, record_id=payment_id)
    paid = sum(p["amountPaid"] for p in table.by("orderId", order_id)
               if p["paymentType"] in ("RECEIPT", "CAPTURE"))
    if order["orderPaymentStatus"] != "NOT_APPLICABLE":
        total = order["totalValue"]["total"]
        order["orderPaymentStatus"] = "PAID" if paid + 0.005 >= total else "PARTIALLY_PAID"
        record_saved(account.table("order"), order_id, order)
        if emit:
            event_emit(ctx, account, ORDER_RESOURCE[order["orderTypeCode"]], "modified",
                       order_id, "payment-status")
    return payment_id


def journal_create(
    ctx: SystemContext, account: Account, body: dict[str, Any], *, check_period: bool = True
) -> int:
    journal_type = body.get("journalTypeCode") or body.get("journalType") or "GJ"
    if journal_type not in JOURNAL_TYPES:
        raise bad_request("ACCC-020", f"Unknown journal type '{journal_type}'")
    date = body.get("taxDate") or body.get("transactionDate")
    if not date:
        raise bad_request("ACCC-021", "taxDate is required")
    when = time_parse(str(date))
    if check_period and when < time_parse(account.settings.get("period_open_from",
                                                                PERIOD_OPEN_FROM)):
        raise bad_request("ACCC-022", f"The accounting period for {date} is closed")
    currency = body.get("currency") or {}
    code = currency.get("code") if isinstance(currency, dict) else None
    code = code or body.get("currencyIsoCode") or "GBP"
    if len(code) != 3:
        raise bad_request("ACCC-023", "currency.code must be a 3-letter code")
    known = {n["code"] for n in account.table("nominal_code").values()}
    totals = {}
    lines = {}
    for side in ("debits", "credits"):
        entries = body.get(side) or []
        if not isinstance(entries, list) or not entries:
            raise bad_request("ACCC-024", f"{side}[] needs at least one line")
        clean = []
        for entry in entries:
            nominal = str((entry or {}).get("nominalCode", ""))
            if nominal not in known:
                raise bad_request("ACCC-025", f"Unknown nominal code '{nominal}'")
            amount = number(entry.get("transactionAmount"), f"{side}.transactionAmount")
            if amount <= 0:
                raise bad_request("ACCC-026", "transactionAmount must be positive")
            clean.append({"nominalCode": nominal, "transactionAmount": round(amount, 2),
                          "taxCode": entry.get("taxCode", "-"),
                          "description": entry.get("description", "")})
        lines[side] = clean
        totals[side] = round(sum(e["transactionAmount"] for e in clean), 2)
    if abs(totals["debits"] - totals["credits"]) > 0.005:
        raise bad_request("ACCC-027", f"Debits ({totals['debits']}) and credits "
                                      f"({totals['credits']}) do not balance")
    table = account.table("journal")
    journal_id = table.next_id()
    table.insert({
        "id": journal_id,
        "journalTypeCode": journal_type,
        "description": body.get("description", ""),
        "journalRef": body.get("journalRef", ""),
        "taxDate": str(date),
        "createdOn": bp_time(),
        "currency": {"code": code.upper(), "exchangeRate": float(
            (currency or {}).get("exchangeRate", 1) if isinstance(currency, dict) else 1)},
        "debits": lines["debits"],
        "credits": lines["credits"],
        "total": totals["debits"],
    }, record_id=journal_id)
    return journal_id


# -- webhooks ------------------------------------------------------------------------------

HTTP_METHODS = {"GET", "POST", "PUT", "DELETE"}


def webhook_create(account: Account, body: dict[str, Any]) -> int:
    for name in ("subscribeTo", "uriTemplate"):
        if not body.get(name) or not isinstance(body[name], str):
            raise bad_request("INTC-001", f"{name} is required")
    method = str(body.get("httpMethod", "POST")).upper()
    if method not in HTTP_METHODS:
        raise bad_request("INTC-002", f"httpMethod must be one of {sorted(HTTP_METHODS)}")
    uri = body["uriTemplate"]
    if not uri.startswith(("http://", "https://")):
        raise bad_request("INTC-003", "uriTemplate must be an absolute http(s) URI")
    qos = body.get("qualityOfService", 0)
    if qos not in (0, 1):
        raise bad_request("INTC-004", "qualityOfService must be 0 or 1")
    table = account.table("webhook")
    webhook_id = table.next_id()
    table.insert({
        "id": webhook_id,
        "subscribeTo": body["subscribeTo"],
        "httpMethod": method,
        "uriTemplate": uri,
        "bodyTemplate": body.get("bodyTemplate", ""),
        "contentType": body.get("contentType", "application/json"),
        "idSetAccepted": bool(body.get("idSetAccepted", False)),
        "qualityOfService": qos,
    }, record_id=webhook_id)
    return webhook_id
