"""Salesforce: Accounts, Contacts and Products that may already be the record about to be
created, found with one SOQL query each (``=`` and ``LIKE`` ignore case in SOQL).

Contacts by ``Email``, by ``LastName`` with the first name's initial, by the first name with
the last name's start, and by the two swapped; Accounts by ``Name`` (equal, or containing the
name's longest word) and ``Phone``; Product2 by ``ProductCode`` / ``StockKeepingUnit`` and
``Name``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from integrations.connectors.salesforce_soql import soql_literal

if TYPE_CHECKING:
    from integrations.connectors.salesforce import SalesforceConnector

MAX_CANDIDATES = 50
FIELDS = {
    "Contact": "Id, FirstName, LastName, Email, Phone, MobilePhone, MailingStreet, "
               "MailingPostalCode, Account.Name",
    "Account": "Id, Name, Phone, BillingStreet, BillingPostalCode, ShippingStreet, "
               "ShippingPostalCode",
    "Product2": "Id, Name, ProductCode, StockKeepingUnit",
}
_LIKE_SPECIAL = re.compile(r"[%_\\]")


def _text(value: Any) -> str:
    return str(value or "").strip()


def _starts(value: str, n: int = 1) -> str:
    """A LIKE literal for "begins with": the pattern's own wildcards taken out of the value."""
    return soql_literal(_LIKE_SPECIAL.sub("", value)[:n] + "%")


def _contains(value: str) -> str:
    return soql_literal("%" + _LIKE_SPECIAL.sub("", value) + "%")


def conditions(sobject: str, record: dict[str, Any]) -> list[str]:
    if sobject == "Contact":
        first, last = _text(record.get("FirstName")), _text(record.get("LastName"))
        found = [f"Email = {soql_literal(_text(record['Email']))}"] if _text(
            record.get("Email")) else []
        if last:
            found.append(f"(LastName = {soql_literal(last)}"
                         + (f" AND FirstName LIKE {_starts(first)})" if first else ")"))
        if first and last:
            found.append(f"(FirstName = {soql_literal(first)} AND LastName LIKE "
                         f"{_starts(last, 2)})")
            found.append(f"(FirstName = {soql_literal(last)} AND LastName = "
                         f"{soql_literal(first)})")
        return found
    if sobject == "Account":
        name = _text(record.get("Name"))
        found = []
        if name:
            found.append(f"Name = {soql_literal(name)}")
            longest = max(re.split(r"[\s,]+", name), key=len)
            if len(longest) >= 3:
                found.append(f"Name LIKE {_contains(longest)}")
        if _text(record.get("Phone")):
            found.append(f"Phone = {soql_literal(_text(record['Phone']))}")
        return found
    if sobject == "Product2":
        codes = {_text(record.get(k)) for k in ("ProductCode", "StockKeepingUnit")} - {""}
        found = [f"{column} = {soql_literal(code)}" for code in sorted(codes)
                 for column in ("ProductCode", "StockKeepingUnit")]
        if _text(record.get("Name")):
            found.append(f"Name = {soql_literal(_text(record['Name']))}")
        return found
    return []


def duplicate_candidates(conn: SalesforceConnector, entity: str, record: dict[str, Any]
                         ) -> list[dict[str, Any]]:
    sobject = conn.sobject(entity)
    where = conditions(sobject, record)
    if not where:
        return []
    # Object and field names are ours (FIELDS); every value went through soql_literal.
    soql = (f"SELECT {FIELDS[sobject]} FROM {sobject} "  # noqa: S608
            f"WHERE {' OR '.join(where)} LIMIT {MAX_CANDIDATES}")
    return conn.query(soql).records
