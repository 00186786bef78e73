"""The step editor in a real browser, against the live stack (web, worker, sandboxes).

Open the storefront-orders flow a template made, drag a filter in that skips orders from one
channel, test it on two real orders (one skipped, one would be written), save it as version 2,
send both orders through the sandboxes and see one delivered and one skipped in the log; roll
back to version 1 and see the skipped order delivered too.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from integrations.models import Flow, InboundEvent, RecordLink
from integrations.services.connections import connector_for
from tests.conftest import TEST_PASSWORD
from tests.e2e.browser.conftest import Screens
from tests.e2e.conftest import LiveStack, bigcommerce_pair, wait_until

pytestmark = pytest.mark.e2e

ORDER_FLOW = "sales-order-bc-to-bp"
SKIPPED_CHANNEL = 2   # the marketplace channel: its orders reach Brightpearl another way
BILLING = {"first_name": "Ines", "last_name": "Müller", "street_1": "Torstraße 5",
           "city": "Berlin", "state": "", "zip": "10119", "country": "Germany",
           "country_iso2": "DE", "email": "ines@example.com"}


@pytest.fixture
def shop(live_stack: LiveStack, new_account_module: Any, control: Any) -> dict[str, Any]:
    """A Brightpearl + BigCommerce pair from its template, with a product and a customer
    already synced, and two storefront orders (channels 1 and 2) that have not been sent:
    the orders flow was off while they were placed."""
    bp = new_account_module("brightpearl", seed={"products": 2, "customers": 1})
    bc = new_account_module("bigcommerce")
    made = bigcommerce_pair(live_stack, bp, bc, name="Steps shop")
    pair, bc_conn = made["pair"], made["bc_conn"]
    with live_stack.inside():
        flow = pair.flows.get(key=ORDER_FLOW)
        bp_api, bc_api = connector_for(made["bp_conn"]), connector_for(bc_conn)
    product = control.records("brightpearl", bp["account"], "product")[0]
    with live_stack.inside():
        bp_api.upsert("product", {"salesChannels": [{"productName": "Trail Lamp"}]},
                      external_id=str(product["id"]))
    product_link = wait_until(lambda: _link(live_stack, pair, "product-bp-to-bc",
                                            str(product["id"])), what="product synced")
    with live_stack.inside():
        customer = bc_api.upsert("customer", {"email": "ines@example.com",
                                              "first_name": "Ines", "last_name": "Müller"})
    wait_until(lambda: _link(live_stack, pair, "customer-bc-to-bp", customer.id),
               what="customer synced")
    with live_stack.inside():
        Flow.objects.filter(pk=flow.pk).update(enabled=False)
        orders = [bc_api.upsert("sales_order", {
            "status_id": 1, "channel_id": channel, "customer_id": int(customer.id),
            "billing_address": BILLING,
            "products": [{"product_id": int(product_link.target_id), "quantity": 1}]}).id
            for channel in (1, SKIPPED_CHANNEL)]
    # The store's webhooks arrive on their own time: the flow stays off until both have.
    with live_stack.inside():
        wait_until(lambda: InboundEvent.objects.filter(
            connection=bc_conn, external_id__in=orders).values("external_id").distinct()
            .count() == 2, what="both orders' webhooks received")
        assert not InboundEvent.objects.filter(flow=flow).exists()
        Flow.objects.filter(pk=flow.pk).update(enabled=True)
    return {"pair": pair, "flow": flow, "bc": bc_api, "web": orders[0], "market": orders[1],
            "portal": f"http://{live_stack.tenant.slug}.localhost:{live_stack.port}"}


def _link(live_stack: LiveStack, pair: Any, flow_key: str, source_id: str
          ) -> RecordLink | None:
    with live_stack.inside():
        return RecordLink.objects.filter(flow__pair=pair, flow__key=flow_key,
                                         source_id=source_id).first()


def _send_orders(page: Page, shop: dict[str, Any]) -> None:
    """Send the store's orders of today through the flow: a backfill from the pair's page,
    which reads them from the sandbox and runs each through the pipeline."""
    page.goto(f"{shop['portal']}/integrations/{shop['pair'].pk}/")
    row = page.locator("tr", has_text="Sales orders: BigCommerce → Brightpearl")
    row.get_by_label("Backfill from").fill(dt.date.today().isoformat())
    row.get_by_role("button", name="Backfill").click()
    expect(page.get_by_role("status").first).to_contain_text("syncing everything changed")


def _wait_for_log(page: Page, shop: dict[str, Any], order_id: str, status: str) -> None:
    url = f"{shop['portal']}/transactions/?flow={shop['flow'].pk}&q={order_id}"

    def shown() -> bool:
        page.goto(url)
        return page.locator("tbody tr", has_text=status).count() > 0
    wait_until(shown, timeout=60, every=1, what=f"order {order_id} {status} in the log")


def _drag(page: Page, item: Locator, onto: Locator) -> None:
    """A mouse drag in small moves, as a hand would (SortableJS follows pointer events)."""
    start, end = item.bounding_box(), onto.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2)
    page.mouse.down()
    for n in range(1, 11):
        page.mouse.move(start["x"] + 20 + (end["x"] + 40 - start["x"] - 20) * n / 10,
                        start["y"] + (end["y"] + 6 - start["y"]) * n / 10)
    page.mouse.up()


def _test_run(page: Page, order_id: str) -> Locator:
    test = page.locator("#steps-test")
    test.get_by_label("Fetch a record from the source system").check()
    test.get_by_label("Record id").fill(order_id)
    test.get_by_role("button", name="Run test").click()
    # The result of this run, not the one before: it names the record it fetched.
    expect(page.locator("#steps-test-result .origin")).to_have_text(
        re.compile(r"^Record: Fetched from .* " + order_id + "$"))
    return page.locator("#steps-test-result .outcome")


def test_a_filter_added_in_the_editor_skips_one_channel_until_it_is_rolled_back(
        live_stack: LiveStack, page: Page, screens: Screens, shop: dict[str, Any]) -> None:
    page.goto(shop["portal"] + "/login/")
    page.get_by_label("Email").fill("owner@e2e.example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.goto(f"{shop['portal']}/integrations/{shop['pair'].pk}/")
    page.locator("tr", has_text="Sales orders: BigCommerce → Brightpearl").get_by_role(
        "link", name="v1 · Steps").click()
    page.wait_for_url(re.compile(r"/flows/\d+/steps/"))
    main = page.locator('#steps-canvas ol.step-list[data-list="steps"]')
    # The template's: address and anomaly checks, the mapping, the status written back.
    expect(main.locator(":scope > li.step")).to_have_count(4)
    screens.shot("template-steps")

    # Mouse: drag a filter from the palette to the top of the flow.
    _drag(page, page.locator("#steps-palette li.palette-kind[data-kind=filter]"),
          main.locator(":scope > li.step").first)
    cards = main.locator(":scope > li.step")
    expect(cards).to_have_count(5)
    expect(cards.first).to_have_attribute("data-id", "filter-1")
    # Keyboard: down one, then back up with Alt+Arrow on the card.
    cards.first.get_by_role("button", name="Move “Filter” down").click()
    expect(cards.nth(1)).to_have_attribute("data-id", "filter-1")
    cards.nth(1).get_by_role("button", name="Filter", exact=True).press("Alt+ArrowUp")
    expect(cards.first).to_have_attribute("data-id", "filter-1")

    card = cards.first
    # A new step opens its settings.
    expect(card.get_by_role("button", name="Filter", exact=True)).to_have_attribute(
        "aria-expanded", "true")
    card.get_by_label("Name").fill("No marketplace orders")
    card.get_by_label(re.compile(r"Condition of .*: field")).fill("channel_id")
    card.get_by_label(re.compile(r"Condition of .*: comparison")).select_option("eq")
    card.get_by_label(re.compile(r"Condition of .*: value")).fill(str(SKIPPED_CHANNEL))
    card.get_by_label("Reason logged for a skipped record").fill(
        "marketplace orders reach Brightpearl through the marketplace app")
    expect(card.locator(".summary")).to_contain_text(f"Skip when channel_id equals "
                                                     f"{SKIPPED_CHANNEL}")
    screens.shot("filter-configured")

    # The test run, on both orders, before anything is saved.
    skipped = _test_run(page, shop["market"])
    expect(skipped).to_contain_text("Skipped")
    expect(skipped).to_contain_text("marketplace orders reach Brightpearl")
    expect(card.locator(".decision")).to_contain_text("skip")
    screens.shot("test-skipped")
    written = _test_run(page, shop["web"])
    expect(written).to_contain_text("Would be written")
    expect(written).to_contain_text("Would create a sales_order record in Brightpearl")
    expect(page.locator("#steps-test-result ol.trace")).to_contain_text("Map fields")
    screens.shot("test-written")

    page.get_by_label("What changed").fill("Skip marketplace orders")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved as version 2")
    screens.shot("saved")

    # Both orders through the sandboxes: the web order is delivered, the marketplace one not.
    _send_orders(page, shop)
    wait_until(lambda: _link(live_stack, shop["pair"], ORDER_FLOW, shop["web"]),
               what="web order delivered")
    _wait_for_log(page, shop, shop["web"], "Success")
    _wait_for_log(page, shop, shop["market"], "Skipped")
    expect(page.locator("tbody tr", has_text="Skipped")).to_contain_text("marketplace")
    screens.shot("log-skipped")
    assert _link(live_stack, shop["pair"], ORDER_FLOW, shop["market"]) is None

    # Roll back to the template's steps; the marketplace order goes through when sent again.
    page.goto(f"{shop['portal']}/flows/{shop['flow'].pk}/steps/versions/")
    page.get_by_role("button", name="Roll back to v1…").click()
    expect(page.locator("main")).to_contain_text("filter-1")
    page.get_by_role("button", name="Roll back to v1").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 1 of the steps is "
                                                             "current again")
    screens.shot("rolled-back")
    # A backfill sends each version of a record once: the order changes in the store (a
    # note from the warehouse), and that change goes through the steps it runs now.
    with live_stack.inside():
        shop["bc"].upsert("sales_order", {"staff_notes": "ship with the web orders"},
                          external_id=shop["market"])
    _send_orders(page, shop)
    wait_until(lambda: _link(live_stack, shop["pair"], ORDER_FLOW, shop["market"]),
               what="marketplace order delivered after the rollback")
    _wait_for_log(page, shop, shop["market"], "Success")
    screens.shot("log-both-delivered")
