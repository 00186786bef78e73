"""The Salesforce connector against the sandbox, over real HTTP (no database)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis

from integrations.connectors.base import ConnectionConfig, Token
from integrations.connectors.budget import RateLimit, RequestBudget
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    NotFound,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from integrations.connectors.salesforce import CREDENTIAL_FIELDS, SalesforceConnector
from integrations.connectors.salesforce_auth import authorization_url, exchange_code
from integrations.connectors.salesforce_soql import soql_literal
from tests.sandbox_harness import unique

REDIRECT = "http://localhost:8000/oauth/salesforce/callback"


@pytest.fixture
def org(new_account: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_account("salesforce", seed={"products": 3, "customers": 3, "orders": 2})


def connector_for(org: dict[str, Any], auth_type: str = "oauth2_client_credentials",
                  **kwargs: Any) -> SalesforceConnector:
    creds = org["credentials"]
    config = ConnectionConfig(
        base_url=org["base_url"], account=org["account"], auth_type=auth_type,
        credentials={k: creds[k] for k in CREDENTIAL_FIELDS[auth_type]},
        token=kwargs.pop("token", {}), settings=kwargs.pop("settings", {}))
    return SalesforceConnector(config, **kwargs)


@pytest.fixture
def sf(org: dict[str, Any]) -> SalesforceConnector:
    return connector_for(org)


def budget_for(limit: RateLimit) -> RequestBudget:
    client = redis.Redis.from_url(os.environ["BROKER_URL"])
    return RequestBudget(client, key=f"test:salesforce:{uuid.uuid4().hex}", limit=limit)


def log_in(http: httpx.Client, org: dict[str, Any]) -> str:
    """Fill in Salesforce's login page and allow access, as a user would; → the code."""
    config = ConnectionConfig(base_url=org["base_url"], credentials=org["credentials"])
    url = authorization_url(config, REDIRECT, "st-1")
    page = http.get(url)
    assert page.status_code == 200 and "Log In" in page.text
    hidden = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    answer = http.post(urlsplit(url).path, data={
        **hidden, "username": org["credentials"]["username"],
        "password": org["credentials"]["password"], "action": "allow"})
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def an_account(sf: SalesforceConnector) -> str:
    return sf.upsert("customer", {"Name": unique("Acme ")}).id


def soql(sf: SalesforceConnector, text: str, *values: str) -> list[dict[str, Any]]:
    """Run a query whose ``%s`` placeholders are filled with quoted literals."""
    return sf.query_all(text % tuple(soql_literal(v) for v in values))


def skus(sf: SalesforceConnector) -> list[str]:
    return [r["ProductCode"] for r in sf.query_all("SELECT ProductCode FROM Product2 "
                                                   "ORDER BY ProductCode")]


# --- auth --------------------------------------------------------------------------------------

def test_client_credentials_session_carries_the_instance_url(sf: SalesforceConnector,
                                                               org: dict[str, Any]) -> None:
    sf.test()
    assert sf.token["instance_url"].endswith(f"/instances/{org['account']}")
    assert sf.org_id == org["credentials"]["org_id"]
    assert "expires_at" not in sf.token


def test_password_grant_gets_a_session(org: dict[str, Any]) -> None:
    connector_for(org, auth_type="oauth2_password").test()


def test_wrong_client_secret_is_an_auth_error(org: dict[str, Any]) -> None:
    sf = connector_for(org)
    sf.config.credentials["client_secret"] = "wrong"
    with pytest.raises(AuthError) as caught:
        sf.test()
    assert caught.value.code == "invalid_client"


def test_wrong_password_is_an_auth_error(org: dict[str, Any]) -> None:
    sf = connector_for(org, auth_type="oauth2_password")
    sf.config.credentials["password"] = "wrong"
    with pytest.raises(AuthError) as caught:
        sf.test()
    assert caught.value.code == "invalid_grant"


def test_login_code_is_exchanged_for_a_session_and_refresh_token(
        http: httpx.Client, org: dict[str, Any]) -> None:
    config = ConnectionConfig(base_url=org["base_url"], credentials=org["credentials"])
    token = exchange_code(config, log_in(http, org), REDIRECT)
    assert token["refresh_token"] and token["instance_url"]
    connector_for(org, auth_type="oauth2_code", token=token).test()


def test_a_used_code_is_refused(http: httpx.Client, org: dict[str, Any]) -> None:
    config = ConnectionConfig(base_url=org["base_url"], credentials=org["credentials"])
    code = log_in(http, org)
    exchange_code(config, code, REDIRECT)
    with pytest.raises(AuthError):
        exchange_code(config, code, REDIRECT)


def test_expired_session_is_refreshed_once_then_retried(
        http: httpx.Client, control: Any, org: dict[str, Any]) -> None:
    config = ConnectionConfig(base_url=org["base_url"], credentials=org["credentials"])
    token = exchange_code(config, log_in(http, org), REDIRECT)
    refreshed: list[Token] = []

    def refresher(failed: Token) -> Token:
        refreshed.append(failed)
        return sf.fetch_token()

    sf = connector_for(org, auth_type="oauth2_code", token=token, refresher=refresher)
    sf.test()
    control.expire_tokens("salesforce", org["account"])
    sf.get("customer", an_account(sf))
    assert len(refreshed) == 1 and refreshed[0]["access_token"] == token["access_token"]
    assert sf.token["access_token"] != token["access_token"]
    assert sf.token["refresh_token"] == token["refresh_token"]


def test_session_refused_after_the_refresh_is_an_auth_error(
        control: Any, org: dict[str, Any]) -> None:
    calls: list[Token] = []
    sf = connector_for(org, refresher=lambda t: calls.append(t) or t)
    sf.token = connector_for(org).fetch_token()
    control.expire_tokens("salesforce", org["account"])
    with pytest.raises(AuthError) as caught:
        sf.test()
    assert caught.value.code == "INVALID_SESSION_ID" and len(calls) == 1


def test_ended_session_without_refresh_token_asks_for_a_reconnect(org: dict[str, Any]) -> None:
    with pytest.raises(AuthError):
        connector_for(org, auth_type="oauth2_code").fetch_token()


# --- sObjects ----------------------------------------------------------------------------------

def test_account_upsert_by_external_id_creates_then_updates(sf: SalesforceConnector) -> None:
    key = unique("BP")
    first = sf.upsert("customer", {"Name": "Acme", "ExternalID__c": key})
    second = sf.upsert("customer", {"Name": "Acme Ltd", "ExternalID__c": key})
    assert first.created and not second.created and first.id == second.id
    assert sf.get("customer", first.id)["Name"] == "Acme Ltd"


def test_configured_external_id_field_is_used(org: dict[str, Any]) -> None:
    sf = connector_for(org, settings={"external_id_fields": {"Account": "Brightpearl_Id__c"}})
    key = unique("C")
    result = sf.upsert("customer", {"Name": "Globex", "Brightpearl_Id__c": key})
    assert sf.get("customer", result.id)["Brightpearl_Id__c"] == key


def test_upsert_with_the_linked_salesforce_id_updates(sf: SalesforceConnector) -> None:
    account_id = an_account(sf)
    result = sf.upsert("customer", {"Phone": "+44 20 1"}, external_id=account_id)
    assert result == type(result)(account_id, created=False)
    assert sf.get("customer", account_id)["Phone"] == "+44 20 1"


def test_old_api_versions_answer_updates_without_a_body(org: dict[str, Any]) -> None:
    sf = connector_for(org, settings={"api_version": "v45.0"})
    key = unique("V")
    first = sf.upsert("customer", {"Name": "Initech", "ExternalID__c": key})
    second = sf.upsert("customer", {"Name": "Initech 2", "ExternalID__c": key})
    assert second.id == first.id and not second.created


def test_external_id_matching_several_records_is_validation_failed(
        sf: SalesforceConnector) -> None:
    key = unique("DUP")
    for _ in range(2):
        sf.request("POST", "sobjects/Account", json={"Name": "Twin", "ExternalID__c": key})
    with pytest.raises(ValidationFailed) as caught:
        sf.upsert("customer", {"Name": "Twin", "ExternalID__c": key})
    assert caught.value.status == 300 and caught.value.code == "MULTIPLE_CHOICES"


def test_missing_required_field_is_validation_failed_naming_it(
        sf: SalesforceConnector) -> None:
    with pytest.raises(ValidationFailed) as caught:
        sf.upsert("customer", {"Phone": "1"})
    assert caught.value.field == "Name" and caught.value.code == "REQUIRED_FIELD_MISSING"


def test_bad_picklist_value_is_validation_failed_naming_the_field(
        sf: SalesforceConnector) -> None:
    with pytest.raises(ValidationFailed) as caught:
        sf.upsert("lead", {"LastName": "X", "Company": "Y", "Status": "Maybe"})
    assert caught.value.field == "Status"


def test_missing_record_is_not_found(sf: SalesforceConnector) -> None:
    with pytest.raises(NotFound):
        sf.get("customer", "001000000000000AAA")


def test_deleted_record_is_not_found(sf: SalesforceConnector) -> None:
    account_id = an_account(sf)
    sf.delete("customer", account_id)
    with pytest.raises(NotFound) as caught:
        sf.get("customer", account_id)
    assert caught.value.code == "ENTITY_IS_DELETED"


@pytest.mark.parametrize(("entity", "sobject"), [
    ("contact", "Contact"), ("opportunity", "Opportunity"), ("case", "Case"), ("lead", "Lead"),
    ("inventory", "Inventory__c"), ("shipment", "Shipment__c"), ("payment", "Payment__c"),
])
def test_each_entity_is_written_and_read_back_as_its_sobject(
        sf: SalesforceConnector, entity: str, sobject: str) -> None:
    account_id = an_account(sf)
    product_id = sf.query_all("SELECT Id FROM Product2 LIMIT 1")[0]["Id"]
    order_id = sf.query_all("SELECT Id FROM Order LIMIT 1")[0]["Id"]
    bodies = {
        "contact": {"LastName": "Hopper", "AccountId": account_id},
        "opportunity": {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2025-06-30",
                        "AccountId": account_id},
        "case": {"Subject": "Where is my order?", "AccountId": account_id},
        "lead": {"LastName": "Turing", "Company": "Bletchley"},
        "inventory": {"Product__c": product_id, "Warehouse__c": "MAIN",
                      "Quantity_On_Hand__c": 12},
        "shipment": {"Order__c": order_id, "Tracking_Number__c": "1Z", "Carrier__c": "UPS"},
        "payment": {"Order__c": order_id, "Amount__c": 10.5, "Payment_Method__c": "CARD"},
    }
    key = unique("E")
    result = sf.upsert(entity, {**bodies[entity], "ExternalID__c": key})
    record = sf.get(entity, result.id)
    assert result.created and record["attributes"]["type"] == sobject
    assert record["ExternalID__c"] == key


def test_product_upsert_sets_its_standard_price(sf: SalesforceConnector) -> None:
    key = unique("P")
    product = sf.upsert("product", {"Name": "Lamp", "ProductCode": key, "ExternalID__c": key,
                                    "IsActive": True, "UnitPrice": 20.0})
    sf.upsert("product", {"Name": "Lamp", "ExternalID__c": key, "UnitPrice": 22.5})
    entries = soql(sf, "SELECT UnitPrice FROM PricebookEntry WHERE Product2Id = %s",
                   product.id)
    assert [e["UnitPrice"] for e in entries] == [22.5]


def test_changed_records_are_paged_through_next_records_url(
        control: Any, org: dict[str, Any]) -> None:
    control.limits("salesforce", org["account"], query_min_batch_size=2)
    sf = connector_for(org, settings={"query_batch_size": 2})
    ids: list[str] = []
    page = sf.list_changed("product", since=datetime(2000, 1, 1, tzinfo=UTC))
    pages = 1
    ids += [r["Id"] for r in page.records]
    while page.next_cursor:
        page = sf.list_changed("product", since=None, cursor=page.next_cursor)
        ids += [r["Id"] for r in page.records]
        pages += 1
    assert pages == 2 and len(set(ids)) == 3
    assert all("LastModifiedDate" in r for r in page.records)


def test_only_records_changed_since_are_listed(sf: SalesforceConnector) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    created = {sf.upsert("contact", {"LastName": unique("N")}).id for _ in range(2)}
    assert {r["Id"] for r in sf.list_changed("contact", since=since).records} == created


def test_describe_gives_fields_for_the_mapping_editor(sf: SalesforceConnector) -> None:
    fields = {f["name"]: f for f in sf.describe("customer")["fields"]}
    assert fields["ExternalID__c"]["externalId"] and not fields["Name"]["nillable"]
    assert "Account" in {o["name"] for o in sf.describe_global()}


# --- orders ------------------------------------------------------------------------------------

def test_order_with_lines_by_sku_is_created_in_one_composite(sf: SalesforceConnector) -> None:
    codes = skus(sf)
    key = unique("SO")
    result = sf.upsert("sales_order", {
        "AccountId": an_account(sf), "EffectiveDate": "2025-05-01", "Status": "Draft",
        "ExternalID__c": key, "OrderItems": [
            {"ProductCode": codes[0], "Quantity": 2, "UnitPrice": 10.0},
            {"ProductCode": codes[1], "Quantity": 1, "UnitPrice": 5.0}]})
    order = sf.get("sales_order", result.id)
    assert result.created and order["TotalAmount"] == 25.0
    lines = order["OrderItems"]["records"]
    assert [ln["ExternalID__c"] for ln in lines] == [f"{key}-1", f"{key}-2"]
    assert lines[0]["Product2"]["ProductCode"] == codes[0]


def test_order_upserted_again_updates_its_lines_instead_of_adding(
        sf: SalesforceConnector) -> None:
    codes = skus(sf)
    order = {"AccountId": an_account(sf), "EffectiveDate": "2025-05-01", "Status": "Draft",
             "ExternalID__c": unique("SO"),
             "OrderItems": [{"ProductCode": codes[0], "Quantity": 2, "UnitPrice": 10.0}]}
    first = sf.upsert("sales_order", order)
    order["OrderItems"] = [{"ProductCode": codes[0], "Quantity": 3, "UnitPrice": 10.0},
                           {"ProductCode": codes[2], "Quantity": 1, "UnitPrice": 1.0}]
    second = sf.upsert("sales_order", {**order, "Description": "changed"})
    stored = sf.get("sales_order", first.id)
    assert second.id == first.id and not second.created
    assert [ln["Quantity"] for ln in stored["OrderItems"]["records"]] == [3.0, 1.0]
    assert stored["Description"] == "changed" and stored["TotalAmount"] == 31.0


def test_order_with_an_unknown_sku_is_refused_before_anything_is_written(
        sf: SalesforceConnector) -> None:
    key = unique("SO")
    with pytest.raises(ValidationFailed) as caught:
        sf.upsert("sales_order", {
            "AccountId": an_account(sf), "EffectiveDate": "2025-05-01", "Status": "Draft",
            "ExternalID__c": key,
            "OrderItems": [{"ProductCode": "NO-SUCH-SKU", "Quantity": 1, "UnitPrice": 1}]})
    assert caught.value.field == "OrderItems[0].ProductCode"
    assert soql(sf, "SELECT Id FROM Order WHERE ExternalID__c = %s", key) == []


def test_a_bad_line_rolls_back_the_whole_order(sf: SalesforceConnector) -> None:
    key = unique("SO")
    with pytest.raises(ValidationFailed) as caught:
        sf.upsert("sales_order", {
            "AccountId": an_account(sf), "EffectiveDate": "2025-05-01", "Status": "Draft",
            "ExternalID__c": key,
            "OrderItems": [{"ProductCode": skus(sf)[0], "Quantity": 1, "UnitPrice": 1},
                           {"ProductCode": skus(sf)[1], "Quantity": 1}]})
    assert caught.value.field == "UnitPrice" and "line1" in caught.value.message
    assert soql(sf, "SELECT Id FROM Order WHERE ExternalID__c = %s", key) == []


def test_order_with_more_lines_than_one_composite_holds_is_written_whole(
        sf: SalesforceConnector) -> None:
    codes = skus(sf)
    lines = [{"ProductCode": codes[i % 3], "Quantity": 1, "UnitPrice": 2.0} for i in range(30)]
    result = sf.upsert("sales_order", {
        "AccountId": an_account(sf), "EffectiveDate": "2025-05-01", "Status": "Draft",
        "ExternalID__c": unique("BIG"), "OrderItems": lines})
    order = sf.get("sales_order", result.id)
    assert order["OrderItems"]["totalSize"] == 30 and order["TotalAmount"] == 60.0


def test_price_book_entry_updated_by_id_leaves_out_its_create_only_fields(
        sf: SalesforceConnector) -> None:
    product = sf.upsert("product", {"Name": unique("Lamp "), "Brightpearl_Id__c": unique("p")})
    entry = {"Pricebook2Id": sf.standard_pricebook_id(),
             "Product2": {"Brightpearl_Id__c": sf.get("product", product.id)[
                 "Brightpearl_Id__c"]}, "UnitPrice": 39.95, "IsActive": True}
    created = sf.upsert("price_book_entry", entry)
    # The same mapped record again, with a new price: Salesforce refuses an update that
    # names the price book or product, so they are not sent.
    sf.upsert("price_book_entry", {**entry, "UnitPrice": 25.0}, external_id=created.id)
    stored = sf.get("price_book_entry", created.id)
    assert (stored["UnitPrice"], stored["Product2Id"]) == (25.0, product.id)


# --- opportunities ------------------------------------------------------------------------------

def test_opportunity_is_read_with_its_account_and_line_items(sf: SalesforceConnector) -> None:
    account = sf.upsert("customer", {"Name": unique("Won "), "BillingCountry": "Ireland",
                                     "Brightpearl_Id__c": unique("bp")}).id
    opportunity = sf.upsert("opportunity", {"Name": "Deal", "StageName": "Prospecting",
                                            "CloseDate": "2025-06-30", "AccountId": account}).id
    entries = soql(sf, "SELECT Id, ProductCode FROM PricebookEntry WHERE Pricebook2Id = %s "
                   "ORDER BY ProductCode", sf.standard_pricebook_id())
    for quantity, (price, entry) in enumerate(zip((30, 12.5), entries, strict=False), start=2):
        sf.upsert("opportunity_line_item", {"OpportunityId": opportunity, "Quantity": quantity,
                                            "PricebookEntryId": entry["Id"],
                                            "TotalPrice": price})
    record = sf.get("opportunity", opportunity)
    assert (record["Name"], record["Amount"]) == ("Deal", 42.5)
    assert record["Account"]["BillingCountry"] == "Ireland"
    assert record["Account"]["Brightpearl_Id__c"].startswith("bp")
    lines = record["OpportunityLineItems"]
    assert (lines["totalSize"], lines["done"]) == (2, True)
    assert [(ln["Quantity"], ln["UnitPrice"], ln["TotalPrice"],
             ln["PricebookEntry"]["Product2"]["ProductCode"]) for ln in lines["records"]] == [
        (2.0, 15.0, 30.0, entries[0]["ProductCode"]),
        (3.0, round(12.5 / 3, 2), 12.5, entries[1]["ProductCode"])]


def test_opportunity_without_products_has_no_line_items(sf: SalesforceConnector) -> None:
    opportunity = sf.upsert("opportunity", {"Name": "Empty", "StageName": "Prospecting",
                                            "CloseDate": "2025-06-30"}).id
    record = sf.get("opportunity", opportunity)
    assert (record["OpportunityLineItems"], record["Account"]) == (None, None)


# --- faults and limits -------------------------------------------------------------------------

def test_server_error_is_transient(control: Any, sf: SalesforceConnector,
                                   org: dict[str, Any]) -> None:
    sf.test()
    control.faults("salesforce", org["account"], error_5xx_rate=1.0)
    with pytest.raises(TransientError) as caught:
        sf.test()
    assert caught.value.code == "UNKNOWN_EXCEPTION"


def test_request_limit_answer_is_rate_limited_and_holds_the_budget(
        control: Any, org: dict[str, Any]) -> None:
    budget = budget_for(RateLimit(100_000, 86_400))
    sf = connector_for(org, budget=budget)
    sf.test()
    control.faults("salesforce", org["account"], rate_limit_rate=1.0)
    with pytest.raises(RateLimited) as caught:
        sf.test()
    assert caught.value.wait_s == 900 and caught.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert budget.try_acquire() > 800


def test_spent_daily_allowance_is_rate_limited(control: Any, org: dict[str, Any]) -> None:
    control.limits("salesforce", org["account"], daily_api_requests=2)
    sf = connector_for(org)
    sf.test()
    sf.test()
    assert sf.api_usage == (2, 2)
    with pytest.raises(RateLimited):
        sf.test()


def test_hanging_request_times_out_as_transient(control: Any, org: dict[str, Any]) -> None:
    sf = connector_for(org, timeout=(1, 1))
    sf.test()
    control.faults("salesforce", org["account"], hang_rate=1.0)
    with pytest.raises(TransientError):
        sf.test()


def test_dropped_connection_is_transient(control: Any, sf: SalesforceConnector,
                                         org: dict[str, Any]) -> None:
    sf.test()
    control.faults("salesforce", org["account"], drop_rate=1.0)
    with pytest.raises(TransientError):
        sf.test()


def test_malformed_body_is_transient(control: Any, sf: SalesforceConnector,
                                     org: dict[str, Any]) -> None:
    account_id = an_account(sf)
    control.faults("salesforce", org["account"], malformed_rate=1.0)
    with pytest.raises(TransientError):
        sf.get("customer", account_id)


def test_budget_keeps_a_burst_under_a_low_sandbox_limit(
        control: Any, org: dict[str, Any]) -> None:
    control.limits("salesforce", org["account"], daily_api_requests=20)
    sf = connector_for(org, budget=budget_for(RateLimit(20, 86_400)))
    with pytest.raises(RateLimited) as caught:
        for _ in range(25):
            sf.test()
    assert "budget" in caught.value.message
    assert sf.api_usage is not None and sf.api_usage[0] < 20


# --- outbound messages -------------------------------------------------------------------------

def outbound_to(http: httpx.Client, org: dict[str, Any], url: str, sobject: str) -> None:
    """What the customer does in Setup (the sandbox's stand-in for it)."""
    answer = http.post(f"/salesforce/instances/{org['account']}/_setup/outbound-messages",
                       json={"object": sobject, "endpointUrl": url,
                             "fields": ["Id", "Name", "CreatedDate", "LastModifiedDate"]})
    assert answer.status_code == 201


def test_outbound_messages_parse_into_events_and_are_acknowledged(
        http: httpx.Client, control: Any, org: dict[str, Any], sf: SalesforceConnector,
        webhook_receiver: Any) -> None:
    body, content_type = SalesforceConnector.webhook_ack()
    webhook_receiver.response_body, webhook_receiver.response_content_type = body, content_type
    outbound_to(http, org, webhook_receiver.url, "Account")
    account_id = an_account(sf)
    first = webhook_receiver.wait_for(1)[0]
    sf.upsert("customer", {"Phone": "1"}, external_id=account_id)
    second = webhook_receiver.wait_for(2)[1]
    events = [e for r in (first, second)
              for e in SalesforceConnector.webhook_parse(headers=r.headers, body=r.body)]
    assert [(e.entity, e.external_id, e.event_type) for e in events] == [
        ("customer", account_id, "Account.created"), ("customer", account_id, "Account.updated")]
    assert sf.webhook_verify(headers=first.headers, body=first.body)
    control.wait_for_deliveries("salesforce", org["account"], 2, status="delivered")


def test_unacknowledged_outbound_message_is_sent_again(
        http: httpx.Client, org: dict[str, Any], sf: SalesforceConnector,
        webhook_receiver: Any) -> None:
    outbound_to(http, org, webhook_receiver.url, "Contact")
    sf.upsert("contact", {"LastName": "Noack"})
    retried = webhook_receiver.wait_for(2)
    assert retried[0].body == retried[1].body


def test_outbound_message_from_another_org_is_not_verified(
        http: httpx.Client, new_account: Callable[..., dict[str, Any]],
        org: dict[str, Any], webhook_receiver: Any) -> None:
    other = new_account("salesforce")
    outbound_to(http, other, webhook_receiver.url, "Lead")
    connector_for(other).upsert("lead", {"LastName": "Spy", "Company": "Elsewhere"})
    delivered = webhook_receiver.wait_for(1)[0]
    ours = connector_for(org)
    ours.test()
    assert not ours.webhook_verify(headers=delivered.headers, body=delivered.body)


def test_registering_outbound_messages_explains_the_setup_step(
        sf: SalesforceConnector) -> None:
    with pytest.raises(ConfigurationError) as caught:
        sf.webhook_register(event="customer", url="https://x.example/hooks/1", secret="s")
    assert "Setup" in caught.value.message and "Account" in caught.value.message


def test_a_body_that_is_not_an_outbound_message_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        SalesforceConnector.webhook_parse(headers={}, body=b"<html/>")
