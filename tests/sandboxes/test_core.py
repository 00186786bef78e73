"""The sandbox core: control API, fault modes, determinism, state counts, persistence.

Faults are exercised through Brightpearl (always registered) on a fresh account each, so other
tests and systems are untouched.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from sandboxes.seeding import dataset_generate
from sandboxes.state import Table
from sandboxes.webhooks import loopback_target
from tests.sandbox_harness import SandboxControl, SandboxProcess

BP_HEADERS = {"brightpearl-app-ref": "clarity-connect", "brightpearl-dev-ref": "clarity"}


def bp_get(http: httpx.Client, account: dict[str, Any], path: str, **kwargs: Any
           ) -> httpx.Response:
    headers = {**BP_HEADERS,
               "Authorization": f"Bearer {account['credentials']['access_token']}"}
    return http.get(f"/brightpearl/public-api/{account['account']}/{path}", headers=headers,
                    **kwargs)


@pytest.fixture
def account(new_account) -> dict[str, Any]:
    return new_account("brightpearl", seed={"products": 3})


# -- control API ---------------------------------------------------------------------------


def test_health_lists_the_registered_systems(http: httpx.Client) -> None:
    body = http.get("/_control/health").json()
    assert body["status"] == "ok"
    assert "brightpearl" in body["systems"]


def test_systems_lists_base_urls_and_demo_credentials(http: httpx.Client, sandbox_url: str
                                                      ) -> None:
    body = http.get("/_control/systems").json()
    assert body["brightpearl"]["base_url"] == f"{sandbox_url}/brightpearl"
    assert body["brightpearl"]["demo_account"] == "demo"
    assert body["brightpearl"]["demo_credentials"]["access_token"] == "demo-access-token"


def test_state_counts_records_per_system_account_and_entity(control: SandboxControl) -> None:
    counts = control.state()["brightpearl"]["demo"]
    assert counts["product"] == 10
    assert counts["order"] >= 10


def test_created_account_appears_in_state_with_its_seeded_counts(
    control: SandboxControl, account: dict[str, Any]
) -> None:
    assert control.counts("brightpearl", account["account"])["product"] == 3


def test_created_account_gets_generated_credentials(account: dict[str, Any]) -> None:
    assert account["credentials"]["access_token"]
    assert account["credentials"]["account_token"]


def test_seed_endpoint_adds_the_requested_number_of_records(
    control: SandboxControl, account: dict[str, Any]
) -> None:
    result = control.seed("brightpearl", account["account"], products=4, customers=2, orders=3)
    assert result["seeded"]["products"] == 4
    assert result["counts"]["product"] == 7
    assert result["counts"]["order"] >= 3


def test_seeding_with_the_same_seed_gives_the_same_records(
    control: SandboxControl, new_account
) -> None:
    first = new_account("brightpearl", seed={"products": 5, "seed": 7})
    second = new_account("brightpearl", seed={"products": 5, "seed": 7})
    skus = [
        [p["identity"]["sku"] for p in control.records("brightpearl", a["account"], "product")]
        for a in (first, second)
    ]
    assert skus[0] == skus[1]


def test_seeding_with_another_seed_gives_other_records(
    control: SandboxControl, new_account
) -> None:
    first = new_account("brightpearl", seed={"products": 5, "seed": 7})
    second = new_account("brightpearl", seed={"products": 5, "seed": 8})
    skus = [
        [p["identity"]["sku"] for p in control.records("brightpearl", a["account"], "product")]
        for a in (first, second)
    ]
    assert skus[0] != skus[1]


def test_dataset_generation_is_deterministic_and_consistent() -> None:
    first = dataset_generate(seed=3, products=8, customers=5, orders=6)
    second = dataset_generate(seed=3, products=8, customers=5, orders=6)
    assert first == second
    product_keys = {p["key"] for p in first.products}
    for order in first.orders:
        assert 1 <= len(order["lines"]) <= 5
        assert {ln["product_key"] for ln in order["lines"]} <= product_keys
        assert order["total"] == pytest.approx(order["net"] + order["tax"], abs=0.01)
    assert {c["address"]["country_iso2"] for c in first.customers} - {"GB"}


def test_records_endpoint_lists_records_and_gets_one(
    http: httpx.Client, account: dict[str, Any]
) -> None:
    listing = http.get(f"/_control/brightpearl/{account['account']}/product").json()
    assert listing["count"] == 3
    first_id = listing["ids"][0]
    one = http.get(f"/_control/brightpearl/{account['account']}/product/{first_id}").json()
    assert one["record"] == listing["records"][0]
    assert one["updated"] >= one["created"]


def test_records_endpoint_filters_by_modified_since(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    since = time.time()
    control.seed("brightpearl", account["account"], products=2)
    listing = http.get(f"/_control/brightpearl/{account['account']}/product",
                       params={"modified_since": since}).json()
    assert listing["count"] == 2


def test_unknown_system_gets_404(http: httpx.Client) -> None:
    response = http.get("/_control/nosuchsystem/demo/product")
    assert response.status_code == 404
    assert "error" in response.json()


def test_account_reset_clears_records_but_keeps_credentials(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.reset("brightpearl", account["account"])
    assert control.counts("brightpearl", account["account"]).get("product", 0) == 0
    assert bp_get(http, account, "warehouse-service/warehouse").status_code == 200


def test_system_reset_removes_accounts_and_reseeds_the_demo(
    control: SandboxControl, account: dict[str, Any]
) -> None:
    control.reset("brightpearl")
    state = control.state()["brightpearl"]
    assert account["account"] not in state
    assert state["demo"]["product"] == 10


def test_limits_put_changes_the_value_get_reports(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.limits("brightpearl", account["account"], requests_per_minute=7)
    limits = http.get("/_control/limits/brightpearl").json()
    assert limits["accounts"][account["account"]]["requests_per_minute"] == 7
    assert limits["requests_per_minute"] == 200


def test_unknown_limit_name_gets_400(http: httpx.Client) -> None:
    response = http.put("/_control/limits/brightpearl", json={"no_such_limit": 1})
    assert response.status_code == 400


# -- faults --------------------------------------------------------------------------------


def test_latency_fault_delays_the_answer(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", account["account"], latency_ms=300)
    started = time.monotonic()
    response = bp_get(http, account, "warehouse-service/warehouse")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.25


def test_5xx_fault_answers_500_in_brightpearl_error_shape(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", account["account"], error_5xx_rate=1.0)
    response = bp_get(http, account, "warehouse-service/warehouse")
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "CMNC-500"


def test_rate_limit_fault_answers_503_with_throttle_headers(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", account["account"], rate_limit_rate=1.0)
    response = bp_get(http, account, "warehouse-service/warehouse")
    assert response.status_code == 503
    assert response.headers["brightpearl-requests-remaining"] == "0"
    assert int(response.headers["brightpearl-next-throttle-period"]) > 0


def test_hang_fault_holds_the_request_until_the_client_times_out(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", account["account"], hang_rate=1.0)
    with pytest.raises(httpx.ReadTimeout):
        bp_get(http, account, "warehouse-service/warehouse", timeout=0.5)


def test_drop_fault_closes_the_connection_without_a_response(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", account["account"], drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        bp_get(http, account, "warehouse-service/warehouse")


def test_malformed_fault_cuts_the_body(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", account["account"], malformed_rate=1.0)
    response = bp_get(http, account, "warehouse-service/warehouse")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_expire_tokens_now_makes_issued_tokens_expire(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    result = control.faults("brightpearl", account["account"], expire_tokens_now=True)
    assert result["tokens_expired"] >= 1
    response = bp_get(http, account, "warehouse-service/warehouse")
    assert response.status_code == 401
    assert response.json() == {"response": "Authorization token expired"}


def test_faults_with_the_same_seed_repeat_the_same_sequence(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    runs = []
    for _ in range(2):
        control.faults("brightpearl", account["account"], error_5xx_rate=0.5, seed=3)
        runs.append([bp_get(http, account, "warehouse-service/warehouse").status_code
                     for _ in range(16)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


def test_account_faults_leave_other_accounts_alone(
    http: httpx.Client, control: SandboxControl, new_account, account: dict[str, Any]
) -> None:
    other = new_account("brightpearl")
    control.faults("brightpearl", account["account"], error_5xx_rate=1.0)
    assert bp_get(http, other, "warehouse-service/warehouse").status_code == 200


def test_system_wide_faults_apply_to_every_account(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", error_5xx_rate=1.0)
    assert bp_get(http, account, "warehouse-service/warehouse").status_code == 500


def test_fault_rates_adding_up_to_more_than_one_are_rejected(http: httpx.Client) -> None:
    response = http.put("/_control/faults/brightpearl",
                        json={"error_5xx_rate": 0.7, "drop_rate": 0.7})
    assert response.status_code == 400


def test_unknown_fault_setting_is_rejected(http: httpx.Client) -> None:
    response = http.put("/_control/faults/brightpearl", json={"explode_rate": 1})
    assert response.status_code == 400


def test_cleared_faults_restore_normal_answers(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", account["account"], error_5xx_rate=1.0)
    control.clear_faults()
    assert bp_get(http, account, "warehouse-service/warehouse").status_code == 200


def test_fault_settings_are_reported(
    http: httpx.Client, control: SandboxControl, account: dict[str, Any]
) -> None:
    control.faults("brightpearl", account["account"], drop_rate=0.25)
    reported = http.get(f"/_control/faults/brightpearl/{account['account']}").json()
    assert reported["drop_rate"] == 0.25


# -- webhook plumbing ----------------------------------------------------------------------


def test_localhost_subdomains_are_sent_to_loopback_with_their_host_header() -> None:
    url, headers = loopback_target("http://acme.localhost:8000/hooks/bp?x=1", {"A": "b"})
    assert url == "http://127.0.0.1:8000/hooks/bp?x=1"
    assert headers == {"A": "b", "Host": "acme.localhost:8000"}


def test_other_hosts_are_left_alone() -> None:
    url, headers = loopback_target("https://example.com/hook", {})
    assert url == "https://example.com/hook"
    assert headers == {}


# -- persistence ---------------------------------------------------------------------------


def test_state_file_keeps_records_across_restarts(tmp_path) -> None:
    state_file = tmp_path / "sandbox-state.json"
    process = SandboxProcess("--state-file", str(state_file), "--no-demo").start()
    try:
        with httpx.Client(base_url=process.url, timeout=10) as client:
            created = client.post("/_control/brightpearl/accounts",
                                  json={"account": "keeper", "seed": {"products": 2}}).json()
            product = bp_get(client, created, "product-service/product/1001").json()
    finally:
        process.stop()
    assert state_file.exists()
    process = SandboxProcess("--state-file", str(state_file), "--no-demo").start()
    try:
        with httpx.Client(base_url=process.url, timeout=10) as client:
            again = bp_get(client, created, "product-service/product/1001").json()
            counts = client.get("/_control/state").json()["systems"]["brightpearl"]
    finally:
        process.stop()
    assert again == product
    assert counts["keeper"]["product"] == 2


def test_a_table_finds_records_by_a_field_in_the_order_they_were_stored():
    table = Table("payment")
    for order_id in (7, 8, 7):
        table.insert({"orderId": order_id})

    assert table.by("orderId", 7) == [{"orderId": 7}, {"orderId": 7}]
    assert table.ids() == [1, 2, 3]


def test_a_tables_field_index_follows_inserts_replacements_and_deletes():
    table = Table("payment")
    first = table.insert({"orderId": 7})
    assert table.by("orderId", 7) == [{"orderId": 7}]  # the index exists from here on

    second = table.insert({"orderId": 7, "n": 2})
    table.replace(first, {"orderId": 9})
    table.delete(second)

    assert table.by("orderId", 7) == []
    assert table.by("orderId", 9) == [{"orderId": 9}]
