"""Salesforce sandbox over real HTTP: OAuth, sObjects, upsert, describe, SOQL paging, composite,
limits, faults and Outbound Messages."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # the sandbox's own output, not untrusted input
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sandbox_harness import SandboxControl, WebhookReceiver, unique

API = "/services/data/v60.0"
ACK = (b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
       b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
       b'<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack>'
       b"</notificationsResponse></soapenv:Body></soapenv:Envelope>")


@pytest.fixture
def org(new_account: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_account("salesforce", seed={"products": 3, "customers": 3, "orders": 3})


def _token(http: httpx.Client, creds: dict[str, Any], **extra: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": creds["client_id"],
            "client_secret": creds["client_secret"], **extra}
    return http.post("/salesforce/services/oauth2/token", data=form)


@pytest.fixture
def sf(http: httpx.Client, org: dict[str, Any]) -> Iterator[httpx.Client]:
    token = _token(http, org["credentials"]).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with httpx.Client(base_url=token["instance_url"] + API, headers=headers,
                      timeout=10) as client:
        yield client


def _create(sf: httpx.Client, sobject: str, body: dict[str, Any]) -> str:
    response = sf.post(f"/sobjects/{sobject}", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["success"] is True
    return response.json()["id"]


def _query(sf: httpx.Client, soql: str, **headers: str) -> httpx.Response:
    return sf.get("/query", params={"q": soql}, headers=headers)


def _standard_book(sf: httpx.Client) -> str:
    return _query(sf, "SELECT Id FROM Pricebook2 WHERE IsStandard = true").json()[
        "records"][0]["Id"]


# -- auth ----------------------------------------------------------------------------------------

def test_client_credentials_token_has_instance_url_and_no_expires_in(
    http: httpx.Client, org: dict[str, Any]
) -> None:
    body = _token(http, org["credentials"]).json()
    assert body["instance_url"].endswith(f"/salesforce/instances/{org['account']}")
    assert body["token_type"] == "Bearer" and body["signature"] and body["issued_at"]
    assert body["id"].split("/")[-2] == org["credentials"]["org_id"]
    assert "expires_in" not in body


def test_authorization_code_flow_then_refresh(http: httpx.Client, org: dict[str, Any]) -> None:
    creds = org["credentials"]
    params = {"response_type": "code", "client_id": creds["client_id"],
              "redirect_uri": creds["redirect_uri"], "state": "xyz"}
    page = http.get("/salesforce/services/oauth2/authorize", params=params)
    assert page.status_code == 200 and 'name="password"' in page.text
    login = http.post("/salesforce/services/oauth2/authorize", data={
        **params, "username": creds["username"], "password": creds["password"],
        "action": "allow"})
    assert login.status_code == 302
    query = parse_qs(urlsplit(login.headers["location"]).query)
    assert query["state"] == ["xyz"]
    tokens = http.post("/salesforce/services/oauth2/token", data={
        "grant_type": "authorization_code", "code": query["code"][0],
        "client_id": creds["client_id"], "client_secret": creds["client_secret"],
        "redirect_uri": creds["redirect_uri"]}).json()
    assert tokens["refresh_token"]
    refreshed = http.post("/salesforce/services/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": creds["client_id"], "client_secret": creds["client_secret"]})
    assert refreshed.status_code == 200
    new_token = refreshed.json()["access_token"]
    assert new_token != tokens["access_token"] and "refresh_token" not in refreshed.json()
    api = http.get(refreshed.json()["instance_url"] + API + "/limits",
                   headers={"Authorization": f"Bearer {new_token}"})
    assert api.status_code == 200


def test_wrong_password_on_login_page_does_not_redirect(http: httpx.Client,
                                                        org: dict[str, Any]) -> None:
    creds = org["credentials"]
    response = http.post("/salesforce/services/oauth2/authorize", data={
        "response_type": "code", "client_id": creds["client_id"],
        "redirect_uri": creds["redirect_uri"], "username": creds["username"],
        "password": "wrong", "action": "allow"})
    assert response.status_code == 200 and "check your username and password" in response.text


def test_wrong_client_secret_gets_invalid_client(http: httpx.Client, org: dict[str, Any]) -> None:
    response = _token(http, {**org["credentials"], "client_secret": "nope"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_unknown_refresh_token_gets_invalid_grant(http: httpx.Client, org: dict[str, Any]) -> None:
    response = http.post("/salesforce/services/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": "bogus",
        "client_id": org["credentials"]["client_id"],
        "client_secret": org["credentials"]["client_secret"]})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant",
                               "error_description": "expired access/refresh token"}


def test_invalid_session_gets_401_invalid_session_id(sf: httpx.Client) -> None:
    response = sf.get("/limits", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid",
                                "errorCode": "INVALID_SESSION_ID"}]


def test_expired_session_gets_401_and_a_new_token_works(
    sf: httpx.Client, http: httpx.Client, control: SandboxControl, org: dict[str, Any]
) -> None:
    control.expire_tokens("salesforce", org["account"])
    assert sf.get("/limits").status_code == 401
    fresh = _token(http, org["credentials"]).json()["access_token"]
    assert sf.get("/limits", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


# -- sObjects ------------------------------------------------------------------------------------

def _bodies(sf: httpx.Client) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """sObject -> (create body, patch body), with the references they need."""
    account = _create(sf, "Account", {"Name": unique("Acct ")})
    product = _create(sf, "Product2", {"Name": unique("Prod "), "ProductCode": unique("SKU")})
    book = _standard_book(sf)
    entry = _create(sf, "PricebookEntry", {"Pricebook2Id": book, "Product2Id": product,
                                           "UnitPrice": 10.0, "IsActive": True})
    order = _create(sf, "Order", {"AccountId": account, "EffectiveDate": "2025-06-01",
                                  "Status": "Draft", "Pricebook2Id": book})
    product2 = _create(sf, "Product2", {"Name": unique("Prod ")})
    opportunity = _create(sf, "Opportunity", {"Name": unique("Deal "), "StageName": "Prospecting",
                                              "CloseDate": "2025-07-01"})
    return {
        "Account": ({"Name": unique("A ")}, {"Phone": "+44 20 7946 0000"}),
        "Contact": ({"LastName": "Lovelace", "AccountId": account}, {"Email": "a@example.com"}),
        "Lead": ({"LastName": "Hopper", "Company": "Navy"}, {"Status": "Working - Contacted"}),
        "Product2": ({"Name": unique("P ")}, {"AvailableStock__c": 42}),
        "Pricebook2": ({"Name": unique("Book ")}, {"IsActive": True}),
        "PricebookEntry": ({"Pricebook2Id": book, "Product2Id": product2, "UnitPrice": 5},
                           {"UnitPrice": 6}),
        "Opportunity": ({"Name": unique("O "), "StageName": "Prospecting",
                         "CloseDate": "2025-07-01"}, {"StageName": "Closed Won"}),
        "Order": ({"AccountId": account, "EffectiveDate": "2025-06-01", "Status": "Draft"},
                  {"Status": "Activated"}),
        "OrderItem": ({"OrderId": order, "PricebookEntryId": entry, "Quantity": 2,
                       "UnitPrice": 10}, {"Quantity": 3}),
        "OpportunityLineItem": ({"OpportunityId": opportunity, "PricebookEntryId": entry,
                                 "Quantity": 2, "UnitPrice": 10}, {"Quantity": 3}),
        "Case": ({"Subject": "Late parcel", "AccountId": account}, {"Status": "Closed"}),
        "Inventory__c": ({"Product__c": product, "Quantity_On_Hand__c": 5},
                         {"Quantity_On_Hand__c": 7}),
        "Shipment__c": ({"Order__c": order, "Tracking_Number__c": "1Z1"},
                        {"Status__c": "Shipped"}),
        "Payment__c": ({"Order__c": order, "Amount__c": 20.0}, {"Amount__c": 25.0}),
    }


SOBJECT_NAMES = ["Account", "Contact", "Lead", "Product2", "Pricebook2", "PricebookEntry",
                 "Opportunity", "OpportunityLineItem", "Order", "OrderItem", "Case",
                 "Inventory__c", "Shipment__c", "Payment__c"]


@pytest.mark.parametrize("sobject", SOBJECT_NAMES)
def test_sobject_create_get_and_patch(sf: httpx.Client, sobject: str) -> None:
    create, patch = _bodies(sf)[sobject]
    record_id = _create(sf, sobject, create)
    fetched = sf.get(f"/sobjects/{sobject}/{record_id}").json()
    assert fetched["attributes"]["type"] == sobject and fetched["Id"] == record_id
    assert sf.patch(f"/sobjects/{sobject}/{record_id}", json=patch).status_code == 204
    after = sf.get(f"/sobjects/{sobject}/{record_id[:15]}").json()
    for name, value in patch.items():
        assert after[name] == value
    assert after["LastModifiedDate"] >= fetched["LastModifiedDate"]


def test_ids_have_key_prefixes_and_18_characters(sf: httpx.Client) -> None:
    record_id = _create(sf, "Contact", {"LastName": "Turing"})
    assert record_id.startswith("003") and len(record_id) == 18


def test_missing_required_field_gets_required_field_missing(sf: httpx.Client) -> None:
    response = sf.post("/sobjects/Opportunity", json={"Name": "No stage"})
    assert response.status_code == 400
    error = response.json()[0]
    assert error["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(error["fields"]) == {"StageName", "CloseDate"}


def test_unknown_field_gets_invalid_field(sf: httpx.Client) -> None:
    response = sf.post("/sobjects/Account", json={"Name": "X", "Colour__c": "red"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"


def test_wrong_type_gets_json_parser_error(sf: httpx.Client) -> None:
    response = sf.post("/sobjects/Account", json={"Name": "X", "AnnualRevenue": "lots"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_bad_picklist_value_is_refused(sf: httpx.Client) -> None:
    response = sf.post("/sobjects/Opportunity", json={"Name": "X", "StageName": "Won-ish",
                                                      "CloseDate": "2025-01-01"})
    assert response.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_unknown_id_gets_not_found(sf: httpx.Client) -> None:
    response = sf.get("/sobjects/Account/001000000000000AAA")
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_deleted_record_is_gone_but_visible_to_query_all(sf: httpx.Client) -> None:
    record_id = _create(sf, "Account", {"Name": unique("Gone ")})
    assert sf.delete(f"/sobjects/Account/{record_id}").status_code == 204
    assert sf.get(f"/sobjects/Account/{record_id}").json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{record_id}'"  # noqa: S608
    assert _query(sf, soql).json()["totalSize"] == 0
    every = sf.get("/queryAll", params={"q": soql}).json()
    assert every["records"][0]["IsDeleted"] is True


def test_upsert_by_external_id_creates_then_updates(sf: httpx.Client) -> None:
    key = unique("BP")
    created = sf.patch(f"/sobjects/Account/Brightpearl_Id__c/{key}", json={"Name": "Upserted"})
    assert created.status_code == 201 and created.json()["created"] is True
    updated = sf.patch(f"/sobjects/Account/Brightpearl_Id__c/{key}", json={"Name": "Again"})
    assert updated.status_code == 200
    assert updated.json() == {"id": created.json()["id"], "success": True, "errors": [],
                              "created": False}
    fetched = sf.get(f"/sobjects/Account/Brightpearl_Id__c/{key}").json()
    assert fetched["Name"] == "Again"


def test_upsert_update_answers_204_before_api_46(sf: httpx.Client) -> None:
    key = unique("BP")
    url = str(sf.base_url).replace("v60.0", "v45.0") + f"/sobjects/Contact/Brightpearl_Id__c/{key}"
    assert sf.patch(url, json={"LastName": "Old"}).status_code == 201
    assert sf.patch(url, json={"LastName": "Older"}).status_code == 204


def test_upsert_with_multiple_matches_gets_300(sf: httpx.Client) -> None:
    key = unique("EXT")
    first = _create(sf, "Contact", {"LastName": "One", "ExternalID__c": key})
    second = _create(sf, "Contact", {"LastName": "Two", "ExternalID__c": key})
    response = sf.patch(f"/sobjects/Contact/ExternalID__c/{key}", json={"LastName": "Both"})
    assert response.status_code == 300
    assert {url.rsplit("/", 1)[1] for url in response.json()} == {first, second}


def test_duplicate_unique_external_id_gets_duplicate_value(sf: httpx.Client) -> None:
    key = unique("BP")
    _create(sf, "Product2", {"Name": "A", "Brightpearl_Id__c": key})
    response = sf.post("/sobjects/Product2", json={"Name": "B", "Brightpearl_Id__c": key})
    assert response.json()[0]["errorCode"] == "DUPLICATE_VALUE"


def test_lookup_can_be_set_through_parent_external_id(sf: httpx.Client) -> None:
    key = unique("BP")
    account = _create(sf, "Account", {"Name": "Parent", "Brightpearl_Id__c": key})
    contact = _create(sf, "Contact", {"LastName": "Child",
                                      "Account": {"Brightpearl_Id__c": key}})
    assert sf.get(f"/sobjects/Contact/{contact}").json()["AccountId"] == account


def test_describe_tells_types_required_fields_and_external_ids(sf: httpx.Client) -> None:
    describe = sf.get("/sobjects/Order/describe").json()
    fields = {f["name"]: f for f in describe["fields"]}
    assert describe["keyPrefix"] == "801"
    required = {n for n, f in fields.items()
                if f["createable"] and not f["nillable"] and not f["defaultedOnCreate"]}
    assert required == {"AccountId", "EffectiveDate", "Status"}
    assert fields["Brightpearl_Id__c"]["externalId"] is True
    assert fields["EffectiveDate"]["type"] == "date"
    assert "Draft" in [p["value"] for p in fields["Status"]["picklistValues"]]


def test_order_items_roll_up_into_order_total(sf: httpx.Client) -> None:
    bodies = _bodies(sf)
    order = _create(sf, "Order", bodies["Order"][0] | {"Pricebook2Id": _standard_book(sf)})
    entry = bodies["OrderItem"][0]["PricebookEntryId"]
    _create(sf, "OrderItem", {"OrderId": order, "PricebookEntryId": entry, "Quantity": 2,
                              "UnitPrice": 12.5})
    _create(sf, "OrderItem", {"OrderId": order, "PricebookEntryId": entry, "Quantity": 1,
                              "UnitPrice": 5})
    assert sf.get(f"/sobjects/Order/{order}").json()["TotalAmount"] == 30.0


def test_order_item_needs_the_orders_price_book(sf: httpx.Client) -> None:
    bodies = _bodies(sf)
    order = _create(sf, "Order", bodies["Order"][0])
    response = sf.post("/sobjects/OrderItem", json={
        "OrderId": order, "PricebookEntryId": bodies["OrderItem"][0]["PricebookEntryId"],
        "Quantity": 1, "UnitPrice": 1})
    assert response.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def _opportunity_with_entry(sf: httpx.Client) -> tuple[str, str, str]:
    """(a new opportunity without a price book, an active standard entry, its product)."""
    bodies = _bodies(sf)
    entry = bodies["OrderItem"][0]["PricebookEntryId"]
    product = sf.get(f"/sobjects/PricebookEntry/{entry}").json()["Product2Id"]
    opportunity = _create(sf, "Opportunity", {"Name": unique("Deal "),
                                              "StageName": "Prospecting",
                                              "CloseDate": "2025-07-01", "Amount": 1})
    return opportunity, entry, product


def test_opportunity_line_gets_product_prices_and_sets_the_price_book_and_amount(
        sf: httpx.Client) -> None:
    opportunity, entry, product = _opportunity_with_entry(sf)
    by_total = _create(sf, "OpportunityLineItem", {"OpportunityId": opportunity,
                                                   "PricebookEntryId": entry, "Quantity": 4,
                                                   "TotalPrice": 100})
    _create(sf, "OpportunityLineItem", {"OpportunityId": opportunity,
                                        "PricebookEntryId": entry, "Quantity": 3,
                                        "UnitPrice": 2.5})
    line = sf.get(f"/sobjects/OpportunityLineItem/{by_total}").json()
    assert (line["Product2Id"], line["UnitPrice"], line["TotalPrice"], line["ListPrice"],
            line["Subtotal"]) == (product, 25.0, 100.0, 10.0, 100.0)
    after = sf.get(f"/sobjects/Opportunity/{opportunity}").json()
    assert after["Pricebook2Id"] == _standard_book(sf)
    assert (after["Amount"], after["HasOpportunityLineItem"]) == (107.5, True)
    # A new quantity keeps the sales price; the total and the opportunity follow.
    assert sf.patch(f"/sobjects/OpportunityLineItem/{by_total}",
                    json={"Quantity": 2}).status_code == 204
    assert sf.get(f"/sobjects/OpportunityLineItem/{by_total}").json()["TotalPrice"] == 50.0
    assert sf.get(f"/sobjects/Opportunity/{opportunity}").json()["Amount"] == 57.5


@pytest.mark.parametrize(("prices", "fields"), [
    ({"UnitPrice": 1, "TotalPrice": 4}, ["TotalPrice"]),
    ({}, ["UnitPrice"]),
])
def test_opportunity_line_takes_unit_price_or_total_price(sf: httpx.Client,
                                                          prices: dict[str, Any],
                                                          fields: list[str]) -> None:
    opportunity, entry, _ = _opportunity_with_entry(sf)
    response = sf.post("/sobjects/OpportunityLineItem", json={
        "OpportunityId": opportunity, "PricebookEntryId": entry, "Quantity": 4, **prices})
    assert response.status_code == 400
    assert (response.json()[0]["errorCode"], response.json()[0]["fields"]) == (
        "FIELD_INTEGRITY_EXCEPTION", fields)


def test_opportunity_line_needs_the_opportunitys_price_book(sf: httpx.Client) -> None:
    opportunity, entry, _ = _opportunity_with_entry(sf)
    other_book = _create(sf, "Pricebook2", {"Name": unique("Trade "), "IsActive": True})
    assert sf.patch(f"/sobjects/Opportunity/{opportunity}",
                    json={"Pricebook2Id": other_book}).status_code == 204
    response = sf.post("/sobjects/OpportunityLineItem", json={
        "OpportunityId": opportunity, "PricebookEntryId": entry, "Quantity": 1,
        "UnitPrice": 1})
    assert response.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert response.json()[0]["fields"] == ["PricebookEntryId"]


def test_soql_opportunity_with_its_line_items_as_a_child_relationship(sf: httpx.Client) -> None:
    opportunity, entry, product = _opportunity_with_entry(sf)
    empty = _create(sf, "Opportunity", {"Name": unique("Empty "), "StageName": "Prospecting",
                                        "CloseDate": "2025-07-01"})
    _create(sf, "OpportunityLineItem", {"OpportunityId": opportunity, "PricebookEntryId": entry,
                                        "Quantity": 4, "TotalPrice": 100})
    code = sf.get(f"/sobjects/Product2/{product}").json()["ProductCode"]
    soql = ("SELECT Id, Amount, (SELECT Quantity, TotalPrice, "  # noqa: S608
            "PricebookEntry.Product2.ProductCode FROM OpportunityLineItems ORDER BY SortOrder) "
            f"FROM Opportunity WHERE Id IN ('{opportunity}', '{empty}') ORDER BY Name")
    records = {r["Id"]: r for r in _query(sf, soql).json()["records"]}
    lines = records[opportunity]["OpportunityLineItems"]
    assert (lines["totalSize"], lines["done"]) == (1, True)
    (line,) = lines["records"]
    assert line["attributes"]["type"] == "OpportunityLineItem"
    assert (line["Quantity"], line["TotalPrice"],
            line["PricebookEntry"]["Product2"]["ProductCode"]) == (4.0, 100.0, code)
    assert records[empty]["OpportunityLineItems"] is None


def test_updated_resource_lists_changed_ids(sf: httpx.Client) -> None:
    start = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    end = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    record_id = _create(sf, "Product2", {"Name": unique("New ")})
    body = sf.get("/sobjects/Product2/updated/", params={"start": start, "end": end}).json()
    assert body["ids"] == [record_id]


# -- SOQL ----------------------------------------------------------------------------------------

def test_soql_filters_orders_and_limits(sf: httpx.Client) -> None:
    for name, revenue in (("Zeta", 10), ("Alpha", 30), ("Beta", 20)):
        _create(sf, "Account", {"Name": f"{name} Q", "AnnualRevenue": revenue,
                                "Industry": "Apparel"})
    body = _query(sf, "SELECT Name, AnnualRevenue FROM Account WHERE Industry = 'Apparel' AND "
                      "(AnnualRevenue >= 20 OR Name LIKE 'Zet%') ORDER BY Name DESC LIMIT 2"
                  ).json()
    assert [r["Name"] for r in body["records"]] == ["Zeta Q", "Beta Q"]
    assert body["done"] is True and body["totalSize"] == 2


def test_soql_last_modified_since_finds_new_records(sf: httpx.Client) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record_id = _create(sf, "Contact", {"LastName": "Fresh"})
    soql = f"SELECT Id, LastName, Account.Name FROM Contact WHERE LastModifiedDate > {since}"  # noqa: S608
    body = _query(sf, soql).json()
    assert [r["Id"] for r in body["records"]] == [record_id]
    assert body["records"][0]["Account"] is None


def test_soql_child_subquery_nests_records(sf: httpx.Client) -> None:
    body = _query(sf, "SELECT Id, (SELECT Quantity FROM OrderItems) FROM Order LIMIT 1").json()
    assert body["records"][0]["OrderItems"]["records"][0]["Quantity"] > 0


def test_soql_quoted_datetime_is_malformed_query(sf: httpx.Client) -> None:
    response = _query(sf, "SELECT Id FROM Account WHERE LastModifiedDate > '2024-01-01'")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_soql_unknown_field_and_object_errors(sf: httpx.Client) -> None:
    assert _query(sf, "SELECT Nope FROM Account").json()[0]["errorCode"] == "INVALID_FIELD"
    assert _query(sf, "SELECT Id FROM Nope").json()[0]["errorCode"] == "INVALID_TYPE"
    assert _query(sf, "SELECT FROM Account").json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_soql_count(sf: httpx.Client) -> None:
    body = _query(sf, "SELECT COUNT() FROM Product2").json()
    assert body == {"totalSize": 3, "done": True, "records": []}


def test_query_pages_with_next_records_url(sf: httpx.Client, control: SandboxControl,
                                           org: dict[str, Any]) -> None:
    control.limits("salesforce", org["account"], query_min_batch_size=1)
    first = _query(sf, "SELECT Id FROM Account ORDER BY Name", **{
        "Sforce-Query-Options": "batchSize=2"}).json()
    assert first["totalSize"] == 3 and first["done"] is False and len(first["records"]) == 2
    instance = str(sf.base_url).split("/services/data")[0]
    second = sf.get(instance + first["nextRecordsUrl"]).json()
    assert second["done"] is True and "nextRecordsUrl" not in second
    ids = [r["Id"] for r in first["records"] + second["records"]]
    assert len(set(ids)) == 3


def test_batch_size_below_200_is_raised_to_200(sf: httpx.Client) -> None:
    body = _query(sf, "SELECT Id FROM Account", **{"Sforce-Query-Options": "batchSize=2"}).json()
    assert body["done"] is True and len(body["records"]) == 3


# -- composite -----------------------------------------------------------------------------------

def test_composite_with_references(sf: httpx.Client) -> None:
    response = sf.post("/composite", json={"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": f"{API}/sobjects/Account", "referenceId": "acct",
         "body": {"Name": unique("Comp ")}},
        {"method": "POST", "url": f"{API}/sobjects/Contact", "referenceId": "ct",
         "body": {"LastName": "Ref", "AccountId": "@{acct.id}"}},
        {"method": "GET", "url": f"{API}/sobjects/Contact/@{{ct.id}}?fields=AccountId",
         "referenceId": "read"},
    ]})
    assert response.status_code == 200
    results = response.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 201, 200]
    assert results[2]["body"]["AccountId"] == results[0]["body"]["id"]


def test_composite_all_or_none_rolls_back(sf: httpx.Client) -> None:
    name = unique("Rollback ")
    response = sf.post("/composite", json={"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": f"{API}/sobjects/Account", "referenceId": "ok",
         "body": {"Name": name}},
        {"method": "POST", "url": f"{API}/sobjects/Contact", "referenceId": "bad",
         "body": {"FirstName": "No last name"}},
    ]})
    results = response.json()["compositeResponse"]
    assert results[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert results[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    soql = f"SELECT Id FROM Account WHERE Name = '{name}'"  # noqa: S608
    assert _query(sf, soql).json()["totalSize"] == 0


def test_composite_over_25_subrequests_is_refused(sf: httpx.Client) -> None:
    subrequests = [{"method": "GET", "url": f"{API}/limits", "referenceId": f"r{i}"}
                   for i in range(26)]
    response = sf.post("/composite", json={"compositeRequest": subrequests})
    assert response.status_code == 400


def test_sobject_collection_creates_records(sf: httpx.Client) -> None:
    records = [{"attributes": {"type": "Account"}, "Name": unique("Coll ")} for _ in range(3)]
    response = sf.post("/composite/sobjects", json={"allOrNone": False, "records": records})
    assert response.status_code == 200
    assert all(r["success"] for r in response.json())


# -- limits and faults ---------------------------------------------------------------------------

def test_limit_info_header_counts_api_usage(sf: httpx.Client) -> None:
    first = sf.get("/limits").headers["Sforce-Limit-Info"]
    second = sf.get("/limits").headers["Sforce-Limit-Info"]
    used_first = int(first.split("=")[1].split("/")[0])
    assert second == f"api-usage={used_first + 1}/15000"


def test_daily_limit_exceeded_gets_403(sf: httpx.Client, control: SandboxControl,
                                       org: dict[str, Any]) -> None:
    control.limits("salesforce", org["account"], daily_api_requests=2)
    assert [sf.get("/limits").status_code for _ in range(3)] == [200, 200, 403]
    response = sf.get("/limits")
    assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert response.headers["Sforce-Limit-Info"] == "api-usage=2/2"


def test_fault_5xx_answers_unknown_exception(sf: httpx.Client, control: SandboxControl,
                                             org: dict[str, Any]) -> None:
    control.faults("salesforce", org["account"], error_5xx_rate=1.0)
    response = sf.get("/limits")
    assert response.status_code == 500
    assert response.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"


def test_fault_rate_limit_answers_request_limit_exceeded(
    sf: httpx.Client, control: SandboxControl, org: dict[str, Any]
) -> None:
    control.faults("salesforce", org["account"], rate_limit_rate=1.0)
    response = sf.get("/limits")
    assert response.status_code == 403
    assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_fault_malformed_body(sf: httpx.Client, control: SandboxControl,
                              org: dict[str, Any]) -> None:
    control.faults("salesforce", org["account"], malformed_rate=1.0)
    with pytest.raises(ValueError):
        sf.get("/limits").json()


def test_fault_drop_and_hang(sf: httpx.Client, control: SandboxControl,
                             org: dict[str, Any]) -> None:
    control.faults("salesforce", org["account"], drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        sf.get("/limits")
    control.faults("salesforce", org["account"], hang_rate=1.0)
    with pytest.raises(httpx.TimeoutException):
        sf.get("/limits", timeout=0.5)


def test_fault_latency_still_answers(sf: httpx.Client, control: SandboxControl,
                                     org: dict[str, Any]) -> None:
    control.faults("salesforce", org["account"], latency_ms=50)
    assert sf.get("/limits").status_code == 200


# -- outbound messages ---------------------------------------------------------------------------

def _outbound(http: httpx.Client, org: dict[str, Any], receiver: WebhookReceiver,
              **extra: Any) -> dict[str, Any]:
    response = http.post(f"/salesforce/instances/{org['account']}/_setup/outbound-messages",
                         json={"object": "Account", "endpointUrl": f"{receiver.url}/sf/om",
                               "fields": ["Id", "Name", "Brightpearl_Id__c"], **extra})
    assert response.status_code == 201, response.text
    return response.json()


def _notifications(body: bytes) -> list[dict[str, str]]:
    ns = {"o": "http://soap.sforce.com/2005/09/outbound",
          "sf": "urn:sobject.enterprise.soap.sforce.com"}
    root = ET.fromstring(body)  # noqa: S314
    out = []
    for note in root.iter("{http://soap.sforce.com/2005/09/outbound}Notification"):
        sobject = note.find("o:sObject", ns)
        assert sobject is not None
        out.append({child.tag.split("}")[1]: child.text or "" for child in sobject})
    return out


def test_outbound_message_delivers_soap_notifications(
    sf: httpx.Client, http: httpx.Client, org: dict[str, Any],
    webhook_receiver: WebhookReceiver, control: SandboxControl
) -> None:
    webhook_receiver.response_body = ACK
    _outbound(http, org, webhook_receiver)
    first = _create(sf, "Account", {"Name": "Outbound One", "Brightpearl_Id__c": unique("B")})
    second = _create(sf, "Account", {"Name": "Outbound Two"})
    control.wait_for_deliveries("salesforce", org["account"], 1, status="delivered")
    received = webhook_receiver.requests
    assert received[0].headers["content-type"].startswith("text/xml")
    assert "soapaction" in received[0].headers
    notes = [n for r in received for n in _notifications(r.body)]
    assert [n["Id"] for n in notes] == [first, second]
    assert notes[0]["Name"] == "Outbound One"
    root = ET.fromstring(received[0].body)  # noqa: S314
    org_id = root.find(".//{http://soap.sforce.com/2005/09/outbound}OrganizationId")
    assert org_id is not None and org_id.text == org["credentials"]["org_id"]


def test_outbound_message_without_ack_is_retried(
    sf: httpx.Client, http: httpx.Client, org: dict[str, Any],
    webhook_receiver: WebhookReceiver, control: SandboxControl
) -> None:
    control.limits("salesforce", org["account"], outbound_retry_delays_s=[0.05, 0.05])
    _outbound(http, org, webhook_receiver)
    _create(sf, "Account", {"Name": "Never acked"})
    deliveries = control.wait_for_deliveries("salesforce", org["account"], 1, status="failed")
    assert deliveries[0]["attempt_count"] == 3
    assert len(webhook_receiver.requests) == 3


def test_demo_org_is_seeded(http: httpx.Client) -> None:
    response = http.get("/salesforce/instances/ccdemo/services/data/v60.0/query",
                        params={"q": "SELECT COUNT() FROM Account"},
                        headers={"Authorization": "Bearer sf-demo-access-token"})
    assert response.status_code == 200 and response.json()["totalSize"] > 0
