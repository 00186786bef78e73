"""Brightpearl emulator: write a neutral ``Dataset`` into an account in Brightpearl's shapes.

Goes through the same resource functions as the API (without firing webhooks), so seeded
records look exactly like created ones.
"""

from __future__ import annotations

from sandboxes.seeding import Dataset
from sandboxes.state import Account
from sandboxes.system import SystemContext
from sandboxes.systems import brightpearl_resources as res

# Neutral order status → Brightpearl sales order status id.
SEED_STATUS = {"new": 2, "paid": 6, "allocated": 6, "shipped": 7, "completed": 4,
               "cancelled": 5}
PO_STATUS = {"draft": 10, "ordered": 11, "received": 12}
TAX_CODES = {20.0: "T20", 19.0: "T19", 10.0: "T10", 5.0: "T5", 0.0: "T0"}


def seed_account(ctx: SystemContext, account: Account, data: Dataset) -> None:
    brands = account.table("brand")
    brand_ids: dict[int, int] = {}
    for brand in data.brands:
        existing = next((b for b in brands.values() if b["name"] == brand["name"]), None)
        if existing is None:
            brand_id = brands.next_id()
            brands.insert({"id": brand_id, "name": brand["name"], "description": ""},
                          record_id=brand_id)
        else:
            brand_id = existing["id"]
        brand_ids[brand["key"]] = brand_id

    product_ids: dict[int, int] = {}
    for product in data.products:
        product_id = res.product_create(ctx, account, {
            "brandId": brand_ids[product["brand_key"]],
            "identity": {"sku": product["sku"], "barcode": product["barcode"],
                         "ean": product["barcode"]},
            "stock": {"stockTracked": True, "weight": {"magnitude": product["weight_kg"]}},
            "financialDetails": {"taxable": True, "taxCode": {"id": 1,
                                                             "code": product["tax_code"]}},
            "salesChannels": [{
                "salesChannelName": "Brightpearl",
                "productName": product["name"],
                "productCondition": "new",
                "categories": [{"categoryCode": product["category"]}],
                "description": {"languageCode": "en", "text": product["description"],
                                "format": "HTML_FRAGMENT"},
                "shortDescription": {"languageCode": "en", "text": product["short_name"],
                                     "format": "HTML_FRAGMENT"},
            }],
            "status": "LIVE" if product["active"] else "ARCHIVED",
        }, emit=False)
        product_ids[product["key"]] = product_id
        res.product_price_set(ctx, account, product_id, 1,
                              {"quantityPrice": {"1": product["cost"]}}, emit=False)
        res.product_price_set(ctx, account, product_id, 2,
                              {"quantityPrice": {"1": product["price"]}}, emit=False)
        record = account.table("product").get(product_id)
        assert record is not None
        record["version"] = 1
        for code, quantity in product["stock"].items():
            level = res.stock_level(account, product_id, res.WAREHOUSE_BY_CODE[code])
            level["onHand"] = quantity + 50  # headroom so seeded shipments never go negative

    def contact_for(person: dict, *, supplier: bool) -> int:
        address = person["address"]
        address_id = res.address_create(account, {
            "addressLine1": address["line1"], "addressLine2": address["line2"],
            "addressLine3": address["city"], "addressLine4": address["region"],
            "postalCode": address["postal_code"], "countryIsoCode": address["country_iso2"],
        })
        return res.contact_create(ctx, account, {
            "firstName": person["first_name"],
            "lastName": person["last_name"],
            "postAddressIds": {"DEF": address_id, "BIL": address_id, "DEL": address_id},
            "communication": {"emails": {"PRI": {"email": person["email"]}},
                              "telephones": {"PRI": person["phone"]}},
            "organisation": {"name": person.get("company", "")},
            "relationshipToAccount": {"isSupplier": supplier, "isStaff": False},
        }, emit=False)

    customer_ids = {c["key"]: contact_for(c, supplier=False) for c in data.customers}
    supplier_ids = {s["key"]: contact_for(s, supplier=True) for s in data.suppliers}

    order_ids: dict[int, int] = {}
    order_rows: dict[int, dict[int, int]] = {}
    for order in data.orders:
        order_id = res.order_create(ctx, account, {
            "orderTypeCode": "SO",
            "reference": order["reference"],
            "placedOn": order["placed_at"],
            "statusId": SEED_STATUS[order["status"]],
            "warehouseId": res.WAREHOUSE_BY_CODE[order["warehouse"]],
            "channelId": order["channel_id"],
            "currency": {"code": order["currency"]},
            "parties": {"customer": {"contactId": customer_ids[order["customer_key"]]}},
        }, emit=False)
        order_ids[order["key"]] = order_id
        rows = order_rows[order["key"]] = {}
        for line in order["lines"]:
            rows[line["line"]] = res.order_row_add(ctx, account, order_id, {
                "productId": product_ids[line["product_key"]],
                "quantity": {"magnitude": line["quantity"]},
                "rowValue": {"taxCode": TAX_CODES.get(line["tax_rate"], "T20"),
                             "rowNet": {"value": line["net"]}, "rowTax": {"value": line["tax"]}},
            }, emit=False)
        if order["shipping"]:
            res.order_row_add(ctx, account, order_id, {
                "productName": f"Shipping: {order['shipping_method']}",
                "quantity": {"magnitude": 1},
                "rowValue": {"taxCode": "T0", "rowNet": {"value": order["shipping"]},
                             "rowTax": {"value": 0}},
                "nominalCode": "4020",
            }, emit=False)

    for payment in data.payments:
        res.customer_payment_create(ctx, account, {
            "transactionRef": payment["reference"],
            "paymentMethodCode": payment["method"],
            "paymentType": "RECEIPT",
            "orderId": order_ids[payment["order_key"]],
            "currencyIsoCode": payment["currency"],
            "amountPaid": payment["amount"],
            "paymentDate": payment["paid_at"],
            "journalRef": f"Payment for {payment['order_key']}",
        }, emit=False)

    for shipment in data.shipments:
        order_key = shipment["order_key"]
        order_id = order_ids[order_key]
        note_ids = res.goods_out_create(ctx, account, order_id, {
            "warehouses": [{
                "warehouseId": res.WAREHOUSE_BY_CODE[shipment["warehouse"]],
                "products": [
                    {"productId": product_ids[ln["product_key"]],
                     "salesOrderRowId": order_rows[order_key][ln["line"]],
                     "quantity": ln["quantity"]}
                    for ln in shipment["lines"]
                ],
            }],
        }, emit=False)
        for note_id in note_ids:
            note = account.table("goods_out_note").get(note_id)
            assert note is not None
            note["shipping"]["reference"] = shipment["tracking_number"]
            res.goods_out_event(ctx, account, note_id, {"events": [
                {"eventCode": code, "occured": shipment["shipped_at"], "eventOwnerId": 4}
                for code in ("PIC", "PAC", "SHW")
            ]}, emit=False)

    for po in data.purchase_orders:
        res.order_create(ctx, account, {
            "orderTypeCode": "PO",
            "reference": po["reference"],
            "placedOn": po["ordered_at"],
            "statusId": PO_STATUS[po["status"]],
            "warehouseId": res.WAREHOUSE_BY_CODE[po["warehouse"]],
            "currency": {"code": po["currency"]},
            "delivery": {"date": po["expected_at"]},
            "parties": {"supplier": {"contactId": supplier_ids[po["supplier_key"]]}},
            "rows": [
                {"productId": product_ids[ln["product_key"]],
                 "quantity": {"magnitude": ln["quantity"]},
                 "rowValue": {"taxCode": "T20", "rowNet": {"value": ln["net"]},
                              "rowTax": {"value": round(ln["net"] * 0.2, 2)}}}
                for ln in po["lines"]
            ],
        }, emit=False)
