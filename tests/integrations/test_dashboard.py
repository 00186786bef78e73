"""The dashboard pages: the home page, its refreshed numbers, the pair page's health and the
charts' data, as a signed-in browser sees them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from integrations.models import IntegrationPair
from tests.factories import (
    DeadLetterFactory,
    FlowFactory,
    InboundEventFactory,
    IntegrationPairFactory,
    TransactionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"


def text(page: str) -> str:
    """The page as read: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split()).replace(" ,", ",")


def signed_in(role: str = User.Role.ADMIN) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=role))
    return client


@pytest.fixture
def shop(tenant_a) -> IntegrationPair:
    pair = IntegrationPairFactory(name="Web shop")
    orders = FlowFactory(pair=pair, name="Orders: BigCommerce → Brightpearl")
    TransactionFactory(flow=orders, started_at=timezone.now() - dt.timedelta(minutes=5))
    TransactionFactory(flow=orders, status="failed",
                       started_at=timezone.now() - dt.timedelta(minutes=4))
    InboundEventFactory(flow=orders, status="pending")
    DeadLetterFactory(flow=orders)
    return pair


def test_home_without_pairs_invites_to_get_started(tenant_a):
    page = signed_in().get("/").content.decode()
    assert "Get started" in page
    assert 'href="/get-started/"' in page
    assert 'href="/connections/"' in page
    assert "chart-4.5.1.umd.min.js" not in page


def test_home_keeps_the_plan_and_usage_against_it(tenant_a):
    page = signed_in().get("/").content.decode()
    assert "Trial" in page
    assert "transactions of 250000" in page
    assert re.search(r"<dt>Production</dt><dd>0 of \d+", page)


def test_home_shows_each_pair_with_its_flows_health_backlog_and_dead_letters(shop):
    flow = shop.flows.get()
    page = signed_in().get("/").content.decode()
    assert "Web shop" in page
    assert "Orders: BigCommerce → Brightpearl" in page
    assert "Needs attention" in page
    assert "1 dead letter waiting for review." in page
    assert f'href="/dead-letters/?flow={flow.pk}"' in page
    assert "2 transactions in the last 24 h, error rate 50.0 % · backlog 1 · 1 open dead letter" \
        in text(page)
    assert "minutes ago" in page


def test_home_embeds_the_24_hour_chart_data_per_pair_and_loads_chart_js(shop):
    page = signed_in().get("/").content.decode()
    assert '<script id="chart-pairs" type="application/json">' in page
    assert "vendor/chart-4.5.1.umd.min.js" in page
    assert "portal/dashboard.js" in page
    assert 'data-series-url="/dashboard/series/"' in page


def test_dashboard_pages_have_no_inline_scripts(shop):
    client = signed_in()
    for url in ("/", f"/integrations/{shop.pk}/", "/integrations/"):
        page = client.get(url).content.decode()
        for tag in re.findall(r"<script[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", page), url


def test_viewer_sees_the_dashboard_and_its_chart_data(shop):
    viewer = signed_in(User.Role.VIEWER)
    assert "Web shop" in viewer.get("/").content.decode()
    assert viewer.get("/dashboard/series/?range=7d").status_code == 200
    assert viewer.get(f"/dashboard/pairs/{shop.pk}/health/").status_code == 200


def test_series_endpoint_returns_one_series_per_pair_for_the_range(shop):
    body = signed_in().get("/dashboard/series/?range=7d").json()
    assert body["range"] == "7d"
    assert body["unit"] == "day"
    assert len(body["buckets"]) == len(body["labels"]) == 7
    (series,) = body["series"]
    assert series["name"] == "Web shop"
    assert series["succeeded"][-1] == 1
    assert series["failed"][-1] == 1
    assert series["error_rate"][-1] == 50.0
    assert series["error_rate"][0] is None


def test_series_endpoint_splits_one_pair_by_flow(shop):
    FlowFactory(pair=shop, name="Stock levels")
    body = signed_in().get(f"/dashboard/series/?range=24h&pair={shop.pk}").json()
    assert [s["name"] for s in body["series"]] == ["Orders: BigCommerce → Brightpearl",
                                                   "Stock levels"]
    assert len(body["buckets"]) == 24
    assert body["series"][1]["total"] == [0] * 24


def test_series_endpoint_refuses_an_unknown_range_saying_which_are_valid(shop):
    response = signed_in().get("/dashboard/series/?range=1y")
    assert response.status_code == 400
    assert response.json() == {"detail": "Unknown range '1y': use one of 24h, 7d, 30d."}


def test_series_endpoint_refuses_a_pair_that_is_not_an_id(shop):
    response = signed_in().get("/dashboard/series/?pair=shop")
    assert response.status_code == 400
    assert "pair must be an integration's id" in response.json()["detail"]


def test_series_endpoint_is_404_for_an_unknown_pair(shop):
    assert signed_in().get("/dashboard/series/?pair=999999").status_code == 404


def test_series_endpoint_needs_a_signed_in_user(shop):
    response = Client(HTTP_HOST=ALPHA).get("/dashboard/series/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_numbers_partial_refreshes_itself(shop):
    response = signed_in().get("/dashboard/numbers/", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.lstrip().startswith("<div id=\"dashboard-numbers\"")
    assert 'hx-trigger="every 15s"' in page
    assert "Web shop" in page
    assert "<html" not in page


def test_refresh_after_the_session_ends_sends_the_browser_to_login(shop):
    response = Client(HTTP_HOST=ALPHA).get(
        "/dashboard/numbers/", HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://{ALPHA}/integrations/{shop.pk}/")
    assert response["HX-Redirect"] == f"/login/?next=%2Fintegrations%2F{shop.pk}%2F"


def test_pair_page_shows_each_flows_health_and_per_flow_charts(shop):
    page = signed_in().get(f"/integrations/{shop.pk}/").content.decode()
    assert f'hx-get="/dashboard/pairs/{shop.pk}/health/"' in page
    assert "Needs attention" in page
    assert f'data-series-url="/dashboard/series/?pair={shop.pk}"' in page
    assert f'<script id="chart-pair-{shop.pk}" type="application/json">' in page
    assert "Throughput and error rate per flow" in page


def test_pair_health_partial_is_404_for_an_unknown_pair(shop):
    assert signed_in().get("/dashboard/pairs/999999/health/").status_code == 404


def test_pair_list_shows_each_pairs_state_and_numbers(shop):
    page = signed_in().get("/integrations/").content.decode()
    assert "Needs attention" in page
    assert "2 transactions in the last 24 h, error rate 50.0 %" in text(page)
