"""Infor CloudSuite M3 through the ION API gateway (``m3api-rest/v2``).

M3 has no webhooks: flows poll with ``list_changed``, which uses the MI list transactions'
``LMTS`` filter (epoch milliseconds of the last change; the sandbox also takes ``LMDT``
yyyyMMdd) and pages by start key, as M3 lists do: a list starts *at* the key given, so we ask
for one record more than a page and start the next page at that record.

Every MI answer is an HTTP 200, errors included: a result with ``errorMessage`` is a business
error (``ValidationFailed`` naming ``errorField``), or ``NotFound`` when a get's key does not
exist (M3 message ids ending in 0203, "... does not exist").

Two ways to sign in (``infor_ionapi``): a Backend Service app's service account (password
grant, renewed without anyone), or "sign in with Infor" through a Web application
(``authorization_url`` / ``exchange_code``, the portal's OAuth callback), renewed with its
refresh token; when that ends, a person has to sign in again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import requests
from requests_oauthlib import OAuth2Session

from integrations.connectors.base import (
    DEFAULT_TIMEOUT,
    ConnectionConfig,
    Connector,
    Page,
    Token,
    WriteResult,
)
from integrations.connectors.budget import RateLimit
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    ConnectorError,
    NotFound,
    TransientError,
    ValidationFailed,
)
from integrations.connectors.infor_ionapi import (
    SERVICE_ACCOUNT,
    SIGN_IN,
    authorize_url,
    expiring,
    ionapi_from,
    parse_ionapi,
    token_from,
    token_url,
)
from integrations.connectors.oauth2_token import token_fetch

__all__ = ["CREDENTIAL_FIELDS", "InforConnector", "authorization_url", "exchange_code",
           "parse_ionapi"]

SYSTEM = "infor"
# The uploaded .ionapi file (JSON text): a Backend Service app's for the service-account
# password grant, a Web application's for sign-in with Infor (authorization code).
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {SERVICE_ACCOUNT: ("ionapi",),
                                                 SIGN_IN: ("ionapi",)}
PAGE_SIZE = 100
NOT_FOUND_SUFFIX = "0203"  # M3 message ids Wxx0203: "<field> <value> does not exist"


@dataclass(frozen=True)
class Resource:
    """Where an entity lives in M3: its program, key field and get/list transactions."""

    program: str
    key: str
    get: str | None = None
    list: str | None = None
    lines: str | None = None  # list transaction of the lines, keyed by ``key``
    pageable: bool = True  # list starts at a key (MMS060MI List filters instead)


RESOURCES: dict[str, Resource] = {
    "sales_order": Resource("OIS100MI", "ORNO", "GetHead", "LstHead", lines="LstLine"),
    "product": Resource("MMS200MI", "ITNO", "GetItmBasic", "LstItmByItm"),
    "customer": Resource("CRS610MI", "CUNO", "GetBasicData", "LstByNumber"),
    "inventory": Resource("MMS060MI", "ITNO", None, "List", pageable=False),
    "purchase_order": Resource("PPS200MI", "PUNO", "GetHead", "LstHead", lines="LstLine"),
    "shipment": Resource("MWS410MI", "DLIX", "GetHead", "LstDeliveries"),
    "invoice": Resource("OIS350MI", "IVNO", "GetHead", "LstHead"),
    "supplier": Resource("CRS620MI", "SUNO", "GetBasicData", "LstSuppliers"),
    "journal": Resource("GLS840MI", "KEY1", "GetBatchHead"),
}


def m3_text(value: Any) -> str:
    """M3 takes every input as text; numbers without exponent or trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float | Decimal):
        text = format(Decimal(str(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d")
    return str(value)


def _record(values: dict[str, Any]) -> dict[str, str]:
    return {k: m3_text(v) for k, v in values.items()
            if not isinstance(v, list | dict) and m3_text(v) != ""}


class InforConnector(Connector):
    system = "infor"
    # No published gateway quota; the ION API default policy the sandbox mirrors.
    rate_limit = RateLimit(requests=1200, period_s=60)
    entities = ("sales_order", "product", "customer", "inventory", "purchase_order",
                "shipment", "invoice", "supplier", "journal", "payment", "credit_note")
    page_size: ClassVar[int] = PAGE_SIZE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ionapi = ionapi_from(self.config.credentials,
                                  auth_type=self.config.auth_type or SERVICE_ACCOUNT)
        if self.refresher is None:
            # Standalone use (tests, "test connection"): refresh in-process, unserialised.
            self.refresher = lambda failed: self.fetch_token()

    # --- auth ---------------------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token.get('access_token', '')}"}

    def ensure_token(self) -> None:
        # Refresh before expiry too, so a long sync never starts a call with a dying token.
        if expiring(self.token) and self.refresher is not None:
            self.token = self.refresher(self.token)

    @property
    def signed_in(self) -> bool:
        """Tokens from a person's sign-in (Web application), not from a service account."""
        return self.config.auth_type == SIGN_IN

    def fetch_token(self) -> Token:
        """Refresh grant when we hold a refresh token, else the service-account password grant
        (a signed-in connection has no grant of its own to fall back on)."""
        if self.token.get("refresh_token"):
            try:
                token = self._grant({"grant_type": "refresh_token",
                                     "refresh_token": self.token["refresh_token"]})
            except AuthError as exc:
                if exc.code != "invalid_grant" or self.signed_in:
                    raise
                # Refresh token revoked or expired: start over with the service account.
            else:
                token.setdefault("refresh_token", self.token["refresh_token"])
                return token
        if self.signed_in:
            raise AuthError("The Infor sign-in has ended and there is no refresh token: "
                            "sign in with Infor again from the connection page.",
                            system=self.system)
        return self._grant({"grant_type": "password", "username": self.ionapi["saak"],
                            "password": self.ionapi["sask"]})

    def _grant(self, form: dict[str, str]) -> Token:
        form = {**form, "client_id": self.ionapi["ci"], "client_secret": self.ionapi["cs"]}
        response = self._send("POST", token_url(self.ionapi), data=form,
                              headers={"Accept": "application/json"})
        if response.status_code == 200:
            answer = self.json(response)
            if not isinstance(answer, dict) or not answer.get("access_token"):
                raise TransientError("The token endpoint answered without an access_token.",
                                     system=self.system, status=200)
            return token_from(answer)
        raise self._token_error(response, form["grant_type"])

    def _token_error(self, response: requests.Response, grant: str) -> ConnectorError:
        body = _json_or_empty(response)
        code = str(body.get("error", ""))
        description = str(body.get("error_description", "")) or response.text[:200]
        common = {"system": self.system, "status": response.status_code, "code": code}
        if code == "invalid_client":
            return AuthError(f"ION API refused the client id/secret of the .ionapi file: "
                             f"{description}", **common)
        if code == "invalid_grant":
            what = ("refresh token" if grant == "refresh_token"
                    else "service account key/secret (saak/sask)")
            again = " Sign in with Infor again." if self.signed_in else ""
            return AuthError(f"ION API refused the {what}: {description}{again}", **common)
        if code in ("unsupported_grant_type", "invalid_request", "unauthorized_client"):
            return ConfigurationError(f"ION API token request refused ({code}): {description}",
                                      **common)
        return self.classify_status(response, message=description, code=code,
                                    wait_s=_retry_after(response))

    # --- errors -------------------------------------------------------------------------------
    def error_for(self, response: requests.Response) -> ConnectorError:
        body = _json_or_empty(response)
        code = str(body.get("error", ""))
        message = str(body.get("error_description") or body.get("message")
                      or response.text[:300])
        if response.status_code == 404:
            # The gateway's 404 means a wrong tenant or path, never a missing M3 record
            # (those come back inside HTTP 200).
            return ConfigurationError(f"ION API gateway: {message}", system=self.system,
                                      status=404, code=code)
        return self.classify_status(response, message=message, code=code,
                                    wait_s=_retry_after(response))

    def test(self) -> None:
        self.execute("CRS610MI", "LstByNumber", {}, maxrecs=1)

    # --- MI calls -----------------------------------------------------------------------------
    def _execute_url(self, suffix: str = "") -> str:
        base = f"{self.ionapi['iu'].rstrip('/')}/{self.ionapi['ti']}/M3/m3api-rest/v2/execute"
        return f"{base}/{suffix}" if suffix else base

    def _options(self) -> dict[str, str]:
        settings = self.config.settings
        return {k: str(settings[k]) for k in ("cono", "divi") if settings.get(k)}

    def execute(self, program: str, transaction: str, record: dict[str, Any] | None = None,
                *, maxrecs: int | None = None) -> list[dict[str, str]]:
        """One MI transaction (GET); its records, or the business error it reported."""
        params = {**_record(record or {}), **self._options()}
        if maxrecs is not None:
            params["maxrecs"] = str(maxrecs)
        response = self.request("GET", self._execute_url(f"{program}/{transaction}"),
                                params=params)
        return self._results(response, program, 1)[0]

    def execute_bulk(self, program: str, transactions: Iterable[tuple[str, dict[str, Any]]]
                     ) -> list[list[dict[str, str]]]:
        """Several transactions of one program in one call; raises on the first failed one."""
        entries = [{"transaction": name, "record": _record(record)}
                   for name, record in transactions]
        body: dict[str, Any] = {"program": program, "transactions": entries, **self._options()}
        response = self.request("POST", self._execute_url(), json=body)
        return self._results(response, program, len(entries))

    def _results(self, response: requests.Response, program: str, expected: int
                 ) -> list[list[dict[str, str]]]:
        # A 200 is not a success: every result must be checked for M3's error fields.
        body = self.json(response)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != expected:
            raise TransientError(f"M3 answered {program} without the expected results.",
                                 system=self.system, status=response.status_code)
        out = []
        for index, result in enumerate(results):
            if result.get("errorMessage") or result.get("errorCode") or result.get(
                    "notProcessed"):
                raise self._mi_error(program, result, index if expected > 1 else None)
            out.append(result.get("records") or [])
        if body.get("wasTerminated"):
            raise TransientError(f"M3 terminated the {program} call before it finished.",
                                 system=self.system, status=response.status_code)
        return out

    def _mi_error(self, program: str, result: dict[str, Any], index: int | None
                  ) -> ConnectorError:
        transaction = result.get("transaction", "")
        message = str(result.get("errorMessage") or "Transaction was not processed").strip()
        where = f" (transaction {index + 1})" if index is not None else ""
        return ValidationFailed(f"{program}/{transaction}{where}: {message}",
                                field=str(result.get("errorField") or ""),
                                code=str(result.get("errorCode") or ""), system=self.system,
                                status=200, detail=result)

    def _get_one(self, program: str, transaction: str, record: dict[str, Any]
                 ) -> dict[str, str]:
        try:
            records = self.execute(program, transaction, record)
        except ValidationFailed as exc:
            if exc.code.endswith(NOT_FOUND_SUFFIX) and exc.field in record:
                raise NotFound(exc.message, system=self.system, code=exc.code) from exc
            raise
        if not records:
            raise NotFound(f"{program}/{transaction} returned no record for {record}.",
                           system=self.system)
        return records[0]

    # --- entity operations --------------------------------------------------------------------
    def _resource(self, entity: str, operation: str) -> Resource:
        resource = RESOURCES.get(entity)
        if resource is None or getattr(resource, operation, None) is None:
            raise ConfigurationError(f"Infor connector cannot {operation} {entity}.",
                                     system=self.system)
        return resource

    def record_id(self, entity: str, record: dict[str, Any]) -> str:
        """The external id of a record as ``get`` takes it."""
        if entity == "inventory":
            return f"{record['WHLO']}/{record['ITNO']}"
        return str(record[RESOURCES[entity].key])

    def get(self, entity: str, external_id: str) -> dict[str, Any]:
        if entity == "inventory":
            warehouse, _, item = external_id.partition("/")
            return self._get_one("MMS200MI", "GetItmWhsBal", {"WHLO": warehouse, "ITNO": item})
        resource = self._resource(entity, "get")
        record: dict[str, Any] = dict(self._get_one(
            resource.program, str(resource.get), {resource.key: external_id}))
        if resource.lines:
            record["Lines"] = self.execute(resource.program, resource.lines,
                                           {resource.key: external_id}, maxrecs=0)
        return record

    def list_changed(self, entity: str, *, since: datetime | None,
                     cursor: str | None = None) -> Page:
        """Records changed since ``since`` (M3 ``LMTS``); the cursor carries since and key."""
        resource = self._resource(entity, "list")
        since_ms, start = _cursor_parts(cursor, since)
        record: dict[str, Any] = {"LMTS": since_ms} if since_ms else {}
        if not resource.pageable:
            # MMS060MI List filters by warehouse/item rather than starting at a key: only the
            # LMTS filter bounds it, so take every changed balance in one answer.
            return Page(self.execute(resource.program, str(resource.list), record, maxrecs=0))
        if start:
            record[resource.key] = start
        rows = self.execute(resource.program, str(resource.list), record,
                            maxrecs=self.page_size + 1)
        if len(rows) <= self.page_size:
            return Page(rows)
        # The extra record is the first of the next page (lists start at the key given).
        return Page(rows[: self.page_size],
                    next_cursor=f"{since_ms}:{rows[self.page_size][resource.key]}")

    def upsert(self, entity: str, record: dict[str, Any], *,
               external_id: str | None = None) -> WriteResult:
        writers = {
            "sales_order": self._sales_order_upsert,
            "product": self._product_upsert,
            "customer": self._customer_upsert,
            "supplier": self._supplier_upsert,
            "inventory": self._inventory_upsert,
            "purchase_order": self._purchase_order_upsert,
            "journal": self._journal_upsert,
            "payment": self._journal_upsert,
            "credit_note": self._journal_upsert,
        }
        if entity not in writers:
            raise ConfigurationError(f"Infor connector cannot write {entity}.",
                                     system=self.system)
        return writers[entity](record, external_id)

    # sales orders: OIS100MI batch entry ---------------------------------------------------
    def _sales_order_upsert(self, record: dict[str, Any], external_id: str | None
                            ) -> WriteResult:
        if external_id:
            # OIS100MI batch entry only creates orders: a confirmed order is changed in M3
            # itself. Answer with the order as it stands so the link stays an update.
            return WriteResult(external_id, created=False,
                               record=self._get_one("OIS100MI", "GetHead",
                                                    {"ORNO": external_id}))
        existing = self._order_by_reference(record)
        if existing is not None:
            return WriteResult(existing["ORNO"], created=False, record=existing)
        lines = record.get("Lines") or []
        if not lines:
            raise ValidationFailed("A sales order needs at least one line.", field="Lines",
                                   system=self.system)
        head = {k: v for k, v in record.items() if k not in ("Lines", "Addresses")}
        temporary = self._get_one("OIS100MI", "AddBatchHead", head)["ORNO"]
        transactions: list[tuple[str, dict[str, Any]]] = [
            ("AddBatchLine", {**line, "ORNO": temporary}) for line in lines]
        transactions += [("AddBatchAddress", {**address, "ORNO": temporary})
                         for address in record.get("Addresses") or []]
        self.execute_bulk("OIS100MI", transactions)
        final = self._get_one("OIS100MI", "Confirm", {"ORNO": temporary})
        return WriteResult(final["ORNO"], created=True, record=final)

    def _order_by_reference(self, record: dict[str, Any]) -> dict[str, str] | None:
        """An order of this customer with the same CUOR (a retry after a lost answer)."""
        reference, customer = m3_text(record.get("CUOR")), m3_text(record.get("CUNO"))
        if not reference or not customer:
            return None
        orders = self.execute("OIS100MI", "LstHead", {"CUNO": customer}, maxrecs=0)
        return next((o for o in orders if o.get("CUOR") == reference), None)

    # items, customers and suppliers: add, or change when it exists ---------------------
    def _product_upsert(self, record: dict[str, Any], external_id: str | None) -> WriteResult:
        return self._add_or_change(record, external_id, "MMS200MI", "ITNO", "AddItmBasic",
                                   "UpdItmBasic")

    def _customer_upsert(self, record: dict[str, Any], external_id: str | None
                         ) -> WriteResult:
        return self._add_or_change(record, external_id, "CRS610MI", "CUNO", "Add",
                                   "ChgBasicData")

    def _supplier_upsert(self, record: dict[str, Any], external_id: str | None
                         ) -> WriteResult:
        return self._add_or_change(record, external_id, "CRS620MI", "SUNO", "AddSupplier",
                                   "UpdSupplier")

    def _add_or_change(self, record: dict[str, Any], external_id: str | None, program: str,
                       key: str, add: str, change: str) -> WriteResult:
        values = {**record, key: external_id or record.get(key)}
        if not values[key]:
            raise ValidationFailed(f"{key} is required.", field=key, system=self.system)
        if not external_id:
            try:
                self.execute(program, add, values)
                return WriteResult(str(values[key]), created=True)
            except ValidationFailed as exc:
                # M3 message ids Wxx0201: "... already exists" -> it is an update.
                if not (exc.code.endswith("0201") and exc.field == key):
                    raise
        # Change transactions keep a field given blank; "?" clears it (MI convention).
        self.execute(program, change, values)
        return WriteResult(str(values[key]), created=False)

    # inventory: MMS850MI adjustments ---------------------------------------------------------
    def _inventory_upsert(self, record: dict[str, Any], external_id: str | None
                          ) -> WriteResult:
        """Set the on-hand quantity (``STQT``) by adjusting with the difference."""
        warehouse = str(record.get("WHLO") or (external_id or "").partition("/")[0])
        item = str(record.get("ITNO") or (external_id or "").partition("/")[2])
        if "STQT" not in record:
            raise ValidationFailed("Inventory needs the on-hand quantity STQT.", field="STQT",
                                   system=self.system)
        try:
            current = Decimal(self._get_one("MMS200MI", "GetItmWhsBal",
                                            {"WHLO": warehouse, "ITNO": item})["STQT"] or "0")
        except NotFound as exc:
            if exc.code != "WWH0203":  # item not connected to the warehouse yet: stock 0
                raise
            current = Decimal(0)
        delta = Decimal(str(record["STQT"])) - current
        if delta:
            self.inventory_adjust(warehouse=warehouse, item=item, quantity=delta,
                                  reason=str(record.get("RSCD", "")))
        return WriteResult(f"{warehouse}/{item}", created=False)

    def inventory_adjust(self, *, warehouse: str, item: str, quantity: Decimal | float,
                         reason: str = "") -> dict[str, str]:
        """Signed stock adjustment (MMS850MI AddAdjust, the sandbox's choice of MI)."""
        return self._get_one("MMS850MI", "AddAdjust", {"WHLO": warehouse, "ITNO": item,
                                                       "QLQT": quantity, "RSCD": reason})

    # purchase orders: PPS200MI ------------------------------------------------------------
    def _purchase_order_upsert(self, record: dict[str, Any], external_id: str | None
                               ) -> WriteResult:
        if external_id:
            return WriteResult(external_id, created=False,
                               record=self._get_one("PPS200MI", "GetHead", {"PUNO": external_id}))
        lines = record.get("Lines") or []
        if not lines:
            raise ValidationFailed("A purchase order needs at least one line.", field="Lines",
                                   system=self.system)
        head = {k: v for k, v in record.items() if k != "Lines"}
        puno = self._get_one("PPS200MI", "AddHead", head)["PUNO"]
        self.execute_bulk("PPS200MI", [("AddLine", {**line, "PUNO": puno}) for line in lines])
        return WriteResult(puno, created=True)

    # general ledger: GLS840MI batch -> voucher ----------------------------------------------
    def _journal_upsert(self, record: dict[str, Any], external_id: str | None) -> WriteResult:
        if external_id:
            # A posted voucher is final in M3; corrections are new (reversing) vouchers.
            return WriteResult(external_id, created=False,
                               record=self._get_one("GLS840MI", "GetBatchHead",
                                                    {"KEY1": external_id}))
        return self.journal_post(record)

    def journal_post(self, record: dict[str, Any]) -> WriteResult:
        """Post a balanced voucher: batch head, its lines (``ACAM`` +debit/−credit), update."""
        lines = record.get("Lines") or []
        if len(lines) < 2:
            raise ValidationFailed("A journal needs at least two lines.", field="Lines",
                                   system=self.system)
        total = sum((Decimal(m3_text(line.get("ACAM")) or "0") for line in lines), Decimal(0))
        if total != 0:
            raise ValidationFailed(f"The journal does not balance: the amounts add up to "
                                   f"{total}, not 0.", field="ACAM", system=self.system)
        head = {k: v for k, v in record.items() if k != "Lines"}
        key1 = self._get_one("GLS840MI", "AddBatchHead", head)["KEY1"]
        self.execute_bulk("GLS840MI", [("AddBatchLine", {**line, "KEY1": key1})
                                       for line in lines])
        voucher = self._get_one("GLS840MI", "Update", {"KEY1": key1})
        return WriteResult(key1, created=True, record=voucher)

    payment_create = journal_post
    credit_note_create = journal_post


# --- sign-in with Infor (pure; the portal's OAuth callback stores the token) ----------------

def _web_app(config: ConnectionConfig) -> dict[str, str]:
    return ionapi_from(config.credentials, auth_type=SIGN_IN)


def authorization_url(config: ConnectionConfig, redirect_uri: str, state: str) -> str:
    """Infor's sign-in page for the connection's Web application (``{pu}{oa}``)."""
    ionapi = _web_app(config)
    session = OAuth2Session(ionapi["ci"], redirect_uri=redirect_uri, state=state)
    address, _state = session.authorization_url(authorize_url(ionapi))
    return address


def exchange_code(config: ConnectionConfig, code: str, redirect_uri: str, *,
                  timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> Token:
    """Trade the callback's ``code`` at ``{pu}{ot}`` for an access and a refresh token."""
    ionapi = _web_app(config)
    session = OAuth2Session(ionapi["ci"], redirect_uri=redirect_uri)
    return token_fetch(session, token_url(ionapi), system=SYSTEM, timeout=timeout,
                       client_secret=ionapi["cs"], code=code)


def _cursor_parts(cursor: str | None, since: datetime | None) -> tuple[int, str]:
    if cursor:
        since_ms, _, start = cursor.partition(":")
        return int(since_ms or 0), start
    return (int(since.timestamp() * 1000) if since else 0), ""


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None

