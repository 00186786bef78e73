"""The Brightpearl connector against the Brightpearl sandbox, over real HTTP.

Each test uses a fresh sandbox account, so tests are independent; no database is used.
"""

from __future__ import annotations

import html
import os
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis

from integrations.connectors.base import ConnectionConfig, WebhookEvent, paginate
from integrations.connectors.brightpearl import CREDENTIAL_FIELDS, BrightpearlConnector
from integrations.connectors.brightpearl_auth import (
    authorization_url,
    exchange_code,
    refresh_token,
)
from integrations.connectors.budget import RateLimit, RequestBudget
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    NotFound,
    NothingToSync,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from integrations.connectors.registry import connector_class
from tests.sandbox_harness import unique, wait_until

SEED = {"products": 6, "customers": 3, "orders": 3, "suppliers": 2, "purchase_orders": 2}
REDIRECT_URI = "http://localhost:8000/oauth/brightpearl/callback"
BP_REAL = "https://use1.brightpearlconnect.com"


# --- helpers --------------------------------------------------------------------------------


def oauth_config(account: dict[str, Any], token: dict[str, Any] | None = None,
                 **settings: Any) -> ConnectionConfig:
    creds = account["credentials"]
    return ConnectionConfig(
        base_url=account["base_url"], account=account["account"], auth_type="oauth2_code",
        credentials={k: creds[k] for k in CREDENTIAL_FIELDS["oauth2_code"]},
        token=token if token is not None else {"access_token": creds["access_token"]},
        settings=settings,
    )


def private_config(account: dict[str, Any], **settings: Any) -> ConnectionConfig:
    creds = account["credentials"]
    return ConnectionConfig(
        base_url=account["base_url"], account=account["account"], auth_type="private_app",
        credentials={k: creds[k] for k in CREDENTIAL_FIELDS["private_app"]}, settings=settings,
    )


def private(account: dict[str, Any], **kwargs: Any) -> BrightpearlConnector:
    settings = kwargs.pop("settings", {})
    return BrightpearlConnector(private_config(account, **settings), **kwargs)


def approve(config: ConnectionConfig, state: str = "st-123") -> str:
    """Drive the sandbox's authorize page like a browser; return the code from the redirect."""
    url = authorization_url(config, REDIRECT_URI, state)
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and 'value="approve"' in page.text
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)}
    answer = httpx.post(url, data={**fields, "decision": "approve"}, timeout=10)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


def first_id(connector: BrightpearlConnector, entity: str) -> str:
    return connector.list_changed(entity, since=None).records[0]["id"]


def order_body(contact_id: str, product_id: str, *, reference: str = "") -> dict[str, Any]:
    return {
        "reference": reference or unique("SO"),
        "parties": {"customer": {"contactId": int(contact_id)}},
        "currency": {"code": "GBP"},
        "rows": [
            {"productId": int(product_id), "quantity": {"magnitude": "2"},
             "rowValue": {"taxCode": "T20", "rowNet": {"value": "20.00"},
                          "rowTax": {"value": "4.00"}}},
            {"productName": "Gift wrap", "quantity": {"magnitude": "1"},
             "rowValue": {"taxCode": "T0", "rowNet": {"value": "3.50"},
                          "rowTax": {"value": "0"}}},
        ],
    }


def product_body(sku: str) -> dict[str, Any]:
    return {
        "brandId": 1,
        "identity": {"sku": sku, "barcode": f"50{sku[-6:]}"},
        "salesChannels": [{"salesChannelName": "Brightpearl", "productName": f"Widget {sku}"}],
        "priceLists": [{"priceListId": 2, "quantityPrice": {"1": "12.50"}},
                       {"priceListId": 1, "quantityPrice": {"1": "6.00"}}],
    }


@pytest.fixture
def account(new_account) -> dict[str, Any]:
    return new_account("brightpearl", seed=SEED)


@pytest.fixture
def bp(account) -> BrightpearlConnector:
    return private(account)


@pytest.fixture
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(os.environ["BROKER_URL"])


# --- registry and OAuth -------------------------------------------------------------------


def test_registry_names_the_brightpearl_connector():
    assert connector_class("brightpearl") is BrightpearlConnector


def test_authorization_url_uses_brightpearls_oauth_host_for_a_real_datacentre():
    config = ConnectionConfig(base_url="https://euw1.brightpearlconnect.com", account="acme",
                              auth_type="oauth2_code",
                              credentials={"client_id": "app", "client_secret": "s",
                                           "dev_ref": "dev"})
    url = authorization_url(config, "https://app.example.com/cb", "abc")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "oauth.brightpearl.com",
                                                        "/authorize/acme")
    assert parse_qs(parts.query) == {"response_type": ["code"], "client_id": ["app"],
                                     "redirect_uri": ["https://app.example.com/cb"],
                                     "state": ["abc"]}


def test_authorization_code_is_exchanged_for_a_working_token(account):
    config = oauth_config(account, token={})
    token = exchange_code(config, approve(config), REDIRECT_URI)
    assert token["token_type"] == "Bearer" and token["refresh_token"]
    assert token["expires_at"] == pytest.approx(time.time() + token["expires_in"], abs=5)
    assert token["api_domain"].endswith("/brightpearl")
    config.token = token
    BrightpearlConnector(config).test()


def test_a_used_authorization_code_is_refused(account):
    config = oauth_config(account, token={})
    code = approve(config)
    exchange_code(config, code, REDIRECT_URI)
    with pytest.raises(AuthError) as refused:
        exchange_code(config, code, REDIRECT_URI)
    assert refused.value.code == "invalid_grant"


def test_refresh_token_gives_a_new_working_access_token(account):
    config = oauth_config(account, token={})
    first = exchange_code(config, approve(config), REDIRECT_URI)
    second = refresh_token(config, first)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] == first["refresh_token"]
    config.token = second
    BrightpearlConnector(config).test()


def test_expired_token_is_refreshed_once_then_retried(account, control):
    config = oauth_config(account, token={})
    config.token = exchange_code(config, approve(config), REDIRECT_URI)
    failed_tokens: list[dict[str, Any]] = []
    connector: BrightpearlConnector

    def refresher(failed: dict[str, Any]) -> dict[str, Any]:
        failed_tokens.append(failed)
        return connector.fetch_token()

    connector = BrightpearlConnector(config, refresher=refresher)
    assert control.expire_tokens("brightpearl", account["account"]) >= 1
    assert connector.get("product", "1001")["id"] == 1001
    assert [t["access_token"] for t in failed_tokens] == [config.token["access_token"]]
    assert connector.token["access_token"] != config.token["access_token"]


def test_token_about_to_expire_is_refreshed_before_the_call(account):
    config = oauth_config(account, token={})
    token = exchange_code(config, approve(config), REDIRECT_URI)
    config.token = {**token, "expires_at": int(time.time()) + 10}
    refreshed: list[dict[str, Any]] = []
    connector: BrightpearlConnector

    def refresher(old: dict[str, Any]) -> dict[str, Any]:
        refreshed.append(old)
        return connector.fetch_token()

    connector = BrightpearlConnector(config, refresher=refresher)
    connector.test()
    assert len(refreshed) == 1
    assert connector.token["expires_at"] > time.time() + 3600


def test_token_refused_again_after_refresh_is_an_auth_error(account):
    config = oauth_config(account, token={"access_token": "not-a-token"})
    calls: list[dict[str, Any]] = []

    def refresher(failed: dict[str, Any]) -> dict[str, Any]:
        calls.append(failed)
        return {"access_token": "still-not-a-token"}

    with pytest.raises(AuthError) as refused:
        BrightpearlConnector(config, refresher=refresher).test()
    assert len(calls) == 1
    assert refused.value.status == 401


def test_ready_bearer_token_sends_app_and_dev_refs(account):
    BrightpearlConnector(oauth_config(account)).test()


def test_private_app_authenticates_with_its_account_token(account):
    assert {w["id"] for w in private(account).warehouses()} == {1, 2}


def test_wrong_private_account_token_is_an_auth_error(account):
    config = private_config(account)
    config.credentials["account_token"] = "wrong"
    with pytest.raises(AuthError):
        BrightpearlConnector(config).test()


def test_unknown_account_code_is_a_configuration_error(account):
    config = private_config(account)
    config.account = "no-such-account"
    with pytest.raises(ConfigurationError):
        BrightpearlConnector(config).test()


# --- sales orders, credit notes, purchase orders --------------------------------------------


def test_sales_order_is_created_with_its_rows_and_read_back(bp):
    contact, product = first_id(bp, "customer"), first_id(bp, "product")
    body = order_body(contact, product)
    written = bp.upsert("sales_order", body)
    assert written.created
    order = bp.get("sales_order", written.id)
    assert order["orderTypeCode"] == "SO" and order["reference"] == body["reference"]
    assert order["parties"]["customer"]["contactId"] == int(contact)
    assert "Gift wrap" in {r["productName"] for r in order["orderRows"].values()}
    assert order["totalValue"]["total"] == pytest.approx(27.50)


def test_sales_order_update_sets_status_and_patches_the_header(bp):
    written = bp.upsert("sales_order", order_body(first_id(bp, "customer"),
                                                  first_id(bp, "product")))
    result = bp.upsert("sales_order", {"orderStatus": {"orderStatusId": 6},
                                       "reference": "CHANGED-1"}, external_id=written.id)
    assert not result.created
    order = bp.get("sales_order", written.id)
    assert order["orderStatus"]["orderStatusId"] == 6
    assert order["reference"] == "CHANGED-1"


def test_changing_the_rows_of_an_existing_order_is_refused(bp):
    body = order_body(first_id(bp, "customer"), first_id(bp, "product"))
    written = bp.upsert("sales_order", body)
    assert not bp.upsert("sales_order", body, external_id=written.id).created  # same rows: ok
    body["rows"][0]["quantity"]["magnitude"] = "5"
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("sales_order", body, external_id=written.id)
    assert refused.value.field == "rows"


def test_order_status_set_moves_the_order_and_lists_statuses(bp):
    order_id = first_id(bp, "sales_order")
    bp.order_status_set(order_id, 5, note="Cancelled in the ERP")
    assert bp.get("sales_order", order_id)["orderStatus"]["name"] == "Cancelled"
    assert {s["statusId"] for s in bp.order_statuses()} >= {1, 5, 10, 20}


def test_refused_row_reports_the_created_order(bp):
    body = order_body(first_id(bp, "customer"), first_id(bp, "product"))
    body["rows"][1]["rowValue"]["taxCode"] = "NOPE"
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("sales_order", body)
    assert refused.value.code == "ORDC-014"
    assert refused.value.detail["rows_written"] == 1
    assert bp.get("sales_order", refused.value.detail["order_id"])


def test_credit_note_is_a_sales_credit_order(bp):
    written = bp.upsert("credit_note", order_body(first_id(bp, "customer"),
                                                  first_id(bp, "product")))
    assert bp.get("credit_note", written.id)["orderTypeCode"] == "SC"
    with pytest.raises(NotFound):
        bp.get("sales_order", written.id)


def test_purchase_order_is_created_for_a_supplier(bp):
    supplier, product = first_id(bp, "supplier"), first_id(bp, "product")
    body = order_body(supplier, product)
    body["parties"] = {"supplier": {"contactId": int(supplier)}}
    written = bp.upsert("purchase_order", body)
    order = bp.get("purchase_order", written.id)
    assert order["orderTypeCode"] == "PO"
    assert order["parties"]["supplier"]["contactId"] == int(supplier)


def test_order_of_another_type_code_is_refused(bp):
    body = order_body(first_id(bp, "customer"), first_id(bp, "product"))
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("sales_order", {**body, "orderTypeCode": "PO"})
    assert refused.value.field == "orderTypeCode"


def test_listing_orders_returns_only_that_order_type(bp):
    sales = bp.list_changed("sales_order", since=None).records
    purchases = bp.list_changed("purchase_order", since=None).records
    assert len(sales) == 3 and len(purchases) == 2
    assert {r["orderTypeCode"] for r in sales} == {"SO"}
    assert {r["orderTypeCode"] for r in purchases} == {"PO"}
    assert all(r["updatedOn"] for r in sales)


# --- products -------------------------------------------------------------------------------


def test_product_is_created_with_prices_and_read_back(bp):
    sku = unique("SKU")
    written = bp.upsert("product", product_body(sku))
    product = bp.get("product", written.id)
    assert product["identity"]["sku"] == sku
    prices = {p["priceListId"]: p["quantityPrice"]["1"] for p in product["priceLists"]}
    assert float(prices[2]) == 12.50 and float(prices[1]) == 6.00


def test_product_update_sends_the_current_version_in_if_match(bp):
    written = bp.upsert("product", product_body(unique("SKU")))
    version = bp.get("product", written.id)["version"]
    change = {"salesChannels": [{"salesChannelName": "Brightpearl", "productName": "Renamed"}],
              "version": 1, "priceLists": [{"priceListId": 2, "quantityPrice": {"1": "15"}}]}
    result = bp.upsert("product", change, external_id=written.id)
    assert result == type(result)(written.id, False)
    product = bp.get("product", written.id)
    assert product["salesChannels"][0]["productName"] == "Renamed"
    assert product["version"] > version
    assert float(next(p for p in product["priceLists"]
                      if p["priceListId"] == 2)["quantityPrice"]["1"]) == 15.0


def test_product_validation_error_carries_code_message_and_field(bp):
    body = product_body(unique("SKU"))
    del body["brandId"]
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("product", body)
    assert refused.value.code == "PRDC-001"
    assert refused.value.field == "brandId"
    assert "brandId is required" in refused.value.message
    assert refused.value.status == 400


def test_missing_record_is_not_found(bp):
    with pytest.raises(NotFound):
        bp.get("product", "999999")


def test_many_products_are_read_in_one_id_set_call(bp):
    ids = [r["id"] for r in bp.list_changed("product", since=None).records]
    found = bp.get_many("product", [*ids, "999999"])
    assert sorted(str(p["id"]) for p in found) == sorted(ids)
    assert all(p["priceLists"] for p in found)


# --- contacts -------------------------------------------------------------------------------


def customer_body(email: str) -> dict[str, Any]:
    address = {"addressLine1": "1 High Street", "addressLine3": "Leeds", "postalCode": "LS1 1AA",
               "countryIsoCode": "GB"}
    return {"firstName": "Ada", "lastName": "Lovelace",
            "communication": {"emails": {"PRI": {"email": email}}},
            "postalAddresses": {"DEF": address, "BIL": address, "DEL": dict(address)}}


def test_customer_is_created_with_its_postal_addresses(bp):
    email = f"{unique('ada')}@example.com"
    written = bp.upsert("customer", customer_body(email))
    contact = bp.get("customer", written.id)
    assert contact["communication"]["emails"]["PRI"]["email"] == email
    ids = contact["postAddressIds"]
    assert ids["DEF"] == ids["BIL"] == ids["DEL"]  # one address, created once
    assert contact["postalAddresses"]["DEF"]["countryIsoCode"] == "GBR"
    assert contact["relationshipToAccount"]["isSupplier"] is False


def test_customer_update_patches_changed_fields_and_addresses(bp):
    written = bp.upsert("customer", customer_body(f"{unique('ada')}@example.com"))
    before = bp.get("customer", written.id)
    change = customer_body("ada.new@example.com")
    change["postalAddresses"]["DEL"] = {"addressLine1": "9 Dock Road", "addressLine3": "Hull",
                                        "postalCode": "HU1 1AA", "countryIsoCode": "GB"}
    assert not bp.upsert("customer", change, external_id=written.id).created
    after = bp.get("customer", written.id)
    assert after["communication"]["emails"]["PRI"]["email"] == "ada.new@example.com"
    assert after["postAddressIds"]["DEF"] == before["postAddressIds"]["DEF"]
    assert after["postAddressIds"]["DEL"] != before["postAddressIds"]["DEL"]
    assert after["postalAddresses"]["DEL"]["addressLine1"] == "9 Dock Road"


def test_supplier_is_a_contact_marked_as_supplier(bp):
    written = bp.upsert("supplier", {"firstName": "Parts", "lastName": "Ltd",
                                     "organisation": {"name": "Parts Ltd"}})
    assert bp.get("supplier", written.id)["relationshipToAccount"]["isSupplier"] is True
    supplier_ids = {r["id"] for r in bp.list_changed("supplier", since=None).records}
    customer_ids = {r["id"] for r in bp.list_changed("customer", since=None).records}
    assert written.id in supplier_ids and written.id not in customer_ids
    assert len(supplier_ids) == 3 and len(customer_ids) == 3


def test_a_customer_read_as_a_supplier_is_nothing_to_sync(bp):
    customer = first_id(bp, "customer")
    with pytest.raises(NothingToSync):
        bp.get("supplier", customer)
    assert isinstance(bp.get_batch("supplier", [customer])[customer], NothingToSync)


def test_invalid_email_is_refused_with_the_systems_message(bp):
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("customer", {"firstName": "X", "communication": {"emails": {
            "PRI": {"email": "not-an-email"}}}})
    assert refused.value.code == "CONC-003"


# --- inventory ------------------------------------------------------------------------------


def test_availability_is_read_per_product_and_warehouse(bp):
    product = first_id(bp, "product")
    level = bp.get("inventory", product)
    assert level["productId"] == int(product)
    assert set(level["warehouses"]) == {"1", "2"}
    assert level["total"]["onHand"] == sum(w["onHand"] for w in level["warehouses"].values())


def test_absolute_stock_level_is_written_as_a_correction(bp):
    product = first_id(bp, "product")
    have = bp.get("inventory", product)["warehouses"]["1"]["onHand"]
    result = bp.upsert("inventory", {"warehouseId": 1, "onHand": have + 7}, external_id=product)
    assert result.record["delta"] == 7
    assert bp.get("inventory", product)["warehouses"]["1"]["onHand"] == have + 7
    again = bp.upsert("inventory", {"productId": product, "warehouseId": 1, "onHand": have + 7})
    assert again.record == {"delta": 0, "movement_ids": []}


def test_stock_correction_below_zero_is_refused(bp):
    product = first_id(bp, "product")
    with pytest.raises(ValidationFailed) as refused:
        bp.stock_correct(1, [{"productId": int(product), "quantity": -100000,
                              "reason": "count"}])
    assert refused.value.code == "WHSC-007"


def test_inventory_list_walks_products_with_their_availability(bp):
    records = list(paginate(lambda c: bp.list_changed("inventory", since=None, cursor=c)))
    assert len(records) == 6
    assert all("total" in r and r["id"] == str(r["productId"]) for r in records)


# --- goods-out notes ------------------------------------------------------------------------


def test_goods_out_note_is_created_shipped_and_tracked(bp):
    body = order_body(first_id(bp, "customer"), first_id(bp, "product"))
    del body["rows"][1]  # only stock rows: the sandbox waits for free-text rows to ship too
    written = bp.upsert("sales_order", body)
    note_ids = bp.goods_out_note_create(written.id)
    assert len(note_ids) == 1
    note = bp.get("shipment", note_ids[0])
    assert note["orderId"] == int(written.id) and note["status"]["shipped"] is False
    bp.goods_out_note_ship(note_ids[0], tracking="1Z999AA10123456784")
    note = bp.get("shipment", note_ids[0])
    assert note["status"]["shipped"] is True
    assert note["shipping"]["reference"] == "1Z999AA10123456784"
    assert bp.get("sales_order", written.id)["shippingStatusCode"] == "ASS"


def test_goods_out_note_is_read_with_the_order_rows_it_ships(bp):
    body = order_body(first_id(bp, "customer"), first_id(bp, "product"))
    body["rows"][0] |= {"quantity": {"magnitude": "3"}, "externalRef": "4711"}
    del body["rows"][1]
    written = bp.upsert("sales_order", body)
    ((row_id, row),) = bp.get("sales_order", written.id)["orderRows"].items()
    # Two of the row's three units leave on one note, as two items of the row (Brightpearl
    # lists a row once per location it is picked from): the note ships 2 of that row.
    (note_id,) = bp.goods_out_note_create(written.id, body={"warehouses": [{
        "warehouseId": 1, "products": [
            {"productId": row["productId"], "salesOrderRowId": int(row_id), "quantity": 1},
            {"productId": row["productId"], "salesOrderRowId": int(row_id), "quantity": 1}]}]})
    note = bp.get("shipment", note_id)
    assert [(r["orderRowId"], r["quantity"], r["orderRow"]["externalRef"],
             r["orderRow"]["productSku"]) for r in note["rows"]] == [
        (int(row_id), 2, "4711", row["productSku"])]


def test_shipment_upsert_creates_a_note_and_marks_it_shipped(bp):
    written = bp.upsert("sales_order", order_body(first_id(bp, "customer"),
                                                  first_id(bp, "product")))
    result = bp.upsert("shipment", {"orderId": int(written.id),
                                    "warehouses": [{"warehouseId": 2}],
                                    "shipping": {"reference": "TRACK-1"}, "shipped": True})
    assert result.created
    note = bp.get("shipment", result.id)
    assert note["warehouseId"] == 2 and note["status"]["shipped"] is True
    assert note["shipping"]["reference"] == "TRACK-1"
    updated = bp.upsert("shipment", {"shipping": {"reference": "TRACK-2"}},
                        external_id=result.id)
    assert not updated.created
    assert bp.get("shipment", result.id)["shipping"]["reference"] == "TRACK-2"


def test_goods_out_notes_are_listed_by_change(bp):
    written = bp.upsert("sales_order", order_body(first_id(bp, "customer"),
                                                  first_id(bp, "product")))
    note_id = bp.goods_out_note_create(written.id, warehouse_id=1)[0]
    rows = bp.list_changed("shipment", since=None).records
    assert note_id in {r["id"] for r in rows}
    assert all(r["id"] == str(r["goodsOutNoteId"]) and r["updatedOn"] for r in rows)


# --- goods-in notes (goods receipts) --------------------------------------------------------


def purchase_order(bp: BrightpearlConnector) -> tuple[dict[str, Any], str]:
    """A purchase order of 2 units of a product (plus a free-text row); answers (order, row id
    of the product row)."""
    supplier, product = first_id(bp, "supplier"), first_id(bp, "product")
    body = order_body(supplier, product)
    body["parties"] = {"supplier": {"contactId": int(supplier)}}
    body["warehouseId"] = 2
    order = bp.get("purchase_order", bp.upsert("purchase_order", body).id)
    row_id = next(rid for rid, row in order["orderRows"].items() if row["productId"])
    return order, row_id


def test_goods_in_note_is_created_and_read_with_its_purchase_order(bp):
    order, row_id = purchase_order(bp)
    product = order["orderRows"][row_id]["productId"]
    note_id = bp.goods_in_note_create(order["id"], warehouse_id=1, goods_moved=[
        {"productId": product, "purchaseOrderRowId": int(row_id), "quantity": 1,
         "productValue": {"currency": "GBP", "value": "10.00"}}],
        received_on="2026-03-05T09:00:00.000Z", reference=unique("GRN"))
    note = bp.get("goods_receipt", note_id)
    assert (note["goodsNoteId"], note["orderId"], note["receivedOn"]) == (
        int(note_id), order["id"], "2026-03-05T09:00:00.000Z")
    assert [(m["productId"], m["quantity"], m["warehouseId"]) for m in note["goodsMoved"]] == [
        (product, 1, 1)]
    assert note["order"]["id"] == order["id"]
    assert note["order"]["parties"]["supplier"]["contactId"] == order["parties"]["supplier"][
        "contactId"]


def test_goods_in_note_without_lines_receives_what_is_left_into_the_orders_warehouse(bp):
    order, row_id = purchase_order(bp)
    product = order["orderRows"][row_id]["productId"]
    before = bp.get("inventory", str(product))["warehouses"].get("2", {}).get("onHand", 0)
    bp.goods_in_note_create(order["id"], goods_moved=[
        {"productId": product, "purchaseOrderRowId": int(row_id), "quantity": 1}],
        warehouse_id=2)
    note = bp.get("goods_receipt", bp.goods_in_note_create(order["id"]))
    [moved] = note["goodsMoved"]
    assert (moved["quantity"], moved["warehouseId"], moved["productValue"]["value"]) == (
        1, 2, "10.0000")
    assert bp.get("inventory", str(product))["warehouses"]["2"]["onHand"] == before + 2
    assert bp.get("purchase_order", str(order["id"]))["stockStatusCode"] == "POA"


def test_a_fully_received_order_has_nothing_left_to_receive(bp):
    order, _ = purchase_order(bp)
    bp.goods_in_note_create(order["id"])
    with pytest.raises(ValidationFailed) as refused:
        bp.goods_in_note_create(order["id"])
    assert refused.value.code == "nothing_to_receive"


def test_goods_receipt_upsert_creates_a_note(bp):
    order, row_id = purchase_order(bp)
    product = order["orderRows"][row_id]["productId"]
    written = bp.upsert("goods_receipt", {
        "orderId": order["id"], "warehouseId": 2,
        "goodsMoved": [{"productId": product, "purchaseOrderRowId": int(row_id),
                        "quantity": 2}]})
    assert written.created
    assert bp.get("goods_receipt", written.id)["goodsMoved"][0]["quantity"] == 2


def test_a_received_goods_in_note_cannot_be_updated(bp):
    order, _ = purchase_order(bp)
    note_id = bp.goods_in_note_create(order["id"])
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("goods_receipt", {"orderId": order["id"]}, external_id=note_id)
    assert refused.value.code == "update_unsupported"


def test_goods_receipt_upsert_without_an_order_is_refused_naming_the_field(bp):
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("goods_receipt", {"warehouseId": 1, "goodsMoved": []})
    assert refused.value.field == "orderId"


def test_receiving_more_than_ordered_is_validation_failed_with_brightpearls_code(bp):
    order, row_id = purchase_order(bp)
    product = order["orderRows"][row_id]["productId"]
    with pytest.raises(ValidationFailed) as refused:
        bp.goods_in_note_create(order["id"], warehouse_id=1, goods_moved=[
            {"productId": product, "purchaseOrderRowId": int(row_id), "quantity": 3}])
    assert refused.value.code == "WHSC-047"
    assert "2 ordered" in refused.value.message


def test_goods_in_note_for_a_sales_order_is_validation_failed(bp):
    written = bp.upsert("sales_order", order_body(first_id(bp, "customer"),
                                                  first_id(bp, "product")))
    with pytest.raises(ValidationFailed) as refused:
        bp.goods_in_note_create(written.id, warehouse_id=1, goods_moved=[
            {"productId": 1001, "purchaseOrderRowId": 1, "quantity": 1}])
    assert refused.value.code == "WHSC-040"


def test_goods_in_note_for_an_unknown_order_is_not_found(bp):
    with pytest.raises(NotFound):
        bp.goods_in_note_create(999999, warehouse_id=1, goods_moved=[
            {"productId": 1001, "purchaseOrderRowId": 1, "quantity": 1}])


def test_missing_goods_in_note_is_not_found(bp):
    with pytest.raises(NotFound):
        bp.get("goods_receipt", "999999")


def test_goods_in_notes_are_listed_by_change_once_per_note(bp):
    order, _ = purchase_order(bp)
    body = order_body(first_id(bp, "supplier"), first_id(bp, "product"))
    body["parties"] = {"supplier": {"contactId": int(body["parties"]["customer"]["contactId"])}}
    body["rows"].append(dict(body["rows"][0]))  # the same product on two rows: two batches
    two_rows = bp.get("purchase_order", bp.upsert("purchase_order", body).id)
    since = datetime.now(UTC)
    first = bp.goods_in_note_create(order["id"])
    second = bp.goods_in_note_create(two_rows["id"])
    rows = bp.list_changed("goods_receipt", since=since).records
    assert [r["id"] for r in rows] == [first, second]
    assert rows[1]["purchaseOrderId"] == two_rows["id"]
    assert bp.list_changed("goods_receipt", since=datetime(2999, 1, 1, tzinfo=UTC)).records == []


# --- payments and journals ------------------------------------------------------------------


def test_customer_payment_is_posted_and_marks_the_order_paid(bp):
    written = bp.upsert("sales_order", order_body(first_id(bp, "customer"),
                                                  first_id(bp, "product")))
    payment = bp.upsert("payment", {
        "transactionRef": unique("PAY"), "paymentMethodCode": "CARD", "paymentType": "RECEIPT",
        "orderId": int(written.id), "currencyIsoCode": "GBP", "amountPaid": 27.50,
        "paymentDate": "2025-06-01T10:00:00Z",
    })
    assert payment.created
    assert bp.get("payment", payment.id)["orderId"] == int(written.id)
    assert bp.get("sales_order", written.id)["orderPaymentStatus"] == "PAID"
    listed = {r["id"] for r in bp.list_changed("payment", since=None).records}
    assert payment.id in listed


def test_posted_payment_cannot_be_updated(bp):
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("payment", {"amountPaid": 1}, external_id="7001")
    assert refused.value.code == "update_unsupported"


def test_balanced_journal_is_posted_and_read_back(bp):
    result = bp.journal_post({
        "journalTypeCode": "GJ", "taxDate": "2025-06-30", "currency": {"code": "GBP"},
        "description": "Monthly accrual",
        "debits": [{"nominalCode": "5000", "transactionAmount": 100}],
        "credits": [{"nominalCode": "2100", "transactionAmount": 100}],
    })
    assert bp.get("journal", result.id)["total"] == 100


def test_unbalanced_journal_is_refused(bp):
    with pytest.raises(ValidationFailed) as refused:
        bp.upsert("journal", {
            "journalTypeCode": "GJ", "taxDate": "2025-06-30", "currency": {"code": "GBP"},
            "debits": [{"nominalCode": "5000", "transactionAmount": 100}],
            "credits": [{"nominalCode": "2100", "transactionAmount": 90}],
        })
    assert refused.value.code == "ACCC-027"


def test_warehouses_are_read_by_id_and_listed(bp):
    assert bp.get("warehouse", "2")["name"] == "East Coast DC"
    assert {r["id"] for r in bp.list_changed("warehouse", since=None).records} == {"1", "2"}


# --- listing changes ------------------------------------------------------------------------


def test_search_pages_are_walked_with_first_result_cursors(account):
    connector = private(account, settings={"page_size": 4})
    first = connector.list_changed("product", since=None)
    assert len(first.records) == 4 and first.next_cursor == "5"
    second = connector.list_changed("product", since=None, cursor=first.next_cursor)
    assert len(second.records) == 2 and second.next_cursor is None
    ids = [r["id"] for r in first.records + second.records]
    assert len(set(ids)) == 6 and ids == sorted(ids, key=int)


def test_changed_since_returns_only_records_updated_after(bp):
    time.sleep(0.05)
    mark = datetime.now(UTC)
    time.sleep(0.05)
    written = bp.upsert("product", product_body(unique("SKU")))
    changed = bp.list_changed("product", since=mark).records
    assert [r["id"] for r in changed] == [written.id]
    assert changed[0]["updatedOn"]


def test_journals_cannot_be_listed_by_change(bp):
    with pytest.raises(ConfigurationError):
        bp.list_changed("journal", since=None)


# --- faults ---------------------------------------------------------------------------------


def test_server_error_is_transient(bp, control, account):
    control.faults("brightpearl", account["account"], error_5xx_rate=1.0)
    with pytest.raises(TransientError) as failed:
        bp.get("product", "1001")
    assert failed.value.status == 500 and failed.value.code == "CMNC-500"
    assert not isinstance(failed.value, RateLimited)


def test_throttled_call_is_rate_limited_with_the_wait_brightpearl_gives(bp, control, account):
    control.faults("brightpearl", account["account"], rate_limit_rate=1.0)
    with pytest.raises(RateLimited) as limited:
        bp.get("product", "1001")
    assert limited.value.status == 503
    assert limited.value.wait_s == pytest.approx(60.0)


def test_hanging_call_times_out_as_transient(account, control):
    control.faults("brightpearl", account["account"], hang_rate=1.0)
    with pytest.raises(TransientError) as failed:
        private(account, timeout=(1, 1)).get("product", "1001")
    assert failed.value.status is None


def test_dropped_connection_is_transient(bp, control, account):
    control.faults("brightpearl", account["account"], drop_rate=1.0)
    with pytest.raises(TransientError):
        bp.get("product", "1001")


def test_malformed_body_is_transient(bp, control, account):
    control.faults("brightpearl", account["account"], malformed_rate=1.0)
    with pytest.raises(TransientError) as failed:
        bp.get("product", "1001")
    assert failed.value.status == 200


# --- request budget -------------------------------------------------------------------------


def test_burst_against_a_low_limit_stays_under_it(account, control, redis_client):
    control.limits("brightpearl", account["account"], requests_per_minute=10)
    budget = RequestBudget(redis_client, key=f"test:{uuid.uuid4().hex}",
                           limit=RateLimit(requests=10, period_s=60), safety=0.5, max_wait_s=0)
    connector = private(account, budget=budget)
    sent = refused_by_budget = 0
    for _ in range(25):
        try:
            connector.test()
            sent += 1
        except RateLimited as exc:
            assert exc.status is None  # our budget, never a 503 from Brightpearl
            refused_by_budget += 1
    assert 1 <= sent <= 10 and sent + refused_by_budget == 25


def test_nearly_spent_account_makes_every_worker_wait(account, control, redis_client):
    control.limits("brightpearl", account["account"], requests_per_minute=3)
    key = f"test:{uuid.uuid4().hex}"
    budget = RequestBudget(redis_client, key=key, limit=BrightpearlConnector.rate_limit)
    private(account, budget=budget).test()  # leaves 2 of 3: nearly spent
    other_worker = RequestBudget(redis_client, key=key, limit=BrightpearlConnector.rate_limit)
    with pytest.raises(RateLimited) as waiting:
        private(account, budget=other_worker).test()
    assert waiting.value.status is None and waiting.value.wait_s > 30


# --- webhooks -------------------------------------------------------------------------------


def test_webhook_delivers_to_our_url_with_the_secret_and_parses(bp, webhook_receiver):
    bp.webhook_register(event="product", url=f"{webhook_receiver.url}/hooks/bp/7?x=1",
                        secret="s3cr3t")
    written = bp.upsert("product", product_body(unique("SKU")))

    def created_delivery():
        # Writing a product also fires price events; deliveries may arrive in any order.
        for delivery in webhook_receiver.requests:
            events = BrightpearlConnector.webhook_parse(headers=delivery.headers,
                                                        body=delivery.body)
            if ("product", written.id, "product.created") in {
                    (e.entity, e.external_id, e.event_type) for e in events}:
                return delivery
        return None

    received = wait_until(created_delivery)
    query = {k: v[0] for k, v in parse_qs(urlsplit(received.path).query).items()}
    assert urlsplit(received.path).path == "/hooks/bp/7"
    assert BrightpearlConnector(ConnectionConfig(base_url=BP_REAL)).webhook_verify(
        query=query, secret="s3cr3t")
    assert not BrightpearlConnector(ConnectionConfig(base_url=BP_REAL)).webhook_verify(
        query=query, secret="other")


def test_stock_change_event_is_an_inventory_event(bp, webhook_receiver):
    bp.webhook_register(event="inventory", url=f"{webhook_receiver.url}/hooks/bp/7",
                        secret="s3cr3t")
    product = first_id(bp, "product")
    bp.stock_correct(2, [{"productId": int(product), "quantity": 3, "reason": "count"}])
    received = webhook_receiver.wait_for(1)[0]
    events = BrightpearlConnector.webhook_parse(headers=received.headers, body=received.body)
    assert events[0].entity == "inventory" and events[0].external_id == product
    assert events[0].event_type == "product.modified.on-hand-modified"


def test_goods_in_note_event_is_a_goods_receipt_event(bp, webhook_receiver):
    order, _ = purchase_order(bp)
    bp.webhook_register(event="goods_receipt", url=f"{webhook_receiver.url}/hooks/bp/7",
                        secret="s3cr3t")
    note_id = bp.goods_in_note_create(order["id"])
    received = webhook_receiver.wait_for(1)[0]
    events = BrightpearlConnector.webhook_parse(headers=received.headers, body=received.body)
    assert [(e.entity, e.external_id, e.event_type) for e in events] == [
        ("goods_receipt", note_id, "goods-in-note.created")]


def test_webhook_id_set_becomes_one_event_per_id():
    body = (b'{"accountCode": "acme", "resourceType": "sales-order", "id": "100001-100003,100007",'
            b' "lifecycleEvent": "created", "fullEvent": "sales-order.created",'
            b' "raisedOn": "2025-06-01T10:00:00.000Z"}')
    events = BrightpearlConnector.webhook_parse(headers={}, body=body)
    assert events == [WebhookEvent("sales_order", str(i), "sales-order.created",
                                   "2025-06-01T10:00:00.000Z")
                      for i in (100001, 100002, 100003, 100007)]


def test_webhook_default_body_with_a_numeric_id_parses():
    body = (b'{"accountCode": "acme", "resourceType": "goods-out-note", "id": 5001,'
            b' "lifecycleEvent": "modified", "fullEvent": "goods-out-note.modified.shipped"}')
    assert BrightpearlConnector.webhook_parse(headers={}, body=body) == [
        WebhookEvent("shipment", "5001", "goods-out-note.modified.shipped")]


def test_unparseable_webhook_body_is_a_validation_error():
    with pytest.raises(ValidationFailed):
        BrightpearlConnector.webhook_parse(headers={}, body=b"not json")


def test_webhooks_are_listed_and_deleted(bp, webhook_receiver):
    hook_id = bp.webhook_register(event="sales_order", url=f"{webhook_receiver.url}/h",
                                  secret="k")
    listed = {str(w["id"]): w for w in bp.webhook_list()}
    assert listed[hook_id]["subscribeTo"] == "sales-order"
    assert listed[hook_id]["qualityOfService"] == 1 and listed[hook_id]["idSetAccepted"]
    assert "secret=k" in listed[hook_id]["uriTemplate"]
    bp.webhook_delete(hook_id)
    assert hook_id not in {str(w["id"]) for w in bp.webhook_list()}
