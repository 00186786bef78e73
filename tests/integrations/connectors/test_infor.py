"""Infor M3 connector against the sandbox's ION API gateway, over real HTTP."""

from __future__ import annotations

import html
import json
import os
import re
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis

from integrations.connectors import infor as infor_module
from integrations.connectors.base import ConnectionConfig
from integrations.connectors.budget import RateLimit, RequestBudget
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    NotFound,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from integrations.connectors.infor import InforConnector, parse_ionapi
from integrations.connectors.infor_ionapi import ionapi_compose
from tests.sandbox_harness import unique


def make(account: dict[str, Any], **kwargs: Any) -> InforConnector:
    config = ConnectionConfig(
        base_url=account["credentials"]["iu"], account=account["account"],
        auth_type="oauth2_password",
        credentials={"ionapi": json.dumps(account["credentials"])},
    )
    return InforConnector(config, **kwargs)


@pytest.fixture
def tenant(new_account) -> dict[str, Any]:
    return new_account("infor")


@pytest.fixture
def infor(tenant) -> InforConnector:
    return make(tenant)


def add_item(infor: InforConnector, **fields: Any) -> str:
    itno = unique("IT")
    infor.upsert("product", {"ITNO": itno, "ITDS": "Test item", "UNMS": "EA", "SAPR": 12.5,
                             **fields})
    return itno


def add_customer(infor: InforConnector) -> str:
    cuno = unique("C")[:10]
    infor.upsert("customer", {"CUNO": cuno, "CUNM": "Test Customer Ltd", "CSCD": "GB",
                              "CUCD": "GBP"})
    return cuno


# --- .ionapi --------------------------------------------------------------------------------

def test_parse_ionapi_accepts_the_file_the_gateway_hands_out(tenant):
    parsed = parse_ionapi(json.dumps(tenant["credentials"]))
    assert parsed["ti"] == tenant["account"]
    assert parsed["saak"] and parsed["sask"]


def test_parse_ionapi_names_what_is_missing_in_plain_words(tenant):
    web_app = {k: v for k, v in tenant["credentials"].items() if k not in ("saak", "sask")}
    with pytest.raises(ConfigurationError) as caught:
        parse_ionapi(json.dumps(web_app))
    assert "service account access key (saak)" in caught.value.message
    assert "Backend service" in caught.value.message


def test_parse_ionapi_refuses_a_file_that_is_not_json():
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        parse_ionapi("ti=ABC\nci=xyz")


# --- auth -----------------------------------------------------------------------------------

def test_password_grant_returns_a_token_with_absolute_expiry(infor):
    token = infor.fetch_token()
    assert token["access_token"] and token["refresh_token"]
    assert token["expires_at"] > time.time() + 3600


def test_wrong_service_account_secret_is_an_auth_error(tenant):
    tenant["credentials"]["sask"] = "wrong"
    with pytest.raises(AuthError, match="service account"):
        make(tenant).fetch_token()


def test_wrong_client_secret_is_an_auth_error(tenant):
    tenant["credentials"]["cs"] = "wrong"
    with pytest.raises(AuthError, match="client id/secret") as caught:
        make(tenant).test()
    assert caught.value.code == "invalid_client"


def test_expired_token_is_refreshed_once_then_retried(tenant, control):
    first = make(tenant).fetch_token()
    failed: list[dict[str, Any]] = []
    infor: InforConnector

    def refresher(token: dict[str, Any]) -> dict[str, Any]:
        failed.append(token)
        return infor.fetch_token()

    infor = make(tenant, refresher=refresher)
    infor.token = dict(first)
    control.expire_tokens("infor", tenant["account"])
    infor.test()
    assert [t["access_token"] for t in failed] == [first["access_token"]]
    assert infor.token["access_token"] != first["access_token"]
    # Renewed with the refresh_token grant: M3 keeps the same refresh token.
    assert infor.token["refresh_token"] == first["refresh_token"]


def test_token_about_to_expire_is_refreshed_before_the_call(infor):
    infor.token = {**infor.fetch_token(), "expires_at": time.time() + 10}
    old = infor.token["access_token"]
    infor.test()
    assert infor.token["access_token"] != old
    assert infor.token["expires_at"] > time.time() + 3600


# --- sign-in with Infor (Web application, authorization code) --------------------------------

REDIRECT = "http://localhost:8000/oauth/callback/"


def web_config(tenant: dict[str, Any], sandbox_url: str) -> ConnectionConfig:
    web = httpx.get(f"{sandbox_url}/infor/_sandbox/{tenant['account']}/ionapi",
                    params={"app": "web"}).json()
    return ConnectionConfig(base_url=web["iu"], account=tenant["account"],
                            auth_type="oauth2_code", credentials={"ionapi": json.dumps(web)})


def sign_in(tenant: dict[str, Any], address: str, *, action: str = "signin") -> dict[str, list]:
    """The browser at Infor's sign-in page: the form as served, the user's name and password."""
    page = httpx.get(address)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    answer = httpx.post(address, data={
        **{k: html.unescape(v) for k, v in fields.items()}, "action": action,
        "username": tenant["credentials"]["user"],
        "password": tenant["credentials"]["user_password"]})
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


@pytest.fixture
def signed_in(tenant, sandbox_url) -> InforConnector:
    config = web_config(tenant, sandbox_url)
    code = sign_in(tenant, infor_module.authorization_url(config, REDIRECT, "st-1"))["code"][0]
    token = infor_module.exchange_code(config, code, REDIRECT)
    return InforConnector(replace(config, token=token))


def test_authorization_url_is_the_ionapi_authorize_endpoint_with_the_request(tenant,
                                                                             sandbox_url):
    config = web_config(tenant, sandbox_url)
    address = urlsplit(infor_module.authorization_url(config, REDIRECT, "st-1"))
    ionapi = parse_ionapi(config.credentials["ionapi"], auth_type="oauth2_code")
    assert f"{address.scheme}://{address.netloc}{address.path}" == ionapi["pu"] + ionapi["oa"]
    query = parse_qs(address.query)
    assert query == {"response_type": ["code"], "client_id": [ionapi["ci"]],
                     "redirect_uri": [REDIRECT], "state": ["st-1"]}


def test_code_is_exchanged_for_tokens_that_call_m3(tenant, sandbox_url):
    config = web_config(tenant, sandbox_url)
    answer = sign_in(tenant, infor_module.authorization_url(config, REDIRECT, "st-1"))
    assert answer["state"] == ["st-1"]
    token = infor_module.exchange_code(config, answer["code"][0], REDIRECT)
    assert token["refresh_token"] and token["expires_at"] > time.time() + 3600
    InforConnector(replace(config, token=token)).test()


def test_code_used_twice_is_an_auth_error(tenant, sandbox_url):
    config = web_config(tenant, sandbox_url)
    code = sign_in(tenant, infor_module.authorization_url(config, REDIRECT, "s"))["code"][0]
    infor_module.exchange_code(config, code, REDIRECT)
    with pytest.raises(AuthError) as caught:
        infor_module.exchange_code(config, code, REDIRECT)
    assert caught.value.code == "invalid_grant"


def test_expired_sign_in_token_is_refreshed_with_the_refresh_token(signed_in, tenant, control):
    first = dict(signed_in.token)
    control.expire_tokens("infor", tenant["account"])
    signed_in.test()
    assert signed_in.token["access_token"] != first["access_token"]
    assert signed_in.token["refresh_token"] == first["refresh_token"]


def test_sign_in_token_about_to_expire_is_refreshed_before_the_call(signed_in):
    signed_in.token = {**signed_in.token, "expires_at": time.time() + 10}
    old = signed_in.token["access_token"]
    signed_in.test()
    assert signed_in.token["access_token"] != old


def test_revoked_sign_in_asks_to_sign_in_again(signed_in):
    signed_in.token = {"access_token": "", "refresh_token": "revoked-or-unknown"}
    with pytest.raises(AuthError, match="Sign in with Infor again"):
        signed_in.test()


def test_sign_in_without_a_refresh_token_is_an_auth_error(signed_in):
    signed_in.token = {}
    with pytest.raises(AuthError, match="sign in with Infor again"):
        signed_in.fetch_token()


def test_web_app_file_is_refused_for_the_service_account(tenant, sandbox_url):
    config = web_config(tenant, sandbox_url)
    with pytest.raises(ConfigurationError, match="sign-in with Infor"):
        parse_ionapi(config.credentials["ionapi"])


def test_backend_service_file_is_refused_for_sign_in(tenant):
    with pytest.raises(ConfigurationError, match="Backend Service app"):
        parse_ionapi(json.dumps(tenant["credentials"]), auth_type="oauth2_code")


def test_values_typed_in_make_the_same_web_app_file(tenant, sandbox_url):
    web = json.loads(web_config(tenant, sandbox_url).credentials["ionapi"])
    composed = ionapi_compose({
        "ti": web["ti"], "ci": web["ci"], "cs": web["cs"], "iu": web["iu"],
        "authorization_url": web["pu"] + web["oa"], "token_url": web["pu"] + web["ot"]})
    parsed = parse_ionapi(json.dumps(composed), auth_type="oauth2_code")
    assert {k: parsed[k] for k in ("ti", "ci", "cs", "iu", "pu", "oa", "ot")} == {
        k: web[k] for k in ("ti", "ci", "cs", "iu", "pu", "oa", "ot")}


# --- products and customers -----------------------------------------------------------------

def test_product_upsert_creates_then_updates(infor):
    itno = unique("IT")
    created = infor.upsert("product", {"ITNO": itno, "ITDS": "Blue mug", "UNMS": "EA"})
    updated = infor.upsert("product", {"ITNO": itno, "ITDS": "Red mug"})
    assert (created.id, created.created) == (itno, True)
    assert (updated.id, updated.created) == (itno, False)
    assert infor.get("product", itno)["ITDS"] == "Red mug"


def test_business_error_inside_http_200_is_validation_failed_with_field(infor):
    with pytest.raises(ValidationFailed) as caught:
        infor.upsert("product", {"ITNO": unique("IT"), "ITDS": "x" * 31})
    assert caught.value.field == "ITDS"
    assert caught.value.code == "XLE0001"
    assert "too long" in caught.value.message


def test_missing_product_is_not_found(infor):
    with pytest.raises(NotFound):
        infor.get("product", "NOSUCHITEM")


def test_customer_upsert_get_and_change(infor):
    cuno = add_customer(infor)
    infor.upsert("customer", {"CUNM": "Renamed Ltd"}, external_id=cuno)
    customer = infor.get("customer", cuno)
    assert customer["CUNM"] == "Renamed Ltd"
    assert customer["CSCD"] == "GB"  # blank inputs keep the value


def test_customer_with_unknown_country_names_the_field(infor):
    with pytest.raises(ValidationFailed) as caught:
        infor.upsert("customer", {"CUNO": unique("C")[:10], "CUNM": "X", "CSCD": "ZZ"})
    assert caught.value.field == "CSCD"


def test_supplier_upsert_adds_then_changes_the_same_supplier(infor):
    suno = unique("S")[:10]
    added = infor.upsert("supplier", {"SUNO": suno, "SUNM": "Northwind Supply",
                                      "CSCD": "GB", "CUCD": "GBP"})
    changed = infor.upsert("supplier", {"SUNO": suno, "SUNM": "Northwind Supply Ltd"})

    assert (added.id, added.created, changed.id, changed.created) == (suno, True, suno, False)
    supplier = infor.get("supplier", suno)
    assert (supplier["SUNM"], supplier["CSCD"]) == ("Northwind Supply Ltd", "GB")


def test_supplier_with_unknown_currency_names_the_field(infor):
    with pytest.raises(ValidationFailed) as caught:
        infor.upsert("supplier", {"SUNO": unique("S")[:10], "SUNM": "X", "CUCD": "ZZZ"})
    assert caught.value.field == "CUCD"


def test_supplier_upsert_by_link_changes_the_linked_supplier(infor):
    suno = unique("S")[:10]
    infor.upsert("supplier", {"SUNO": suno, "SUNM": "Harbour Tools"})
    changed = infor.upsert("supplier", {"SUNM": "Harbour Tools Ltd", "YREF": "Ann Lee"},
                           external_id=suno)
    assert (changed.id, changed.created) == (suno, False)
    assert infor.get("supplier", suno)["YREF"] == "Ann Lee"


def test_supplier_without_a_name_is_validation_failed_naming_it(infor):
    with pytest.raises(ValidationFailed) as caught:
        infor.upsert("supplier", {"SUNO": unique("S")[:10]})
    assert (caught.value.field, caught.value.code) == ("SUNM", "WSU0102")


def test_missing_supplier_is_not_found(infor):
    with pytest.raises(NotFound):
        infor.get("supplier", "NOSUCHSUP")


# --- polling --------------------------------------------------------------------------------

def test_list_changed_pages_by_start_key(infor):
    items = sorted(add_item(infor) for _ in range(5))
    infor.page_size = 2
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = infor.list_changed("product", since=None, cursor=cursor)
        seen += [r["ITNO"] for r in page.records]
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == items
    assert pages == 3


def test_list_changed_since_returns_only_later_changes(infor):
    old = add_item(infor)
    time.sleep(0.01)
    since = datetime.now(UTC)
    time.sleep(0.01)
    new = add_item(infor)
    records = infor.list_changed("product", since=since).records
    assert [r["ITNO"] for r in records] == [new]
    assert old not in {r["ITNO"] for r in records}
    assert int(records[0]["LMTS"]) >= since.timestamp() * 1000


def test_customers_changed_since_are_listed(infor):
    since = datetime.now(UTC)
    cuno = add_customer(infor)
    assert [r["CUNO"] for r in infor.list_changed("customer", since=since).records] == [cuno]


# --- sales orders ---------------------------------------------------------------------------

def order(cuno: str, *items: str, reference: str = "") -> dict[str, Any]:
    return {"CUNO": cuno, "ORTP": "A01", "CUOR": reference or unique("BP"),
            "ORDT": "20250601", "WHLO": "MAI",
            "Lines": [{"ITNO": item, "ORQT": 2, "SAPR": 9.99} for item in items]}


def test_sales_order_upsert_adds_head_lines_and_confirms(infor):
    cuno, first, second = add_customer(infor), add_item(infor), add_item(infor)
    result = infor.upsert("sales_order", order(cuno, first, second))
    assert result.created and result.id.startswith("1")
    fetched = infor.get("sales_order", result.id)
    assert fetched["CUNO"] == cuno
    assert [line["ITNO"] for line in fetched["Lines"]] == [first, second]
    assert float(fetched["NTLA"]) == pytest.approx(39.96)


def test_sales_order_sent_twice_is_created_once(infor):
    cuno, item = add_customer(infor), add_item(infor)
    reference = unique("BP")
    first = infor.upsert("sales_order", order(cuno, item, reference=reference))
    again = infor.upsert("sales_order", order(cuno, item, reference=reference))
    assert (again.id, again.created) == (first.id, False)


def test_sales_order_line_for_unknown_item_is_validation_failed(infor):
    cuno = add_customer(infor)
    with pytest.raises(ValidationFailed) as caught:
        infor.upsert("sales_order", order(cuno, "NOSUCHITEM"))
    assert caught.value.field == "ITNO"
    assert "does not exist" in caught.value.message


def test_sales_orders_changed_since_are_listed(infor):
    cuno, item = add_customer(infor), add_item(infor)
    since = datetime.now(UTC)
    result = infor.upsert("sales_order", order(cuno, item))
    assert result.id in {r["ORNO"] for r in infor.list_changed("sales_order",
                                                               since=since).records}


# --- inventory, purchasing, deliveries, invoices ------------------------------------------

def test_inventory_upsert_sets_the_on_hand_quantity(infor):
    item = add_item(infor)
    infor.upsert("inventory", {"WHLO": "MAI", "ITNO": item, "STQT": 25})
    infor.upsert("inventory", {"WHLO": "MAI", "ITNO": item, "STQT": 20})
    assert float(infor.get("inventory", f"MAI/{item}")["STQT"]) == 20


def test_inventory_changes_are_listed_with_their_warehouse(infor):
    item = add_item(infor)
    since = datetime.now(UTC)
    infor.inventory_adjust(warehouse="EAS", item=item, quantity=7)
    records = infor.list_changed("inventory", since=since).records
    assert [(r["WHLO"], r["ITNO"], float(r["STQT"])) for r in records] == [("EAS", item, 7)]
    assert infor.record_id("inventory", records[0]) == f"EAS/{item}"


def test_negative_stock_adjustment_is_validation_failed(infor):
    item = add_item(infor)
    with pytest.raises(ValidationFailed) as caught:
        infor.inventory_adjust(warehouse="MAI", item=item, quantity=-5)
    assert caught.value.field == "QLQT"


def test_purchase_order_upsert_and_get(new_account):
    infor = make(new_account("infor", seed={"products": 2, "suppliers": 1}))
    supplier = infor.list_changed("supplier", since=None).records[0]["SUNO"]
    item = infor.list_changed("product", since=None).records[0]["ITNO"]
    result = infor.upsert("purchase_order", {
        "SUNO": supplier, "WHLO": "MAI", "DWDT": "20250701", "YRE1": "BP-PO-1",
        "Lines": [{"ITNO": item, "ORQA": 10, "PUPR": 4.5}],
    })
    fetched = infor.get("purchase_order", result.id)
    assert fetched["SUNO"] == supplier
    assert [(line["ITNO"], float(line["ORQA"])) for line in fetched["Lines"]] == [(item, 10)]
    assert result.id in {r["PUNO"] for r in infor.list_changed("purchase_order",
                                                               since=None).records}


def test_delivery_and_invoice_of_a_shipped_order_are_readable(infor, http, tenant):
    cuno, item = add_customer(infor), add_item(infor)
    infor.upsert("inventory", {"WHLO": "MAI", "ITNO": item, "STQT": 10})
    orno = infor.upsert("sales_order", order(cuno, item)).id
    since = datetime.now(UTC)
    shipped = http.post(f"/infor/_sandbox/{tenant['account']}/orders/{orno}/deliver",
                        json={"carrier": "DHL", "tracking": "TRACK123"}).json()
    deliveries = infor.list_changed("shipment", since=since).records
    assert [d["RIDN"] for d in deliveries] == [orno]
    delivery = infor.get("shipment", shipped["DLIX"])
    assert delivery["ETRN"] == "TRACK123"
    invoices = infor.list_changed("invoice", since=since).records
    assert [i["ORNO"] for i in invoices] == [orno]
    assert infor.get("invoice", shipped["IVNO"])["CUNO"] == cuno


# --- general ledger -------------------------------------------------------------------------

def test_balanced_journal_is_posted_as_a_voucher(infor):
    result = infor.journal_post({"ACDT": "20250601", "VDSC": "Payment BP-1", "CUCD": "GBP",
                                 "Lines": [{"AIT1": "1010", "ACAM": 59.99},
                                           {"AIT1": "1100", "ACAM": -59.99}]})
    assert result.created and result.record and result.record["VONO"]
    batch = infor.get("journal", result.id)
    assert (batch["STAT"], float(batch["DBAM"]), float(batch["CRAM"])) == ("90", 59.99, 59.99)


def test_payment_upsert_posts_to_the_general_ledger(infor):
    result = infor.upsert("payment", {"ACDT": "20250601", "VDSC": "Card payment",
                                      "Lines": [{"AIT1": "1010", "ACAM": "10.00"},
                                                {"AIT1": "1100", "ACAM": "-10.00"}]})
    assert infor.get("journal", result.id)["VONO"] == result.record["VONO"]


def test_unbalanced_journal_is_refused_before_any_call(infor):
    with pytest.raises(ValidationFailed, match="does not balance"):
        infor.journal_post({"ACDT": "20250601", "Lines": [{"AIT1": "1010", "ACAM": 10},
                                                          {"AIT1": "1100", "ACAM": -9}]})


def test_journal_line_with_unknown_account_names_the_field(infor):
    with pytest.raises(ValidationFailed) as caught:
        infor.journal_post({"ACDT": "20250601", "Lines": [{"AIT1": "9999", "ACAM": 10},
                                                          {"AIT1": "1100", "ACAM": -10}]})
    assert caught.value.field == "AIT1"


# --- faults and limits ----------------------------------------------------------------------

def test_quota_answer_is_rate_limited_with_retry_after(infor, control, tenant):
    control.limits("infor", tenant["account"], requests_per_minute=2)
    infor.test()
    infor.test()
    with pytest.raises(RateLimited) as caught:
        infor.test()
    assert caught.value.status == 429
    assert caught.value.wait_s >= 1


@pytest.mark.parametrize(("mode", "error"), [
    ("error_5xx_rate", TransientError),
    ("rate_limit_rate", RateLimited),
    ("drop_rate", TransientError),
    ("malformed_rate", TransientError),
    ("hang_rate", TransientError),
])
def test_every_fault_mode_maps_to_its_error_class(tenant, control, mode, error):
    infor = make(tenant, timeout=(1, 1))
    infor.token = infor.fetch_token()
    control.faults("infor", tenant["account"], **{mode: 1.0})
    with pytest.raises(error):
        infor.test()


def test_budget_keeps_a_burst_under_a_low_sandbox_limit(tenant, control):
    control.limits("infor", tenant["account"], requests_per_minute=5)
    client = redis.Redis.from_url(os.environ["BROKER_URL"])
    budget = RequestBudget(client, key=f"test:infor:{uuid.uuid4().hex}",
                           limit=RateLimit(requests=5, period_s=60), max_wait_s=0.2)
    infor = make(tenant, budget=budget)
    infor.token = infor.fetch_token()
    outcomes = []
    for _ in range(8):
        try:
            infor.test()
            outcomes.append("ok")
        except RateLimited as exc:
            outcomes.append("system" if exc.status else "budget")
    assert "system" not in outcomes
    assert "budget" in outcomes
    assert 1 <= outcomes.count("ok") <= 5


def test_unknown_tenant_is_a_configuration_error(tenant):
    infor = make(tenant)
    infor.token = infor.fetch_token()
    infor.ionapi = {**infor.ionapi, "ti": "NOSUCHTENANT"}
    with pytest.raises(ConfigurationError):
        infor.test()


def test_sandbox_ionapi_endpoint_matches_account_credentials(tenant, sandbox_url):
    served = httpx.get(f"{sandbox_url}/infor/_sandbox/{tenant['account']}/ionapi").json()
    assert parse_ionapi(json.dumps(served))["ci"] == tenant["credentials"]["ci"]
