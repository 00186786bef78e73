"""A new customer's whole path in a real browser, from the pricing page to a repaired sync.

Chromium drives the live stack (gunicorn, Dramatiq worker, scheduler, sandboxes): sign up,
connect Brightpearl by OAuth and BigCommerce by API token, create the pair from its template
(ticking the flow that is off by default: orders taken in Brightpearl), go live, watch records
sync in the log and arrive in the other system — among them an order created in the
Brightpearl sandbox, which appears in BigCommerce, while the storefront's own order does not
come back — break a mapping, find the dead letter, fix the mapping, replay and see the record
delivered.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.db import connection as db
from playwright.sync_api import Page, expect

from integrations.models import Connection, DeadLetter, IntegrationPair, RecordLink
from integrations.services.connections import connector_for
from tenants.models import Tenant
from tests.conftest import inside
from tests.e2e.browser.conftest import Screens
from tests.e2e.conftest import LiveStack, wait_until

pytestmark = pytest.mark.e2e

PASSWORD = "browser-journey-Pa55"
BILLING = {"first_name": "Ines", "last_name": "Müller", "street_1": "Torstraße 5",
           "city": "Berlin", "state": "", "zip": "10119", "country": "Germany",
           "country_iso2": "DE", "email": "ines@example.com"}


@pytest.fixture
def journey(live_stack: LiveStack, django_db_blocker: Any, new_account_module: Any
            ) -> Any:
    """The sandbox accounts the customer connects, and the tenant their sign-up creates
    (dropped after the test)."""
    slug = f"shop{uuid.uuid4().hex[:8]}"
    brightpearl = new_account_module("brightpearl", seed={"products": 3, "customers": 1},
                                     credentials={"client_secret": "demo-client-secret"})
    bigcommerce = new_account_module("bigcommerce")
    yield {"slug": slug, "bp": brightpearl, "bc": bigcommerce,
           "public": f"http://localhost:{live_stack.port}",
           "portal": f"http://{slug}.localhost:{live_stack.port}"}
    with django_db_blocker.unblock():
        db.set_schema_to_public()
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is not None:
            tenant.delete(force_drop=True)


def _tenant(slug: str) -> Tenant:
    return Tenant.objects.get(slug=slug)


def _link(tenant: Tenant, flow_key: str, source_id: str) -> RecordLink | None:
    with inside(tenant):
        return RecordLink.objects.filter(flow__key=flow_key, source_id=source_id).first()


def _connector(tenant: Tenant, system: str) -> Any:
    with inside(tenant):
        return connector_for(Connection.objects.get(system=system))


def sign_up(page: Page, screens: Screens, journey: dict[str, Any]) -> None:
    page.goto(journey["public"] + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screens.shot("pricing")
    page.get_by_role("link", name=re.compile(r"Start with .*Growth", re.I)).first.click()
    page.get_by_label("Company name").fill("Journey Outdoor Ltd")
    page.locator("input[name=slug]").fill(journey["slug"])
    expect(page.locator("#address-hint")).to_contain_text(journey["slug"])
    page.locator("input[name=owner_name]").fill("Jo Owner")
    page.locator("input[name=owner_email]").fill("jo@journey.example.com")
    page.locator("input[name=owner_password]").fill(PASSWORD)
    screens.shot("signup")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(journey["portal"] + "/**")
    expect(page.get_by_text("jo@journey.example.com")).to_be_visible()
    screens.shot("dashboard-empty")


def connect_brightpearl(page: Page, screens: Screens, journey: dict[str, Any]) -> None:
    page.goto(journey["portal"] + "/get-started/")
    screens.shot("get-started")
    page.locator("#step-1").get_by_role("link").first.click()
    page.locator("input[name=name]").fill("Brightpearl sandbox")
    page.locator("input[name=account]").fill(journey["bp"]["account"])
    screens.shot("connect-brightpearl")
    page.get_by_role("button", name=re.compile("Save and connect", re.I)).click()
    # Brightpearl's own consent page, served by the sandbox.
    page.wait_for_url(re.compile(r"/oauth/authorize/"))
    screens.shot("brightpearl-consent")
    page.get_by_role("button", name=re.compile("Approve", re.I)).click()
    page.wait_for_url(journey["portal"] + "/get-started/**")
    expect(page.locator("#step-1")).to_contain_text("Connected and tested")


def connect_bigcommerce(page: Page, screens: Screens, journey: dict[str, Any]) -> None:
    page.locator("#step-2").get_by_role("link", name="BigCommerce", exact=True).click()
    page.wait_for_url(re.compile(r"partner=bigcommerce"))
    screens.shot("choose-bigcommerce")
    page.locator("#step-2").get_by_role("link", name=re.compile("token", re.I)).click()
    page.locator("input[name=name]").fill("BigCommerce sandbox")
    page.locator("input[name=account]").fill(journey["bc"]["account"])
    page.locator("input[name$=store_hash]").fill(journey["bc"]["account"])
    page.locator("input[name$=access_token]").fill(
        journey["bc"]["credentials"]["access_token"])
    screens.shot("connect-bigcommerce")
    page.get_by_role("button", name=re.compile("Save and connect", re.I)).click()
    page.wait_for_url(journey["portal"] + "/get-started/**")
    expect(page.locator("#step-2")).to_contain_text("Connected and tested")
    expect(page.locator("#step-3")).to_contain_text("both answered")


def go_live(page: Page, screens: Screens, journey: dict[str, Any]) -> None:
    page.locator("#step-4").get_by_role("link", name="Review its flows").first.click()
    # Orders taken in Brightpearl go to the store only when the customer ticks the flow.
    opt_in = page.locator("#flow-sales-order-bp-to-bc")
    expect(opt_in).not_to_be_checked()
    opt_in.check()
    screens.shot("review-flows")
    page.get_by_role("button", name="Go live").click()
    page.wait_for_url(re.compile(r"/integrations/\d+/"))
    expect(page.get_by_text(re.compile("live", re.I)).first).to_be_visible()
    screens.shot("pair")


def _wait_for_log(page: Page, journey: dict[str, Any], record_id: str, status: str) -> None:
    """Search the transaction log for ``record_id`` until a row with ``status`` shows."""
    def shown() -> bool:
        page.goto(journey["portal"] + "/transactions/")
        page.get_by_label("Search").fill(record_id)
        page.get_by_label("Search").press("Enter")
        page.wait_for_load_state()
        return page.locator("tbody tr", has_text=status).count() > 0
    wait_until(shown, timeout=60, every=1, what=f"{record_id} {status} in the log")


def sync_product_and_order(page: Page, screens: Screens, journey: dict[str, Any],
                           tenant: Tenant, control: Any) -> dict[str, Any]:
    """A product renamed in Brightpearl reaches the store, a storefront order reaches
    Brightpearl, and Brightpearl's shipment of it reaches the store; all show in the log."""
    bp, bc = _connector(tenant, "brightpearl"), _connector(tenant, "bigcommerce")
    product = control.records("brightpearl", journey["bp"]["account"], "product")[0]
    bp.upsert("product", {"salesChannels": [{"productName": "Trail Lamp"}]},
              external_id=str(product["id"]))
    product_link = wait_until(lambda: _link(tenant, "product-bp-to-bc", str(product["id"])),
                              what="product synced")
    assert bc.get("product", product_link.target_id)["name"] == "Trail Lamp"
    _wait_for_log(page, journey, str(product["id"]), "Success")
    screens.shot("log-product")

    customer = bc.upsert("customer", {"email": "ines@example.com", "first_name": "Ines",
                                      "last_name": "Müller"})
    wait_until(lambda: _link(tenant, "customer-bc-to-bp", customer.id), what="customer synced")
    order = bc.upsert("sales_order", {
        "status_id": 11, "payment_method": "Credit Card", "customer_id": int(customer.id),
        "billing_address": BILLING,
        "products": [{"product_id": int(product_link.target_id), "quantity": 2}]})
    order_link = wait_until(lambda: _link(tenant, "sales-order-bc-to-bp", order.id),
                            what="order synced")
    assert bp.get("sales_order", order_link.target_id)["reference"] == order.id
    _wait_for_log(page, journey, order.id, "Success")
    screens.shot("log-order")

    # Brightpearl ships it: the goods-out note becomes the store order's shipment.
    (note_id,) = bp.goods_out_note_create(order_link.target_id)
    bp.goods_out_note_ship(note_id, tracking="JD0002210", shipping_method_id=2)
    wait_until(lambda: _link(tenant, "shipment-bp-to-bc", note_id), what="shipment synced")
    (shipment,) = bc.shipments_list(order.id)
    assert shipment["tracking_number"] == "JD0002210"
    _wait_for_log(page, journey, note_id, "Success")
    screens.shot("log-shipment")
    return {"customer": customer.id, "product": product_link.target_id,
            "bp_product": str(product["id"]), "bc_order": order.id,
            "bp_order": order_link.target_id}


ADDRESS = {"addressFullName": "Ines Müller", "addressLine1": "Torstraße 5",
           "addressLine3": "Berlin", "postalCode": "10119", "countryIsoCode": "DEU",
           "email": "ines@example.com"}


def sync_brightpearl_order(page: Page, screens: Screens, journey: dict[str, Any],
                           tenant: Tenant, ids: dict[str, Any]) -> None:
    """The acceptance: an order created in the Brightpearl sandbox (taken on the phone for
    the storefront's customer) appears in the log and in BigCommerce, on her account; the
    storefront order Brightpearl got from BigCommerce did not come back as a second one."""
    bp, bc = _connector(tenant, "brightpearl"), _connector(tenant, "bigcommerce")
    contact = _link(tenant, "customer-bc-to-bp", ids["customer"]).target_id
    # Through the sandbox's API, as Brightpearl's own screens do: the order, then its row.
    bp_order = bp.upsert("sales_order", {
        "orderTypeCode": "SO", "reference": "PHONE-1",
        "parties": {"customer": {"contactId": int(contact)}, "billing": ADDRESS},
        "delivery": {"address": ADDRESS},
        "rows": [{"productId": int(ids["bp_product"]), "quantity": {"magnitude": 2},
                  "rowValue": {"taxCode": "T20", "rowNet": {"value": 50},
                               "rowTax": {"value": 10}}}]}).id
    link = wait_until(lambda: _link(tenant, "sales-order-bp-to-bc", bp_order), timeout=60,
                      what="Brightpearl order in BigCommerce")
    bc_order = bc.order_get(link.target_id)
    assert (bc_order["customer_id"], bc_order["external_id"]) == (int(ids["customer"]),
                                                                  bp_order)
    assert [(p["product_id"], p["quantity"]) for p in bc_order["products"]] == [
        (int(ids["product"]), 2)]
    _wait_for_log(page, journey, bp_order, "Success")
    screens.shot("log-brightpearl-order")
    # The storefront's order reached Brightpearl, whose events about it were skipped: the
    # store holds it once, and the Brightpearl order is the only one it got from Brightpearl.
    _wait_for_log(page, journey, ids["bp_order"], "Skipped")
    screens.shot("log-echo-skipped")
    from_brightpearl = [o for o in bc.v2_list("orders", limit=250)
                        if o.get("external_source") == "Brightpearl"]
    assert [o["external_id"] for o in from_brightpearl] == [bp_order]
    assert _link(tenant, "sales-order-bp-to-bc", ids["bp_order"]) is None


def break_order_mapping(page: Page, screens: Screens, journey: dict[str, Any],
                        pair: IntegrationPair) -> None:
    """The order reference now reads a field BigCommerce orders do not have."""
    page.goto(f"{journey['portal']}/integrations/{pair.pk}/")
    page.locator("tr", has_text="Sales orders: BigCommerce → Brightpearl").get_by_role(
        "link", name=re.compile("Edit mapping")).first.click()
    page.wait_for_url(re.compile(r"/flows/\d+/mapping/"))
    screens.shot("mapping-editor")
    row = page.locator("tr", has=page.locator("code[title='reference']")).first
    row.get_by_role("link", name="Edit").click()
    form = page.locator("form.field-form")
    form.get_by_label("Expression", exact=True).first.check()
    form.locator("[name=expression]").fill("purchase_order_ref")
    screens.shot("mapping-field")
    form.get_by_role("button", name="Apply to draft").click()
    page.get_by_label("What changed").fill("Reference from the PO field")
    page.get_by_role("button", name=re.compile(r"Save as version")).click()
    expect(page.get_by_role("status")).to_contain_text("Saved as version 2")


def test_new_customer_signs_up_connects_goes_live_and_repairs_a_failed_sync(
        live_stack: LiveStack, page: Page, screens: Screens, journey: dict[str, Any],
        control: Any) -> None:
    sign_up(page, screens, journey)
    connect_brightpearl(page, screens, journey)
    connect_bigcommerce(page, screens, journey)
    go_live(page, screens, journey)
    tenant = _tenant(journey["slug"])
    with inside(tenant):
        pair = IntegrationPair.objects.get()
    ids = sync_product_and_order(page, screens, journey, tenant, control)
    sync_brightpearl_order(page, screens, journey, tenant, ids)

    break_order_mapping(page, screens, journey, pair)
    bp, bc = _connector(tenant, "brightpearl"), _connector(tenant, "bigcommerce")
    order = bc.upsert("sales_order", {
        "status_id": 11, "payment_method": "Credit Card", "customer_id": int(ids["customer"]),
        "billing_address": BILLING,
        "products": [{"product_id": int(ids["product"]), "quantity": 1}]})
    _wait_for_log(page, journey, order.id, "Failed")
    page.goto(journey["portal"] + "/dead-letters/")
    letter = page.locator("tbody tr", has_text="Sales orders").filter(has_text=order.id)
    screens.shot("dead-letters")
    letter.get_by_role("link").first.click()
    expect(page.locator("main")).to_contain_text("reference")
    screens.shot("dead-letter")

    # The fix: back to the template's version of the mapping.
    page.goto(f"{journey['portal']}/integrations/{pair.pk}/")
    page.locator("tr", has_text="Sales orders: BigCommerce → Brightpearl").get_by_role(
        "link", name=re.compile("Edit mapping")).first.click()
    page.get_by_role("link", name="Version history").click()
    screens.shot("mapping-versions")
    page.get_by_role("button", name="Roll back to v1…").click()
    page.get_by_role("button", name="Roll back to v1").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 is current again")

    # Replay everything the broken mapping failed (the order, and its payment that waited
    # for it) as one bulk action, and watch it finish.
    page.goto(journey["portal"] + "/dead-letters/")
    page.get_by_role("button", name="Replay all matching").click()
    page.get_by_role("button", name=re.compile(r"^Replay \d+$")).click()
    page.wait_for_url(re.compile(r"/operations/\d+/"))
    expect(page.locator("main")).to_contain_text(re.compile("done|finished", re.I),
                                                   timeout=30_000)
    screens.shot("replay-operation")
    order_link = wait_until(lambda: _link(tenant, "sales-order-bc-to-bp", order.id),
                            what="replayed order delivered")
    assert bp.get("sales_order", order_link.target_id)["reference"] == order.id
    _wait_for_log(page, journey, order.id, "Success")
    screens.shot("log-replayed")
    page.goto(journey["portal"] + "/")
    screens.shot("dashboard")
    # The order's card payment waited for the order and follows it: nothing is left open.
    with inside(tenant):
        wait_until(lambda: not DeadLetter.objects.filter(
            resolution=DeadLetter.Resolution.OPEN).exists() and RecordLink.objects.filter(
            flow__key="payment-bc-to-bp").count() == 2, timeout=60,
            what="both orders' payments delivered")
