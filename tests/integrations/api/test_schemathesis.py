"""Property-based run of schemathesis against the served schema: no operation answers 5xx
and no response breaks the schema. ``make test`` runs a few examples per operation
(``API_FUZZ_EXAMPLES``, default 5); ``make api-fuzz`` runs many more."""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.db import connection as db
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.services import api_key_create
from tests.integrations.api.conftest import ALPHA, dead_letter_make, transaction_make

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))


@pytest.fixture
def wsgi_app(settings):
    # The app runs in this thread, inside the test's transaction: as Django's test client
    # does, keep the request signals from closing that connection.
    settings.API_THROTTLE_RATE = "100000/min"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_operation_answers_5xx_or_breaks_the_schema(wsgi_app, order_flow):
    transaction_make(order_flow, "1", source_record={"id": 1, "token": "t"})
    dead_letter_make(order_flow, "2")
    _, key = api_key_create(name="fuzz", scope="read_write", created_by="fuzz@example.com")
    headers = {"Host": ALPHA, "Authorization": f"Bearer {key}"}
    db.set_schema_to_public()
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app,
                                            headers={"Host": ALPHA})
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15

    for operation in operations:
        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None,
                             derandomize=True, suppress_health_check=list(hypothesis.HealthCheck))
        def run(case) -> None:
            case.call_and_validate(headers=headers,
                                   checks=[not_a_server_error, response_schema_conformance])

        run()
