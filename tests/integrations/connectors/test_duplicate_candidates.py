"""``duplicate_candidates`` of each target connector against its sandbox, over real HTTP: the
records a system's own search finds for a customer or product about to be created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from integrations.connectors.base import ConnectionConfig
from integrations.connectors.bigcommerce import BigCommerceConnector
from integrations.connectors.brightpearl import CREDENTIAL_FIELDS as BP_CREDENTIALS
from integrations.connectors.brightpearl import BrightpearlConnector
from integrations.connectors.salesforce import SalesforceConnector
from integrations.connectors.salesforce_auth import CREDENTIAL_FIELDS as SF_CREDENTIALS
from integrations.connectors.syspro import SysproConnector

Factory = Callable[..., dict[str, Any]]


@pytest.fixture
def bp(new_account: Factory) -> BrightpearlConnector:
    account = new_account("brightpearl", seed={"products": 3, "customers": 2})
    creds = account["credentials"]
    return BrightpearlConnector(ConnectionConfig(
        base_url=account["base_url"], account=account["account"], auth_type="private_app",
        credentials={k: creds[k] for k in BP_CREDENTIALS["private_app"]}))


@pytest.fixture
def bc(new_account: Factory) -> BigCommerceConnector:
    store = new_account("bigcommerce", seed={"products": 3, "customers": 2})
    return BigCommerceConnector(ConnectionConfig(
        base_url=store["base_url"], account=store["account"], auth_type="api_token",
        credentials={"store_hash": store["credentials"]["store_hash"],
                     "access_token": store["credentials"]["access_token"]}))


@pytest.fixture
def sf(new_account: Factory) -> SalesforceConnector:
    org = new_account("salesforce", seed={"products": 2, "customers": 2})
    auth = "oauth2_client_credentials"
    return SalesforceConnector(ConnectionConfig(
        base_url=org["base_url"], account=org["account"], auth_type=auth,
        credentials={k: org["credentials"][k] for k in SF_CREDENTIALS[auth]}))


def bp_contact(first: str, last: str, email: str = "") -> dict[str, Any]:
    record: dict[str, Any] = {"firstName": first, "lastName": last,
                              "relationshipToAccount": {"isCustomer": True}}
    if email:
        record["communication"] = {"emails": {"PRI": {"email": email}}}
    return record


def ids(found: list[dict[str, Any]], key: str) -> set[str]:
    return {str(r[key]) for r in found}


def test_brightpearl_finds_a_contact_by_email_in_another_case(bp):
    existing = bp.upsert("customer", bp_contact("Åsa", "Lindqvist", "asa.l@example.com")).id

    found = bp.duplicate_candidates("customer", bp_contact("Asa", "Lindqvist-Berg",
                                                           "ASA.L@Example.com"))

    assert existing in ids(found, "contactId")


def test_brightpearl_finds_a_contact_whose_first_name_has_a_typo_by_surname_and_initial(bp):
    existing = bp.upsert("customer", bp_contact("Jonathan", "Whitlock")).id

    found = bp.duplicate_candidates("customer", bp_contact("Jonathon", "whitlock"))

    assert existing in ids(found, "contactId")
    assert all("postalAddresses" in c for c in found)  # read as get() reads contacts


def test_brightpearl_finds_a_contact_typed_into_the_wrong_name_boxes(bp):
    existing = bp.upsert("customer", bp_contact("Margit", "Olofsdotter")).id

    found = bp.duplicate_candidates("customer", bp_contact("Olofsdotter", "Margit"))

    assert existing in ids(found, "contactId")


def test_brightpearl_finds_nothing_for_a_new_name_and_email(bp):
    bp.upsert("customer", bp_contact("Jonathan", "Whitlock", "jw@example.com"))

    assert bp.duplicate_candidates("customer", bp_contact("Ada", "Lovelace",
                                                          "ada@example.org")) == []


def test_brightpearl_finds_a_product_by_sku_in_another_case(bp, control):
    product = control.records("brightpearl", bp.config.account, "product")[0]
    sku = product["identity"]["sku"]

    found = bp.duplicate_candidates("product", {"identity": {"sku": sku.lower()}})

    assert str(product["id"]) in ids(found, "id")


def test_bigcommerce_finds_a_customer_by_email_in_another_case_and_by_surname(bc):
    by_email = bc.upsert("customer", {"email": "Grace.Hopper@example.com",
                                      "first_name": "Grace", "last_name": "Hopper"}).id
    by_name = bc.upsert("customer", {"email": "g.hoppr@example.net", "first_name": "Grace",
                                     "last_name": "Hopperton"}).id

    found = bc.duplicate_candidates("customer", {"email": "grace.hopper@EXAMPLE.com",
                                                 "first_name": "Grace",
                                                 "last_name": "Hopper"})

    assert {by_email, by_name} <= ids(found, "id")
    assert all("addresses" in c for c in found)


def test_bigcommerce_finds_a_product_by_sku_in_another_case(bc, control):
    product = control.records("bigcommerce", bc.config.account, "products")[0]

    found = bc.duplicate_candidates("product", {"sku": product["sku"].upper(),
                                                "name": "Something else entirely"})

    assert str(product["id"]) in ids(found, "id")


def test_salesforce_finds_a_contact_by_email_case_and_by_swapped_names(sf):
    by_email = sf.upsert("Contact", {"FirstName": "Linus", "LastName": "Pauling",
                                     "Email": "linus@example.com"}).id
    swapped = sf.upsert("Contact", {"FirstName": "Pauling", "LastName": "Linus"}).id

    found = sf.duplicate_candidates("Contact", {"FirstName": "Linus", "LastName": "Pauling",
                                                "Email": "LINUS@example.com"})

    assert {by_email, swapped} <= ids(found, "Id")


def test_salesforce_finds_a_product_by_its_code(sf):
    existing = sf.upsert("Product2", {"Name": "Canvas tote", "ProductCode": "TOTE-01"}).id

    found = sf.duplicate_candidates("Product2", {"Name": "Tote bag", "ProductCode": "tote-01"})

    assert existing in ids(found, "Id")


def test_a_system_without_a_search_for_it_offers_no_candidates():
    connector = SysproConnector(ConnectionConfig(base_url="http://127.0.0.1:9"))

    assert connector.duplicate_candidates("customer", {"Name": "Ada Lovelace"}) == []
