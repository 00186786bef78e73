"""GET /api/v1/flows/<id>/mapping/suggestions/: ranked source fields with the rule to use."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from integrations.mapping.suggest import rule_check
from tests.integrations.api.conftest import ALPHA, BETA, api_client, transaction_make

pytestmark = pytest.mark.django_db

ORDER = {"id": 1007, "currency_code": "EUR", "customer_id": 42, "channel_id": 1,
         "date_created": "Tue, 04 Mar 2025 14:02:00 +0000", "status_id": 11,
         "billing_address": {"first_name": "Ann", "last_name": "Berg", "city": "Lund",
                             "email": "ann@example.com"}}


def suggestions_get(client: APIClient, flow, **params: str):
    return client.get(f"/api/v1/flows/{flow.pk}/mapping/suggestions/", params)


def test_the_best_source_field_comes_first_with_a_reason_and_score(order_flow, admin):
    answer = suggestions_get(api_client(admin), order_flow, target="currency.code",
                             sample=json.dumps(ORDER))

    assert answer.status_code == 200
    body = answer.json()
    assert body["target"] == "currency.code"
    assert body["sample"] == "given"
    best = body["suggestions"][0]
    assert best["path"] == "currency_code"
    assert 0 < best["score"] <= 1
    assert "currency" in best["reason"]


def test_an_rfc_2822_date_is_suggested_with_a_conversion_to_iso(order_flow, admin):
    body = suggestions_get(api_client(admin), order_flow, target="placedOn",
                           sample=json.dumps(ORDER)).json()

    best = body["suggestions"][0]
    assert best["path"] == "date_created"
    assert best["rule"] == {"from": "date_created", "transform": [
        {"date": {"from": "%a, %d %b %Y %H:%M:%S %z"}}]}
    assert rule_check(best["rule"]) == []


def test_without_a_sample_the_last_transactions_source_record_is_read(order_flow, admin):
    transaction_make(order_flow, "1007", source_record=ORDER)

    body = suggestions_get(api_client(admin), order_flow, target="placedOn").json()

    assert body["sample"] == "last transaction"
    assert body["suggestions"][0]["path"] == "date_created"


def test_an_unknown_target_path_is_a_400_naming_close_fields(order_flow, admin):
    answer = suggestions_get(api_client(admin), order_flow, target="placedOnn")

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    [message] = error["details"]["target"]
    assert "'placedOnn' is not a field of brightpearl order" in message
    assert "placedOn" in message.partition("did you mean")[2]


def test_a_missing_target_is_a_400(order_flow, admin):
    answer = suggestions_get(api_client(admin), order_flow)

    assert answer.status_code == 400
    assert "target" in answer.json()["error"]["details"]


def test_a_sample_that_is_not_a_json_object_is_a_400(order_flow, admin):
    client = api_client(admin)

    not_json = suggestions_get(client, order_flow, target="placedOn", sample="{oops")
    a_list = suggestions_get(client, order_flow, target="placedOn", sample="[1, 2]")

    assert not_json.status_code == 400
    assert not_json.json()["error"]["details"]["sample"][0].startswith("Not JSON")
    assert a_list.status_code == 400
    assert a_list.json()["error"]["details"]["sample"] == [
        "Give a source record as a JSON object."]


def test_a_field_of_each_line_is_suggested_from_the_line_items(order_flow, admin):
    sample = {**ORDER, "products": [{"id": 5, "product_id": 77, "sku": "TB-30", "quantity": 2}],
              "shipping_addresses": []}

    body = suggestions_get(api_client(admin), order_flow, target="rows[].quantity.magnitude",
                           sample=json.dumps(sample)).json()

    assert body["suggestions"][0]["path"] == "quantity"


def test_a_viewer_may_read_suggestions(order_flow, viewer):
    answer = suggestions_get(api_client(viewer), order_flow, target="placedOn")

    assert answer.status_code == 200


def test_without_credentials_suggestions_are_refused(order_flow):
    answer = suggestions_get(APIClient(HTTP_HOST=ALPHA), order_flow, target="placedOn")

    assert answer.status_code in (401, 403)


def test_a_flow_of_another_tenant_is_not_found(order_flow, tenant_b):
    from django.db import connection as db

    from tests.factories import UserFactory

    db.set_tenant(tenant_b)
    answer = suggestions_get(api_client(UserFactory(), host=BETA), order_flow,
                             target="placedOn")

    assert answer.status_code == 404


def test_the_schema_documents_the_suggestions_endpoint(tenant_a):
    schema = APIClient(HTTP_HOST=ALPHA).get("/api/v1/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/flows/{id}/mapping/suggestions/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"id", "target", "sample"}
    assert "200" in operation["responses"]


def test_the_tenants_saved_mappings_teach_the_suggestions(order_flow, admin):
    from integrations.models import MappingVersion
    from tests.factories import MappingFactory

    sample = json.dumps({**ORDER, "cart_id": "c-55"})
    before = suggestions_get(api_client(admin), order_flow, target="reference",
                             sample=sample).json()
    for _ in range(2):
        MappingVersion.objects.create(mapping=MappingFactory(), number=1, document={
            "format_version": 1, "source": {"system": "bigcommerce", "entity": "order"},
            "target": {"system": "brightpearl", "entity": "order"},
            "fields": {"reference": "cart_id"}})

    after = suggestions_get(api_client(admin), order_flow, target="reference",
                            sample=sample).json()

    assert "cart_id" not in [s["path"] for s in before["suggestions"]]
    learnt = next(s for s in after["suggestions"] if s["path"] == "cart_id")
    assert "known mappings" in learnt["reason"]
