"""Infor M3 through the ION API gateway, driven over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sandbox_harness import SandboxControl, unique

SEED = {"products": 6, "customers": 4, "orders": 6, "suppliers": 2, "purchase_orders": 2}


def _token(http: httpx.Client, ionapi: dict[str, Any], **overrides: str) -> httpx.Response:
    form = {"grant_type": "password", "username": ionapi["saak"], "password": ionapi["sask"],
            "client_id": ionapi["ci"], "client_secret": ionapi["cs"], **overrides}
    return http.post(ionapi["pu"] + ionapi["ot"], data=form)


class M3Client:
    def __init__(self, http: httpx.Client, ionapi: dict[str, Any]) -> None:
        self.http = http
        self.ionapi = ionapi
        self.tokens = _token(http, ionapi).json()
        self.base = f"{ionapi['iu']}/{ionapi['ti']}/M3/m3api-rest/v2/execute"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    def raw(self, program: str, transaction: str, **params: Any) -> httpx.Response:
        return self.http.get(f"{self.base}/{program}/{transaction}", params=params,
                             headers=self.headers)

    def call(self, program: str, transaction: str, **params: Any) -> dict[str, Any]:
        response = self.raw(program, transaction, **params)
        assert response.status_code == 200, response.text
        return response.json()["results"][0]

    def records(self, program: str, transaction: str, **params: Any) -> list[dict[str, str]]:
        result = self.call(program, transaction, **params)
        assert "errorMessage" not in result, result
        return result["records"]

    def bulk(self, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(self.base, json=body, headers=self.headers)


@pytest.fixture
def tenant(new_account: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_account("infor", seed=SEED)


@pytest.fixture
def m3(http: httpx.Client, tenant: dict[str, Any]) -> M3Client:
    return M3Client(http, tenant["credentials"])


# -- auth ---------------------------------------------------------------------------------------

def test_ionapi_file_lists_every_key_a_connector_needs(tenant: dict[str, Any]) -> None:
    ionapi = tenant["credentials"]
    for key in ("ti", "ci", "cs", "iu", "pu", "ot", "saak", "sask"):
        assert ionapi[key]
    assert ionapi["ti"] == tenant["account"]
    assert ionapi["ot"] == "token.oauth2"


def test_sandbox_serves_the_ionapi_file(http: httpx.Client, tenant: dict[str, Any]) -> None:
    response = http.get(f"/infor/_sandbox/{tenant['account']}/ionapi")
    sandbox_only = ("web_app", "user", "user_password")
    assert response.json() == {k: v for k, v in tenant["credentials"].items()
                               if k not in sandbox_only}


def test_password_grant_returns_bearer_token_with_refresh(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    body = _token(http, tenant["credentials"]).json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 7200
    assert body["access_token"] and body["refresh_token"]


def test_wrong_service_account_secret_is_invalid_grant(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    response = _token(http, tenant["credentials"], password="wrong")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    response = _token(http, tenant["credentials"], client_secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_unknown_grant_type_is_refused(http: httpx.Client, tenant: dict[str, Any]) -> None:
    response = _token(http, tenant["credentials"], grant_type="client_credentials")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_client_credentials_may_come_as_http_basic(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    ionapi = tenant["credentials"]
    response = http.post(ionapi["pu"] + ionapi["ot"], auth=(ionapi["ci"], ionapi["cs"]), data={
        "grant_type": "password", "username": ionapi["saak"], "password": ionapi["sask"]})
    assert response.status_code == 200


def test_call_without_token_is_401(http: httpx.Client, m3: M3Client) -> None:
    response = http.get(f"{m3.base}/CRS610MI/LstByNumber")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401_until_refreshed(
    http: httpx.Client, control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.expire_tokens("infor", tenant["account"])
    expired = m3.raw("CRS610MI", "LstByNumber")
    assert expired.status_code == 401
    assert "expired" in expired.json()["error_description"]
    ionapi = tenant["credentials"]
    refreshed = http.post(ionapi["pu"] + ionapi["ot"], data={
        "grant_type": "refresh_token", "refresh_token": m3.tokens["refresh_token"],
        "client_id": ionapi["ci"], "client_secret": ionapi["cs"]})
    assert refreshed.status_code == 200
    m3.tokens = refreshed.json()
    assert m3.raw("CRS610MI", "LstByNumber").status_code == 200


def test_bad_refresh_token_is_invalid_grant(http: httpx.Client, tenant: dict[str, Any]) -> None:
    ionapi = tenant["credentials"]
    response = http.post(ionapi["pu"] + ionapi["ot"], data={
        "grant_type": "refresh_token", "refresh_token": "nope",
        "client_id": ionapi["ci"], "client_secret": ionapi["cs"]})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_of_one_tenant_is_refused_by_another(
    http: httpx.Client, new_account: Callable[..., dict[str, Any]], m3: M3Client
) -> None:
    other = new_account("infor")["credentials"]
    url = f"{other['iu']}/{other['ti']}/M3/m3api-rest/v2/execute/CRS610MI/LstByNumber"
    assert http.get(url, headers=m3.headers).status_code == 401



# -- sign-in with Infor (authorization code, Web application client) ----------------------------

REDIRECT = "http://localhost:8000/oauth/callback/"


def _web_app(http: httpx.Client, tenant: dict[str, Any]) -> dict[str, Any]:
    return http.get(f"/infor/_sandbox/{tenant['account']}/ionapi", params={"app": "web"}).json()


def _authorize_url(web: dict[str, Any]) -> str:
    return web["pu"] + web["oa"]


def _sign_in(http: httpx.Client, tenant: dict[str, Any], web: dict[str, Any], *,
             password: str | None = None, redirect_uri: str = REDIRECT) -> httpx.Response:
    return http.post(_authorize_url(web), data={
        "client_id": web["ci"], "redirect_uri": redirect_uri, "state": "s-123",
        "response_type": "code", "action": "signin", "username": tenant["credentials"]["user"],
        "password": password or tenant["credentials"]["user_password"]})


def _code_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["s-123"]
    return query["code"][0]


def _code_grant(http: httpx.Client, web: dict[str, Any], code: str,
                redirect_uri: str = REDIRECT) -> httpx.Response:
    return http.post(web["pu"] + web["ot"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": web["ci"], "client_secret": web["cs"]})


def test_web_app_ionapi_file_has_no_service_account(http: httpx.Client,
                                                    tenant: dict[str, Any]) -> None:
    web = _web_app(http, tenant)
    assert {"ti", "ci", "cs", "iu", "pu", "oa", "ot", "or"} <= web.keys()
    assert "saak" not in web and "sask" not in web
    assert web["ci"] != tenant["credentials"]["ci"]


def test_authorize_page_shows_a_sign_in_form_keeping_the_request(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    web = _web_app(http, tenant)
    page = http.get(_authorize_url(web), params={
        "response_type": "code", "client_id": web["ci"], "redirect_uri": REDIRECT,
        "state": "s-123"})
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert 'name="state" value="s-123"' in page.text


def test_signing_in_redirects_back_with_a_code_and_the_state(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    web = _web_app(http, tenant)
    response = _sign_in(http, tenant, web)
    assert response.headers["location"].startswith(REDIRECT + "?")
    assert _code_of(response)


def test_wrong_password_shows_the_sign_in_page_again(http: httpx.Client,
                                                     tenant: dict[str, Any]) -> None:
    response = _sign_in(http, tenant, _web_app(http, tenant), password="wrong")
    assert response.status_code == 200
    assert "incorrect" in response.text


def test_cancelling_the_sign_in_redirects_back_with_access_denied(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    web = _web_app(http, tenant)
    response = http.post(_authorize_url(web), data={
        "client_id": web["ci"], "redirect_uri": REDIRECT, "state": "s-123",
        "response_type": "code", "action": "cancel"})
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert (query["error"], query["state"]) == (["access_denied"], ["s-123"])


def test_backend_service_client_cannot_sign_users_in(http: httpx.Client,
                                                     tenant: dict[str, Any]) -> None:
    web = _web_app(http, tenant)
    page = http.get(_authorize_url(web), params={
        "response_type": "code", "client_id": tenant["credentials"]["ci"],
        "redirect_uri": REDIRECT})
    assert page.status_code == 400
    assert "unauthorized_client" in page.text


def test_code_grant_returns_tokens_that_call_m3(http: httpx.Client,
                                                tenant: dict[str, Any]) -> None:
    web = _web_app(http, tenant)
    tokens = _code_grant(http, web, _code_of(_sign_in(http, tenant, web))).json()
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    url = f"{web['iu']}/{web['ti']}/M3/m3api-rest/v2/execute/CRS610MI/LstByNumber"
    response = http.get(url, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200


def test_a_code_can_be_used_once(http: httpx.Client, tenant: dict[str, Any]) -> None:
    web = _web_app(http, tenant)
    code = _code_of(_sign_in(http, tenant, web))
    assert _code_grant(http, web, code).status_code == 200
    again = _code_grant(http, web, code)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_code_grant_with_another_redirect_uri_is_invalid_grant(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    web = _web_app(http, tenant)
    code = _code_of(_sign_in(http, tenant, web))
    response = _code_grant(http, web, code, redirect_uri="http://localhost:9999/elsewhere/")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_web_app_tokens_are_refreshed_with_the_web_client(
    http: httpx.Client, tenant: dict[str, Any]
) -> None:
    web = _web_app(http, tenant)
    tokens = _code_grant(http, web, _code_of(_sign_in(http, tenant, web))).json()
    refreshed = http.post(web["pu"] + web["ot"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": web["ci"], "client_secret": web["cs"]})
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]


def test_web_app_may_not_use_the_password_grant(http: httpx.Client,
                                                tenant: dict[str, Any]) -> None:
    web = _web_app(http, tenant)
    creds = tenant["credentials"]
    response = http.post(web["pu"] + web["ot"], data={
        "grant_type": "password", "username": creds["saak"], "password": creds["sask"],
        "client_id": web["ci"], "client_secret": web["cs"]})
    assert (response.status_code, response.json()["error"]) == (400, "unauthorized_client")

# -- items and stock ----------------------------------------------------------------------------

def test_item_add_get_update(m3: M3Client) -> None:
    itno = unique("IT")
    assert m3.records("MMS200MI", "AddItmBasic", ITNO=itno, ITDS="Trail Backpack 30L",
                      UNMS="EA", SAPR="89.99") == [{"ITNO": itno}]
    item = m3.records("MMS200MI", "GetItmBasic", ITNO=itno)[0]
    assert (item["ITDS"], item["STAT"], item["SAPR"]) == ("Trail Backpack 30L", "20", "89.99")
    m3.records("MMS200MI", "UpdItmBasic", ITNO=itno, ITDS="Trail Backpack 32L")
    assert m3.records("MMS200MI", "GetItmBasic", ITNO=itno)[0]["ITDS"] == "Trail Backpack 32L"


def test_missing_item_is_an_error_inside_http_200(m3: M3Client) -> None:
    response = m3.raw("MMS200MI", "GetItmBasic", ITNO="NO-SUCH-ITEM")
    assert response.status_code == 200
    body = response.json()
    assert body["nrOfFailedTransactions"] == 1
    result = body["results"][0]
    assert result["errorMessage"] == "Item number NO-SUCH-ITEM does not exist"
    assert (result["errorField"], result["errorType"]) == ("ITNO", "ServerReturnedNOK")
    assert result["errorCode"]


def test_required_field_missing_names_the_field(m3: M3Client) -> None:
    result = m3.call("MMS200MI", "AddItmBasic", ITNO=unique("IT"))
    assert result["errorField"] == "ITDS"
    assert result["errorMessage"] == "Name must be entered"


def test_field_too_long_is_refused(m3: M3Client) -> None:
    result = m3.call("MMS200MI", "AddItmBasic", ITNO="X" * 16, ITDS="Too long")
    assert result["errorField"] == "ITNO"
    assert "too long" in result["errorMessage"]


def test_duplicate_item_is_refused(m3: M3Client) -> None:
    itno = unique("IT")
    m3.records("MMS200MI", "AddItmBasic", ITNO=itno, ITDS="First")
    result = m3.call("MMS200MI", "AddItmBasic", ITNO=itno, ITDS="Second")
    assert result["errorMessage"] == f"Item number {itno} already exists"


def test_stock_adjustment_moves_warehouse_balance(m3: M3Client) -> None:
    itno = unique("IT")
    m3.records("MMS200MI", "AddItmBasic", ITNO=itno, ITDS="Lantern")
    m3.records("MMS850MI", "AddAdjust", WHLO="MAI", ITNO=itno, QLQT="12")
    m3.records("MMS850MI", "AddAdjust", WHLO="MAI", ITNO=itno, QLQT="-2")
    balance = m3.records("MMS200MI", "GetItmWhsBal", WHLO="MAI", ITNO=itno)[0]
    assert (balance["STQT"], balance["AVAL"]) == ("10", "10")
    listed = m3.records("MMS060MI", "List", WHLO="MAI", ITNO=itno)
    assert listed[0]["STQT"] == "10"


def test_adjustment_below_zero_is_refused(m3: M3Client) -> None:
    itno = unique("IT")
    m3.records("MMS200MI", "AddItmBasic", ITNO=itno, ITDS="Lantern")
    result = m3.call("MMS850MI", "AddAdjust", WHLO="MAI", ITNO=itno, QLQT="-1")
    assert result["errorField"] == "QLQT"


def test_item_list_pages_by_start_key_and_maxrecs(m3: M3Client) -> None:
    first = m3.records("MMS200MI", "LstItmByItm", maxrecs=3)
    assert len(first) == 3
    after = m3.records("MMS200MI", "LstItmByItm", ITNO=first[-1]["ITNO"], maxrecs=3)
    assert after[0]["ITNO"] == first[-1]["ITNO"]
    everything = m3.records("MMS200MI", "LstItmByItm", maxrecs=0)
    assert len(everything) == SEED["products"]


def test_returncols_and_excludeempty_shape_the_records(m3: M3Client) -> None:
    rows = m3.records("CRS610MI", "LstByNumber", returncols="CUNO,CUNM", maxrecs=2)
    assert set(rows[0]) == {"CUNO", "CUNM"}
    row = m3.records("CRS610MI", "LstByNumber", excludeempty="true", maxrecs=1)[0]
    assert "" not in row.values()


# -- customers ----------------------------------------------------------------------------------

def test_customer_add_change_get(m3: M3Client) -> None:
    cuno = unique("C")[:10]
    m3.records("CRS610MI", "Add", CUNO=cuno, CUNM="Harbor & Pine Ltd", CUA1="1 High Street",
               TOWN="Bristol", PONO="BS1 4DJ", CSCD="GB", EMAL="buyer@example.com", CUCD="GBP")
    m3.records("CRS610MI", "ChgBasicData", CUNO=cuno, PHNO="+44 117 496 0000")
    customer = m3.records("CRS610MI", "GetBasicData", CUNO=cuno)[0]
    assert (customer["CUNM"], customer["PHNO"], customer["TOWN"]) == (
        "Harbor & Pine Ltd", "+44 117 496 0000", "Bristol")


def test_customer_with_unknown_country_is_refused(m3: M3Client) -> None:
    result = m3.call("CRS610MI", "Add", CUNO=unique("C")[:10], CUNM="X", CSCD="ZZ")
    assert (result["errorField"], result["errorMessage"]) == ("CSCD", "Country ZZ does not exist")


def test_supplier_add_change_get(m3: M3Client) -> None:
    suno = unique("S")[:10]
    m3.records("CRS620MI", "AddSupplier", SUNO=suno, SUNM="Northwind Supply", CSCD="GB",
               CUCD="GBP", TOWN="Leeds")
    m3.records("CRS620MI", "UpdSupplier", SUNO=suno, PHNO="+44 113 496 0000")
    supplier = m3.records("CRS620MI", "GetBasicData", SUNO=suno)[0]
    assert (supplier["SUNM"], supplier["PHNO"], supplier["TOWN"]) == (
        "Northwind Supply", "+44 113 496 0000", "Leeds")


def test_changing_an_unknown_supplier_names_the_key(m3: M3Client) -> None:
    result = m3.call("CRS620MI", "UpdSupplier", SUNO="NOSUCH", SUNM="X")
    assert result["errorField"] == "SUNO"


def test_supplier_without_a_name_is_refused_inside_http_200(m3: M3Client) -> None:
    response = m3.raw("CRS620MI", "AddSupplier", SUNO=unique("S")[:10])
    assert response.status_code == 200
    body = response.json()
    assert body["nrOfFailedTransactions"] == 1
    result = body["results"][0]
    assert (result["errorField"], result["errorCode"], result["errorMessage"]) == (
        "SUNM", "WSU0102", "Supplier name must be entered")


def test_adding_an_existing_supplier_says_it_already_exists(m3: M3Client) -> None:
    suno = unique("S")[:10]
    m3.records("CRS620MI", "AddSupplier", SUNO=suno, SUNM="Northwind Supply")
    result = m3.call("CRS620MI", "AddSupplier", SUNO=suno, SUNM="Northwind Supply")
    assert (result["errorField"], result["errorCode"]) == ("SUNO", "WSU0201")


def test_supplier_with_unknown_country_is_refused(m3: M3Client) -> None:
    result = m3.call("CRS620MI", "AddSupplier", SUNO=unique("S")[:10], SUNM="X", CSCD="ZZ")
    assert (result["errorField"], result["errorMessage"]) == ("CSCD", "Country ZZ does not exist")


def test_supplier_number_longer_than_ten_is_refused(m3: M3Client) -> None:
    result = m3.call("CRS620MI", "AddSupplier", SUNO="S" * 11, SUNM="X")
    assert (result["errorField"], result["errorCode"]) == ("SUNO", "XLE0001")


def test_supplier_change_keeps_blank_fields_and_clears_question_marks(m3: M3Client) -> None:
    suno = unique("S")[:10]
    m3.records("CRS620MI", "AddSupplier", SUNO=suno, SUNM="Northwind", YREF="Ann Lee",
               EMAL="ann@northwind.example")
    m3.records("CRS620MI", "UpdSupplier", SUNO=suno, SUNM="", EMAL="?")
    supplier = m3.records("CRS620MI", "GetBasicData", SUNO=suno)[0]
    assert (supplier["SUNM"], supplier["YREF"], supplier["EMAL"]) == ("Northwind", "Ann Lee", "")


def test_supplier_list_starts_at_the_key_given(m3: M3Client) -> None:
    first = unique("S")[:10]
    m3.records("CRS620MI", "AddSupplier", SUNO=first, SUNM="First")
    rows = m3.records("CRS620MI", "LstSuppliers", SUNO=first, maxrecs=1)
    assert [r["SUNO"] for r in rows] == [first]


def test_changed_since_lists_only_recent_customers(m3: M3Client) -> None:
    all_rows = m3.records("CRS610MI", "LstByNumber", maxrecs=0)
    newest = max(int(r["LMTS"]) for r in all_rows)
    cuno = unique("C")[:10]
    m3.records("CRS610MI", "Add", CUNO=cuno, CUNM="Late Arrival")
    changed = m3.records("CRS610MI", "LstByNumber", LMTS=str(newest + 1), maxrecs=0)
    assert [r["CUNO"] for r in changed] == [cuno]


# -- sales orders -------------------------------------------------------------------------------

def _customer_and_item(m3: M3Client) -> tuple[str, str]:
    cuno = m3.records("CRS610MI", "LstByNumber", maxrecs=1)[0]["CUNO"]
    itno = unique("IT")
    m3.records("MMS200MI", "AddItmBasic", ITNO=itno, ITDS="Skillet", SAPR="45")
    m3.records("MMS850MI", "AddAdjust", WHLO="MAI", ITNO=itno, QLQT="5")
    return cuno, itno


def test_batch_order_confirms_to_a_final_order(m3: M3Client) -> None:
    cuno, itno = _customer_and_item(m3)
    temp = m3.records("OIS100MI", "AddBatchHead", CUNO=cuno, ORTP="A01", CUOR="BP-1001",
                      ORDT="20250601", CUCD="GBP", WHLO="MAI")[0]["ORNO"]
    m3.records("OIS100MI", "AddBatchLine", ORNO=temp, ITNO=itno, ORQT="2", SAPR="44.50")
    final = m3.records("OIS100MI", "Confirm", ORNO=temp)[0]["ORNO"]
    assert final != temp
    head = m3.records("OIS100MI", "GetHead", ORNO=final)[0]
    assert (head["CUNO"], head["CUOR"], head["NTLA"], head["ORST"]) == (cuno, "BP-1001", "89",
                                                                         "33")
    lines = m3.records("OIS100MI", "LstLine", ORNO=final)
    assert [(x["ITNO"], x["ORQT"]) for x in lines] == [(itno, "2")]
    balance = m3.records("MMS200MI", "GetItmWhsBal", WHLO="MAI", ITNO=itno)[0]
    assert balance["ALQT"] == "2"


def test_bulk_execute_reports_each_transaction(m3: M3Client) -> None:
    cuno, _ = _customer_and_item(m3)
    response = m3.bulk({"program": "OIS100MI", "cono": 100, "transactions": [
        {"transaction": "AddBatchHead", "record": {"CUNO": cuno, "CUOR": "BP-2002"}},
        {"transaction": "AddBatchHead", "record": {"CUNO": "NOBODY"}},
    ]})
    body = response.json()
    assert response.status_code == 200
    assert (body["nrOfSuccessfullTransactions"], body["nrOfFailedTransactions"]) == (1, 1)
    assert body["results"][1]["errorMessage"] == "Customer NOBODY does not exist"


def test_order_line_for_unknown_item_is_refused(m3: M3Client) -> None:
    cuno, _ = _customer_and_item(m3)
    temp = m3.records("OIS100MI", "AddBatchHead", CUNO=cuno)[0]["ORNO"]
    result = m3.call("OIS100MI", "AddBatchLine", ORNO=temp, ITNO="GHOST", ORQT="1")
    assert result["errorMessage"] == "Item number GHOST does not exist"


def test_confirm_without_lines_is_refused(m3: M3Client) -> None:
    cuno, _ = _customer_and_item(m3)
    temp = m3.records("OIS100MI", "AddBatchHead", CUNO=cuno)[0]["ORNO"]
    assert "no order lines" in m3.call("OIS100MI", "Confirm", ORNO=temp)["errorMessage"]


def test_order_list_filters_by_customer(m3: M3Client) -> None:
    orders = m3.records("OIS100MI", "LstHead", maxrecs=0)
    assert orders
    cuno = orders[0]["CUNO"]
    mine = m3.records("OIS100MI", "LstHead", CUNO=cuno, maxrecs=0)
    assert mine and {o["CUNO"] for o in mine} == {cuno}


def test_delivering_an_order_creates_delivery_and_invoice(
    http: httpx.Client, tenant: dict[str, Any], m3: M3Client
) -> None:
    cuno, itno = _customer_and_item(m3)
    temp = m3.records("OIS100MI", "AddBatchHead", CUNO=cuno, CUOR="BP-3003")[0]["ORNO"]
    m3.records("OIS100MI", "AddBatchLine", ORNO=temp, ITNO=itno, ORQT="1", SAPR="45")
    orno = m3.records("OIS100MI", "Confirm", ORNO=temp)[0]["ORNO"]
    done = http.post(f"/infor/_sandbox/{tenant['account']}/orders/{orno}/deliver",
                     json={"carrier": "UPS", "tracking": "1Z999"})
    assert done.status_code == 200
    delivery = m3.records("MWS410MI", "LstDeliveries", RIDN=orno)[0]
    assert (delivery["ETRN"], delivery["PGRS"]) == ("1Z999", "90")
    assert m3.records("MWS410MI", "GetHead", DLIX=delivery["DLIX"])[0]["RIDN"] == orno
    invoice = m3.records("OIS350MI", "LstHead", ORNO=orno)[0]
    assert invoice["IVLA"] == "45"
    assert m3.records("OIS100MI", "GetHead", ORNO=orno)[0]["ORST"] == "77"


# -- purchase orders and GL ---------------------------------------------------------------------

def test_purchase_order_head_and_line(m3: M3Client) -> None:
    suno = m3.records("CRS620MI", "LstSuppliers")[0]["SUNO"]
    _, itno = _customer_and_item(m3)
    puno = m3.records("PPS200MI", "AddHead", SUNO=suno, WHLO="MAI", YRE1="PO-9001")[0]["PUNO"]
    m3.records("PPS200MI", "AddLine", PUNO=puno, ITNO=itno, ORQA="10", PUPR="20")
    head = m3.records("PPS200MI", "GetHead", PUNO=puno)[0]
    assert (head["SUNO"], head["YRE1"], head["LNAM"]) == (suno, "PO-9001", "200")
    assert m3.records("PPS200MI", "LstLine", PUNO=puno)[0]["ORQA"] == "10"
    assert any(p["PUNO"] == puno for p in m3.records("PPS200MI", "LstHead", maxrecs=0))


def test_gl_voucher_must_balance(m3: M3Client) -> None:
    key1 = m3.records("GLS840MI", "AddBatchHead", ACDT="20250601", VDSC="Payment")[0]["KEY1"]
    m3.records("GLS840MI", "AddBatchLine", KEY1=key1, AIT1="1010", ACAM="100")
    m3.records("GLS840MI", "AddBatchLine", KEY1=key1, AIT1="1100", ACAM="-90")
    assert "not balanced" in m3.call("GLS840MI", "Update", KEY1=key1)["errorMessage"]
    m3.records("GLS840MI", "AddBatchLine", KEY1=key1, AIT1="1100", ACAM="-10")
    vono = m3.records("GLS840MI", "Update", KEY1=key1)[0]["VONO"]
    batch = m3.records("GLS840MI", "GetBatchHead", KEY1=key1)[0]
    assert (batch["STAT"], batch["VONO"], batch["DBAM"]) == ("90", vono, "100")


def test_gl_line_with_unknown_account_is_refused(m3: M3Client) -> None:
    key1 = m3.records("GLS840MI", "AddBatchHead", ACDT="20250601")[0]["KEY1"]
    result = m3.call("GLS840MI", "AddBatchLine", KEY1=key1, AIT1="9999", ACAM="1")
    assert result["errorMessage"] == "Account 9999 does not exist"


def test_unknown_transaction_is_reported_in_results(m3: M3Client) -> None:
    result = m3.call("CRS610MI", "Explode")
    assert "does not exist" in result["errorMessage"]


# -- limits and faults --------------------------------------------------------------------------

def test_gateway_quota_answers_429_with_retry_after(
    control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.limits("infor", tenant["account"], requests_per_minute=2)
    assert m3.raw("CRS610MI", "LstByNumber").status_code == 200
    assert m3.raw("CRS610MI", "LstByNumber").status_code == 200
    limited = m3.raw("CRS610MI", "LstByNumber")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"] == "too_many_requests"


def test_fault_5xx_is_a_gateway_error_body(
    control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.faults("infor", tenant["account"], error_5xx_rate=1.0)
    response = m3.raw("CRS610MI", "LstByNumber")
    assert response.status_code >= 500
    assert response.json()["error"] == "server_error"


def test_fault_rate_limit_is_429(
    control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.faults("infor", tenant["account"], rate_limit_rate=1.0)
    response = m3.raw("CRS610MI", "LstByNumber")
    assert response.status_code == 429
    assert "retry-after" in response.headers


def test_fault_malformed_body_is_not_json(
    control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.faults("infor", tenant["account"], malformed_rate=1.0)
    response = m3.raw("CRS610MI", "LstByNumber")
    with pytest.raises(ValueError):
        response.json()


def test_fault_hang_times_out_the_client(
    control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.faults("infor", tenant["account"], hang_rate=1.0)
    with pytest.raises(httpx.TimeoutException):
        m3.http.get(f"{m3.base}/CRS610MI/LstByNumber", headers=m3.headers, timeout=0.5)


def test_fault_drop_closes_the_connection(
    control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.faults("infor", tenant["account"], drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        m3.raw("CRS610MI", "LstByNumber")


def test_fault_latency_still_answers(
    control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.faults("infor", tenant["account"], latency_ms=50)
    assert m3.raw("CRS610MI", "LstByNumber").status_code == 200


def test_fault_expire_tokens_now_gives_401(
    control: SandboxControl, tenant: dict[str, Any], m3: M3Client
) -> None:
    control.faults("infor", tenant["account"], expire_tokens_now=True)
    assert m3.raw("CRS610MI", "LstByNumber").status_code == 401


def test_demo_tenant_is_seeded(control: SandboxControl) -> None:
    counts = control.counts("infor", "CLARITY_TST")
    assert counts["MITMAS"] > 0 and counts["OCUSMA"] > 0 and counts["OOHEAD"] > 0
