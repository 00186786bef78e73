"""Reliability with real processes: a killed worker, and faulty external systems."""

from __future__ import annotations

import signal

import pytest

from integrations.models import Connection, InboundEvent, RecordLink
from integrations.services.connections import connector_for
from tests.e2e.conftest import bigcommerce_pair, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def catalogue(live_stack, new_account_module):
    """Brightpearl products flowing to a BigCommerce store, by webhook."""
    bp = new_account_module("brightpearl", seed={"products": 12})
    bc = new_account_module("bigcommerce")
    return {**bigcommerce_pair(live_stack, bp, bc, name="Catalogue"), "bp": bp, "bc": bc}


def _touch(live_stack, catalogue, product: dict, name: str) -> None:
    with live_stack.inside():
        bp = connector_for(Connection.objects.get(pk=catalogue["bp_conn"].pk))
        bp.upsert("product", {"salesChannels": [{"productName": name}]},
                  external_id=str(product["id"]))


def _skus_in_store(control, catalogue) -> list[str]:
    return [p["sku"] for p in control.records("bigcommerce", catalogue["bc"]["account"],
                                              "products")]


def _states(live_stack, catalogue, product_id: int) -> list[tuple[str, str]]:
    with live_stack.inside():
        return list(InboundEvent.objects.filter(flow__pair=catalogue["pair"],
                                                external_id=str(product_id))
                    .values_list("status", "last_error"))


def _linked(live_stack, catalogue, product_id: int) -> bool:
    # Every sandbox account numbers its products from 1001: look in this module's pair only.
    with live_stack.inside():
        return RecordLink.objects.filter(flow__pair=catalogue["pair"],
                                         flow__key="product-bp-to-bc",
                                         source_id=str(product_id)).exists()


def test_worker_killed_mid_write_delivers_the_event_once_after_restart(
    live_stack, catalogue, control
):
    product = control.records("brightpearl", catalogue["bp"]["account"], "product")[0]
    control.faults("bigcommerce", catalogue["bc"]["account"], latency_ms=3000)
    _touch(live_stack, catalogue, product, "Killed Lamp")

    def processing() -> bool:
        with live_stack.inside():
            return InboundEvent.objects.filter(
                flow__pair=catalogue["pair"], flow__key="product-bp-to-bc",
                external_id=str(product["id"]),
                status=InboundEvent.Status.PROCESSING).exists()

    wait_until(processing, what="the event is being processed")
    live_stack.stop("worker", sig=signal.SIGKILL)
    control.clear_faults()
    live_stack.start_worker()

    wait_until(lambda: _linked(live_stack, catalogue, product["id"]), timeout=90,
               what="the event delivered after the restart")
    assert _skus_in_store(control, catalogue).count(product["identity"]["sku"]) == 1


def test_flaky_store_still_gets_every_product_exactly_once(live_stack, catalogue, control):
    products = control.records("brightpearl", catalogue["bp"]["account"], "product")[1:9]
    # One request in five fails, in every way a store can fail short of hanging (hangs are
    # covered by the connectors' timeout tests: here they would only make the test slow).
    # A 429 makes every worker wait out the store's window: a 3 s window keeps the test short.
    control.limits("bigcommerce", catalogue["bc"]["account"], window_ms=3000,
                   requests_quota=1000)
    control.faults("bigcommerce", catalogue["bc"]["account"], error_5xx_rate=0.1,
                   rate_limit_rate=0.05, drop_rate=0.04, malformed_rate=0.04, seed=7)
    for product in products:
        _touch(live_stack, catalogue, product, f"Flaky {product['id']}")

    for product in products:
        wait_until(lambda p=product: _linked(live_stack, catalogue, p["id"]), timeout=300,
                   what=f"product {product['id']} delivered through the faults "
                        f"({_states(live_stack, catalogue, product['id'])})")
    control.clear_faults()
    skus = _skus_in_store(control, catalogue)
    assert all(skus.count(p["identity"]["sku"]) == 1 for p in products)
