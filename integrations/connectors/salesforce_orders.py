"""Salesforce Order + OrderItem writes: the order and its lines in one composite request; and
reads of an order's or an opportunity's lines.

An order record for ``upsert`` is the Order's fields plus ``OrderItems``: a list (or a SOQL
child-relationship ``{"records": [...]}``) of OrderItem fields. A line names its product by
``PricebookEntryId``, or by ``Product2Id`` / ``ProductCode`` (the SKU), resolved here to the
order's price book entries in one query so an unknown SKU is refused by name before anything is
written. Lines get external ids ``{order external id}-{n}`` when they have none, so a later
upsert updates them instead of adding them again.

New orders: one ``allOrNone`` composite (order + up to 24 lines via ``@{order.id}``); longer
orders continue through sObject collections, and the order is deleted if those fail.
Existing orders: header PATCH plus line PATCH (matched by external id) or POST, 25 to a
composite. Lines missing from the record are left as they are in Salesforce.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from integrations.connectors.base import WriteResult
from integrations.connectors.errors import ConnectorError, NotFound, ValidationFailed
from integrations.connectors.salesforce_soql import soql_literal

if TYPE_CHECKING:
    from integrations.connectors.salesforce import SalesforceConnector

SYSTEM = "salesforce"
COMPOSITE_MAX = 25
COLLECTION_MAX = 200
# Set on create only: Salesforce refuses them in an update.
LINE_CREATE_ONLY = ("OrderId", "PricebookEntryId", "Product2Id")
ITEM_FIELDS = ("Id", "OrderItemNumber", "PricebookEntryId", "Product2Id", "Product2.ProductCode",
               "Quantity", "UnitPrice", "ListPrice", "TotalPrice", "Description", "ServiceDate")


def order_items(conn: SalesforceConnector, order_id: str) -> dict[str, Any]:
    """The order's lines in the shape of a SOQL child relationship."""
    fields = ", ".join(dict.fromkeys([*ITEM_FIELDS, conn.external_id_field("OrderItem")]))
    records = conn.query_all(f"SELECT {fields} FROM OrderItem WHERE OrderId = "  # noqa: S608
                             f"{soql_literal(order_id)} ORDER BY OrderItemNumber")
    return {"totalSize": len(records), "done": True, "records": records}


# What a won opportunity's mapping reads besides the opportunity itself: the account (its
# Brightpearl twin and billing country, which sets the tax) and each line's product, both
# by Brightpearl id and by SKU.
OPPORTUNITY_ACCOUNT_FIELDS = ("Name", "Type", "AccountNumber", "BillingStreet", "BillingCity",
                              "BillingState", "BillingPostalCode", "BillingCountry",
                              "Brightpearl_Id__c")
OPPORTUNITY_LINE_FIELDS = ("Id", "PricebookEntryId", "Product2Id", "ProductCode", "Quantity",
                           "UnitPrice", "ListPrice", "TotalPrice", "Description", "ServiceDate",
                           "SortOrder", "PricebookEntry.Product2.ProductCode",
                           "PricebookEntry.Product2.Brightpearl_Id__c")


def opportunity_related(conn: SalesforceConnector, opportunity_id: str) -> dict[str, Any]:
    """``Account`` and ``OpportunityLineItems`` of an opportunity in one SOQL query, shaped
    as Salesforce gives a parent and a child relationship (either may be null: no account,
    no products)."""
    account = ", ".join(f"Account.{name}" for name in OPPORTUNITY_ACCOUNT_FIELDS)
    lines = ", ".join(OPPORTUNITY_LINE_FIELDS)
    found = conn.query_all(
        f"SELECT Id, {account}, (SELECT {lines} FROM OpportunityLineItems "  # noqa: S608
        f"ORDER BY SortOrder, Id) FROM Opportunity WHERE Id = {soql_literal(opportunity_id)}")
    if not found:
        raise NotFound(f"Opportunity {opportunity_id} not found.", system=SYSTEM, status=404)
    return {"Account": found[0].get("Account"),
            "OpportunityLineItems": found[0].get("OpportunityLineItems")}


LINE_ID_FALLBACKS = ("Brightpearl_Id__c",)


def order_upsert(conn: SalesforceConnector, record: dict[str, Any], *,
                 external_id: str | None) -> WriteResult:
    header = {k: v for k, v in record.items() if k not in ("OrderItems", "attributes", "Id")}
    raw = record.get("OrderItems") or []
    lines = [dict(line) for line in (raw.get("records", []) if isinstance(raw, dict) else raw)]
    order_field = conn.external_id_field("Order")
    line_field = conn.external_id_field("OrderItem")
    if not any(line.get(line_field) for line in lines):
        # Lines that carry our own id field instead (what the templates write) are matched by
        # it, so an update patches them rather than adding them again.
        line_field = next((f for f in LINE_ID_FALLBACKS if any(ln.get(f) for ln in lines)),
                          line_field)
    key = header.get(order_field)
    existing: dict[str, Any] | None = None
    if external_id or key:
        where = f"Id = {soql_literal(external_id)}" if external_id else (
            f"{order_field} = {soql_literal(key)}")
        found = conn.query_all(f"SELECT Id, Pricebook2Id, (SELECT Id, {line_field} FROM "  # noqa: S608
                               f"OrderItems) FROM Order WHERE {where}")
        if len(found) > 1:
            raise ValidationFailed(f"{len(found)} orders have {order_field} = {key}.",
                                   field=order_field, system=SYSTEM, code="MULTIPLE_CHOICES")
        existing = found[0] if found else None
        if external_id and existing is None:
            raise NotFound(f"Order {external_id} not found.", system=SYSTEM, status=404)
    book = header.get("Pricebook2Id") or (existing or {}).get("Pricebook2Id") or (
        conn.standard_pricebook_id())
    header["Pricebook2Id"] = book
    _resolve_entries(conn, lines, book)
    for index, line in enumerate(lines):
        if key and not line.get(line_field):
            line[line_field] = f"{key}-{index + 1}"
    if existing is None:
        return _create(conn, header, lines)
    return _update(conn, existing, header, lines, line_field)


def _resolve_entries(conn: SalesforceConnector, lines: list[dict[str, Any]], book: str) -> None:
    codes = {str(ln["ProductCode"]) for ln in lines
             if not ln.get("PricebookEntryId") and ln.get("ProductCode")}
    products = {str(ln["Product2Id"]) for ln in lines
                if not ln.get("PricebookEntryId") and ln.get("Product2Id")}
    by_code: dict[str, str] = {}
    by_product: dict[str, str] = {}
    if codes or products:
        terms = []
        if codes:
            terms.append(f"ProductCode IN ({', '.join(map(soql_literal, sorted(codes)))})")
        if products:
            terms.append(f"Product2Id IN ({', '.join(map(soql_literal, sorted(products)))})")
        rows = conn.query_all(
            f"SELECT Id, Product2Id, ProductCode FROM PricebookEntry WHERE Pricebook2Id = "  # noqa: S608
            f"{soql_literal(book)} AND IsActive = true AND ({' OR '.join(terms)})")
        by_code = {str(r["ProductCode"]).lower(): r["Id"] for r in rows if r["ProductCode"]}
        by_product = {str(r["Product2Id"])[:15]: r["Id"] for r in rows}
    for index, line in enumerate(lines):
        code = line.pop("ProductCode", None)
        if line.get("PricebookEntryId"):
            continue
        entry = None
        if line.get("Product2Id"):
            entry = by_product.get(str(line["Product2Id"])[:15])
        elif code:
            entry = by_code.get(str(code).lower())
        if entry is None:
            what = f"SKU {code}" if code else f"product {line.get('Product2Id')}"
            name = "ProductCode" if code else "Product2Id"
            raise ValidationFailed(f"No active price book entry for {what} in the order's "
                                   "price book.", field=f"OrderItems[{index}].{name}",
                                   system=SYSTEM)
        line["PricebookEntryId"] = entry
        line.pop("Product2Id", None)


def _create(conn: SalesforceConnector, header: dict[str, Any], lines: list[dict[str, Any]]
            ) -> WriteResult:
    base = conn.data_path
    first, rest = lines[: COMPOSITE_MAX - 1], lines[COMPOSITE_MAX - 1 :]
    requests = [{"method": "POST", "url": f"{base}sobjects/Order", "referenceId": "order",
                 "body": header}]
    requests += [{"method": "POST", "url": f"{base}sobjects/OrderItem",
                  "referenceId": f"line{i}", "body": {**line, "OrderId": "@{order.id}"}}
                 for i, line in enumerate(first)]
    answers = conn.composite(requests)
    order_id = str(answers[0]["body"]["id"])
    try:
        for start in range(0, len(rest), COLLECTION_MAX):
            chunk = rest[start : start + COLLECTION_MAX]
            results = conn.json(conn.request("POST", "composite/sobjects", json={
                "allOrNone": True, "records": [
                    {"attributes": {"type": "OrderItem"}, **line, "OrderId": order_id}
                    for line in chunk]}))
            failed = next((r for r in results if not r.get("success")), None)
            if failed is not None:
                error = (failed.get("errors") or [{}])[0]
                fields = error.get("fields") or []
                raise ValidationFailed(str(error.get("message") or "An order line was refused."),
                                       field=str(fields[0]) if fields else "", system=SYSTEM,
                                       code=str(error.get("statusCode") or ""))
    except ConnectorError:
        # Salesforce has no transaction across calls: take the half-written order back out.
        conn.request("DELETE", f"sobjects/Order/{order_id}")
        raise
    return WriteResult(order_id, created=True)


def _update(conn: SalesforceConnector, existing: dict[str, Any], header: dict[str, Any],
            lines: list[dict[str, Any]], line_field: str) -> WriteResult:
    base = conn.data_path
    order_id = str(existing["Id"])
    children = (existing.get("OrderItems") or {}).get("records") or []
    known = {str(c[line_field]).lower(): c["Id"] for c in children if c.get(line_field)}
    requests: list[dict[str, Any]] = [{"method": "PATCH", "referenceId": "order",
                                       "url": f"{base}sobjects/Order/{order_id}",
                                       "body": header}]
    for index, line in enumerate(lines):
        line_id = known.get(str(line.get(line_field) or "").lower())
        if line_id:
            body = {k: v for k, v in line.items() if k not in LINE_CREATE_ONLY}
            requests.append({"method": "PATCH", "referenceId": f"line{index}",
                             "url": f"{base}sobjects/OrderItem/{line_id}", "body": body})
        else:
            requests.append({"method": "POST", "referenceId": f"line{index}",
                             "url": f"{base}sobjects/OrderItem",
                             "body": {**line, "OrderId": order_id}})
    for start in range(0, len(requests), COMPOSITE_MAX):
        conn.composite(requests[start : start + COMPOSITE_MAX])
    return WriteResult(order_id, created=False)
