"""The Brightpearl emulator over real HTTP: auth, entities, ID sets, search, limits, webhooks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sandbox_harness import SandboxControl, WebhookReceiver, unique


@dataclass
class Bp:
    """A Brightpearl API client for one sandbox account, as a connector would hold it."""

    http: httpx.Client
    account: str
    credentials: dict[str, Any]
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "brightpearl-app-ref": self.credentials["client_id"],
            "brightpearl-dev-ref": self.credentials["dev_ref"],
        }

    def url(self, path: str) -> str:
        return f"/brightpearl/public-api/{self.account}/{path}"

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.http.request(method, self.url(path), headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", path, json=body, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.call("PATCH", path, json=body, **kwargs)

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()["response"]


def make_bp(http: httpx.Client, created: dict[str, Any]) -> Bp:
    creds = created["credentials"]
    return Bp(http, created["account"], creds, creds["access_token"])


@pytest.fixture
def bp(http: httpx.Client, new_account) -> Bp:
    """A fresh account with a few seeded products, customers and orders."""
    return make_bp(http, new_account("brightpearl",
                                     seed={"products": 6, "customers": 4, "orders": 12}))


@pytest.fixture
def empty_bp(http: httpx.Client, new_account) -> Bp:
    return make_bp(http, new_account("brightpearl"))


def a_product(bp: Bp, **overrides: Any) -> int:
    body = {
        "brandId": 1,
        "identity": {"sku": unique("SKU-")},
        "salesChannels": [{"salesChannelName": "Brightpearl", "productName": "Test Lantern"}],
        **overrides,
    }
    brands = bp.ok(bp.get("product-service/brand"))
    if not brands:
        bp.ok(bp.post("product-service/brand", {"name": "Test Brand"}))
    return bp.ok(bp.post("product-service/product", body))


def a_contact(bp: Bp, **overrides: Any) -> int:
    address_id = bp.ok(bp.post("contact-service/postal-address", {
        "addressLine1": "1 Test Street", "addressLine3": "Leeds", "postalCode": "LS1 4AP",
        "countryIsoCode": "GB"}))
    body = {
        "firstName": "Ada", "lastName": "Lovelace",
        "postAddressIds": {"DEF": address_id, "BIL": address_id, "DEL": address_id},
        "communication": {"emails": {"PRI": {"email": f"{unique('ada')}@example.com"}}},
        **overrides,
    }
    return bp.ok(bp.post("contact-service/contact", body))


def a_sales_order(bp: Bp, contact_id: int, product_id: int, quantity: int = 2) -> int:
    order_id = bp.ok(bp.post("order-service/order", {
        "orderTypeCode": "SO", "reference": unique("REF-"),
        "parties": {"customer": {"contactId": contact_id}},
    }))
    bp.ok(bp.post(f"order-service/order/{order_id}/row", {
        "productId": product_id, "quantity": {"magnitude": quantity},
        "rowValue": {"taxCode": "T20", "rowNet": {"value": 20.0 * quantity},
                     "rowTax": {"value": 4.0 * quantity}},
    }))
    return order_id


# -- auth ----------------------------------------------------------------------------------


def test_demo_account_answers_with_the_documented_token(http: httpx.Client) -> None:
    bp = Bp(http, "demo", {"client_id": "clarity-connect", "dev_ref": "clarity"},
            "demo-access-token")
    products = bp.ok(bp.get("product-service/product/1001-1010"))
    assert len(products) == 10


def test_bearer_token_with_app_and_dev_refs_is_accepted(bp: Bp) -> None:
    assert bp.get("warehouse-service/warehouse").status_code == 200


def test_private_app_headers_are_accepted(bp: Bp) -> None:
    response = bp.http.get(bp.url("warehouse-service/warehouse"), headers={
        "brightpearl-app-ref": bp.credentials["private_app_ref"],
        "brightpearl-account-token": bp.credentials["account_token"],
    })
    assert response.status_code == 200


def test_wrong_private_account_token_gets_401(bp: Bp) -> None:
    response = bp.http.get(bp.url("warehouse-service/warehouse"), headers={
        "brightpearl-app-ref": bp.credentials["private_app_ref"],
        "brightpearl-account-token": "not-the-token",
    })
    assert response.status_code == 401
    assert response.json() == {"response": "Not authenticated"}


def test_request_without_credentials_gets_401(bp: Bp) -> None:
    response = bp.http.get(bp.url("warehouse-service/warehouse"))
    assert response.status_code == 401
    assert response.json() == {"response": "Not authenticated"}


def test_unknown_bearer_token_gets_401(bp: Bp) -> None:
    bp.token = "made-up"
    assert bp.get("warehouse-service/warehouse").status_code == 401


def test_token_of_another_account_is_rejected(bp: Bp, empty_bp: Bp) -> None:
    bp.token = empty_bp.token
    assert bp.get("warehouse-service/warehouse").status_code == 401


def test_missing_dev_ref_header_gets_401(bp: Bp) -> None:
    headers = {k: v for k, v in bp.headers.items() if k != "brightpearl-dev-ref"}
    response = bp.http.get(bp.url("warehouse-service/warehouse"), headers=headers)
    assert response.status_code == 401


def test_expired_token_gets_brightpearl_401_body(bp: Bp, control: SandboxControl) -> None:
    control.expire_tokens("brightpearl", bp.account)
    response = bp.get("warehouse-service/warehouse")
    assert response.status_code == 401
    assert response.json() == {"response": "Authorization token expired"}


def test_unknown_account_code_gets_404(http: httpx.Client) -> None:
    response = http.get("/brightpearl/public-api/no-such-account/product-service/product/1")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "CMNC-404"


def _authorize_params(bp: Bp, redirect_uri: str = "https://app.example.com/cb") -> dict[str, str]:
    return {"response_type": "code", "client_id": bp.credentials["client_id"],
            "redirect_uri": redirect_uri, "state": "xyz-123"}


def _approve(bp: Bp, decision: str = "approve") -> dict[str, list[str]]:
    response = bp.http.post(f"/brightpearl/oauth/authorize/{bp.account}",
                            data={**_authorize_params(bp), "decision": decision})
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("https://app.example.com/cb?")
    return parse_qs(urlsplit(location).query)


def _token(bp: Bp, **form: str) -> httpx.Response:
    return bp.http.post(f"/brightpearl/oauth/token/{bp.account}", data={
        "client_id": bp.credentials["client_id"],
        "client_secret": bp.credentials["client_secret"], **form})


def test_oauth_authorize_page_shows_approve_and_deny_buttons(bp: Bp) -> None:
    response = bp.http.get(f"/brightpearl/oauth/authorize/{bp.account}",
                           params=_authorize_params(bp))
    assert response.status_code == 200
    assert 'id="approve"' in response.text
    assert 'id="deny"' in response.text


def test_oauth_approve_redirects_with_code_and_state(bp: Bp) -> None:
    query = _approve(bp)
    assert query["state"] == ["xyz-123"]
    assert query["code"][0]


def test_oauth_deny_redirects_with_access_denied(bp: Bp) -> None:
    query = _approve(bp, decision="deny")
    assert query["error"] == ["access_denied"]


def test_oauth_authorize_with_unknown_client_gets_400(bp: Bp) -> None:
    params = {**_authorize_params(bp), "client_id": "someone-else"}
    response = bp.http.get(f"/brightpearl/oauth/authorize/{bp.account}", params=params)
    assert response.status_code == 400


def test_oauth_code_exchanges_for_tokens(bp: Bp, sandbox_url: str) -> None:
    code = _approve(bp)["code"][0]
    response = _token(bp, grant_type="authorization_code", code=code,
                      redirect_uri="https://app.example.com/cb")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 604800
    assert body["installation_instance_id"]
    assert body["api_domain"] == sandbox_url.split("://")[1] + "/brightpearl"
    bp.token = body["access_token"]
    assert bp.get("warehouse-service/warehouse").status_code == 200


def test_oauth_code_works_only_once(bp: Bp) -> None:
    code = _approve(bp)["code"][0]
    assert _token(bp, grant_type="authorization_code", code=code).status_code == 200
    again = _token(bp, grant_type="authorization_code", code=code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_oauth_wrong_client_secret_gets_invalid_client(bp: Bp) -> None:
    code = _approve(bp)["code"][0]
    response = bp.http.post(f"/brightpearl/oauth/token/{bp.account}", data={
        "grant_type": "authorization_code", "code": code,
        "client_id": bp.credentials["client_id"], "client_secret": "wrong"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_refresh_token_gets_a_working_access_token_after_expiry(
    bp: Bp, control: SandboxControl
) -> None:
    code = _approve(bp)["code"][0]
    tokens = _token(bp, grant_type="authorization_code", code=code).json()
    control.expire_tokens("brightpearl", bp.account)
    bp.token = tokens["access_token"]
    assert bp.get("warehouse-service/warehouse").status_code == 401
    refreshed = _token(bp, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200
    bp.token = refreshed.json()["access_token"]
    assert bp.get("warehouse-service/warehouse").status_code == 200


def test_unsupported_grant_type_is_rejected(bp: Bp) -> None:
    response = _token(bp, grant_type="password")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# -- products ------------------------------------------------------------------------------


def test_product_create_returns_its_id_and_get_returns_the_record(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp, identity={"sku": "LAMP-1", "barcode": "5012345678900"})
    [product] = empty_bp.ok(empty_bp.get(f"product-service/product/{product_id}"))
    assert product["id"] == product_id
    assert product["identity"]["sku"] == "LAMP-1"
    assert product["salesChannels"][0]["productName"] == "Test Lantern"
    assert product["version"] == 1


def test_product_without_brand_id_gets_400_with_errors(empty_bp: Bp) -> None:
    response = empty_bp.post("product-service/product", {
        "salesChannels": [{"productName": "No brand"}]})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"].startswith("PRDC-")
    assert "brandId" in error["message"]


def test_product_with_unknown_brand_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("product-service/product", {
        "brandId": 999, "salesChannels": [{"productName": "X"}]})
    assert response.status_code == 400


def test_product_with_non_integer_brand_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("product-service/product", {
        "brandId": "lots", "salesChannels": [{"productName": "X"}]})
    assert response.status_code == 400


def test_product_put_with_current_version_updates_and_bumps_version(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    response = empty_bp.put(f"product-service/product/{product_id}",
                            {"identity": {"mpn": "MPN-9"}}, headers={"If-Match": "1"})
    assert response.status_code == 200
    [product] = empty_bp.ok(empty_bp.get(f"product-service/product/{product_id}"))
    assert product["identity"]["mpn"] == "MPN-9"
    assert product["identity"]["sku"]
    assert product["version"] == 2


def test_product_put_with_stale_version_gets_412(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    empty_bp.put(f"product-service/product/{product_id}", {"featured": True},
                 headers={"If-Match": "1"})
    response = empty_bp.put(f"product-service/product/{product_id}", {"featured": False},
                            headers={"If-Match": "1"})
    assert response.status_code == 412


def test_product_put_without_if_match_gets_412(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    response = empty_bp.put(f"product-service/product/{product_id}", {"featured": True})
    assert response.status_code == 412


def test_product_price_can_be_set_and_read(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    empty_bp.ok(empty_bp.put(f"product-service/product-price/{product_id}/price-list/2",
                             {"quantityPrice": {"1": "24.99"}}))
    [prices] = empty_bp.ok(empty_bp.get(f"product-service/product-price/{product_id}"))
    retail = next(p for p in prices["priceLists"] if p["priceListId"] == 2)
    assert retail["quantityPrice"] == {"1": "24.9900"}


def test_unknown_product_gets_cmnc_404(empty_bp: Bp) -> None:
    response = empty_bp.get("product-service/product/999999")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "CMNC-404"


def test_unknown_resource_gets_404(empty_bp: Bp) -> None:
    assert empty_bp.get("nonsense-service/thing").status_code == 404


def test_invalid_json_body_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.call("POST", "product-service/product", content=b"{nope",
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "errors" in response.json()


# -- ID sets -------------------------------------------------------------------------------


def test_id_set_with_range_and_list_returns_each_record(bp: Bp) -> None:
    products = bp.ok(bp.get("product-service/product/1001-1003,1005"))
    assert [p["id"] for p in products] == [1001, 1002, 1003, 1005]


def test_id_set_leaves_out_ids_that_do_not_exist(bp: Bp) -> None:
    products = bp.ok(bp.get("product-service/product/1005-1010"))
    assert [p["id"] for p in products] == [1005, 1006]


def test_invalid_id_set_gets_400(bp: Bp) -> None:
    assert bp.get("product-service/product/5-1").status_code == 400


def test_id_set_over_500_ids_gets_400(bp: Bp) -> None:
    assert bp.get("product-service/product/1-600").status_code == 400


# -- contacts ------------------------------------------------------------------------------


def test_postal_address_can_be_created_and_read(empty_bp: Bp) -> None:
    address_id = empty_bp.ok(empty_bp.post("contact-service/postal-address", {
        "addressLine1": "2 Mill Road", "postalCode": "BS1 4DJ", "countryIsoCode": "GB"}))
    [address] = empty_bp.ok(empty_bp.get(f"contact-service/postal-address/{address_id}"))
    assert address["addressLine1"] == "2 Mill Road"
    assert address["countryIsoCode"] == "GBR"


def test_postal_address_without_first_line_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("contact-service/postal-address", {"countryIsoCode": "GB"})
    assert response.status_code == 400


def test_contact_is_created_with_addresses_and_email(empty_bp: Bp) -> None:
    contact_id = a_contact(empty_bp)
    [contact] = empty_bp.ok(empty_bp.get(f"contact-service/contact/{contact_id}"))
    assert contact["contactId"] == contact_id
    assert contact["lastName"] == "Lovelace"
    assert contact["postAddressIds"]["DEF"] > 0
    assert contact["communication"]["emails"]["PRI"]["email"].endswith("@example.com")


def test_contact_without_names_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("contact-service/contact", {"salutation": "Dr"})
    assert response.status_code == 400


def test_contact_with_unknown_address_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("contact-service/contact", {
        "lastName": "X", "postAddressIds": {"DEF": 987654}})
    assert response.status_code == 400


def test_contact_patch_applies_a_json_patch(empty_bp: Bp) -> None:
    contact_id = a_contact(empty_bp)
    empty_bp.ok(empty_bp.patch(f"contact-service/contact/{contact_id}", [
        {"op": "replace", "path": "/firstName", "value": "Augusta"},
        {"op": "add", "path": "/communication/telephones/PRI", "value": "+44 20 7946 0000"},
    ]))
    [contact] = empty_bp.ok(empty_bp.get(f"contact-service/contact/{contact_id}"))
    assert contact["firstName"] == "Augusta"
    assert contact["communication"]["telephones"]["PRI"] == "+44 20 7946 0000"


def test_contact_patch_that_is_not_an_array_gets_400(empty_bp: Bp) -> None:
    contact_id = a_contact(empty_bp)
    response = empty_bp.patch(f"contact-service/contact/{contact_id}", {"firstName": "X"})
    assert response.status_code == 400


def test_contact_put_merges_fields(empty_bp: Bp) -> None:
    contact_id = a_contact(empty_bp)
    empty_bp.ok(empty_bp.put(f"contact-service/contact/{contact_id}",
                             {"organisation": {"name": "Analytical Engines Ltd"}}))
    [contact] = empty_bp.ok(empty_bp.get(f"contact-service/contact/{contact_id}"))
    assert contact["organisation"]["name"] == "Analytical Engines Ltd"
    assert contact["lastName"] == "Lovelace"


# -- orders --------------------------------------------------------------------------------


def test_sales_order_has_rows_keyed_by_row_id_and_totals(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    contact_id = a_contact(empty_bp)
    order_id = a_sales_order(empty_bp, contact_id, product_id, quantity=3)
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["orderTypeCode"] == "SO"
    assert order["parties"]["customer"]["contactId"] == contact_id
    [(row_id, row)] = order["orderRows"].items()
    assert row_id.isdigit()
    assert row["productId"] == product_id
    assert float(row["quantity"]["magnitude"]) == 3
    assert float(row["rowValue"]["rowNet"]["value"]) == 60.0
    assert order["totalValue"]["total"] == 72.0
    for field in ("orderStatus", "orderPaymentStatus", "stockStatusCode", "allocationStatusCode",
                  "shippingStatusCode", "placedOn", "createdOn", "updatedOn", "currency",
                  "assignment", "delivery", "warehouseId", "priceListId"):
        assert field in order


def test_order_created_with_inline_rows(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    contact_id = a_contact(empty_bp)
    order_id = empty_bp.ok(empty_bp.post("order-service/order", {
        "orderTypeCode": "SO", "parties": {"customer": {"contactId": contact_id}},
        "rows": [{"productId": product_id, "quantity": {"magnitude": 1}},
                 {"productName": "Gift wrap", "quantity": {"magnitude": 1},
                  "rowValue": {"taxCode": "T0", "rowNet": {"value": 2.5}}}],
    }))
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert len(order["orderRows"]) == 2


def test_purchase_order_uses_the_supplier_party(empty_bp: Bp) -> None:
    supplier_id = a_contact(empty_bp, relationshipToAccount={"isSupplier": True})
    order_id = empty_bp.ok(empty_bp.post("order-service/order", {
        "orderTypeCode": "PO", "parties": {"supplier": {"contactId": supplier_id}}}))
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["parties"]["supplier"]["contactId"] == supplier_id


@pytest.mark.parametrize(("type_code", "party"), [
    ("SO", "customer"), ("SC", "customer"), ("PO", "supplier"), ("PC", "supplier")])
def test_each_order_type_can_be_created(empty_bp: Bp, type_code: str, party: str) -> None:
    contact_id = a_contact(empty_bp)
    order_id = empty_bp.ok(empty_bp.post("order-service/order", {
        "orderTypeCode": type_code, "parties": {party: {"contactId": contact_id}}}))
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["orderTypeCode"] == type_code
    assert order["parties"][party]["contactId"] == contact_id


def test_order_with_unknown_type_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("order-service/order", {"orderTypeCode": "XX"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"].startswith("ORDC-")


def test_order_with_unknown_contact_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("order-service/order", {
        "orderTypeCode": "SO", "parties": {"customer": {"contactId": 424242}}})
    assert response.status_code == 400


def test_order_row_with_unknown_product_gets_400(empty_bp: Bp) -> None:
    contact_id = a_contact(empty_bp)
    order_id = empty_bp.ok(empty_bp.post("order-service/order", {
        "orderTypeCode": "SO", "parties": {"customer": {"contactId": contact_id}}}))
    response = empty_bp.post(f"order-service/order/{order_id}/row", {
        "productId": 999999, "quantity": {"magnitude": 1}})
    assert response.status_code == 400


def test_order_row_without_quantity_gets_400(empty_bp: Bp) -> None:
    contact_id = a_contact(empty_bp)
    order_id = empty_bp.ok(empty_bp.post("order-service/order", {
        "orderTypeCode": "SO", "parties": {"customer": {"contactId": contact_id}}}))
    response = empty_bp.post(f"order-service/order/{order_id}/row", {"productName": "X"})
    assert response.status_code == 400


def test_order_status_update_changes_the_status(empty_bp: Bp) -> None:
    order_id = a_sales_order(empty_bp, a_contact(empty_bp), a_product(empty_bp))
    empty_bp.ok(empty_bp.put(f"order-service/order/{order_id}/status",
                             {"orderStatusId": 4, "orderNote": {"text": "Invoiced"}}))
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["orderStatus"] == {"orderStatusId": 4, "name": "Invoiced"}


def test_order_status_update_with_unknown_status_gets_400(empty_bp: Bp) -> None:
    order_id = a_sales_order(empty_bp, a_contact(empty_bp), a_product(empty_bp))
    response = empty_bp.put(f"order-service/order/{order_id}/status", {"orderStatusId": 999})
    assert response.status_code == 400


def test_order_patch_changes_fields(empty_bp: Bp) -> None:
    order_id = a_sales_order(empty_bp, a_contact(empty_bp), a_product(empty_bp))
    empty_bp.ok(empty_bp.patch(f"order-service/order/{order_id}", [
        {"op": "replace", "path": "/reference", "value": "NEW-REF"}]))
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["reference"] == "NEW-REF"


# -- search --------------------------------------------------------------------------------


def test_order_search_pages_with_page_size_and_first_result(bp: Bp) -> None:
    first = bp.ok(bp.get("order-service/order-search", params={"pageSize": 5}))
    meta = first["metaData"]
    assert meta["resultsReturned"] == 5
    assert meta["firstResult"] == 1
    assert meta["lastResult"] == 5
    assert meta["morePagesAvailable"] is True
    seen = [row[0] for row in first["results"]]
    start = 6
    while True:
        page = bp.ok(bp.get("order-service/order-search",
                            params={"pageSize": 5, "firstResult": start}))
        seen += [row[0] for row in page["results"]]
        if not page["metaData"]["morePagesAvailable"]:
            break
        start += 5
    assert len(seen) == meta["resultsAvailable"] == len(set(seen))


def test_search_metadata_columns_describe_the_positional_results(bp: Bp) -> None:
    result = bp.ok(bp.get("order-service/order-search", params={"pageSize": 1}))
    names = [c["name"] for c in result["metaData"]["columns"]]
    assert names[0] == "orderId"
    assert len(result["results"][0]) == len(names)
    row = dict(zip(names, result["results"][0], strict=True))
    [order] = bp.ok(bp.get(f"order-service/order/{row['orderId']}"))
    assert row["customerRef"] == order["reference"]


def test_search_columns_parameter_selects_columns(bp: Bp) -> None:
    result = bp.ok(bp.get("order-service/order-search",
                          params={"columns": "orderId,orderStatusId", "pageSize": 2}))
    assert [c["name"] for c in result["metaData"]["columns"]] == ["orderId", "orderStatusId"]
    assert all(len(row) == 2 for row in result["results"])


def test_order_search_updated_on_filter_finds_orders_modified_since(bp: Bp) -> None:
    time.sleep(0.01)
    since = time.time()
    time.sleep(0.01)
    [order_id, *_] = [r[0] for r in bp.ok(bp.get("order-service/order-search",
                                                 params={"pageSize": 1}))["results"]]
    bp.ok(bp.put(f"order-service/order/{order_id}/status", {"orderStatusId": 4}))
    millis = int(since % 1 * 1000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(since)) + f".{millis:03d}Z"
    result = bp.ok(bp.get("order-service/order-search", params={"updatedOn": f"{stamp}/"}))
    assert [r[0] for r in result["results"]] == [order_id]


def test_order_search_filters_by_type_and_sorts_descending(bp: Bp) -> None:
    result = bp.ok(bp.get("order-service/order-search",
                          params={"orderTypeCode": "SO", "sort": "orderId|DESC"}))
    ids = [r[0] for r in result["results"]]
    assert ids == sorted(ids, reverse=True)
    assert result["metaData"]["resultsAvailable"] == 12


def test_product_search_filters_by_sku(bp: Bp) -> None:
    [product] = bp.ok(bp.get("product-service/product/1003"))
    sku = product["identity"]["sku"]
    result = bp.ok(bp.get("product-service/product-search", params={"SKU": sku}))
    assert [r[0] for r in result["results"]] == [1003]


def test_contact_search_finds_a_contact_by_email(bp: Bp) -> None:
    [contact] = bp.ok(bp.get("contact-service/contact/201"))
    email = contact["communication"]["emails"]["PRI"]["email"]
    result = bp.ok(bp.get("contact-service/contact-search", params={"primaryEmail": email}))
    assert [r[0] for r in result["results"]] == [201]


def test_customer_payment_search_filters_by_order(bp: Bp) -> None:
    result = bp.ok(bp.get("accounting-service/customer-payment-search"))
    assert result["metaData"]["resultsAvailable"] > 0
    names = [c["name"] for c in result["metaData"]["columns"]]
    order_id = result["results"][0][names.index("orderId")]
    by_order = bp.ok(bp.get("accounting-service/customer-payment-search",
                            params={"orderId": order_id}))
    assert all(r[names.index("orderId")] == order_id for r in by_order["results"])


def test_unknown_search_parameter_gets_400(bp: Bp) -> None:
    assert bp.get("order-service/order-search", params={"colour": "red"}).status_code == 400


def test_page_size_over_500_gets_400(bp: Bp) -> None:
    assert bp.get("order-service/order-search", params={"pageSize": 501}).status_code == 400


# -- stock ---------------------------------------------------------------------------------


def test_product_availability_has_totals_and_warehouses(bp: Bp) -> None:
    availability = bp.ok(bp.get("warehouse-service/product-availability/1001-1002"))
    assert set(availability) == {"1001", "1002"}
    entry = availability["1001"]
    assert set(entry["total"]) == {"inStock", "onHand", "allocated", "inTransit"}
    assert sum(w["onHand"] for w in entry["warehouses"].values()) == entry["total"]["onHand"]


def test_stock_correction_changes_on_hand(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    empty_bp.ok(empty_bp.post("warehouse-service/warehouse/1/stock-correction", {
        "corrections": [{"quantity": 12, "productId": product_id, "reason": "Stock take",
                         "locationId": 1, "cost": {"currency": "GBP", "value": 4.5}}]}))
    availability = empty_bp.ok(empty_bp.get(
        f"warehouse-service/product-availability/{product_id}"))
    assert availability[str(product_id)]["warehouses"]["1"]["onHand"] == 12


def test_stock_correction_below_zero_gets_400(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    response = empty_bp.post("warehouse-service/warehouse/1/stock-correction", {
        "corrections": [{"quantity": -5, "productId": product_id, "reason": "Damaged"}]})
    assert response.status_code == 400


def test_stock_correction_without_reason_gets_400(empty_bp: Bp) -> None:
    product_id = a_product(empty_bp)
    response = empty_bp.post("warehouse-service/warehouse/1/stock-correction", {
        "corrections": [{"quantity": 5, "productId": product_id}]})
    assert response.status_code == 400


# -- goods-out notes -----------------------------------------------------------------------


def _stocked_order(bp: Bp, quantity: int = 2) -> tuple[int, int, str]:
    product_id = a_product(bp)
    bp.ok(bp.post("warehouse-service/warehouse/1/stock-correction", {
        "corrections": [{"quantity": 10, "productId": product_id, "reason": "Initial"}]}))
    order_id = a_sales_order(bp, a_contact(bp), product_id, quantity=quantity)
    [order] = bp.ok(bp.get(f"order-service/order/{order_id}"))
    return order_id, product_id, next(iter(order["orderRows"]))


def test_goods_out_note_is_created_and_read(empty_bp: Bp) -> None:
    order_id, product_id, row_id = _stocked_order(empty_bp)
    [note_id] = empty_bp.ok(empty_bp.post(
        f"warehouse-service/order/{order_id}/goods-note/goods-out",
        {"warehouses": [{"warehouseId": 1, "products": [
            {"productId": product_id, "salesOrderRowId": int(row_id), "quantity": 2}]}]}))
    notes = empty_bp.ok(empty_bp.get(
        f"warehouse-service/order/{order_id}/goods-note/goods-out/{note_id}"))
    note = notes[str(note_id)]
    assert note["orderId"] == order_id
    assert note["orderRows"][row_id][0]["quantity"] == 2
    assert note["status"]["shipped"] is False


def test_goods_out_notes_of_any_order_by_star(empty_bp: Bp) -> None:
    order_id, _, _ = _stocked_order(empty_bp)
    [note_id] = empty_bp.ok(empty_bp.post(
        f"warehouse-service/order/{order_id}/goods-note/goods-out",
        {"warehouses": [{"warehouseId": 1}]}))
    notes = empty_bp.ok(empty_bp.get(f"warehouse-service/order/*/goods-note/goods-out/{note_id}"))
    assert list(notes) == [str(note_id)]


def test_goods_out_note_for_unknown_row_gets_400(empty_bp: Bp) -> None:
    order_id, product_id, _ = _stocked_order(empty_bp)
    response = empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-out", {
        "warehouses": [{"warehouseId": 1, "products": [
            {"productId": product_id, "salesOrderRowId": 987654, "quantity": 1}]}]})
    assert response.status_code == 400


def test_shipped_event_marks_note_and_order_shipped_and_takes_stock(empty_bp: Bp) -> None:
    order_id, product_id, _ = _stocked_order(empty_bp, quantity=3)
    [note_id] = empty_bp.ok(empty_bp.post(
        f"warehouse-service/order/{order_id}/goods-note/goods-out",
        {"warehouses": [{"warehouseId": 1}]}))
    empty_bp.ok(empty_bp.put(f"warehouse-service/goods-note/goods-out/{note_id}",
                             {"shipping": {"reference": "RM123456789GB", "boxes": 1}}))
    empty_bp.ok(empty_bp.post(f"warehouse-service/goods-note/goods-out/{note_id}/event", {
        "events": [{"eventCode": "SHW", "occured": "2025-06-01T10:00:00Z", "eventOwnerId": 4}]}))
    note = empty_bp.ok(empty_bp.get(
        f"warehouse-service/order/{order_id}/goods-note/goods-out/{note_id}"))[str(note_id)]
    assert note["status"]["shipped"] is True
    assert note["shipping"]["reference"] == "RM123456789GB"
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["shippingStatusCode"] == "ASS"
    stock = empty_bp.ok(empty_bp.get(f"warehouse-service/product-availability/{product_id}"))
    assert stock[str(product_id)]["total"]["onHand"] == 7


def test_unknown_goods_out_event_code_gets_400(empty_bp: Bp) -> None:
    order_id, _, _ = _stocked_order(empty_bp)
    [note_id] = empty_bp.ok(empty_bp.post(
        f"warehouse-service/order/{order_id}/goods-note/goods-out",
        {"warehouses": [{"warehouseId": 1}]}))
    response = empty_bp.post(f"warehouse-service/goods-note/goods-out/{note_id}/event",
                             {"events": [{"eventCode": "ZZZ"}]})
    assert response.status_code == 400


# -- goods-in notes ------------------------------------------------------------------------


def _purchase_order(bp: Bp, quantity: int = 5) -> tuple[int, int, int]:
    product_id = a_product(bp)
    supplier_id = a_contact(bp, relationshipToAccount={"isSupplier": True})
    order_id = bp.ok(bp.post("order-service/order", {
        "orderTypeCode": "PO", "reference": unique("PO-"), "warehouseId": 1,
        "parties": {"supplier": {"contactId": supplier_id}},
        "rows": [{"productId": product_id, "quantity": {"magnitude": quantity},
                  "rowValue": {"taxCode": "T20", "rowNet": {"value": 12.0 * quantity},
                               "rowTax": {"value": 2.4 * quantity}}}]}))
    [order] = bp.ok(bp.get(f"order-service/order/{order_id}"))
    return order_id, product_id, int(next(iter(order["orderRows"])))


def _goods_in(product_id: int, row_id: int, quantity: int, **extra: Any) -> dict[str, Any]:
    return {"transfer": False, "warehouseId": 1, "receivedOn": "2026-03-05T09:00:00.000Z",
            "goodsMoved": [{"productId": product_id, "purchaseOrderRowId": row_id,
                            "quantity": quantity, "destinationLocationId": 1,
                            "productValue": {"currency": "GBP", "value": 12.0}}],
            **extra}


def test_goods_in_note_is_created_and_read_by_order_and_note_id(empty_bp: Bp) -> None:
    order_id, product_id, row_id = _purchase_order(empty_bp)
    note_id = empty_bp.ok(empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                                        _goods_in(product_id, row_id, 3)))
    note = empty_bp.ok(empty_bp.get(
        f"warehouse-service/order/{order_id}/goods-note/goods-in/{note_id}"))[str(note_id)]
    assert (note["goodsNoteId"], note["orderId"], note["receivedOn"]) == (
        note_id, order_id, "2026-03-05T09:00:00.000Z")
    [moved] = note["goodsMoved"]
    assert (moved["productId"], moved["purchaseOrderRowId"], moved["quantity"],
            moved["warehouseId"], moved["batchGoodsNoteId"]) == (product_id, row_id, 3, 1,
                                                                  note_id)
    assert moved["productValue"] == {"currency": "GBP", "value": "12.0000"}


def test_goods_in_notes_are_read_by_note_id_set_alone(empty_bp: Bp) -> None:
    order_id, product_id, row_id = _purchase_order(empty_bp)
    first = empty_bp.ok(empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                                      _goods_in(product_id, row_id, 2)))
    second = empty_bp.ok(empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                                       _goods_in(product_id, row_id, 1)))
    notes = empty_bp.ok(empty_bp.get(f"warehouse-service/goods-note/goods-in/{first},{second}"))
    assert set(notes) == {str(first), str(second)}
    by_star = empty_bp.ok(empty_bp.get(f"warehouse-service/order/*/goods-note/goods-in/{second}"))
    assert list(by_star) == [str(second)]


def test_all_goods_in_notes_of_all_orders_cannot_be_requested(empty_bp: Bp) -> None:
    response = empty_bp.get("warehouse-service/order/*/goods-note/goods-in")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "WHSC-030"


def test_receiving_raises_on_hand_and_marks_the_purchase_order_received(empty_bp: Bp) -> None:
    order_id, product_id, row_id = _purchase_order(empty_bp, quantity=5)
    empty_bp.ok(empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                              _goods_in(product_id, row_id, 2)))
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["stockStatusCode"] == "POP"
    empty_bp.ok(empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                              _goods_in(product_id, row_id, 3)))
    stock = empty_bp.ok(empty_bp.get(f"warehouse-service/product-availability/{product_id}"))
    assert stock[str(product_id)]["warehouses"]["1"]["onHand"] == 5
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["stockStatusCode"] == "POA"


def test_receiving_more_than_ordered_gets_400(empty_bp: Bp) -> None:
    order_id, product_id, row_id = _purchase_order(empty_bp, quantity=5)
    empty_bp.ok(empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                              _goods_in(product_id, row_id, 4)))
    response = empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                             _goods_in(product_id, row_id, 2))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "WHSC-047" and "4 already received" in error["message"]


def test_goods_in_note_for_an_unknown_order_gets_cmnc_404(empty_bp: Bp) -> None:
    response = empty_bp.post("warehouse-service/order/999999/goods-note/goods-in",
                             _goods_in(1001, 1, 1))
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "CMNC-404"


def test_goods_in_note_for_a_sales_order_gets_400(empty_bp: Bp) -> None:
    order_id, product_id, row_id = _stocked_order(empty_bp)
    response = empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                             _goods_in(product_id, int(row_id), 1))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "WHSC-040"


def test_goods_in_note_for_a_row_not_on_the_order_gets_400(empty_bp: Bp) -> None:
    order_id, product_id, _ = _purchase_order(empty_bp)
    response = empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                             _goods_in(product_id, 987654, 1))
    assert response.json()["errors"][0]["code"] == "WHSC-044"


def test_goods_in_note_for_an_unknown_product_gets_400(empty_bp: Bp) -> None:
    order_id, _, row_id = _purchase_order(empty_bp)
    response = empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                             _goods_in(987654, row_id, 1))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "WHSC-043"


@pytest.mark.parametrize("quantity", [0, -2, 1.5, "3"])
def test_goods_in_note_with_a_bad_quantity_gets_400(empty_bp: Bp, quantity: Any) -> None:
    order_id, product_id, row_id = _purchase_order(empty_bp)
    body = _goods_in(product_id, row_id, 1)
    body["goodsMoved"][0]["quantity"] = quantity
    response = empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "WHSC-046"


def test_a_refused_goods_in_note_receives_nothing(empty_bp: Bp) -> None:
    order_id, product_id, row_id = _purchase_order(empty_bp)
    body = _goods_in(product_id, row_id, 1)
    body["goodsMoved"].append({"productId": product_id, "purchaseOrderRowId": 987654,
                               "quantity": 1})
    assert empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                         body).status_code == 400
    assert empty_bp.get(f"warehouse-service/order/{order_id}/goods-note/goods-in"
                        ).status_code == 404


def test_goods_in_search_lists_received_batches_by_created_date(empty_bp: Bp) -> None:
    order_id, product_id, row_id = _purchase_order(empty_bp)
    before = time.time()
    note_id = empty_bp.ok(empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                                        _goods_in(product_id, row_id, 2,
                                                  userBatchReference="DELIVERY-77")))
    since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(before - 1))
    answer = empty_bp.ok(empty_bp.get("warehouse-service/goods-in-search",
                                      params={"createdDate": f"{since}/"}))
    names = [c["name"] for c in answer["metaData"]["columns"]]
    rows = [dict(zip(names, row, strict=True)) for row in answer["results"]]
    assert [(r["batchId"], r["purchaseOrderId"], r["productId"], r["receivedQuantity"],
             r["userBatchRef"]) for r in rows] == [(note_id, order_id, product_id, 2,
                                                    "DELIVERY-77")]
    later = empty_bp.ok(empty_bp.get("warehouse-service/goods-in-search",
                                     params={"createdDate": "2999-01-01T00:00:00.000Z/"}))
    assert later["results"] == []


# -- payments and journals -----------------------------------------------------------------


def test_customer_payment_marks_the_order_paid(empty_bp: Bp) -> None:
    order_id = a_sales_order(empty_bp, a_contact(empty_bp), a_product(empty_bp))
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    payment_id = empty_bp.ok(empty_bp.post("accounting-service/customer-payment", {
        "transactionRef": "TXN-1", "paymentMethodCode": "CARD", "paymentType": "RECEIPT",
        "orderId": order_id, "currencyIsoCode": "GBP",
        "amountPaid": order["totalValue"]["total"], "paymentDate": "2025-06-01",
        "journalRef": "Web payment"}))
    [payment] = empty_bp.ok(empty_bp.get(f"accounting-service/customer-payment/{payment_id}"))
    assert payment["orderId"] == order_id
    [order] = empty_bp.ok(empty_bp.get(f"order-service/order/{order_id}"))
    assert order["orderPaymentStatus"] == "PAID"


def test_customer_payment_for_unknown_order_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("accounting-service/customer-payment", {
        "paymentMethodCode": "CARD", "paymentType": "RECEIPT", "orderId": 1,
        "currencyIsoCode": "GBP", "amountPaid": 5, "paymentDate": "2025-06-01"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"].startswith("ACCC-")


def test_customer_payment_with_text_amount_gets_400(empty_bp: Bp) -> None:
    order_id = a_sales_order(empty_bp, a_contact(empty_bp), a_product(empty_bp))
    response = empty_bp.post("accounting-service/customer-payment", {
        "paymentMethodCode": "CARD", "paymentType": "RECEIPT", "orderId": order_id,
        "currencyIsoCode": "GBP", "amountPaid": "lots", "paymentDate": "2025-06-01"})
    assert response.status_code == 400


def _journal(**overrides: Any) -> dict[str, Any]:
    return {"journalTypeCode": "GJ", "taxDate": "2025-05-31", "description": "Fees",
            "currency": {"code": "GBP"},
            "debits": [{"nominalCode": "7502", "transactionAmount": 12.5}],
            "credits": [{"nominalCode": "1200", "transactionAmount": 12.5}], **overrides}


def test_balanced_journal_entry_is_created(empty_bp: Bp) -> None:
    journal_id = empty_bp.ok(empty_bp.post("accounting-service/journal-entry", _journal()))
    [journal] = empty_bp.ok(empty_bp.get(f"accounting-service/journal/{journal_id}"))
    assert journal["total"] == 12.5


def test_unbalanced_journal_gets_400(empty_bp: Bp) -> None:
    body = _journal(credits=[{"nominalCode": "1200", "transactionAmount": 10}])
    assert empty_bp.post("accounting-service/journal-entry", body).status_code == 400


def test_journal_in_a_closed_period_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("accounting-service/journal-entry", _journal(taxDate="2019-01-01"))
    assert response.status_code == 400
    assert "closed" in response.json()["errors"][0]["message"]


def test_journal_with_unknown_nominal_code_gets_400(empty_bp: Bp) -> None:
    body = _journal(debits=[{"nominalCode": "9999", "transactionAmount": 12.5}])
    assert empty_bp.post("accounting-service/journal-entry", body).status_code == 400


# -- rate limit ----------------------------------------------------------------------------


def test_every_response_carries_the_throttle_headers(empty_bp: Bp) -> None:
    first = empty_bp.get("warehouse-service/warehouse")
    second = empty_bp.get("product-service/product/1")
    assert int(first.headers["brightpearl-requests-remaining"]) == 199
    assert int(second.headers["brightpearl-requests-remaining"]) == 198
    assert int(second.headers["brightpearl-next-throttle-period"]) > 0


def test_requests_over_the_per_minute_budget_get_503(
    empty_bp: Bp, control: SandboxControl
) -> None:
    control.limits("brightpearl", empty_bp.account, requests_per_minute=3)
    statuses = [empty_bp.get("warehouse-service/warehouse").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 503]
    throttled = empty_bp.get("warehouse-service/warehouse")
    assert throttled.json() == {"response": "You have sent too many requests. "
                                            "Please wait before sending another request"}
    assert throttled.headers["brightpearl-requests-remaining"] == "0"
    assert 0 < int(throttled.headers["brightpearl-next-throttle-period"]) <= 60000


def test_changing_the_limit_restarts_the_budget(empty_bp: Bp, control: SandboxControl) -> None:
    control.limits("brightpearl", empty_bp.account, requests_per_minute=1)
    empty_bp.get("warehouse-service/warehouse")
    assert empty_bp.get("warehouse-service/warehouse").status_code == 503
    control.limits("brightpearl", empty_bp.account, requests_per_minute=5)
    assert empty_bp.get("warehouse-service/warehouse").status_code == 200


def test_budget_is_per_account(empty_bp: Bp, bp: Bp, control: SandboxControl) -> None:
    control.limits("brightpearl", empty_bp.account, requests_per_minute=1)
    empty_bp.get("warehouse-service/warehouse")
    assert empty_bp.get("warehouse-service/warehouse").status_code == 503
    assert bp.get("warehouse-service/warehouse").status_code == 200


# -- webhooks ------------------------------------------------------------------------------


def _hook(bp: Bp, receiver: WebhookReceiver, subscribe_to: str, **extra: Any) -> int:
    return bp.ok(bp.post("integration-service/webhook", {
        "subscribeTo": subscribe_to,
        "httpMethod": "POST",
        "uriTemplate": f"{receiver.url}/brightpearl/${{account-code}}/${{resource-type}}"
                       "/${resource-id}?event=${full-event}",
        "bodyTemplate": '{"id": "${resource-id}", "lifecycle": "${lifecycle-event}"}',
        "contentType": "application/json",
        "idSetAccepted": False,
        "qualityOfService": 0,
        **extra,
    }))


@pytest.fixture
def fast_retries(empty_bp: Bp, control: SandboxControl) -> None:
    control.limits("brightpearl", empty_bp.account, webhook_retry_delays_s=[0.05, 0.05, 0.05])


def test_webhook_registration_is_listed(empty_bp: Bp, webhook_receiver: WebhookReceiver) -> None:
    hook_id = _hook(empty_bp, webhook_receiver, "product.created")
    [hook] = empty_bp.ok(empty_bp.get(f"integration-service/webhook/{hook_id}"))
    assert hook["subscribeTo"] == "product.created"
    assert hook["qualityOfService"] == 0


def test_webhook_without_uri_template_gets_400(empty_bp: Bp) -> None:
    response = empty_bp.post("integration-service/webhook", {"subscribeTo": "product.created"})
    assert response.status_code == 400


def test_sales_order_created_fires_the_registered_uri_template(
    empty_bp: Bp, webhook_receiver: WebhookReceiver
) -> None:
    _hook(empty_bp, webhook_receiver, "sales-order.created")
    contact_id = a_contact(empty_bp)
    order_id = empty_bp.ok(empty_bp.post("order-service/order", {
        "orderTypeCode": "SO", "parties": {"customer": {"contactId": contact_id}}}))
    [request] = webhook_receiver.wait_for(1)
    assert request.method == "POST"
    assert request.path == (f"/brightpearl/{empty_bp.account}/sales-order/{order_id}"
                            "?event=sales-order.created")
    assert request.json() == {"id": str(order_id), "lifecycle": "created"}


def test_default_webhook_body_carries_ids_not_documents(
    empty_bp: Bp, webhook_receiver: WebhookReceiver
) -> None:
    _hook(empty_bp, webhook_receiver, "product.created", bodyTemplate="")
    product_id = a_product(empty_bp)
    [request] = webhook_receiver.wait_for(1)
    body = request.json()
    assert body["id"] == product_id
    assert body["accountCode"] == empty_bp.account
    assert body["fullEvent"] == "product.created"


def test_stock_correction_fires_on_hand_modified(
    empty_bp: Bp, webhook_receiver: WebhookReceiver
) -> None:
    product_id = a_product(empty_bp)
    _hook(empty_bp, webhook_receiver, "product.modified.on-hand-modified")
    empty_bp.ok(empty_bp.post("warehouse-service/warehouse/1/stock-correction", {
        "corrections": [{"quantity": 3, "productId": product_id, "reason": "Found"}]}))
    [request] = webhook_receiver.wait_for(1)
    assert request.path.endswith(f"/product/{product_id}"
                                 "?event=product.modified.on-hand-modified")


def test_goods_out_shipped_fires_its_event(
    empty_bp: Bp, webhook_receiver: WebhookReceiver
) -> None:
    order_id, _, _ = _stocked_order(empty_bp)
    [note_id] = empty_bp.ok(empty_bp.post(
        f"warehouse-service/order/{order_id}/goods-note/goods-out",
        {"warehouses": [{"warehouseId": 1}]}))
    _hook(empty_bp, webhook_receiver, "goods-out-note.modified.shipped")
    empty_bp.ok(empty_bp.post(f"warehouse-service/goods-note/goods-out/{note_id}/event",
                              {"events": [{"eventCode": "SHW"}]}))
    [request] = webhook_receiver.wait_for(1)
    assert f"/goods-out-note/{note_id}?event=goods-out-note.modified.shipped" in request.path


def test_goods_in_note_fires_its_created_event_and_on_hand_modified(
    empty_bp: Bp, webhook_receiver: WebhookReceiver
) -> None:
    order_id, product_id, row_id = _purchase_order(empty_bp)
    _hook(empty_bp, webhook_receiver, "goods-in-note.created")
    _hook(empty_bp, webhook_receiver, "product.modified.on-hand-modified")
    note_id = empty_bp.ok(empty_bp.post(f"warehouse-service/order/{order_id}/goods-note/goods-in",
                                        _goods_in(product_id, row_id, 1)))
    paths = {request.path for request in webhook_receiver.wait_for(2)}
    assert paths == {
        f"/brightpearl/{empty_bp.account}/goods-in-note/{note_id}?event=goods-in-note.created",
        f"/brightpearl/{empty_bp.account}/product/{product_id}"
        "?event=product.modified.on-hand-modified",
    }


def test_subscription_to_a_prefix_receives_detailed_events(
    empty_bp: Bp, webhook_receiver: WebhookReceiver
) -> None:
    product_id = a_product(empty_bp)
    _hook(empty_bp, webhook_receiver, "product.modified")
    empty_bp.ok(empty_bp.post("warehouse-service/warehouse/1/stock-correction", {
        "corrections": [{"quantity": 3, "productId": product_id, "reason": "Found"}]}))
    [request] = webhook_receiver.wait_for(1)
    assert "event=product.modified.on-hand-modified" in request.path


def test_id_set_accepted_webhooks_batch_ids(
    empty_bp: Bp, webhook_receiver: WebhookReceiver
) -> None:
    ids = [a_product(empty_bp) for _ in range(3)]
    _hook(empty_bp, webhook_receiver, "product.modified.on-hand-modified", idSetAccepted=True)
    empty_bp.ok(empty_bp.post("warehouse-service/warehouse/1/stock-correction", {
        "corrections": [{"quantity": 1, "productId": i, "reason": "Found"} for i in ids]}))
    [request] = webhook_receiver.wait_for(1)
    assert f"/product/{ids[0]}-{ids[2]}?" in request.path


def test_qos_0_webhook_is_retried_after_a_503(
    empty_bp: Bp, webhook_receiver: WebhookReceiver, control: SandboxControl, fast_retries: None
) -> None:
    webhook_receiver.respond_with(503)
    _hook(empty_bp, webhook_receiver, "product.created", qualityOfService=0)
    a_product(empty_bp)
    [delivery] = control.wait_for_deliveries("brightpearl", empty_bp.account, 1,
                                             status="delivered")
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 200]


def test_qos_0_webhook_is_not_retried_after_a_500(
    empty_bp: Bp, webhook_receiver: WebhookReceiver, control: SandboxControl, fast_retries: None
) -> None:
    webhook_receiver.respond_with(500)
    _hook(empty_bp, webhook_receiver, "product.created", qualityOfService=0)
    a_product(empty_bp)
    [delivery] = control.wait_for_deliveries("brightpearl", empty_bp.account, 1,
                                             status="failed")
    assert [a["status_code"] for a in delivery["attempts"]] == [500]


def test_qos_1_webhook_is_retried_after_a_500_but_not_a_400(
    empty_bp: Bp, webhook_receiver: WebhookReceiver, control: SandboxControl, fast_retries: None
) -> None:
    webhook_receiver.respond_with(500, 200, 400)
    _hook(empty_bp, webhook_receiver, "product.created", qualityOfService=1)
    a_product(empty_bp)
    control.wait_for_deliveries("brightpearl", empty_bp.account, 1, status="delivered")
    a_product(empty_bp)
    deliveries = control.wait_for_deliveries("brightpearl", empty_bp.account, 1,
                                             status="failed")
    assert [a["status_code"] for a in deliveries[0]["attempts"]] == [400]


def test_webhook_to_a_localhost_subdomain_keeps_its_host_header(
    empty_bp: Bp, webhook_receiver: WebhookReceiver
) -> None:
    port = webhook_receiver.url.rsplit(":", 1)[1]
    empty_bp.ok(empty_bp.post("integration-service/webhook", {
        "subscribeTo": "contact.created", "httpMethod": "POST",
        "uriTemplate": f"http://acme.localhost:{port}/hooks/bp/${{resource-id}}",
        "qualityOfService": 0}))
    contact_id = a_contact(empty_bp)
    [request] = webhook_receiver.wait_for(1)
    assert request.path == f"/hooks/bp/{contact_id}"
    assert request.headers["host"] == f"acme.localhost:{port}"


def test_deleted_webhook_no_longer_fires(
    empty_bp: Bp, webhook_receiver: WebhookReceiver, control: SandboxControl
) -> None:
    hook_id = _hook(empty_bp, webhook_receiver, "product.created")
    assert empty_bp.call("DELETE", f"integration-service/webhook/{hook_id}").status_code == 200
    a_product(empty_bp)
    time.sleep(0.3)
    assert webhook_receiver.requests == []
    assert control.deliveries("brightpearl", empty_bp.account) == []


def test_held_deliveries_wait_and_all_go_out_when_released(
    empty_bp: Bp, webhook_receiver: WebhookReceiver, control: SandboxControl
) -> None:
    _hook(empty_bp, webhook_receiver, "product.created")
    hold = f"/_control/brightpearl/{empty_bp.account}/webhook-deliveries/hold"
    assert control.client.put(hold, json={"held": True}).json()["held"] is True
    ids = [a_product(empty_bp) for _ in range(3)]
    time.sleep(0.3)
    assert webhook_receiver.requests == []

    released = control.client.put(hold, json={"held": False}).json()

    assert released == {"system": "brightpearl", "account": empty_bp.account, "held": False,
                        "released": 3}
    # Released together, they race each other to the receiver: every one arrives, in any order.
    assert sorted(r.json()["id"] for r in webhook_receiver.wait_for(3)) == sorted(
        str(i) for i in ids)


def test_holding_needs_a_yes_or_no(empty_bp: Bp, control: SandboxControl) -> None:
    answer = control.client.put(
        f"/_control/brightpearl/{empty_bp.account}/webhook-deliveries/hold", json={"held": 1})

    assert answer.status_code == 400
