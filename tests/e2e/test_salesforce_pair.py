"""Brightpearl + Salesforce end to end: Brightpearl webhooks, Salesforce outbound messages (set
up through the sandbox's stand-in for Setup), polls, the web server, the worker and sandboxes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from integrations.models import Connection, Flow, InboundEvent, RecordLink, Transaction
from integrations.services.connections import connection_create, connector_for
from integrations.services.mappings import lookup_table_set
from integrations.services.pairs import (
    flow_run_now,
    flow_set_enabled,
    pair_create_from_template,
    pair_webhooks_register,
    webhook_url,
)
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e

ADDRESS = {"addressLine1": "1 Chapel Street", "addressLine3": "Manchester",
           "postalCode": "M3 5JZ", "countryIsoCode": "GBR"}


@pytest.fixture(scope="module")
def crm(live_stack, new_account_module, sandbox_url):
    bp = new_account_module("brightpearl", seed={"products": 6, "customers": 1})
    sf = new_account_module("salesforce")
    with live_stack.inside():
        creds = bp["credentials"]
        bp_conn = connection_create(
            name=f"BP {bp['account']}", system="brightpearl", base_url=bp["base_url"],
            account=bp["account"], auth_type="private_app",
            credentials={"private_app_ref": creds["private_app_ref"],
                         "account_token": creds["account_token"]})
        sf_conn = connection_create(
            name=f"SF {sf['account']}", system="salesforce", base_url=sf["base_url"],
            account=sf["account"], auth_type="oauth2_client_credentials",
            credentials={"client_id": sf["credentials"]["client_id"],
                         "client_secret": sf["credentials"]["client_secret"]})
        # Logs in once and stores the session: the web server verifies outbound messages
        # against the org id of the stored token.
        sf_api = connector_for(sf_conn)
        sf_api.test()
        # The tenant's one setup step: which price book shows Brightpearl's retail list (2).
        lookup_table_set(name="sf_price_books", entries={"2": sf_api.standard_pricebook_id()})
        pair = pair_create_from_template(name=f"CRM {sf['account']}",
                                         template_key="brightpearl-salesforce",
                                         brightpearl=bp_conn, partner=sf_conn)
        registration = pair_webhooks_register(pair=pair)
        # Brightpearl subscribes through its API; Salesforce outbound messages are set up by
        # the customer in Setup (below, through the sandbox's stand-in for it).
        assert registration.registered and all(
            name.split(".")[0][:1].isupper() for name in registration.failed)
        url = f"{webhook_url(sf_conn)}?secret={sf_conn.webhook_secret}"
    for sobject in ("Contact", "Opportunity", "Payment__c"):
        answer = httpx.post(f"{sandbox_url}/salesforce/instances/{sf['account']}/_setup/"
                            "outbound-messages",
                            json={"object": sobject, "endpointUrl": url,
                                  "fields": ["Id", "CreatedDate", "LastModifiedDate"]})
        assert answer.status_code == 201, answer.text
    return {"pair": pair, "bp": bp, "sf": sf, "bp_conn": bp_conn, "sf_conn": sf_conn}


def _connectors(live_stack, crm) -> tuple[Any, Any]:
    with live_stack.inside():
        return (connector_for(Connection.objects.get(pk=crm["bp_conn"].pk)),
                connector_for(Connection.objects.get(pk=crm["sf_conn"].pk)))


def _link(live_stack, flow_key: str, source_id: str) -> RecordLink | None:
    # Flow keys name the template's pair (…-bp-to-sf): one such pair in the e2e tenant.
    with live_stack.inside():
        return RecordLink.objects.filter(flow__key=flow_key, source_id=str(source_id)).first()


def _synced(live_stack, flow_key: str, source_id: str, what: str) -> RecordLink:
    """Wait for the record link; on timeout say what the flow's last attempts reported."""
    try:
        return wait_until(lambda: _link(live_stack, flow_key, source_id), what=what)
    except pytest.fail.Exception:
        with live_stack.inside():
            tried = list(Transaction.objects.filter(flow__key=flow_key).order_by("-pk")
                         .values_list("source_id", "status", "message")[:5])
        pytest.fail(f"{what}: no link for {flow_key} {source_id}; last attempts: {tried}")


def _field(live_stack, sf, sobject: str, record_id: str, field: str) -> Any:
    with live_stack.inside():
        return sf.get(sobject, record_id)[field]


def _bp_customer(live_stack, crm, *, first: str, last: str, email: str,
                 company: str = "") -> str:
    bp, _ = _connectors(live_stack, crm)
    record: dict[str, Any] = {
        "firstName": first, "lastName": last,
        "communication": {"emails": {"PRI": {"email": email}},
                          "telephones": {"PRI": "0161 496 0000"}},
        "relationshipToAccount": {"isCustomer": True},
        "financialDetails": {"priceListId": 3},
        "postalAddresses": {kind: ADDRESS for kind in ("DEF", "BIL", "DEL")}}
    if company:
        record["organisation"] = {"name": company}
    with live_stack.inside():
        return bp.upsert("customer", record).id


def _synced_account(live_stack, crm, **customer: str) -> tuple[str, RecordLink]:
    contact_id = _bp_customer(live_stack, crm, **customer)
    return contact_id, _synced(live_stack, "customer-bp-to-sf-account", contact_id,
                               "account synced")


def _synced_product(live_stack, crm, control, index: int, name: str) -> dict[str, Any]:
    """A seeded Brightpearl product renamed (its webhook brings product and price to
    Salesforce); → the Brightpearl product as read back."""
    bp_product = control.records("brightpearl", crm["bp"]["account"], "product")[index]
    bp, _ = _connectors(live_stack, crm)
    with live_stack.inside():
        bp.upsert("product", {"salesChannels": [{"productName": name}]},
                  external_id=str(bp_product["id"]))
    wait_until(lambda: _link(live_stack, "product-bp-to-sf", str(bp_product["id"])),
               what="product synced")
    with live_stack.inside():
        return bp.get("product", str(bp_product["id"]))


def _priced_product(live_stack, crm, control, index: int, name: str, price: str
                    ) -> dict[str, Any]:
    product = _synced_product(live_stack, crm, control, index, name)
    bp, _ = _connectors(live_stack, crm)
    with live_stack.inside():
        bp.product_price_set(product["id"], 2, price)
    wait_until(lambda: (link := _link(live_stack, "price-bp-to-sf", str(product["id"])))
               and _price_of(live_stack, crm, link.target_id) == float(price),
               what="price synced")
    return product


def _price_of(live_stack, crm, entry_id: str) -> float | None:
    _, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        return float(sf.get("PricebookEntry", entry_id)["UnitPrice"])


def _bp_order(live_stack, crm, contact_id: str, product: dict[str, Any], quantity: int,
              *, order_type: str = "SO") -> str:
    bp, _ = _connectors(live_stack, crm)
    with live_stack.inside():
        return bp.upsert("sales_order" if order_type == "SO" else "credit_note", {
            "orderTypeCode": order_type, "reference": f"E2E-{contact_id}-{order_type}",
            "priceListId": 2, "orderStatus": {"orderStatusId": 2 if order_type == "SO" else 21},
            "parties": {"customer": {"contactId": int(contact_id)}},
            "currency": {"code": "GBP"}, "warehouseId": 1,
            "rows": [{"productId": int(product["id"]), "quantity": {"magnitude": quantity},
                      "rowValue": {"taxCode": "T20", "rowNet": {"value": 25.0 * quantity},
                                   "rowTax": {"value": 5.0 * quantity}},
                      "nominalCode": "4000"}]}).id


# --- customers -------------------------------------------------------------------------------

def test_brightpearl_customer_becomes_a_salesforce_account_and_contact(live_stack, crm):
    contact_id, account_link = _synced_account(
        live_stack, crm, first="Priya", last="Shah", email="priya@shah-trading.example.com",
        company="Shah Trading Ltd")
    contact_link = _synced(live_stack, "customer-bp-to-sf-contact", contact_id, "contact synced")
    _, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        account = sf.get("Account", account_link.target_id)
        contact = sf.get("Contact", contact_link.target_id)
    assert (account["Name"], account["Type"]) == ("Shah Trading Ltd",
                                                  "Channel Partner / Reseller")
    assert (account["BillingCity"], account["BillingCountry"]) == ("Manchester",
                                                                   "United Kingdom")
    assert account["Brightpearl_Id__c"] == contact_id
    assert (contact["FirstName"], contact["LastName"], contact["Email"]) == (
        "Priya", "Shah", "priya@shah-trading.example.com")
    assert contact["AccountId"] == account["Id"]


def test_salesforce_contact_becomes_a_brightpearl_customer_through_outbound_messages(
        live_stack, crm):
    bp, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        account = sf.upsert("Account", {"Name": "Fjord Outfitters AS",
                                        "Type": "Channel Partner / Reseller"})
        contact = sf.upsert("Contact", {
            "AccountId": account.id, "FirstName": "Kari", "LastName": "Nordmann",
            "Email": "kari@fjord.example.com", "MailingStreet": "Strandgaten 5",
            "MailingCity": "Bergen", "MailingPostalCode": "5013",
            "MailingCountry": "United Kingdom"})
    link = _synced(live_stack, "customer-sf-to-bp", contact.id, "contact synced to Brightpearl")
    assert link.natural_key == account.id  # fills bp_contact_ids for won opportunities
    with live_stack.inside():
        customer = bp.get("customer", link.target_id)
    assert (customer["firstName"], customer["lastName"]) == ("Kari", "Nordmann")
    assert customer["communication"]["emails"]["PRI"]["email"] == "kari@fjord.example.com"
    assert customer["organisation"]["name"] == "Fjord Outfitters AS"
    assert customer["financialDetails"]["priceListId"] == 3
    assert customer["postalAddresses"]["DEL"]["countryIsoCode"] == "GBR"
    # The follow-up writes the Brightpearl id back onto the contact.
    wait_until(lambda: _field(live_stack, sf, "Contact", contact.id, "Brightpearl_Id__c")
               == link.target_id, what="Brightpearl id on the contact")


# --- catalogue -------------------------------------------------------------------------------

def test_brightpearl_product_and_retail_price_land_in_salesforce(live_stack, crm, control):
    product = _priced_product(live_stack, crm, control, 0, "Trail Lantern", "39.95")
    link = _link(live_stack, "product-bp-to-sf", str(product["id"]))
    price_link = _link(live_stack, "price-bp-to-sf", str(product["id"]))
    _, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        product2 = sf.get("Product2", link.target_id)
        entry = sf.get("PricebookEntry", price_link.target_id)
        standard = sf.standard_pricebook_id()
    assert (product2["Name"], product2["ProductCode"]) == ("Trail Lantern",
                                                           product["identity"]["sku"])
    assert product2["Brightpearl_Id__c"] == str(product["id"])
    assert (entry["Product2Id"], entry["Pricebook2Id"], entry["UnitPrice"]) == (
        product2["Id"], standard, 39.95)


def test_brightpearl_stock_correction_updates_available_stock_on_the_product(live_stack, crm,
                                                                             control):
    product = _synced_product(live_stack, crm, control, 1, "Camp Stove")
    bp, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        bp.stock_correct(1, [{"productId": product["id"], "quantity": 9,
                              "reason": "Stock take"}])
        available = sum(w["inStock"] for w in
                        bp.get("inventory", str(product["id"]))["warehouses"].values())
    product2_id = _link(live_stack, "product-bp-to-sf", str(product["id"])).target_id
    wait_until(lambda: _field(live_stack, sf, "Product2", product2_id, "AvailableStock__c")
               == available, what=f"AvailableStock__c = {available}")
    # Written onto the same product, by its Brightpearl id: no second Product2.
    assert _synced(live_stack, "inventory-bp-to-sf", str(product["id"]),
                   "stock linked").target_id == product2_id


# --- orders, shipments, payments, credits ----------------------------------------------------

def _synced_order(live_stack, crm, control, *, index: int, email: str
                  ) -> tuple[str, str, RecordLink, dict[str, Any]]:
    contact_id, _ = _synced_account(live_stack, crm, first="Order", last=f"Buyer {index}",
                                    email=email)
    product = _priced_product(live_stack, crm, control, index, f"Kit {index}", "25.00")
    order_id = _bp_order(live_stack, crm, contact_id, product, 2)
    link = _synced(live_stack, "sales-order-bp-to-sf", order_id, "order synced")
    return contact_id, order_id, link, product


def test_brightpearl_sales_order_becomes_a_salesforce_order_with_its_lines(live_stack, crm,
                                                                          control):
    contact_id, order_id, link, _ = _synced_order(live_stack, crm, control, index=2,
                                                  email="order@example.com")
    _, sf = _connectors(live_stack, crm)
    # Brightpearl adds an order's rows after creating it; the row changes bring the lines.
    wait_until(lambda: _field(live_stack, sf, "Order", link.target_id, "OrderItems")["records"],
               what="order lines in Salesforce")
    with live_stack.inside():
        order = sf.get("Order", link.target_id)
    account_id = _link(live_stack, "customer-bp-to-sf-account", contact_id).target_id
    assert (order["AccountId"], order["Status"], order["Brightpearl_Id__c"]) == (
        account_id, "Activated", order_id)
    assert [(line["Quantity"], line["UnitPrice"]) for line in order["OrderItems"]["records"]] == [
        (2.0, 25.0)]
    assert order["TotalAmount"] == 50.0


def test_shipped_goods_out_note_becomes_a_salesforce_shipment_and_fulfils_the_order(
        live_stack, crm, control):
    _, order_id, order_link, _ = _synced_order(live_stack, crm, control, index=3,
                                              email="ship@example.com")
    bp, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        (note_id,) = bp.goods_out_note_create(order_id)
        bp.goods_out_note_ship(note_id, tracking="RM123456789GB", shipping_method_id=1)
    link = _synced(live_stack, "shipment-bp-to-sf", note_id, "shipment synced")
    with live_stack.inside():
        shipment = sf.get("Shipment__c", link.target_id)
    assert (shipment["Order__c"], shipment["Tracking_Number__c"], shipment["Carrier__c"],
            shipment["Status__c"]) == (order_link.target_id, "RM123456789GB", "Royal Mail",
                                       "Shipped")
    # The shipping-status event updates the order itself.
    try:
        wait_until(lambda: _field(live_stack, sf, "Order", order_link.target_id, "Status")
                   == "Fulfilled", what="order fulfilled")
    except pytest.fail.Exception:
        with live_stack.inside():
            tried = list(Transaction.objects.filter(flow__key="sales-order-bp-to-sf")
                         .order_by("-pk").values_list("source_id", "status", "message",
                                                      "target_record")[:4])
            events = list(InboundEvent.objects.filter(flow__key="sales-order-bp-to-sf",
                                                      external_id=order_id)
                          .values_list("event_type", "status", "last_error"))
        pytest.fail(f"order not fulfilled; attempts: {tried}; events: {events}")


def test_brightpearl_payment_is_polled_into_a_salesforce_payment(live_stack, crm, control):
    _, order_id, order_link, _ = _synced_order(live_stack, crm, control, index=4,
                                              email="payer@example.com")
    bp, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        payment = bp.upsert("payment", {
            "paymentMethodCode": "PAYPAL", "paymentType": "RECEIPT", "orderId": int(order_id),
            "currencyIsoCode": "GBP", "amountPaid": 60.0, "transactionRef": "PP-778899",
            "paymentDate": "2025-06-02"})
        # Autocommit: the poll is sent to the worker at once.
        flow_run_now(flow=Flow.objects.get(pair=crm["pair"], key="payment-bp-to-sf"))
    link = _synced(live_stack, "payment-bp-to-sf", payment.id, "payment polled and synced")
    with live_stack.inside():
        record = sf.get("Payment__c", link.target_id)
    assert (record["Order__c"], record["Amount__c"], record["Payment_Method__c"],
            record["Transaction_Ref__c"], record["Brightpearl_Id__c"]) == (
        order_link.target_id, 60.0, "PayPal", "PP-778899", payment.id)


def test_salesforce_payment_becomes_a_balanced_brightpearl_journal(live_stack, crm):
    with live_stack.inside():
        flow_set_enabled(flow=Flow.objects.get(pair=crm["pair"], key="payment-sf-to-bp"),
                         enabled=True)
    bp, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        payment = sf.upsert("Payment__c", {"Amount__c": 120.5, "Currency__c": "GBP",
                                           "Payment_Date__c": "2025-06-03",
                                           "Payment_Method__c": "PayPal",
                                           "Transaction_Ref__c": "SF-PAY-1"})
    link = _synced(live_stack, "payment-sf-to-bp", payment.id, "payment journalled")
    with live_stack.inside():
        journal = bp.get("journal", link.target_id)
    debits = [(d["nominalCode"], d["transactionAmount"]) for d in journal["debits"]]
    credits = [(c["nominalCode"], c["transactionAmount"]) for c in journal["credits"]]
    assert (debits, credits) == ([("1210", 120.5)], [("1100", 120.5)])


def test_brightpearl_sales_credit_becomes_a_salesforce_return_case(live_stack, crm, control):
    contact_id, _ = _synced_account(live_stack, crm, first="Returning", last="Customer",
                                    email="returns@example.com")
    product = _synced_product(live_stack, crm, control, 5, "Dry Bag")
    credit_id = _bp_order(live_stack, crm, contact_id, product, 1, order_type="SC")
    link = _synced(live_stack, "credit-note-bp-to-sf", credit_id, "credit synced")
    bp, sf = _connectors(live_stack, crm)
    # Brightpearl adds a credit's rows after creating it; the row changes update the case.
    wait_until(lambda: "Dry Bag" in _field(live_stack, sf, "Case", link.target_id,
                                           "Description"), what="credit rows on the case")
    with live_stack.inside():
        case = sf.get("Case", link.target_id)
        status = bp.get("credit_note", credit_id)["orderStatus"]["orderStatusId"]
    account_id = _link(live_stack, "customer-bp-to-sf-account", contact_id).target_id
    assert (case["AccountId"], case["Type"], case["Status"], case["Brightpearl_Id__c"]) == (
        account_id, "Return", {20: "Working", 21: "Closed"}[int(status)], credit_id)
    assert case["Subject"].startswith(f"Credit note {credit_id}")
    assert "Dry Bag" in case["Description"]


def test_won_opportunity_becomes_a_brightpearl_sales_order_with_its_products(live_stack, crm,
                                                                            control):
    product = _priced_product(live_stack, crm, control, 0, "Deal Kit", "25.00")
    bp, sf = _connectors(live_stack, crm)
    with live_stack.inside():
        account = sf.upsert("Account", {"Name": "Won Deal Ltd",
                                        "BillingCountry": "United Kingdom"})
        sf.upsert("Contact", {"AccountId": account.id, "LastName": "Closer",
                              "MailingStreet": "1 High St", "MailingCountry": "United Kingdom"})
        opportunity = sf.upsert("Opportunity", {"AccountId": account.id, "Name": "Big deal",
                                                "StageName": "Prospecting",
                                                "CloseDate": "2025-06-30"})
        entry_id = _link(live_stack, "price-bp-to-sf", str(product["id"])).target_id
        sf.upsert("OpportunityLineItem", {"OpportunityId": opportunity.id, "Quantity": 4,
                                          "PricebookEntryId": entry_id, "TotalPrice": 100})
        sf.upsert("Opportunity", {"StageName": "Closed Won"}, external_id=opportunity.id)
    link = _synced(live_stack, "sales-order-sf-to-bp", opportunity.id, "won opportunity synced")
    with live_stack.inside():
        order = bp.get("sales_order", link.target_id)
    assert order["reference"] == "Big deal"
    # One row per opportunity product: its quantity, its total as the net, UK VAT on top.
    assert [(r["productId"], float(r["quantity"]["magnitude"]),
             float(r["rowValue"]["rowNet"]["value"]), float(r["rowValue"]["rowTax"]["value"]),
             r["rowValue"]["taxCode"]) for r in order["orderRows"].values()] == [
        (product["id"], 4.0, 100.0, 20.0, "T20")]
    with live_stack.inside():
        assert sf.get("Opportunity", opportunity.id)["Brightpearl_Id__c"] == link.target_id
