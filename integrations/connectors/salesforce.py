"""Salesforce REST: sObjects by Id or external id, SOQL polling, composite order writes.

Auth (``salesforce_auth``): OAuth2 authorization code with refresh token, client credentials or
username-password; the token's ``instance_url`` is the API host and calls go to
``{instance_url}/services/data/{api_version}/`` (``settings["api_version"]``, default v60.0).
Sessions carry no lifetime, so an ended session is met as 401 ``INVALID_SESSION_ID`` and
refreshed once by the base class.

Entities map to sObjects (``ENTITY_SOBJECTS``): customer → Account, product → Product2,
sales_order → Order (+ OrderItem), opportunity → Opportunity (read with its ``Account`` and
``OpportunityLineItems``), and the sandbox org's custom objects for inventory
(``Inventory__c``), shipments (``Shipment__c``) and payments (``Payment__c``); a connection may
name its own in ``settings["sobjects"]``. Any other sObject API name works as an entity too.

Upserts: with our link's Salesforce Id → PATCH by Id; else when the record carries the
external-id field (``settings["external_id_field"]``, default ``ExternalID__c``; per object in
``settings["external_id_fields"]``) → PATCH ``sobjects/X/{Field}/{value}`` (201 created,
200/204 updated, 300 several matches → ValidationFailed); else POST.

Limits: the org's rolling 24-hour API allowance (``Sforce-Limit-Info: api-usage=n/limit`` on
every answer). Once spent, calls get 403 ``REQUEST_LIMIT_EXCEEDED``; capacity comes back as
the oldest calls leave the 24-hour window, so we wait ``LIMIT_WAIT_S`` (15 min) and try again
rather than idling until a reset time Salesforce does not give.

Outbound Messages cannot be registered through the API: see ``salesforce_outbound``.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from integrations.connectors import salesforce_auth, salesforce_orders
from integrations.connectors import salesforce_duplicates as duplicates
from integrations.connectors.base import (
    ConnectionConfig,
    Connector,
    Page,
    Token,
    WebhookEvent,
    WriteResult,
)
from integrations.connectors.budget import RateLimit
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    ConnectorError,
    NotFound,
    PermissionDenied,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from integrations.connectors.salesforce_auth import CREDENTIAL_FIELDS
from integrations.connectors.salesforce_outbound import (
    ACK_CONTENT_TYPE,
    outbound_ack,
    outbound_org_id,
    outbound_parse,
)
from integrations.connectors.salesforce_soql import soql_datetime, soql_literal

__all__ = ["CREDENTIAL_FIELDS", "SalesforceConnector", "soql_literal"]

SYSTEM = "salesforce"
DEFAULT_API_VERSION = "v60.0"
DEFAULT_EXTERNAL_ID_FIELD = "ExternalID__c"
# Upsert keys used when a record lacks the default one and none is configured.
FALLBACK_EXTERNAL_ID_FIELDS = ("Brightpearl_Id__c",)
DEFAULT_DAILY_LIMIT = 100_000  # Enterprise Edition base allowance per 24 h
LIMIT_WAIT_S = 900.0

ENTITY_SOBJECTS: dict[str, str] = {
    "customer": "Account",
    "contact": "Contact",
    "product": "Product2",
    "price_book_entry": "PricebookEntry",
    "sales_order": "Order",
    "order_item": "OrderItem",
    "opportunity": "Opportunity",
    "opportunity_line_item": "OpportunityLineItem",
    "case": "Case",
    "lead": "Lead",
    "inventory": "Inventory__c",
    "shipment": "Shipment__c",
    "payment": "Payment__c",
}

# Fields (and the relationships that set them) Salesforce takes on create only: an update
# naming one is refused whole, so updates by Id leave them out.
CREATE_ONLY_FIELDS: dict[str, frozenset[str]] = {
    "PricebookEntry": frozenset({"Pricebook2Id", "Pricebook2", "Product2Id", "Product2"}),
    "OrderItem": frozenset({"OrderId", "Order", "PricebookEntryId", "PricebookEntry",
                            "Product2Id", "Product2"}),
    "OpportunityLineItem": frozenset({"OpportunityId", "Opportunity", "PricebookEntryId",
                                      "PricebookEntry"}),
}

# Error codes that are about timing, not data: the same call can succeed later.
TRANSIENT_CODES = {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG",
                   "UNKNOWN_EXCEPTION", "QUERY_TIMEOUT"}
NOT_FOUND_CODES = {"NOT_FOUND", "ENTITY_IS_DELETED"}
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceConnector(Connector):
    system: ClassVar[str] = SYSTEM
    rate_limit: ClassVar[RateLimit | None] = RateLimit(requests=DEFAULT_DAILY_LIMIT,
                                                      period_s=86_400)
    entities: ClassVar[tuple[str, ...]] = tuple(ENTITY_SOBJECTS)

    def __init__(self, config: ConnectionConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.api_usage: tuple[int, int] | None = None  # (used, limit) from the last answer
        self._standard_pricebook: str | None = None

    @classmethod
    def rate_limit_for(cls, config: ConnectionConfig) -> RateLimit:
        """The org's 24-hour allowance (it depends on edition and licences)."""
        daily = int(config.settings.get("daily_api_requests") or DEFAULT_DAILY_LIMIT)
        return RateLimit(requests=daily, period_s=86_400)

    # --- auth ---------------------------------------------------------------------------------
    def fetch_token(self) -> Token:
        return salesforce_auth.fetch_token(self.config, self.token, timeout=self.timeout)

    def ensure_token(self) -> None:
        if not self.token.get("access_token"):
            self.token = self.refresher(self.token) if self.refresher else self.fetch_token()

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token['access_token']}"}

    def test(self) -> None:
        self.request("GET", "limits")

    @property
    def org_id(self) -> str:
        """From the token's identity URL ``…/id/{orgId}/{userId}``."""
        parts = str(self.token.get("id") or "").rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 else ""

    # --- HTTP details -------------------------------------------------------------------------
    @property
    def api_version(self) -> str:
        version = str(self.config.settings.get("api_version") or DEFAULT_API_VERSION)
        return version if version.startswith("v") else f"v{version}"

    @property
    def data_path(self) -> str:
        """The REST root as a path (composite subrequests and locators are given this way)."""
        return f"/services/data/{self.api_version}/"

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        instance = str(self.token.get("instance_url") or "").rstrip("/")
        if not instance:
            raise ConfigurationError("The Salesforce token has no instance_url.", system=SYSTEM)
        if path.startswith("/services/"):
            return f"{instance}{path}"
        return f"{instance}{self.data_path}{path.lstrip('/')}"

    def observe(self, response: requests.Response) -> None:
        found = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if not found:
            return
        used, limit = int(found.group(1)), int(found.group(2))
        self.api_usage = (used, limit)
        if used >= limit and self.budget is not None:
            self.budget.penalize(LIMIT_WAIT_S)

    def error_for(self, response: requests.Response) -> ConnectorError:
        try:
            body = response.json()
        except ValueError:
            body = response.text[:500]
        return classify(response.status_code, body)

    # --- generic sObject access ---------------------------------------------------------------
    def sobject(self, entity: str) -> str:
        custom = self.config.settings.get("sobjects") or {}
        if entity in custom:
            return str(custom[entity])
        if entity in ENTITY_SOBJECTS:
            return ENTITY_SOBJECTS[entity]
        if entity[:1].isupper():
            return entity
        raise ConfigurationError(f"Salesforce has no '{entity}' entity here.", system=SYSTEM)

    def external_id_field(self, sobject: str) -> str:
        per_object = self.config.settings.get("external_id_fields") or {}
        return str(per_object.get(sobject) or self.config.settings.get("external_id_field")
                   or DEFAULT_EXTERNAL_ID_FIELD)

    def get(self, entity: str, external_id: str) -> dict[str, Any]:
        sobject = self.sobject(entity)
        record = self.json(self.request("GET", f"sobjects/{sobject}/{quote(external_id)}"))
        if sobject == "Order":
            record["OrderItems"] = salesforce_orders.order_items(self, record["Id"])
        if sobject == "Opportunity":
            # REST gives neither the products nor the account: a won opportunity becomes an
            # order with one row per line, taxed by the account's billing country.
            record.update(salesforce_orders.opportunity_related(self, record["Id"]))
        if sobject == "Contact" and record.get("AccountId"):
            # Mappings read the contact's account (``Account.Name``, ``Account.Type``) as
            # SOQL would give it; REST returns only the id.
            record["Account"] = self.json(self.request(
                "GET", f"sobjects/Account/{quote(str(record['AccountId']))}"))
        return record

    def list_changed(self, entity: str, *, since: datetime | None,
                     cursor: str | None = None) -> Page:
        if cursor:
            return self.query_more(cursor)
        sobject = self.sobject(entity)
        extra = (self.config.settings.get("list_fields") or {}).get(sobject) or []
        fields = ", ".join(dict.fromkeys(["Id", "LastModifiedDate", *extra]))
        where = f" WHERE LastModifiedDate > {soql_datetime(since)}" if since else ""
        # Field and object names come from settings/our table; values from soql_datetime.
        return self.query(f"SELECT {fields} FROM {sobject}{where} "  # noqa: S608
                          "ORDER BY LastModifiedDate ASC, Id ASC")

    def upsert(self, entity: str, record: dict[str, Any], *,
               external_id: str | None = None) -> WriteResult:
        sobject = self.sobject(entity)
        if sobject == "Order" and "OrderItems" in record:
            return salesforce_orders.order_upsert(self, record, external_id=external_id)
        if sobject == "Product2" and "UnitPrice" in record:
            body = {k: v for k, v in record.items() if k != "UnitPrice"}
            result = self.sobject_upsert(sobject, body, external_id=external_id)
            self.pricebook_entry_set(result.id, float(record["UnitPrice"]))
            return result
        return self.sobject_upsert(sobject, record, external_id=external_id)

    def sobject_upsert(self, sobject: str, record: dict[str, Any], *,
                       external_id: str | None = None) -> WriteResult:
        body = {k: v for k, v in record.items() if k not in ("attributes", "Id")}
        if external_id:
            fixed = CREATE_ONLY_FIELDS.get(sobject, frozenset())
            body = {k: v for k, v in body.items() if k not in fixed}
            self.request("PATCH", f"sobjects/{sobject}/{quote(external_id)}", json=body)
            return WriteResult(external_id, created=False)
        field = self.external_id_field(sobject)
        if field not in body and not self._external_id_configured(sobject):
            # Records from Brightpearl carry its id in the org's unique external id field;
            # upsert on it so another flow writing the same record (stock onto Product2)
            # updates it instead of creating a second one.
            field = next((f for f in FALLBACK_EXTERNAL_ID_FIELDS if f in body), field)
        value = body.pop(field, None)
        if value in (None, ""):
            created = self.json(self.request("POST", f"sobjects/{sobject}", json=body))
            return WriteResult(str(created["id"]), created=True)
        path = f"sobjects/{sobject}/{field}/{quote(str(value), safe='')}"
        response = self.request("PATCH", path, json=body, ok=(200, 201, 204))
        if response.status_code == 204:
            # API versions before 46.0 answer an update with no body: read the Id back.
            found = self.json(self.request("GET", path, params={"fields": "Id"}))
            return WriteResult(str(found["Id"]), created=False)
        answer = self.json(response)
        return WriteResult(str(answer["id"]), created=response.status_code == 201)

    def _external_id_configured(self, sobject: str) -> bool:
        settings = self.config.settings
        return bool((settings.get("external_id_fields") or {}).get(sobject)
                    or settings.get("external_id_field"))

    def record_update(self, sobject: str, id: str, fields: dict[str, Any]) -> None:
        """Follow-up: write fields onto a record by Id (e.g. the Brightpearl id back onto
        the contact or opportunity that was synced)."""
        self.request("PATCH", f"sobjects/{self.sobject(sobject)}/{quote(str(id))}",
                     json=dict(fields))

    def delete(self, entity: str, external_id: str) -> None:
        self.request("DELETE", f"sobjects/{self.sobject(entity)}/{quote(external_id)}")

    def describe(self, entity: str) -> dict[str, Any]:
        """Fields, types, picklists and external ids of an object (for the mapping editor)."""
        return self.json(self.request("GET", f"sobjects/{self.sobject(entity)}/describe"))

    def describe_global(self) -> list[dict[str, Any]]:
        return list(self.json(self.request("GET", "sobjects"))["sobjects"])

    # --- SOQL and composite -------------------------------------------------------------------
    # --- duplicate candidates (see salesforce_duplicates) -----------------------------------
    def duplicate_candidates(self, entity: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Contacts by email and name, Accounts by name and phone, products by code and name
        (one SOQL query)."""
        return duplicates.duplicate_candidates(self, entity, record)

    def _query_headers(self) -> dict[str, str]:
        size = self.config.settings.get("query_batch_size")
        return {"Sforce-Query-Options": f"batchSize={int(size)}"} if size else {}

    def query(self, soql: str) -> Page:
        """One page of a SOQL query; ``next_cursor`` is Salesforce's ``nextRecordsUrl``."""
        body = self.json(self.request("GET", "query", params={"q": soql},
                                      headers=self._query_headers()))
        return Page(body["records"], None if body.get("done") else body.get("nextRecordsUrl"))

    def query_more(self, cursor: str) -> Page:
        body = self.json(self.request("GET", cursor, headers=self._query_headers()))
        return Page(body["records"], None if body.get("done") else body.get("nextRecordsUrl"))

    def query_all(self, soql: str) -> list[dict[str, Any]]:
        page = self.query(soql)
        records = list(page.records)
        while page.next_cursor:
            page = self.query_more(page.next_cursor)
            records += page.records
        return records

    def composite(self, subrequests: list[dict[str, Any]], *, all_or_none: bool = True
                  ) -> list[dict[str, Any]]:
        """Up to 25 subrequests in one call (later ones may use ``@{ref.id}``); raises the
        first real failure (not the PROCESSING_HALTED echoes of a rollback)."""
        body = self.json(self.request("POST", "composite", json={
            "allOrNone": all_or_none, "compositeRequest": subrequests}))
        responses = list(body["compositeResponse"])
        failures = [r for r in responses if int(r["httpStatusCode"]) >= 300]
        if failures:
            first = next((r for r in failures if _code(r["body"]) != "PROCESSING_HALTED"),
                         failures[0])
            error = classify(int(first["httpStatusCode"]), first["body"])
            error.message = f"{first['referenceId']}: {error.message}"
            raise error
        return responses

    # --- prices -------------------------------------------------------------------------------
    def standard_pricebook_id(self) -> str:
        if self._standard_pricebook is None:
            rows = self.query_all("SELECT Id FROM Pricebook2 WHERE IsStandard = true LIMIT 1")
            if not rows:
                raise ConfigurationError("The org has no standard price book.", system=SYSTEM)
            self._standard_pricebook = str(rows[0]["Id"])
        return self._standard_pricebook

    def pricebook_entry_set(self, product_id: str, unit_price: float, *,
                            pricebook_id: str | None = None) -> WriteResult:
        """Follow-up: the product's price in a price book (the standard one by default)."""
        book = pricebook_id or self.standard_pricebook_id()
        rows = self.query_all("SELECT Id FROM PricebookEntry WHERE Pricebook2Id = "  # noqa: S608
                              f"{soql_literal(book)} AND Product2Id = {soql_literal(product_id)}")
        if rows:
            entry = str(rows[0]["Id"])
            self.request("PATCH", f"sobjects/PricebookEntry/{entry}",
                         json={"UnitPrice": unit_price, "IsActive": True})
            return WriteResult(entry, created=False)
        created = self.json(self.request("POST", "sobjects/PricebookEntry", json={
            "Pricebook2Id": book, "Product2Id": product_id, "UnitPrice": unit_price,
            "IsActive": True}))
        return WriteResult(str(created["id"]), created=True)

    # --- outbound messages --------------------------------------------------------------------
    def webhook_register(self, *, event: str, url: str, secret: str) -> str:
        raise ConfigurationError(
            "Salesforce outbound messages are set up in Salesforce Setup by the customer: "
            f"an Outbound Message on {self.sobject(event)} sending Id, CreatedDate and "
            f"LastModifiedDate to {url}, triggered by a flow on create and update. Until "
            "then changes are polled with SOQL.", system=SYSTEM)

    @classmethod
    def webhook_parse(cls, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        entity_for = {sobject: entity for entity, sobject in ENTITY_SOBJECTS.items()}
        return outbound_parse(body, entity_for)

    def webhook_verify(self, *, headers: Mapping[str, str],
                       query: Mapping[str, str] | None = None, body: bytes,
                       secret: str = "") -> bool:
        """The URL the customer set in Salesforce carries our secret, and the message names
        the connected org."""
        if secret and not hmac.compare_digest((query or {}).get("secret", "").encode(),
                                              secret.encode()):
            return False
        return bool(self.org_id) and outbound_org_id(body) == self.org_id

    @staticmethod
    def webhook_ack() -> tuple[bytes, str]:
        """(body, content type) to answer a delivered outbound message with."""
        return outbound_ack(), ACK_CONTENT_TYPE


# --- error classification ------------------------------------------------------------------------

def _code(body: Any) -> str:
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode") or "")
    return ""


def classify(status: int, body: Any) -> ConnectorError:
    """Salesforce's ``[{"message", "errorCode", "fields"}]`` (or a 300's list of URLs, or an
    OAuth ``{"error", "error_description"}``) → an error type."""
    code, field, message = "", "", ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        code = _code(body)
        message = "; ".join(str(e.get("message") or "") for e in body if isinstance(e, dict))
        fields = body[0].get("fields") or []
        field = str(fields[0]) if fields else ""
    elif isinstance(body, list):
        message = "Several records match that external id: " + ", ".join(map(str, body))
        code = "MULTIPLE_CHOICES"
    elif isinstance(body, dict):
        code = str(body.get("error") or body.get("errorCode") or "")
        message = str(body.get("error_description") or body.get("message") or code)
    else:
        message = str(body)[:300]
    common: dict[str, Any] = {"system": SYSTEM, "status": status, "code": code,
                              "detail": body}
    if status == 401:
        return AuthError(message or "Session expired or invalid.", **common)
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        return RateLimited(f"The org's 24-hour API allowance is spent ({message})",
                           wait_s=LIMIT_WAIT_S, **common)
    if status == 403:
        return PermissionDenied(message or "The user lacks a permission.", **common)
    if status == 404 or code in NOT_FOUND_CODES:
        return NotFound(message or "Not found.", **common)
    if code == "INVALID_FIELD" and message.startswith("Foreign key external ID") and (
            "not found" in message):
        # A parent named by external id is not there yet (its own flow has not written it):
        # worth retrying, unlike a malformed record.
        return NotFound(message, **common)
    if code in TRANSIENT_CODES or status >= 500:
        return TransientError(message or "Salesforce had a temporary failure.", **common)
    return ValidationFailed(message or "Salesforce refused the request.", field=field,
                            **common)
