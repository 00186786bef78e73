"""The portal's transaction log: filters, search, keyset pages, retention and the detail page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from integrations.models import DeadLetter, Flow, InboundEvent, Transaction
from integrations.views import logs
from tests.conftest import inside
from tests.factories import UserFactory
from tests.integrations.api.conftest import ALPHA, BETA, event_make, transaction_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(tenant_a) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=User.Role.VIEWER))
    return client


@pytest.fixture
def product_flow(pair) -> Flow:
    return pair.flows.get(key="product-bp-to-bc")


def _listed(response) -> list[str]:
    assert response.status_code == 200
    return [row.source_id for row in response.context["page"].items]


def test_the_log_lists_the_newest_attempt_first(order_flow, viewer_client):
    transaction_make(order_flow, "1", ago=dt.timedelta(hours=2))
    transaction_make(order_flow, "2", ago=dt.timedelta(hours=1))

    assert _listed(viewer_client.get("/transactions/")) == ["2", "1"]


def test_status_filter_narrows_the_list(order_flow, viewer_client):
    transaction_make(order_flow, "1")
    transaction_make(order_flow, "2", status=Transaction.Status.FAILED)

    assert _listed(viewer_client.get("/transactions/?status=failed")) == ["2"]


def test_flow_and_pair_filters_narrow_the_list(order_flow, product_flow, viewer_client):
    transaction_make(order_flow, "1")
    transaction_make(product_flow, "2")

    assert _listed(viewer_client.get(f"/transactions/?flow={product_flow.pk}")) == ["2"]
    assert _listed(viewer_client.get(f"/transactions/?pair={order_flow.pair_id}")) == ["2", "1"]


def test_search_finds_a_transaction_by_target_id_or_words_of_its_message(order_flow,
                                                                          viewer_client):
    transaction_make(order_flow, "1")
    transaction_make(order_flow, "2", status=Transaction.Status.FAILED,
                     message="SKU WIDGET-9 is not in Brightpearl")

    assert _listed(viewer_client.get("/transactions/?q=T1")) == ["1"]
    assert _listed(viewer_client.get("/transactions/?q=widget-9")) == ["2"]


def test_date_range_leaves_out_attempts_outside_it(order_flow, viewer_client):
    transaction_make(order_flow, "old", ago=dt.timedelta(days=3))
    transaction_make(order_flow, "new", ago=dt.timedelta(minutes=1))
    yesterday = (timezone.now() - dt.timedelta(days=1)).date()

    assert _listed(viewer_client.get(f"/transactions/?date_from={yesterday}")) == ["new"]
    before = timezone.now().date() - dt.timedelta(days=2)
    assert _listed(viewer_client.get(f"/transactions/?date_to={before}")) == ["old"]


def test_a_malformed_date_gives_a_clear_message_and_lists_nothing(order_flow, viewer_client):
    transaction_make(order_flow, "1")

    response = viewer_client.get("/transactions/?date_from=31/02/2026")

    assert response.status_code == 200
    assert "From: Enter a valid date." in response.content.decode()
    assert response.context["page"].items == []


def test_an_end_date_before_the_start_date_is_pointed_out(order_flow, viewer_client):
    response = viewer_client.get("/transactions/?date_from=2026-11-20&date_to=2026-11-01")

    assert "The end date is before the start date." in response.content.decode()


def test_a_start_date_past_the_plans_retention_is_refused_with_the_reason(order_flow,
                                                                           viewer_client):
    response = viewer_client.get("/transactions/?date_from=2000-01-01")

    assert response.status_code == 200
    assert "keeps logs for" in response.content.decode()
    assert response.context["page"].items == []


def test_attempts_past_the_plans_retention_are_not_listed(order_flow, viewer_client):
    transaction_make(order_flow, "ancient", ago=dt.timedelta(days=400))
    transaction_make(order_flow, "recent")

    assert _listed(viewer_client.get("/transactions/")) == ["recent"]


def test_pages_follow_one_another_by_key_without_overlap(order_flow, viewer_client,
                                                         monkeypatch):
    monkeypatch.setattr(logs, "PAGE_SIZE", 2)
    for n in range(5):
        transaction_make(order_flow, str(n), ago=dt.timedelta(minutes=10 - n))

    first = viewer_client.get("/transactions/")
    second = viewer_client.get(f"/transactions/{first.context['older_url']}")
    back = viewer_client.get(f"/transactions/{second.context['newer_url']}")

    assert _listed(first) == ["4", "3"]
    assert _listed(second) == ["2", "1"]
    assert _listed(back) == ["4", "3"]


def test_the_log_never_counts_the_table(order_flow, viewer_client):
    transaction_make(order_flow, "1")

    with CaptureQueriesContext(db) as queries:
        viewer_client.get("/transactions/?status=success&q=T1")

    log_queries = [q["sql"] for q in queries if "integrations_transaction" in q["sql"]]
    assert log_queries and not any("COUNT(" in sql.upper() for sql in log_queries)


def test_a_malformed_page_link_says_so_and_shows_the_newest(order_flow, viewer_client):
    transaction_make(order_flow, "1")

    response = viewer_client.get("/transactions/?after=abc")

    assert "That page link is not valid" in response.content.decode()
    assert _listed(response) == ["1"]


def test_detail_shows_timings_error_and_redacted_records_not_the_secret(order_flow,
                                                                        viewer_client):
    row = transaction_make(
        order_flow, "12", status=Transaction.Status.FAILED, duration_ms=742,
        error_class="ValidationFailed", message="total must be positive",
        source_record={"id": 12, "customer": {"email": "a@b.example", "api_key": "k-SECRET-1"}},
        target_record={"password": "pw-SECRET-2", "total": -1})

    page = viewer_client.get(f"/transactions/{row.pk}/").content.decode()

    assert "742 ms" in page
    assert "ValidationFailed" in page and "total must be positive" in page
    assert "a@b.example" in page and "[redacted]" in page
    assert "k-SECRET-1" not in page and "pw-SECRET-2" not in page
    assert "BigCommerce → Brightpearl" in page


def test_detail_links_to_its_dead_letter_and_the_other_attempts(order_flow, viewer_client):
    event = event_make(order_flow, "40", status=InboundEvent.Status.DEAD)
    first, second = (Transaction.objects.create(
        flow=order_flow, event=event, source_id="40", status=Transaction.Status.FAILED,
        attempt=n, started_at=timezone.now() - dt.timedelta(minutes=10 - n)) for n in (1, 2))
    letter = DeadLetter.objects.create(event=event, flow=order_flow, error_class="MissingReference",
                                       reason="SKU unknown")

    page = viewer_client.get(f"/transactions/{second.pk}/").content.decode()

    assert f"/dead-letters/{letter.pk}/" in page
    assert f"/transactions/{first.pk}/" in page


def test_anonymous_visitors_are_sent_to_sign_in(order_flow):
    response = Client(HTTP_HOST=ALPHA).get("/transactions/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_another_tenants_user_cannot_open_a_transaction(order_flow, tenant_b):
    row = transaction_make(order_flow, "50")
    client = Client(HTTP_HOST=BETA)
    with inside(tenant_b):
        client.force_login(UserFactory(role=User.Role.OWNER))
        response = client.get(f"/transactions/{row.pk}/")

    assert response.status_code == 404
