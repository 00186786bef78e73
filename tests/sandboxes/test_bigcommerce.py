"""BigCommerce sandbox over real HTTP: auth, orders v2, catalog/inventory/customers v3, refunds,
rate limits, faults and hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sandbox_harness import SandboxControl, WebhookReceiver, unique, wait_until


@pytest.fixture
def store(new_account: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_account("bigcommerce", seed={"products": 5, "customers": 3, "orders": 4})


@pytest.fixture
def bc(sandbox_url: str, store: dict[str, Any]) -> Iterator[httpx.Client]:
    base = f"{sandbox_url}/bigcommerce/stores/{store['account']}"
    headers = {"X-Auth-Token": store["credentials"]["access_token"], "Accept": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        yield client


def _new_product(bc: httpx.Client, **extra: Any) -> dict[str, Any]:
    body = {"name": unique("Widget "), "type": "physical", "weight": 1.5, "price": 19.99,
            "sku": unique("SKU-"), **extra}
    response = bc.post("/v3/catalog/products", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _new_order(bc: httpx.Client, product_id: int, quantity: int = 2) -> dict[str, Any]:
    body = {
        "customer_id": 0,
        "status_id": 11,
        "billing_address": {"first_name": "Ada", "last_name": "Lovelace", "street_1": "1 Main St",
                            "city": "London", "state": "London", "zip": "EC1A 1BB",
                            "country": "United Kingdom", "country_iso2": "GB",
                            "email": "ada@example.com"},
        "products": [{"product_id": product_id, "quantity": quantity}],
        "payment_method": "Credit Card",
    }
    response = bc.post("/v2/orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


# -- auth ----------------------------------------------------------------------------------------

def test_wrong_token_gets_v3_problem_401(bc: httpx.Client) -> None:
    response = bc.get("/v3/catalog/products", headers={"X-Auth-Token": "nope"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401 and "title" in response.json()


def test_wrong_token_gets_v2_error_array_401(bc: httpx.Client) -> None:
    response = bc.get("/v2/orders", headers={"X-Auth-Token": "nope"})
    assert response.status_code == 401
    assert response.json()[0]["status"] == 401


def test_app_install_flow_trades_code_for_store_token(
    http: httpx.Client, store: dict[str, Any]
) -> None:
    creds = store["credentials"]
    page = http.get(f"/bigcommerce/app/{creds['client_id']}/install",
                    params={"store_hash": store["account"]})
    assert page.status_code == 200 and "Install" in page.text
    redirect = http.post(f"/bigcommerce/app/{creds['client_id']}/install", data={
        "store_hash": store["account"], "action": "install",
        "redirect_uri": "http://app.localhost:8000/callback"})
    assert redirect.status_code == 302
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert query["context"] == [f"stores/{store['account']}"]
    form = {"client_id": creds["client_id"], "client_secret": creds["client_secret"],
            "code": query["code"][0], "scope": query["scope"][0],
            "grant_type": "authorization_code", "context": query["context"][0],
            "redirect_uri": "http://app.localhost:8000/callback"}
    token = http.post("/bigcommerce/oauth2/token", data=form)
    assert token.status_code == 200, token.text
    assert token.json()["context"] == f"stores/{store['account']}"
    api = http.get(f"/bigcommerce/stores/{store['account']}/v3/catalog/products",
                   headers={"X-Auth-Token": token.json()["access_token"]})
    assert api.status_code == 200
    assert http.post("/bigcommerce/oauth2/token", data=form).status_code == 400


def test_wrong_client_secret_is_refused_at_token_endpoint(
    http: httpx.Client, store: dict[str, Any]
) -> None:
    creds = store["credentials"]
    redirect = http.post(f"/bigcommerce/app/{creds['client_id']}/install",
                         data={"store_hash": store["account"], "action": "install"})
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    response = http.post("/bigcommerce/oauth2/token", data={
        "client_id": creds["client_id"], "client_secret": "wrong", "code": code,
        "grant_type": "authorization_code"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_revoked_token_gets_401(bc: httpx.Client, control: SandboxControl,
                                store: dict[str, Any]) -> None:
    assert bc.get("/v3/catalog/products").status_code == 200
    control.expire_tokens("bigcommerce", store["account"])
    assert bc.get("/v3/catalog/products").status_code == 401


# -- catalog -------------------------------------------------------------------------------------

def test_product_create_get_and_update(bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=7)
    assert product["inventory_level"] == 7 and product["base_variant_id"]
    fetched = bc.get(f"/v3/catalog/products/{product['id']}").json()["data"]
    assert fetched["name"] == product["name"]
    updated = bc.put(f"/v3/catalog/products/{product['id']}", json={"price": 24.5})
    assert updated.status_code == 200
    assert updated.json()["data"]["price"] == 24.5


def test_product_without_required_fields_gets_422_problem(bc: httpx.Client) -> None:
    response = bc.post("/v3/catalog/products", json={"name": "No price", "type": "physical"})
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422 and "weight" in body["errors"]


def test_product_with_wrong_type_gets_422(bc: httpx.Client) -> None:
    response = bc.post("/v3/catalog/products",
                       json={"name": unique("P"), "type": "physical", "weight": 1, "price": "x"})
    assert response.status_code == 422
    assert response.json()["errors"]["price"] == "error.expected.jsnumber"


def test_duplicate_product_name_gets_409(bc: httpx.Client) -> None:
    product = _new_product(bc)
    response = bc.post("/v3/catalog/products", json={"name": product["name"], "type": "physical",
                                                     "weight": 1, "price": 1})
    assert response.status_code == 409


def test_products_batch_update_with_one_bad_id_answers_207(bc: httpx.Client) -> None:
    product = _new_product(bc)
    response = bc.put("/v3/catalog/products", json=[{"id": product["id"], "price": 5.0},
                                                    {"id": 999999, "price": 6.0}])
    assert response.status_code == 207
    body = response.json()
    assert [p["id"] for p in body["data"]] == [product["id"]]
    assert body["meta"]["failed"] == 1


def test_products_paginate_with_meta_pagination(bc: httpx.Client) -> None:
    first = bc.get("/v3/catalog/products", params={"limit": 2}).json()
    pagination = first["meta"]["pagination"]
    assert pagination["total"] == 5 and pagination["total_pages"] == 3
    assert pagination["count"] == 2 and "next" in pagination["links"]
    last = bc.get("/v3/catalog/products", params={"limit": 2, "page": 3}).json()
    assert len(last["data"]) == 1 and "next" not in last["meta"]["pagination"]["links"]
    ids = [p["id"] for page in (1, 2, 3)
           for p in bc.get("/v3/catalog/products", params={"limit": 2, "page": page})
           .json()["data"]]
    assert len(set(ids)) == 5


def test_products_filter_by_date_modified_min(bc: httpx.Client) -> None:
    product = _new_product(bc)
    since = product["date_modified"]
    found = bc.get("/v3/catalog/products", params={"date_modified:min": since}).json()["data"]
    assert [p["id"] for p in found] == [product["id"]]


def test_variant_create_moves_stock_tracking_to_variants(bc: httpx.Client) -> None:
    product = _new_product(bc)
    response = bc.post(f"/v3/catalog/products/{product['id']}/variants", json={
        "sku": unique("VAR-"), "price": 21.0, "inventory_level": 4,
        "option_values": [{"option_display_name": "Colour", "label": "Red"}]})
    assert response.status_code == 200, response.text
    variant = response.json()["data"]
    fetched = bc.get(f"/v3/catalog/products/{product['id']}",
                     params={"include": "variants"}).json()["data"]
    assert fetched["inventory_tracking"] == "variant"
    assert [v["id"] for v in fetched["variants"]] == [variant["id"]]
    updated = bc.put(f"/v3/catalog/products/{product['id']}/variants/{variant['id']}",
                     json={"price": 22.0})
    assert updated.json()["data"]["price"] == 22.0


# -- inventory -----------------------------------------------------------------------------------

def test_absolute_adjustment_sets_location_levels(bc: httpx.Client) -> None:
    product = _new_product(bc)
    response = bc.put("/v3/inventory/adjustments/absolute", json={
        "reason": "Brightpearl sync",
        "items": [{"location_id": 1, "sku": product["sku"], "quantity": 12},
                  {"location_id": 2, "product_id": product["id"], "quantity": 3}]})
    assert response.status_code == 200 and response.json()["transaction_id"]
    items = bc.get("/v3/inventory/items", params={"product_id:in": product["id"]}).json()["data"]
    levels = {loc["location_id"]: loc["total_inventory_onhand"] for loc in items[0]["locations"]}
    assert levels == {1: 12, 2: 3}
    assert bc.get(f"/v3/catalog/products/{product['id']}").json()["data"][
        "inventory_level"] == 15


def test_relative_adjustment_adds_to_stock(bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=10)
    response = bc.post("/v3/inventory/adjustments/relative", json={
        "reason": "Recount", "items": [{"location_id": 1, "variant_id":
                                        product["base_variant_id"], "quantity": -4}]})
    assert response.status_code == 200
    assert bc.get(f"/v3/catalog/products/{product['id']}").json()["data"][
        "inventory_level"] == 6


def test_adjustment_over_2000_items_gets_422(bc: httpx.Client) -> None:
    product = _new_product(bc)
    items = [{"location_id": 1, "sku": product["sku"], "quantity": 1}] * 2001
    response = bc.put("/v3/inventory/adjustments/absolute", json={"reason": "x", "items": items})
    assert response.status_code == 422


# -- customers -----------------------------------------------------------------------------------

def test_customers_create_get_and_update(bc: httpx.Client) -> None:
    email = f"{unique('c').lower()}@example.com"
    created = bc.post("/v3/customers", json=[{
        "email": email, "first_name": "Grace", "last_name": "Hopper",
        "addresses": [{"first_name": "Grace", "last_name": "Hopper", "address1": "1 Navy Way",
                       "city": "Arlington", "country_code": "US", "postal_code": "22201",
                       "state_or_province": "Virginia"}]}])
    assert created.status_code == 200, created.text
    customer = created.json()["data"][0]
    found = bc.get("/v3/customers", params={"email:in": email, "include": "addresses"}).json()
    assert found["data"][0]["id"] == customer["id"]
    assert found["data"][0]["addresses"][0]["city"] == "Arlington"
    updated = bc.put("/v3/customers", json=[{"id": customer["id"], "phone": "+1 555 0100"}])
    assert updated.json()["data"][0]["phone"] == "+1 555 0100"


def test_customer_without_email_gets_422(bc: httpx.Client) -> None:
    response = bc.post("/v3/customers", json=[{"first_name": "A", "last_name": "B"}])
    assert response.status_code == 422
    assert "[0].email" in response.json()["errors"]


def test_more_than_ten_customers_per_create_is_refused(bc: httpx.Client) -> None:
    batch = [{"email": f"{unique('m').lower()}@example.com", "first_name": "A", "last_name": "B"}
             for _ in range(11)]
    assert bc.post("/v3/customers", json=batch).status_code == 413


# -- orders --------------------------------------------------------------------------------------

def test_order_create_get_and_status_update(bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=10)
    order = _new_order(bc, product["id"])
    assert order["status"] == "Awaiting Fulfillment"
    assert order["total_inc_tax"] == "47.9800"  # 2 x 19.99 + 20 % tax
    fetched = bc.get(f"/v2/orders/{order['id']}").json()
    assert fetched["billing_address"]["email"] == "ada@example.com"
    updated = bc.put(f"/v2/orders/{order['id']}", json={"status_id": 9})
    assert updated.json()["status"] == "Awaiting Shipment"


def test_order_without_products_gets_v2_400(bc: httpx.Client) -> None:
    response = bc.post("/v2/orders", json={"billing_address": {"first_name": "A"}})
    assert response.status_code == 400
    assert response.json() == [{"status": 400,
                                "message": "The required field 'products' was not supplied."}]


def test_orders_page_with_page_and_limit_and_empty_page_is_204(bc: httpx.Client) -> None:
    page1 = bc.get("/v2/orders", params={"limit": 3, "page": 1})
    page2 = bc.get("/v2/orders", params={"limit": 3, "page": 2})
    assert len(page1.json()) == 3 and len(page2.json()) == 1
    assert bc.get("/v2/orders", params={"limit": 3, "page": 3}).status_code == 204


def test_orders_filter_by_min_date_modified_and_status(bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=10)
    order = _new_order(bc, product["id"])
    since = order["date_modified"]
    found = bc.get("/v2/orders", params={"min_date_modified": since, "status_id": 11}).json()
    assert [o["id"] for o in found] == [order["id"]]


def test_order_products_and_shipping_addresses(bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=10)
    order = _new_order(bc, product["id"], quantity=3)
    lines = bc.get(f"/v2/orders/{order['id']}/products").json()
    assert lines[0]["product_id"] == product["id"] and lines[0]["quantity"] == 3
    addresses = bc.get(f"/v2/orders/{order['id']}/shipping_addresses").json()
    assert addresses[0]["id"] == lines[0]["order_address_id"]


def test_shipment_marks_order_shipped(bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=10)
    order = _new_order(bc, product["id"])
    line = bc.get(f"/v2/orders/{order['id']}/products").json()[0]
    shipment = bc.post(f"/v2/orders/{order['id']}/shipments", json={
        "order_address_id": line["order_address_id"], "tracking_number": "1Z999",
        "shipping_provider": "ups", "items": [{"order_product_id": line["id"], "quantity": 2}]})
    assert shipment.status_code == 201, shipment.text
    assert shipment.json()["tracking_number"] == "1Z999"
    assert bc.get(f"/v2/orders/{order['id']}").json()["status_id"] == 2


def test_shipping_some_items_partially_ships_then_the_rest_ships_the_order(
        bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=10)
    order = _new_order(bc, product["id"], quantity=3)
    line = bc.get(f"/v2/orders/{order['id']}/products").json()[0]

    def ship(quantity: int) -> httpx.Response:
        return bc.post(f"/v2/orders/{order['id']}/shipments", json={
            "order_address_id": line["order_address_id"], "tracking_number": f"T{quantity}",
            "items": [{"order_product_id": line["id"], "quantity": quantity}]})

    assert ship(1).status_code == 201
    after = bc.get(f"/v2/orders/{order['id']}").json()
    assert (after["status_id"], after["items_shipped"]) == (3, 1)  # Partially Shipped
    assert ship(3).status_code == 400  # only 2 left
    assert ship(2).status_code == 201
    after = bc.get(f"/v2/orders/{order['id']}").json()
    assert (after["status_id"], after["items_shipped"]) == (2, 3)  # Shipped
    assert bc.get(f"/v2/orders/{order['id']}/products").json()[0]["quantity_shipped"] == 3


def test_shipment_without_address_gets_400(bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=10)
    order = _new_order(bc, product["id"])
    response = bc.post(f"/v2/orders/{order['id']}/shipments", json={"items": []})
    assert response.status_code == 400


def test_refund_quote_then_refund_marks_order_refunded(bc: httpx.Client) -> None:
    product = _new_product(bc, inventory_level=10)
    order = _new_order(bc, product["id"])
    line = bc.get(f"/v2/orders/{order['id']}/products").json()[0]
    items = [{"item_type": "PRODUCT", "item_id": line["id"], "quantity": 1}]
    quote = bc.post(f"/v3/orders/{order['id']}/payment_actions/refund_quotes",
                    json={"items": items})
    assert quote.status_code == 201
    amount = quote.json()["data"]["total_refund_amount"]
    assert amount == pytest.approx(23.99)
    refund = bc.post(f"/v3/orders/{order['id']}/payment_actions/refunds", json={
        "items": items, "payments": [{"provider_id": "custom", "amount": amount,
                                      "offline": True}]})
    assert refund.status_code == 201, refund.text
    assert bc.get(f"/v2/orders/{order['id']}").json()["status_id"] == 14
    events = [t["event"] for t in
              bc.get(f"/v3/orders/{order['id']}/transactions").json()["data"]]
    assert events == ["purchase", "refund"]


# -- rate limits and faults ----------------------------------------------------------------------

def test_requests_over_quota_get_429_with_rate_limit_headers(
    bc: httpx.Client, control: SandboxControl, store: dict[str, Any]
) -> None:
    control.limits("bigcommerce", store["account"], requests_quota=3)
    answers = [bc.get("/v3/catalog/products") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[2].headers["X-Rate-Limit-Requests-Left"] == "0"
    limited = answers[3]
    assert limited.headers["X-Rate-Limit-Requests-Quota"] == "3"
    assert limited.headers["X-Rate-Limit-Time-Window-Ms"] == "30000"
    assert 0 < int(limited.headers["X-Rate-Limit-Time-Reset-Ms"]) <= 30000
    assert "Retry-After" not in limited.headers


def test_fault_5xx_answers_in_v3_problem_shape(bc: httpx.Client, control: SandboxControl,
                                               store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], error_5xx_rate=1.0)
    response = bc.get("/v3/catalog/products")
    assert response.status_code == 500 and response.json()["status"] == 500


def test_fault_5xx_answers_in_v2_shape(bc: httpx.Client, control: SandboxControl,
                                       store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], error_5xx_rate=1.0)
    response = bc.get("/v2/orders")
    assert response.status_code == 500 and response.json()[0]["status"] == 500


def test_fault_rate_limit_answers_429_with_headers(bc: httpx.Client, control: SandboxControl,
                                                   store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], rate_limit_rate=1.0)
    response = bc.get("/v3/catalog/products")
    assert response.status_code == 429
    assert response.headers["X-Rate-Limit-Requests-Left"] == "0"


def test_fault_malformed_body_is_not_json(bc: httpx.Client, control: SandboxControl,
                                          store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], malformed_rate=1.0)
    response = bc.get("/v3/catalog/products")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_fault_drop_closes_connection(bc: httpx.Client, control: SandboxControl,
                                      store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        bc.get("/v3/catalog/products")


def test_fault_hang_times_out_the_client(bc: httpx.Client, control: SandboxControl,
                                         store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], hang_rate=1.0)
    with pytest.raises(httpx.TimeoutException):
        bc.get("/v3/catalog/products", timeout=0.5)


def test_fault_latency_still_answers(bc: httpx.Client, control: SandboxControl,
                                     store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], latency_ms=50)
    assert bc.get("/v3/catalog/products").status_code == 200


def test_faults_are_deterministic_with_a_seed(bc: httpx.Client, control: SandboxControl,
                                              store: dict[str, Any]) -> None:
    def run() -> list[int]:
        control.faults("bigcommerce", store["account"], error_5xx_rate=0.5, seed=7)
        return [bc.get("/v3/catalog/products", params={"limit": 1}).status_code
                for _ in range(8)]

    first = run()
    assert first == run() and 500 in first and 200 in first


# -- hooks ---------------------------------------------------------------------------------------

def _hook(bc: httpx.Client, receiver: WebhookReceiver, scope: str) -> dict[str, Any]:
    response = bc.post("/v3/hooks", json={
        "scope": scope, "destination": f"{receiver.url}/bc/hooks", "is_active": True,
        "headers": {"X-Secret": "s3cret"}})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_hooks_crud(bc: httpx.Client, webhook_receiver: WebhookReceiver) -> None:
    hook = _hook(bc, webhook_receiver, "store/product/updated")
    assert bc.get(f"/v3/hooks/{hook['id']}").json()["data"]["scope"] == "store/product/updated"
    updated = bc.put(f"/v3/hooks/{hook['id']}", json={"is_active": False}).json()["data"]
    assert updated["is_active"] is False
    assert [h["id"] for h in bc.get("/v3/hooks").json()["data"]] == [hook["id"]]
    assert bc.delete(f"/v3/hooks/{hook['id']}").status_code == 200
    assert bc.get(f"/v3/hooks/{hook['id']}").status_code == 404


def test_hook_with_bad_scope_gets_422(bc: httpx.Client) -> None:
    response = bc.post("/v3/hooks", json={"scope": "store/nothing", "destination":
                                          "https://example.com/x"})
    assert response.status_code == 422


def test_order_created_hook_delivers_payload_with_custom_headers(
    bc: httpx.Client, webhook_receiver: WebhookReceiver, store: dict[str, Any]
) -> None:
    _hook(bc, webhook_receiver, "store/order/created")
    product = _new_product(bc, inventory_level=10)
    order = _new_order(bc, product["id"])
    received = webhook_receiver.wait_for(1)[0]
    assert received.headers["x-secret"] == "s3cret"
    payload = received.json()
    assert payload["scope"] == "store/order/created"
    assert payload["producer"] == f"stores/{store['account']}"
    assert payload["data"] == {"type": "order", "id": order["id"]}
    assert payload["store_id"] == store["credentials"]["store_id"] and payload["hash"]


def test_inventory_hook_fires_on_adjustment(bc: httpx.Client,
                                            webhook_receiver: WebhookReceiver) -> None:
    product = _new_product(bc)
    _hook(bc, webhook_receiver, "store/product/inventory/updated")
    bc.put("/v3/inventory/adjustments/absolute", json={
        "reason": "sync", "items": [{"location_id": 1, "sku": product["sku"], "quantity": 9}]})
    data = webhook_receiver.wait_for(1)[0].json()["data"]
    assert data["id"] == product["id"] and data["inventory"]["value"] == 9


def test_failed_hook_delivery_is_retried(
    bc: httpx.Client, webhook_receiver: WebhookReceiver, control: SandboxControl,
    store: dict[str, Any]
) -> None:
    control.limits("bigcommerce", store["account"], webhook_retry_delays_s=[0.05, 0.05, 0.05])
    _hook(bc, webhook_receiver, "store/customer/created")
    webhook_receiver.respond_with(500, 503)
    bc.post("/v3/customers", json=[{"email": f"{unique('h').lower()}@example.com",
                                    "first_name": "A", "last_name": "B"}])
    deliveries = control.wait_for_deliveries("bigcommerce", store["account"], 1,
                                             status="delivered")
    assert deliveries[0]["attempt_count"] == 3


def test_hook_is_deactivated_after_the_failure_window(
    bc: httpx.Client, webhook_receiver: WebhookReceiver, control: SandboxControl,
    store: dict[str, Any]
) -> None:
    control.limits("bigcommerce", store["account"], webhook_retry_delays_s=[0.05, 0.05])
    hook = _hook(bc, webhook_receiver, "store/customer/created")
    webhook_receiver.respond_with(500, 500, 500)
    bc.post("/v3/customers", json=[{"email": f"{unique('d').lower()}@example.com",
                                    "first_name": "A", "last_name": "B"}])
    control.wait_for_deliveries("bigcommerce", store["account"], 1, status="failed")
    wait_until(lambda: bc.get(f"/v3/hooks/{hook['id']}").json()["data"]["is_active"] is False)


def test_demo_store_is_seeded(http: httpx.Client) -> None:
    response = http.get("/bigcommerce/stores/ccdemo01/v3/catalog/products",
                        headers={"X-Auth-Token": "bc-demo-access-token"})
    assert response.status_code == 200
    assert response.json()["meta"]["pagination"]["total"] > 0


# -- orders created through the API from another system ------------------------------------------

def test_order_keeps_the_external_source_and_id_it_was_created_with(bc: httpx.Client) -> None:
    product = _new_product(bc)
    body = {"billing_address": {"first_name": "Ada", "last_name": "Lovelace",
                                "street_1": "1 Main St", "city": "London", "state": "London",
                                "zip": "EC1A 1BB", "country": "United Kingdom",
                                "country_iso2": "GB"},
            "products": [{"product_id": product["id"], "quantity": 1}],
            "external_source": "Brightpearl", "external_id": "100318"}
    created = bc.post("/v2/orders", json=body)
    assert created.status_code == 201, created.text

    order = bc.get(f"/v2/orders/{created.json()['id']}").json()

    assert (order["external_source"], order["external_id"], order["order_source"]) == (
        "Brightpearl", "100318", "external")


def test_order_external_id_cannot_be_changed_by_put(bc: httpx.Client) -> None:
    order = _new_order(bc, _new_product(bc)["id"])

    response = bc.put(f"/v2/orders/{order['id']}", json={"external_id": "X-1"})

    assert response.status_code == 400
    assert response.json() == [{"status": 400, "message": "The field 'external_id' cannot be "
                                "written to. Please remove it from your request before "
                                "trying again."}]


def test_order_for_a_customer_that_does_not_exist_gets_400(bc: httpx.Client) -> None:
    body = {"customer_id": 987654, "billing_address": {"first_name": "A", "last_name": "B"},
            "products": [{"product_id": _new_product(bc)["id"], "quantity": 1}]}

    response = bc.post("/v2/orders", json=body)

    assert response.status_code == 400
    assert response.json()[0]["message"] == "The customer with ID 987654 does not exist."
