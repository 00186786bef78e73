"""The BigCommerce connector against the sandbox, over real HTTP (no database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
import requests

from integrations.connectors.base import ConnectionConfig, Token
from integrations.connectors.bigcommerce import (
    CREDENTIAL_FIELDS,
    BigCommerceConnector,
    authorization_url,
    exchange_code,
)
from integrations.connectors.budget import RateLimit, RequestBudget
from integrations.connectors.errors import (
    AuthError,
    NotFound,
    NothingToSync,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from tests.sandbox_harness import unique, wait_until

BILLING = {"first_name": "Ada", "last_name": "Lovelace", "street_1": "1 Analytical Way",
           "city": "London", "state": "London", "zip": "N1 1AA", "country": "United Kingdom",
           "country_iso2": "GB", "email": "ada@example.com"}


@pytest.fixture
def store(new_account: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_account("bigcommerce", seed={"products": 4, "customers": 3, "orders": 3})


def connector_for(store: dict[str, Any], **kwargs: Any) -> BigCommerceConnector:
    creds = store["credentials"]
    config = ConnectionConfig(
        base_url=store["base_url"], account=store["account"], auth_type="api_token",
        credentials={"store_hash": creds["store_hash"], "access_token": creds["access_token"]},
        settings=kwargs.pop("settings", {}))
    return BigCommerceConnector(config, **kwargs)


@pytest.fixture
def bc(store: dict[str, Any]) -> BigCommerceConnector:
    return connector_for(store)


def a_product_id(bc: BigCommerceConnector) -> int:
    return int(bc.list_changed("product", since=None).records[0]["id"])


def an_order(bc: BigCommerceConnector, quantity: int = 2) -> str:
    result = bc.upsert("sales_order", {
        "status_id": 11, "billing_address": BILLING,
        "products": [{"product_id": a_product_id(bc), "quantity": quantity}],
    })
    return result.id


def budget_for(limit: RateLimit) -> RequestBudget:
    client = redis.Redis.from_url(os.environ["BROKER_URL"])
    return RequestBudget(client, key=f"test:bigcommerce:{uuid.uuid4().hex}", limit=limit)


def install(http: httpx.Client, store: dict[str, Any], redirect_uri: str) -> dict[str, str]:
    """Click Install on the sandbox's app page, as a merchant would; → callback query."""
    creds = store["credentials"]
    config = ConnectionConfig(base_url=store["base_url"], credentials=creds)
    url = authorization_url(config, redirect_uri, "state-123")
    page = http.get(url)
    assert page.status_code == 200 and "Install" in page.text
    answer = http.post(urlsplit(url).path, data={
        "store_hash": creds["store_hash"], "action": "install", "redirect_uri": redirect_uri,
        "state": "state-123"})
    assert answer.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}


# --- auth --------------------------------------------------------------------------------------

def test_credential_fields_name_what_a_user_enters() -> None:
    assert CREDENTIAL_FIELDS["api_token"] == ("store_hash", "access_token")


def test_store_token_passes_the_test_call(bc: BigCommerceConnector) -> None:
    bc.test()
    assert bc.rate_state is not None and bc.rate_state[1] == 150


def test_wrong_store_token_raises_auth_error(store: dict[str, Any]) -> None:
    bc = connector_for(store)
    bc.config.credentials["access_token"] = "not-the-token"
    with pytest.raises(AuthError) as caught:
        bc.test()
    assert caught.value.status == 401


def test_app_install_code_is_exchanged_for_a_store_token(
        http: httpx.Client, store: dict[str, Any]) -> None:
    redirect = "http://localhost:8000/oauth/bigcommerce/callback"
    callback = install(http, store, redirect)
    assert callback["state"] == "state-123"
    config = ConnectionConfig(base_url=store["base_url"], auth_type="oauth2_code",
                              credentials=store["credentials"])
    token = exchange_code(config, callback["code"], redirect, context=callback["context"],
                          scope=callback["scope"])
    assert token["store_hash"] == store["account"] and token["access_token"]
    app = BigCommerceConnector(ConnectionConfig(
        base_url=store["base_url"], auth_type="oauth2_code",
        credentials={k: store["credentials"][k] for k in CREDENTIAL_FIELDS["oauth2_code"]},
        token=token))
    app.test()


def test_exchanging_a_bad_code_raises_auth_error(store: dict[str, Any]) -> None:
    config = ConnectionConfig(base_url=store["base_url"], credentials=store["credentials"])
    with pytest.raises(AuthError) as caught:
        exchange_code(config, "no-such-code", "http://localhost:8000/cb",
                      context=f"stores/{store['account']}")
    assert caught.value.code == "invalid_grant"


def test_revoked_token_calls_the_refresher_once_and_retries_with_its_token(
        http: httpx.Client, control: Any, store: dict[str, Any]) -> None:
    control.expire_tokens("bigcommerce", store["account"])
    redirect = "http://localhost:8000/oauth/bigcommerce/callback"
    config = ConnectionConfig(base_url=store["base_url"], credentials=store["credentials"])
    failed: list[Token] = []

    def reinstall(token: Token) -> Token:
        # Stands in for the merchant reinstalling the app: a new store token.
        failed.append(token)
        callback = install(http, store, redirect)
        return exchange_code(config, callback["code"], redirect, context=callback["context"])

    bc = connector_for(store, refresher=reinstall)
    bc.test()
    assert len(failed) == 1
    assert bc.token["access_token"] != store["credentials"]["access_token"]


def test_revoked_token_without_a_new_one_raises_auth_error_after_one_refresh(
        control: Any, store: dict[str, Any]) -> None:
    calls: list[Token] = []
    bc = connector_for(store, refresher=lambda t: calls.append(t) or t)
    control.expire_tokens("bigcommerce", store["account"])
    with pytest.raises(AuthError):
        bc.test()
    assert len(calls) == 1


# --- orders ------------------------------------------------------------------------------------

def test_order_get_inlines_products_and_shipping_addresses(bc: BigCommerceConnector) -> None:
    order_id = an_order(bc, quantity=3)
    order = bc.get("sales_order", order_id)
    assert order["id"] == int(order_id)
    assert order["products"][0]["quantity"] == 3
    assert order["shipping_addresses"][0]["city"] == "London"


def test_missing_order_raises_not_found(bc: BigCommerceConnector) -> None:
    with pytest.raises(NotFound):
        bc.get("sales_order", "999999")


def test_orders_changed_since_are_paged_until_done(bc: BigCommerceConnector) -> None:
    since = datetime.now(UTC).replace(microsecond=0)
    created = {an_order(bc) for _ in range(3)}
    bc.config.settings["page_size"] = 2
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = bc.list_changed("sales_order", since=since, cursor=cursor)
        seen += [str(r["id"]) for r in page.records]
        assert all("date_modified" in r for r in page.records)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert set(seen) == created and len(seen) == 3 and pages == 2


def test_order_upsert_creates_then_updates_by_id(bc: BigCommerceConnector) -> None:
    created = bc.upsert("sales_order", {"billing_address": BILLING, "products": [
        {"product_id": a_product_id(bc), "quantity": 1}]})
    assert created.created
    updated = bc.upsert("sales_order", {"staff_notes": "synced"}, external_id=created.id)
    assert not updated.created and updated.id == created.id
    assert bc.get("sales_order", created.id)["staff_notes"] == "synced"


def test_order_without_products_is_validation_failed_naming_the_field(
        bc: BigCommerceConnector) -> None:
    with pytest.raises(ValidationFailed) as caught:
        bc.upsert("sales_order", {"billing_address": BILLING})
    assert caught.value.field == "products"
    assert "products" in caught.value.message


def test_order_status_set_moves_the_order(bc: BigCommerceConnector) -> None:
    order_id = an_order(bc)
    bc.order_status_set(order_id, 9)
    assert bc.get("sales_order", order_id)["status_id"] == 9


def test_shipment_create_ships_every_line_with_tracking(bc: BigCommerceConnector) -> None:
    order_id = an_order(bc, quantity=2)
    result = bc.shipment_create(order_id, tracking_number="1Z999", shipping_provider="ups")
    assert result.id.startswith(f"{order_id}/")
    shipment = bc.get("shipment", result.id)
    assert shipment["tracking_number"] == "1Z999"
    assert shipment["items"][0]["quantity"] == 2
    assert bc.get("sales_order", order_id)["status_id"] == 2  # Shipped


def test_shipment_upsert_updates_tracking_of_an_existing_shipment(
        bc: BigCommerceConnector) -> None:
    order_id = an_order(bc)
    shipped = bc.upsert("shipment", {"order_id": order_id, "tracking_number": "A1"})
    again = bc.upsert("shipment", {"tracking_number": "B2"}, external_id=shipped.id)
    assert not again.created
    assert bc.get("shipment", shipped.id)["tracking_number"] == "B2"


def test_shipment_of_some_items_partially_ships_the_order_and_the_rest_ships_it(
        bc: BigCommerceConnector) -> None:
    order_id = an_order(bc, quantity=3)
    line = bc.get("sales_order", order_id)["products"][0]
    first = bc.shipment_create(order_id, items=[{"order_product_id": line["id"],
                                                 "quantity": 1}])
    assert bc.get("shipment", first.id)["items"][0]["quantity"] == 1
    assert bc.get("sales_order", order_id)["status_id"] == 3  # Partially Shipped
    bc.shipment_create(order_id, items=[{"order_product_id": line["id"], "quantity": 2}])
    order = bc.get("sales_order", order_id)
    assert (order["status_id"], order["products"][0]["quantity_shipped"]) == (2, 3)


def test_shipment_items_may_name_their_line_by_sku(bc: BigCommerceConnector) -> None:
    order_id = an_order(bc, quantity=2)
    line = bc.get("sales_order", order_id)["products"][0]
    result = bc.shipment_create(order_id, items=[{"sku": line["sku"].lower(), "quantity": 1}])
    assert [(i["order_product_id"], i["quantity"])
            for i in bc.get("shipment", result.id)["items"]] == [(line["id"], 1)]
    with pytest.raises(ValidationFailed) as caught:
        bc.shipment_create(order_id, items=[{"sku": line["sku"], "quantity": 2}])
    assert caught.value.field == "items[0].sku"


def test_shipping_more_than_ordered_is_validation_failed(bc: BigCommerceConnector) -> None:
    order_id = an_order(bc, quantity=1)
    line = bc.get("sales_order", order_id)["products"][0]
    with pytest.raises(ValidationFailed) as caught:
        bc.shipment_create(order_id, items=[{"order_product_id": line["id"], "quantity": 5}])
    assert caught.value.field.startswith("items")


def test_refund_is_quoted_created_and_read_back_as_a_credit_note(
        bc: BigCommerceConnector) -> None:
    order_id = an_order(bc, quantity=2)
    line = bc.get("sales_order", order_id)["products"][0]
    items = [{"item_type": "PRODUCT", "item_id": line["id"], "quantity": 1}]
    quote = bc.refund_quote(order_id, items)
    amount = quote["total_refund_amount"]
    provider = quote["refund_methods"][0][0]["provider_id"]
    refund = bc.refund_create(order_id, items=items, reason="damaged",
                              payments=[{"provider_id": provider, "amount": amount}])
    note = bc.get("credit_note", refund.id)
    assert note["refund"]["total_amount"] == amount and note["refund"]["reason"] == "damaged"
    assert note["id"] == int(order_id) and note["products"][0]["quantity_refunded"] == 1
    events = [t["event"] for t in bc.transactions_list(order_id)]
    assert "refund" in events
    changed = bc.list_changed("credit_note", since=None).records
    assert refund.id in {r["external_id"] for r in changed}


def test_refund_over_the_paid_amount_is_validation_failed(bc: BigCommerceConnector) -> None:
    order_id = an_order(bc)
    with pytest.raises(ValidationFailed) as caught:
        bc.refund_create(order_id, items=[{"item_type": "ORDER", "amount": 100000}],
                         payments=[{"provider_id": "custom", "amount": 100000}])
    assert caught.value.field == "items"


# --- catalog -----------------------------------------------------------------------------------

def test_product_upsert_creates_then_finds_it_by_sku(bc: BigCommerceConnector) -> None:
    sku = unique("SKU")
    record = {"name": f"Lamp {sku}", "type": "physical", "weight": 1.5, "price": 20.0,
              "sku": sku}
    first = bc.upsert("product", record)
    second = bc.upsert("product", {**record, "price": 25.0})
    assert first.created and not second.created and second.id == first.id
    assert bc.get("product", first.id)["price"] == 25.0


def test_product_upsert_adds_and_updates_variants_by_sku(bc: BigCommerceConnector) -> None:
    sku = unique("TEE")
    options = [{"option_display_name": "Size", "label": "S"}]
    created = bc.upsert("product", {
        "name": f"Tee {sku}", "type": "physical", "weight": 0.2, "price": 10.0, "sku": sku,
        "variants": [{"sku": f"{sku}-S", "option_values": options, "price": 10.0}]})
    bc.upsert("product", {"variants": [
        {"sku": f"{sku}-S", "price": 11.0},
        {"sku": f"{sku}-M", "price": 12.0,
         "option_values": [{"option_display_name": "Size", "label": "M"}]},
    ]}, external_id=created.id)
    variants = {v["sku"]: v for v in bc.get("product", created.id)["variants"]}
    assert variants[f"{sku}-S"]["price"] == 11.0
    assert variants[f"{sku}-M"]["price"] == 12.0


def test_product_found_by_a_variant_sku_is_updated_not_duplicated(
        bc: BigCommerceConnector) -> None:
    sku = unique("MUG")
    created = bc.upsert("product", {
        "name": f"Mug {sku}", "type": "physical", "weight": 0.3, "price": 8.0, "sku": sku,
        "variants": [{"sku": f"{sku}-RED", "option_values": [
            {"option_display_name": "Colour", "label": "Red"}]}]})
    again = bc.upsert("product", {"sku": f"{sku}-RED", "price": 9.0})
    assert again.id == created.id and not again.created
    variant = bc.get("product", created.id)["variants"][0]
    assert variant["sku"] == f"{sku}-RED" and variant["price"] == 9.0


def test_duplicate_product_name_is_validation_failed_naming_the_field(
        bc: BigCommerceConnector) -> None:
    name = bc.get("product", str(a_product_id(bc)))["name"]
    with pytest.raises(ValidationFailed) as caught:
        bc.upsert("product", {"name": name, "type": "physical", "weight": 1, "price": 1})
    assert caught.value.field == "name" and caught.value.status == 409


def test_missing_required_product_field_is_validation_failed_naming_it(
        bc: BigCommerceConnector) -> None:
    with pytest.raises(ValidationFailed) as caught:
        bc.upsert("product", {"name": unique("P"), "type": "physical", "weight": 1})
    assert caught.value.field == "price" and caught.value.status == 422


def test_products_changed_since_are_paged_by_id(bc: BigCommerceConnector) -> None:
    bc.config.settings["page_size"] = 3
    ids: list[int] = []
    cursor = None
    while True:
        page = bc.list_changed("product", since=datetime(2000, 1, 1, tzinfo=UTC),
                               cursor=cursor)
        ids += [p["id"] for p in page.records]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(ids) == 4 and ids == sorted(ids)


def test_product_batch_with_a_bad_record_reports_the_partial_result(
        bc: BigCommerceConnector) -> None:
    ids = [p["id"] for p in bc.list_changed("product", since=None).records[:2]]
    taken = bc.get("product", str(ids[1]))["name"]
    result = bc.products_update_batch([{"id": ids[0], "price": 33.0},
                                       {"id": ids[0] + 100000, "price": 1.0},
                                       {"id": ids[0], "name": taken}])
    assert result.partial
    assert [r["id"] for r in result.succeeded] == [ids[0]]
    assert {f.index for f in result.failed} == {1, 2}
    assert next(f for f in result.failed if f.index == 2).field == "name"


def test_customer_upsert_finds_the_existing_customer_by_email(
        bc: BigCommerceConnector) -> None:
    email = f"{unique('c').lower()}@example.com"
    first = bc.upsert("customer", {"email": email, "first_name": "Grace",
                                   "last_name": "Hopper"})
    second = bc.upsert("customer", {"email": email, "first_name": "Grace",
                                    "last_name": "Hopper", "phone": "+44 1"})
    assert first.created and not second.created and first.id == second.id
    assert bc.get("customer", first.id)["phone"] == "+44 1"


def test_customer_with_a_bad_email_is_validation_failed_naming_the_field(
        bc: BigCommerceConnector) -> None:
    with pytest.raises(ValidationFailed) as caught:
        bc.upsert("customer", {"email": "nope", "first_name": "A", "last_name": "B"})
    assert caught.value.field == "[0].email"


def test_customers_changed_are_paged(bc: BigCommerceConnector) -> None:
    bc.config.settings["page_size"] = 2
    first = bc.list_changed("customer", since=None)
    second = bc.list_changed("customer", since=None, cursor=first.next_cursor)
    assert len(first.records) == 2 and len(second.records) == 1
    assert second.next_cursor is None


def test_inventory_is_set_absolutely_then_adjusted_relatively_by_sku(
        bc: BigCommerceConnector) -> None:
    product = bc.get("product", str(a_product_id(bc)))
    bc.upsert("inventory", {"sku": product["sku"], "location_id": 1, "quantity": 40})
    bc.inventory_adjust([{"sku": product["sku"], "location_id": 1, "quantity": -5}],
                        relative=True, reason="cycle count")
    stock = bc.get("inventory", str(product["id"]))
    main = next(loc for loc in stock["items"][0]["locations"] if loc["location_id"] == 1)
    assert main["total_inventory_onhand"] == 35


def test_inventory_of_an_unknown_sku_is_validation_failed(bc: BigCommerceConnector) -> None:
    with pytest.raises(ValidationFailed) as caught:
        bc.upsert("inventory", {"sku": "NO-SUCH", "location_id": 1, "quantity": 1})
    assert caught.value.field == "items.0.sku"


def test_inventory_changed_lists_items_of_changed_products(bc: BigCommerceConnector) -> None:
    since = datetime.now(UTC).replace(microsecond=0)
    product_id = a_product_id(bc)
    bc.upsert("inventory", {"product_id": product_id, "location_id": 2, "quantity": 7})
    page = bc.list_changed("inventory", since=since)
    assert [i["identity"]["product_id"] for i in page.records] == [product_id]


# --- faults and rate limits --------------------------------------------------------------------

def test_server_error_is_transient(control: Any, store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], error_5xx_rate=1.0)
    with pytest.raises(TransientError) as caught:
        connector_for(store).test()
    assert caught.value.status == 500 and not isinstance(caught.value, RateLimited)


def test_rate_limit_answer_waits_the_reset_time_and_holds_the_budget(
        control: Any, store: dict[str, Any]) -> None:
    budget = budget_for(RateLimit(1000, 30))
    control.faults("bigcommerce", store["account"], rate_limit_rate=1.0)
    with pytest.raises(RateLimited) as caught:
        connector_for(store, budget=budget).test()
    assert caught.value.wait_s == 30.0
    assert budget.try_acquire() > 25


def test_hanging_request_times_out_as_transient(control: Any, store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], hang_rate=1.0)
    with pytest.raises(TransientError):
        connector_for(store, timeout=(1, 1)).test()


def test_dropped_connection_is_transient(control: Any, store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], drop_rate=1.0)
    with pytest.raises(TransientError):
        connector_for(store).test()


def test_malformed_body_is_transient(control: Any, store: dict[str, Any]) -> None:
    control.faults("bigcommerce", store["account"], malformed_rate=1.0)
    with pytest.raises(TransientError):
        connector_for(store).get("product", "111")


def test_maintenance_503_is_transient(bc: BigCommerceConnector) -> None:
    # The sandbox has no maintenance mode: classify a 503 as BigCommerce sends it.
    response = requests.Response()
    response.status_code = 503
    response._content = b'{"status": 503, "title": "Service Unavailable"}'
    error = bc.error_for(response)
    assert type(error) is TransientError


def test_last_request_of_the_window_holds_every_worker_until_reset(
        control: Any, store: dict[str, Any]) -> None:
    control.limits("bigcommerce", store["account"], requests_quota=2, window_ms=20000)
    budget = budget_for(RateLimit(1000, 30))
    bc = connector_for(store, budget=budget)
    bc.test()
    assert budget.try_acquire() == 0
    bc.test()  # the answer says 0 left
    assert bc.rate_state is not None and bc.rate_state[0] == 0
    assert budget.try_acquire() > 5


def test_budget_keeps_a_burst_under_a_low_sandbox_limit(
        control: Any, store: dict[str, Any]) -> None:
    control.limits("bigcommerce", store["account"], requests_quota=10, window_ms=1000)
    bc = connector_for(store, budget=budget_for(RateLimit(8, 1)))
    for _ in range(14):
        bc.test()  # would raise RateLimited on a 429
    assert bc.rate_state is not None and bc.rate_state[0] >= 0


def test_rate_limit_follows_the_plan_from_settings() -> None:
    config = ConnectionConfig(base_url="https://api.bigcommerce.com",
                              settings={"rate_limit_per_30s": 450})
    assert BigCommerceConnector.rate_limit_for(config) == RateLimit(450, 30)


# --- webhooks ----------------------------------------------------------------------------------

def test_webhooks_are_registered_listed_and_deleted(bc: BigCommerceConnector) -> None:
    hook_id = bc.webhook_register(event="store/order/*", url="https://example.com/hooks/1",
                                  secret="s3cret")
    product_hook = bc.webhook_register(event="product", url="https://example.com/hooks/1",
                                       secret="s3cret")
    registered = {h["id"]: h for h in bc.webhook_list()}
    assert registered[int(product_hook)]["scope"] == "store/product/*"
    assert registered[int(hook_id)]["headers"] == {"X-Clarity-Webhook-Secret": "s3cret"}
    bc.webhook_delete(hook_id)
    assert [h["id"] for h in bc.webhook_list()] == [int(product_hook)]


def test_invalid_webhook_scope_is_validation_failed(bc: BigCommerceConnector) -> None:
    with pytest.raises(ValidationFailed) as caught:
        bc.webhook_register(event="store/nothing", url="https://example.com/h", secret="s")
    assert caught.value.field == "scope"


def test_order_delivery_is_verified_and_parsed_into_events(
        bc: BigCommerceConnector, webhook_receiver: Any) -> None:
    bc.webhook_register(event="store/order/*", url=webhook_receiver.url, secret="s3cret")
    order_id = an_order(bc)
    bc.order_status_set(order_id, 9)
    received = webhook_receiver.wait_for(3)
    events = [e for r in received
              for e in BigCommerceConnector.webhook_parse(headers=r.headers, body=r.body)]
    assert all(_unconfigured().webhook_verify(headers=r.headers, secret="s3cret")
               for r in received)
    assert not _unconfigured().webhook_verify(headers=received[0].headers, secret="other")
    assert {(e.entity, e.external_id, e.event_type) for e in events} >= {
        ("sales_order", order_id, "store/order/created"),
        ("sales_order", order_id, "store/order/statusUpdated")}
    assert events[0].occurred_at


def test_product_inventory_customer_and_shipment_deliveries_parse_to_their_entities(
        bc: BigCommerceConnector, webhook_receiver: Any) -> None:
    for scope in ("store/product/*", "store/customer/*", "store/shipment/*"):
        bc.webhook_register(event=scope, url=webhook_receiver.url, secret="s")
    order_id = an_order(bc)
    shipment = bc.shipment_create(order_id, tracking_number="T1")
    product_id = a_product_id(bc)
    bc.upsert("inventory", {"product_id": product_id, "location_id": 1, "quantity": 3})
    customer = bc.upsert("customer", {"email": f"{unique('w').lower()}@example.com",
                                      "first_name": "W", "last_name": "H"})

    def parsed() -> set[tuple[str, str, str]]:
        return {(e.entity, e.external_id, e.event_type) for r in webhook_receiver.requests
                for e in BigCommerceConnector.webhook_parse(headers=r.headers, body=r.body)}

    wanted = {("shipment", shipment.id, "store/shipment/created"),
              ("customer", customer.id, "store/customer/created")}
    wanted |= {e for e in parsed() if e[:2] == ("inventory", str(product_id))} or {
        ("inventory", str(product_id), "store/product/inventory/updated")}
    wait_until(lambda: wanted <= parsed())


def test_refund_delivery_parses_to_a_credit_note(
        bc: BigCommerceConnector, webhook_receiver: Any) -> None:
    bc.webhook_register(event="store/order/refund/created", url=webhook_receiver.url,
                        secret="s")
    order_id = an_order(bc)
    refund = bc.refund_create(order_id, items=[{"item_type": "SHIPPING", "amount": 1.0}],
                              payments=[{"provider_id": "custom", "amount": 1.0,
                                         "offline": True}])
    request = webhook_receiver.wait_for(1)[0]
    events = BigCommerceConnector.webhook_parse(headers=request.headers, body=request.body)
    assert [(e.entity, e.external_id) for e in events] == [("credit_note", refund.id)]


def test_a_body_that_is_not_a_webhook_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        BigCommerceConnector.webhook_parse(headers={}, body=b"<html>")


def _unconfigured() -> BigCommerceConnector:
    """Verifying a delivery needs no store: only the secret we registered."""
    return BigCommerceConnector(ConnectionConfig(base_url="https://api.bigcommerce.com"))


# --- orders created from Brightpearl ------------------------------------------------------------

def a_brightpearl_order(bc: BigCommerceConnector, quantity: int = 1) -> str:
    return bc.upsert("sales_order", {
        "status_id": 11, "billing_address": BILLING, "external_source": "Brightpearl",
        "external_id": "100318", "payment_method": "Manual",
        "products": [{"product_id": a_product_id(bc), "quantity": quantity}]}).id


def test_an_order_created_from_brightpearl_is_nothing_to_sync_back(
        bc: BigCommerceConnector) -> None:
    order_id = a_brightpearl_order(bc)

    with pytest.raises(NothingToSync) as caught:
        bc.get("sales_order", order_id)

    assert "Brightpearl order 100318" in caught.value.message
    assert bc.order_get(order_id)["external_id"] == "100318"  # still readable as an order


def test_the_payment_of_an_order_created_from_brightpearl_is_nothing_to_sync(
        bc: BigCommerceConnector) -> None:
    order_id = a_brightpearl_order(bc)
    assert bc.transactions_list(order_id)  # the store recorded one for the paid status

    with pytest.raises(NothingToSync):
        bc.get("payment", order_id)


def test_a_storefront_order_is_still_synced(bc: BigCommerceConnector) -> None:
    assert bc.get("sales_order", an_order(bc))["external_source"] is None


def test_updating_an_order_changes_its_status_and_leaves_its_external_id(
        bc: BigCommerceConnector) -> None:
    order_id = a_brightpearl_order(bc)
    lines = [{"product_id": a_product_id(bc), "quantity": 1}]

    bc.upsert("sales_order", {"status_id": 5, "external_id": "100318", "products": lines,
                              "external_source": "Brightpearl"}, external_id=order_id)

    order = bc.order_get(order_id)
    assert (order["status_id"], order["external_id"]) == (5, "100318")


def test_updating_an_order_with_other_lines_is_refused_naming_both(
        bc: BigCommerceConnector) -> None:
    order_id = a_brightpearl_order(bc, quantity=1)
    product_id = a_product_id(bc)

    with pytest.raises(ValidationFailed) as caught:
        bc.upsert("sales_order", {"products": [{"product_id": product_id, "quantity": 4}]},
                  external_id=order_id)

    assert caught.value.field == "products"
    assert f"1 × product {product_id}" in caught.value.message
    assert f"4 × product {product_id}" in caught.value.message
    assert len(bc.order_get(order_id)["products"]) == 1


def test_an_interrupted_create_is_found_by_its_brightpearl_order(
        bc: BigCommerceConnector) -> None:
    order_id = a_brightpearl_order(bc)

    found = bc.find_existing("sales_order", {"external_source": "Brightpearl",
                                             "external_id": "100318"})

    assert found == order_id
    assert bc.find_existing("sales_order", {"external_source": "Brightpearl",
                                            "external_id": "999999"}) is None


def test_an_order_for_a_customer_the_store_lacks_is_validation_failed(
        bc: BigCommerceConnector) -> None:
    with pytest.raises(ValidationFailed) as caught:
        bc.upsert("sales_order", {"customer_id": 987654, "billing_address": BILLING,
                                  "products": [{"product_id": a_product_id(bc),
                                                "quantity": 1}]})
    assert "987654" in caught.value.message
