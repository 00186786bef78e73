"""One error shape everywhere under /api/, and the OpenAPI schema and its offline docs."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.integrations.api.conftest import ALPHA, api_client

pytestmark = pytest.mark.django_db


def test_an_unknown_api_url_is_a_json_404(admin):
    answer = api_client(admin).get("/api/v1/nothing-here/")

    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "not_found",
                                       "message": "Nothing is at /api/v1/nothing-here/."}}


def test_an_unknown_object_is_a_json_404(admin):
    answer = api_client(admin).get("/api/v1/pairs/999999/")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(admin):
    answer = api_client(admin).delete("/api/v1/status/")

    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_an_anonymous_request_is_refused_with_the_error_shape(tenant_a):
    answer = APIClient(HTTP_HOST=ALPHA).get("/api/v1/status/")

    assert answer.status_code in (401, 403)
    assert answer.json()["error"]["code"] == "not_authenticated"


def test_a_body_that_is_not_json_is_malformed(order_flow, admin):
    answer = api_client(admin).post(f"/api/v1/flows/{order_flow.pk}/backfill/", "{nope",
                                    content_type="application/json")

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "malformed_body"


def test_the_schema_is_served_as_openapi_3(tenant_a):
    answer = APIClient(HTTP_HOST=ALPHA).get("/api/v1/schema/?format=json")

    assert answer.status_code == 200
    schema = answer.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/dead-letters/replay/" in schema["paths"]
    assert "/api/v1/transactions/" in schema["paths"]


def test_the_schema_validates(tenant_a):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    validate_schema(SchemaGenerator().get_schema(request=None, public=True))


def test_the_docs_page_loads_its_assets_from_us_not_a_cdn(tenant_a):
    page = APIClient(HTTP_HOST=ALPHA).get("/api/v1/docs/").content.decode()

    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_the_schema_documents_the_webhook_endpoint_and_its_errors(tenant_a):
    schema = APIClient(HTTP_HOST=ALPHA).get("/api/v1/schema/?format=json").json()

    webhook = schema["paths"]["/api/v1/webhooks/{system}/{connection_id}/"]["post"]
    assert {"202", "401", "404", "413", "429"} <= set(webhook["responses"])
    assert webhook["security"] == []


def test_an_unexpected_error_in_a_view_is_a_json_500_and_logged(caplog):
    from integrations.api.errors import exception_handler

    response = exception_handler(RuntimeError("boom"), {"view": None})

    assert response.status_code == 500
    assert response.data["error"]["code"] == "server_error"
    assert "boom" in caplog.text  # the traceback is logged, never sent


def test_a_crash_outside_the_views_under_api_is_a_json_500():
    from django.test import RequestFactory

    from integrations.api.errors import server_error

    response = server_error(RequestFactory().post("/api/v1/webhooks/brightpearl/1/"))

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
