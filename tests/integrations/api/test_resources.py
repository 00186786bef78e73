"""The REST API's resources: pairs, flows, transactions, dead letters, connections, usage."""

from __future__ import annotations

import datetime as dt

import pytest

from integrations.models import DeadLetter, InboundEvent, IntegrationPair, Transaction
from tests.integrations.api.conftest import (
    BETA,
    api_client,
    dead_letter_make,
    transaction_make,
)

pytestmark = pytest.mark.django_db


def test_status_summarises_each_flow_of_each_pair(pair, order_flow, admin):
    transaction_make(order_flow, "1")
    transaction_make(order_flow, "2", status=Transaction.Status.FAILED)
    dead_letter_make(order_flow, "3")

    body = api_client(admin).get("/api/v1/status/").json()

    assert body["tenant"] == "alpha"
    (shown,) = [p for p in body["pairs"] if p["id"] == pair.pk]
    assert shown["circuits"] == {"brightpearl": "closed", "bigcommerce": "closed"}
    (flow,) = [f for f in shown["flows"] if f["id"] == order_flow.pk]
    assert flow["attempts_24h"] == 2
    assert flow["error_rate_24h"] == 0.5
    assert flow["open_dead_letters"] == 1
    assert flow["last_success_at"] is not None


def test_lists_are_cursor_paginated_with_links(pair, admin):
    first = api_client(admin).get("/api/v1/flows/?page_size=2").json()

    assert len(first["results"]) == 2
    assert first["next"].startswith("http://alpha.localhost/api/v1/flows/?cursor=")
    second = api_client(admin).get(first["next"]).json()
    assert {f["id"] for f in second["results"]}.isdisjoint({f["id"] for f in first["results"]})


def test_a_pair_is_paused_and_resumed(pair, admin):
    client = api_client(admin)

    assert client.post(f"/api/v1/pairs/{pair.pk}/pause/").json()["status"] == "paused"
    assert IntegrationPair.objects.get(pk=pair.pk).status == "paused"
    assert client.post(f"/api/v1/pairs/{pair.pk}/resume/").json()["status"] == "active"


def test_a_viewer_can_read_but_not_pause(pair, viewer):
    client = api_client(viewer)

    assert client.get(f"/api/v1/pairs/{pair.pk}/").status_code == 200
    refused = client.post(f"/api/v1/pairs/{pair.pk}/pause/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "ask an owner or admin" in refused.json()["error"]["message"]


def test_run_now_on_a_webhook_flow_says_why_not(order_flow, admin):
    refused = api_client(admin).post(f"/api/v1/flows/{order_flow.pk}/run/")

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid"
    assert "triggered by webhooks" in refused.json()["error"]["message"]


def test_a_backfill_starts_and_reports_progress(order_flow, admin):
    started = api_client(admin).post(f"/api/v1/flows/{order_flow.pk}/backfill/",
                                     {"since": "2026-11-01"}, format="json")

    assert started.status_code == 202
    assert started.json()["backfill"]["since"].startswith("2026-11-01")
    assert started.json()["backfill"]["done"] is False


def test_a_backfill_without_a_valid_date_is_refused_field_by_field(order_flow, admin):
    refused = api_client(admin).post(f"/api/v1/flows/{order_flow.pk}/backfill/",
                                     {"since": "soon"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid"
    assert "since" in refused.json()["error"]["details"]


def test_transactions_filter_by_status_and_external_id(order_flow, admin):
    transaction_make(order_flow, "10")
    transaction_make(order_flow, "11", status=Transaction.Status.FAILED)

    client = api_client(admin)
    failed = client.get("/api/v1/transactions/?status=failed").json()["results"]
    by_target = client.get("/api/v1/transactions/?external_id=T10").json()["results"]

    assert [t["source_id"] for t in failed] == ["11"]
    assert [t["source_id"] for t in by_target] == ["10"]


def test_a_transaction_shows_its_records_with_secrets_redacted(order_flow, admin):
    row = transaction_make(order_flow, "12", source_record={"id": 12, "customer": {
        "email": "a@b.example", "api_key": "k-123"}}, target_record={"password": "pw"})

    body = api_client(admin).get(f"/api/v1/transactions/{row.pk}/").json()

    assert body["source_record"] == {"id": 12, "customer": {"email": "a@b.example",
                                                            "api_key": "[redacted]"}}
    assert body["target_record"] == {"password": "[redacted]"}


def test_logs_older_than_the_plans_retention_are_refused(order_flow, admin):
    refused = api_client(admin).get("/api/v1/transactions/?started_after=2000-01-01T00:00:00Z")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "beyond_log_retention"


def test_a_dead_letter_replays_once(order_flow, admin):
    letter = dead_letter_make(order_flow, "20")
    client = api_client(admin)

    assert client.post(f"/api/v1/dead-letters/{letter.pk}/replay/").json() == {"count": 1}
    assert client.post(f"/api/v1/dead-letters/{letter.pk}/replay/").json() == {"count": 0}
    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.REPLAYED
    assert InboundEvent.objects.get(pk=letter.event_id).status == InboundEvent.Status.PENDING


def test_a_dead_letter_shows_its_records_with_secrets_redacted(order_flow, admin):
    letter = dead_letter_make(order_flow, "21")

    body = api_client(admin).get(f"/api/v1/dead-letters/{letter.pk}/").json()

    assert body["source_record"] == {"id": "21", "password": "[redacted]"}
    assert body["reason"] == "SKU of 21 unknown"


def test_bulk_replay_takes_only_the_dead_letters_matching_the_filter(order_flow, admin):
    missing = dead_letter_make(order_flow, "30", error_class="MissingReference")
    other = dead_letter_make(order_flow, "31", error_class="ValidationFailed")

    answer = api_client(admin).post("/api/v1/dead-letters/replay/",
                                    {"error_class": "MissingReference"}, format="json")

    assert answer.json() == {"count": 1}
    assert DeadLetter.objects.get(pk=missing.pk).resolution == "replayed"
    assert DeadLetter.objects.get(pk=other.pk).resolution == "open"


def test_bulk_replay_refuses_a_filter_it_does_not_know(order_flow, admin):
    dead_letter_make(order_flow, "32")

    refused = api_client(admin).post("/api/v1/dead-letters/replay/", {"colour": "red"},
                                     format="json")

    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == {"colour": ["Not a filter of dead letters."]}
    assert DeadLetter.objects.filter(resolution="open").count() == 1


def test_a_dead_letter_is_discarded(order_flow, admin):
    letter = dead_letter_make(order_flow, "33")

    assert api_client(admin).post(f"/api/v1/dead-letters/{letter.pk}/discard/").json() == {
        "count": 1}
    assert DeadLetter.objects.get(pk=letter.pk).resolution == "discarded"


def test_connections_never_show_credentials_or_secrets(pair, admin):
    response = api_client(admin).get("/api/v1/connections/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "tok-SECRET" not in text
    assert pair.brightpearl.webhook_secret not in text
    assert "credentials" not in response.json()["results"][0]


def test_a_connection_test_records_the_failure_in_plain_words(pair, admin):
    answer = api_client(admin).post(f"/api/v1/connections/{pair.partner.pk}/test/").json()

    assert answer["ok"] is False
    assert answer["connection"]["health"] == "failing"
    assert answer["message"]


def test_usage_is_shown_against_the_plan(pair, admin):
    body = api_client(admin).get("/api/v1/usage/").json()

    assert body["transactions_used"] == 0
    assert body["level"] == "ok"
    assert "plan" in body and "production_pairs_allowed" in body


def test_a_pair_of_another_tenant_is_not_found(pair, tenant_b):
    from django.db import connection as db

    from tests.factories import UserFactory

    db.set_tenant(tenant_b)
    beta_user = UserFactory()
    answer = api_client(beta_user, host=BETA).get(f"/api/v1/pairs/{pair.pk}/")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_the_transaction_time_filter_takes_iso_datetimes(order_flow, admin):
    transaction_make(order_flow, "40", ago=dt.timedelta(hours=3))
    transaction_make(order_flow, "41", ago=dt.timedelta(minutes=1))
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()

    shown = api_client(admin).get("/api/v1/transactions/", {"started_after": since}).json()

    assert [t["source_id"] for t in shown["results"]] == ["41"]


def test_a_read_key_reads_the_status_but_cannot_pause_a_pair(pair):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    _, key = api_key_create(name="dashboard", scope="read", created_by="ops@example.com")
    client = APIClient(HTTP_HOST="alpha.localhost", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert client.get("/api/v1/status/").status_code == 200
    refused = client.post(f"/api/v1/pairs/{pair.pk}/pause/")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].startswith("This API key is read-only")
    assert IntegrationPair.objects.get(pk=pair.pk).status == "active"


def test_a_key_of_one_tenant_is_refused_on_another_tenants_domain(pair, tenant_b):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    _, key = api_key_create(name="alpha key", scope="read_write", created_by="a@example.com")
    answer = APIClient(HTTP_HOST=BETA, HTTP_AUTHORIZATION=f"Bearer {key}").get(
        "/api/v1/status/")

    assert answer.status_code == 401
    assert answer.json()["error"] == {"code": "authentication_failed",
                                      "message": "Unknown API key."}


def test_a_connections_health_shows_its_circuit(pair, admin):
    from django.utils import timezone

    partner = pair.partner
    partner.circuit_open_until = timezone.now() + dt.timedelta(minutes=5)
    partner.save(update_fields=["circuit_open_until"])

    body = api_client(admin).get(f"/api/v1/connections/{partner.pk}/health/").json()

    assert body["circuit"] == "open"
    assert body["system"] == "bigcommerce"


def test_flows_are_filtered_by_pair_and_entity(pair, admin):
    shown = api_client(admin).get("/api/v1/flows/", {"pair": pair.pk,
                                                     "entity": "sales_order"}).json()

    assert shown["results"]
    assert {(f["pair"], f["entity"]) for f in shown["results"]} == {(pair.pk, "sales_order")}


def test_pairs_are_listed_with_their_flows(pair, admin):
    (shown,) = [p for p in api_client(admin).get("/api/v1/pairs/?status=active").json()["results"]
                if p["id"] == pair.pk]

    assert shown["template_key"] == "brightpearl-bigcommerce"
    assert sorted(shown["flows"]) == sorted(pair.flows.values_list("pk", flat=True))


def test_transactions_can_be_ordered_oldest_first(order_flow, admin):
    transaction_make(order_flow, "50", ago=dt.timedelta(minutes=1))
    transaction_make(order_flow, "51", ago=dt.timedelta(minutes=30))

    shown = api_client(admin).get("/api/v1/transactions/?ordering=started_at").json()

    assert [t["source_id"] for t in shown["results"]] == ["51", "50"]
