"""Salesforce record operations for one org: validation in Salesforce's error codes, derived
fields (names, totals, auto-numbers), soft delete, an undo journal for ``allOrNone`` composite
requests, and the change events that feed Outbound Messages.
"""

from __future__ import annotations

import copy
import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sandboxes.state import Account
from sandboxes.system import SystemContext
from sandboxes.systems.salesforce_schema import (
    AUTONUMBER,
    BY_PREFIX,
    Field,
    SObjectType,
    make_id,
    normalize_id,
    sf_datetime,
)
from sandboxes.systems.salesforce_soql import parse_datetime

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CLOSED_STAGES = {"Closed Won", "Closed Lost"}


class SfError(Exception):
    """One or more Salesforce errors ``[{"message", "errorCode", "fields"}]`` with a status."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None
                 ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = [{"message": message, "errorCode": code, "fields": fields or []}]

    @property
    def code(self) -> str:
        return self.errors[0]["errorCode"]


def not_found() -> SfError:
    return SfError(404, "NOT_FOUND", "The requested resource does not exist")


@dataclass
class Change:
    sobject: str
    record_id: str
    kind: str  # created | updated | deleted
    fields: list[str] = field(default_factory=list)


class Org:
    """One org's data, as seen by one request (journal and events are per request)."""

    def __init__(self, ctx: SystemContext, account: Account) -> None:
        self.ctx = ctx
        self.account = account
        self.journal: list[tuple[str, str, dict[str, Any] | None]] | None = None
        self.changes: list[Change] = []

    # -- lookups -------------------------------------------------------------------------------
    @property
    def user_id(self) -> str:
        return self.account.credentials["user_id"]

    def rows(self, sobject: str) -> list[dict[str, Any]]:
        table = self.account.tables.get(sobject)
        return list(table.values()) if table is not None else []

    def get_any(self, record_id: str | None) -> dict[str, Any] | None:
        if not record_id:
            return None
        full = normalize_id(record_id)
        if full is None:
            return None
        sobject = BY_PREFIX.get(full[:3])
        table = self.account.tables.get(sobject.name) if sobject else None
        return table.get(full) if table is not None else None

    def get(self, sobject: SObjectType, record_id: str) -> dict[str, Any] | None:
        full = normalize_id(record_id)
        if full is None or full[:3] != sobject.key_prefix:
            return None
        return self.account.table(sobject.name).get(full)

    def find_by(self, sobject: SObjectType, field_name: str, value: Any) -> list[dict[str, Any]]:
        wanted = str(value).lower()
        return [r for r in self.rows(sobject.name) if not r["IsDeleted"]
                and r.get(field_name) is not None and str(r[field_name]).lower() == wanted]

    # -- ids -----------------------------------------------------------------------------------
    def new_id(self, sobject: SObjectType) -> str:
        settings = self.account.settings
        if "seq" not in settings:
            settings["seq"] = (zlib.crc32(self.account.name.encode()) % 40000) * 100000
        settings["seq"] += 1
        return make_id(sobject.key_prefix, settings["seq"])

    def _autonumber(self, sobject: SObjectType, record: dict[str, Any]) -> None:
        spec = AUTONUMBER.get(sobject.name)
        if spec is None:
            return
        name, pattern, first = spec
        counters = self.account.settings.setdefault("autonumbers", {})
        value = counters.get(sobject.name, first)
        counters[sobject.name] = value + 1
        record[name] = pattern.format(value)

    # -- values --------------------------------------------------------------------------------
    def _coerce(self, sobject: SObjectType, f: Field, value: Any) -> Any:
        if value is None or (value == "" and f.type not in ("string", "textarea")):
            return None
        kind = f.type
        if kind in ("string", "textarea", "email", "phone", "url", "picklist"):
            if isinstance(value, dict | list):
                raise _json_error(kind, value)
            text = value if isinstance(value, str) else (
                str(value).lower() if isinstance(value, bool) else str(value))
            if f.length and len(text) > f.length:
                raise SfError(400, "STRING_TOO_LONG",
                              f"{f.label}: data value too large: {text[:40]} (max length="
                              f"{f.length})", [f.name])
            if kind == "email" and text and not EMAIL_RE.match(text):
                raise SfError(400, "INVALID_EMAIL_ADDRESS",
                              f"{f.label}: invalid email address: {text}", [f.name])
            if kind == "picklist" and f.restricted and text not in f.picklist:
                raise SfError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                              f"{f.label}: bad value for restricted picklist field: {text}",
                              [f.name])
            return text
        if kind == "boolean":
            if not isinstance(value, bool):
                raise _json_error("boolean", value)
            return value
        if kind in ("double", "currency", "percent", "int"):
            if isinstance(value, bool):
                raise _json_error("double", value)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise _json_error("double", value) from None
            return int(number) if kind == "int" else number
        if kind == "date":
            try:
                return date.fromisoformat(str(value)[:10]).isoformat()
            except ValueError:
                raise _json_error("date", value) from None
        if kind == "datetime":
            try:
                return sf_datetime(parse_datetime(str(value)).timestamp())
            except ValueError:
                raise _json_error("datetime", value) from None
        if kind == "reference":
            full = normalize_id(value) if isinstance(value, str) else None
            if full is None:
                raise SfError(400, "MALFORMED_ID", f"{f.label}: id value of incorrect type: "
                                                   f"{value}", [f.name])
            targets = [BY_PREFIX.get(full[:3])]
            if targets[0] is None or targets[0].name not in f.reference_to:
                raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                              f"{f.label}: id value of incorrect type: {value}", [f.name])
            target = self.get_any(full)
            if target is None:
                raise SfError(400, "INVALID_CROSS_REFERENCE_KEY",
                              "invalid cross reference id", [f.name])
            if target["IsDeleted"]:
                raise SfError(400, "ENTITY_IS_DELETED", "entity is deleted", [f.name])
            return full
        return value

    def _apply_body(self, sobject: SObjectType, body: dict[str, Any], *, creating: bool
                    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        locked: list[str] = []
        for key, value in body.items():
            if key == "attributes":
                continue
            f = sobject.field_named(key)
            if f is None:
                rel = sobject.relationship(key)
                if rel is not None and isinstance(value, dict):
                    values[rel.name] = self._resolve_relationship(rel, value)
                    continue
                raise SfError(400, "INVALID_FIELD",
                              f"No such column '{key}' on sobject of type {sobject.name}")
            if (creating and not f.createable) or (not creating and not f.updateable):
                locked.append(f.name)
                continue
            values[f.name] = self._coerce(sobject, f, value)
        if locked:
            raise SfError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                          f"Unable to create/update fields: {', '.join(locked)}. Please check the "
                          "security settings of this field and verify that it is read/write for "
                          "your profile or permission set.", locked)
        return values

    def _resolve_relationship(self, rel: Field, value: dict[str, Any]) -> str:
        target = _schema(rel.reference_to[0])
        keys = [k for k in value if k != "attributes"]
        ext = target.field_named(keys[0]) if len(keys) == 1 else None
        if ext is None or not ext.external_id:
            raise SfError(400, "INVALID_FIELD",
                          f"The {rel.relationship_name} foreign key reference must be by an "
                          "external id field", [rel.name])
        matches = self.find_by(target, ext.name, value[keys[0]])
        if not matches:
            raise SfError(400, "INVALID_FIELD",
                          f"Foreign key external ID: {value[keys[0]]} not found for field "
                          f"{ext.name} in entity {target.name}", [rel.name])
        if len(matches) > 1:
            raise SfError(300, "MULTIPLE_RECORDS",
                          f"Foreign key external ID: {value[keys[0]]} matches multiple "
                          f"{target.name} records", [rel.name])
        return matches[0]["Id"]

    # -- writes --------------------------------------------------------------------------------
    def create(self, sobject: SObjectType, body: Any, *, at: float | None = None,
               emit: bool = True) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _json_error("object", body)
        values = self._apply_body(sobject, body, creating=True)
        if sobject.name == "OpportunityLineItem":
            _line_prices(values, None)
        record: dict[str, Any] = {name: None for name in sobject.fields}
        for f in sobject.fields.values():
            if f.defaulted and f.default is not None:
                record[f.name] = f.default
        record.update(values)
        missing = [f.name for f in sobject.fields.values() if f.required
                   and record.get(f.name) is None]
        if missing:
            raise SfError(400, "REQUIRED_FIELD_MISSING",
                          f"Required fields are missing: [{', '.join(missing)}]", missing)
        self._rules(sobject, record, None)
        stamp = sf_datetime(at)
        record_id = self.new_id(sobject)
        record.update({
            "Id": record_id, "IsDeleted": False, "CreatedDate": stamp,
            "CreatedById": self.user_id, "LastModifiedDate": stamp,
            "LastModifiedById": self.user_id, "SystemModstamp": stamp,
        })
        if "OwnerId" in sobject.fields and not record.get("OwnerId"):
            record["OwnerId"] = self.user_id
        self._autonumber(sobject, record)
        self._derive(sobject, record)
        table = self.account.table(sobject.name)
        table.insert(record, record_id=record_id)
        if at is not None:
            table.created[record_id] = table.updated[record_id] = at
        if self.journal is not None:
            self.journal.append((sobject.name, record_id, None))
        self._after_write(sobject, record)
        if emit:
            self.changes.append(Change(sobject.name, record_id, "created", list(values)))
        return record

    def update(self, sobject: SObjectType, record: dict[str, Any], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _json_error("object", body)
        values = self._apply_body(sobject, body, creating=False)
        if sobject.name == "OpportunityLineItem":
            _line_prices(values, record)
        cleared = [n for n, v in values.items() if v is None and not sobject.fields[n].nillable]
        if cleared:
            raise SfError(400, "REQUIRED_FIELD_MISSING",
                          f"Required fields are missing: [{', '.join(cleared)}]", cleared)
        merged = {**record, **values}
        self._rules(sobject, merged, record)
        if self.journal is not None:
            self.journal.append((sobject.name, record["Id"], copy.deepcopy(record)))
        changed = [n for n, v in values.items() if record.get(n) != v]
        record.update(values)
        stamp = sf_datetime()
        record["LastModifiedDate"] = record["SystemModstamp"] = stamp
        record["LastModifiedById"] = self.user_id
        self._derive(sobject, record)
        self.account.table(sobject.name).touch(record["Id"])
        self._after_write(sobject, record)
        self.changes.append(Change(sobject.name, record["Id"], "updated", changed))
        return record

    def delete(self, sobject: SObjectType, record: dict[str, Any]) -> None:
        if self.journal is not None:
            self.journal.append((sobject.name, record["Id"], copy.deepcopy(record)))
        record["IsDeleted"] = True
        record["LastModifiedDate"] = record["SystemModstamp"] = sf_datetime()
        self.account.table(sobject.name).touch(record["Id"])
        self._after_write(sobject, record)
        self.changes.append(Change(sobject.name, record["Id"], "deleted"))

    def rollback(self) -> None:
        for name, record_id, previous in reversed(self.journal or []):
            table = self.account.table(name)
            if previous is None:
                table.delete(record_id)
            else:
                table.replace(record_id, previous)
        self.journal = None
        self.changes = []

    # -- object rules --------------------------------------------------------------------------
    def _rules(self, sobject: SObjectType, record: dict[str, Any],
               before: dict[str, Any] | None) -> None:
        for f in sobject.fields.values():
            if f.unique and record.get(f.name) is not None:
                for other in self.find_by(sobject, f.name, record[f.name]):
                    if other["Id"] != record.get("Id"):
                        raise SfError(400, "DUPLICATE_VALUE",
                                      f"duplicate value found: {f.name} duplicates value on "
                                      f"record with id: {other['Id']}", [f.name])
        if sobject.name == "PricebookEntry" and before is None:
            book = self.get_any(record["Pricebook2Id"])
            assert book is not None
            for other in self.rows("PricebookEntry"):
                if (not other["IsDeleted"] and other["Pricebook2Id"] == record["Pricebook2Id"]
                        and other["Product2Id"] == record["Product2Id"]):
                    raise SfError(400, "DUPLICATE_VALUE", "This price definition already "
                                  "exists in this price book", [])
            if not book["IsStandard"] and not any(
                e["Product2Id"] == record["Product2Id"] and not e["IsDeleted"]
                and (self.get_any(e["Pricebook2Id"]) or {}).get("IsStandard")
                for e in self.rows("PricebookEntry")
            ):
                raise SfError(400, "STANDARD_PRICE_NOT_DEFINED",
                              "No standard price defined for this product", [])
        if sobject.name == "OrderItem" and before is None:
            order = self.get_any(record["OrderId"])
            entry = self.get_any(record["PricebookEntryId"])
            assert order is not None and entry is not None
            if not order.get("Pricebook2Id") or order["Pricebook2Id"] != entry["Pricebook2Id"]:
                raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                              "field integrity exception: PricebookEntryId (pricebook entry is "
                              "in a different pricebook than the one assigned to the Order, or "
                              "Order has no pricebook assigned)", ["PricebookEntryId"])
        if sobject.name == "OpportunityLineItem" and before is None:
            opportunity = self.get_any(record["OpportunityId"])
            entry = self.get_any(record["PricebookEntryId"])
            assert opportunity is not None and entry is not None
            if not entry["IsActive"]:
                raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                              "field integrity exception: PricebookEntryId (pricebook entry is "
                              "inactive)", ["PricebookEntryId"])
            book = opportunity.get("Pricebook2Id")
            if book and book != entry["Pricebook2Id"]:
                raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                              "field integrity exception: PricebookEntryId (pricebook entry is "
                              "in a different pricebook than the one assigned to the "
                              "opportunity)", ["PricebookEntryId"])
        if sobject.name == "Opportunity" and before is not None and before.get(
            "Pricebook2Id") and record.get("Pricebook2Id") != before["Pricebook2Id"] and (
            self._line_items(record["Id"])
        ):
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", "field integrity exception: "
                          "Pricebook2Id (cannot change pricebook on opportunity with line "
                          "items)", ["Pricebook2Id"])
        if sobject.name == "Order" and before is not None and before.get("Pricebook2Id") and (
            record.get("Pricebook2Id") != before["Pricebook2Id"]
            and any(i["OrderId"] == record["Id"] and not i["IsDeleted"]
                    for i in self.rows("OrderItem"))
        ):
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", "You can't change the price book of "
                          "an order that has order products.", ["Pricebook2Id"])

    def _derive(self, sobject: SObjectType, record: dict[str, Any]) -> None:
        name = sobject.name
        if name in ("Contact", "Lead", "User"):
            record["Name"] = " ".join(p for p in (record.get("FirstName"),
                                                  record.get("LastName")) if p)
        elif name == "Opportunity":
            record["IsClosed"] = record.get("StageName") in CLOSED_STAGES
            record["IsWon"] = record.get("StageName") == "Closed Won"
            record["HasOpportunityLineItem"] = bool(self._line_items(record["Id"]))
        elif name == "Case":
            record["IsClosed"] = record.get("Status") == "Closed"
        elif name == "Lead":
            record["IsConverted"] = False
        elif name == "PricebookEntry":
            product = self.get_any(record["Product2Id"]) or {}
            record["Name"] = product.get("Name")
            record["ProductCode"] = product.get("ProductCode")
        elif name == "OrderItem":
            entry = self.get_any(record["PricebookEntryId"]) or {}
            record["Product2Id"] = entry.get("Product2Id")
            if record.get("ListPrice") is None:
                record["ListPrice"] = entry.get("UnitPrice")
            record["TotalPrice"] = round(float(record["Quantity"]) * float(record["UnitPrice"]),
                                         2)
        elif name == "OpportunityLineItem":
            entry = self.get_any(record["PricebookEntryId"]) or {}
            product = self.get_any(entry.get("Product2Id")) or {}
            opportunity = self.get_any(record["OpportunityId"]) or {}
            record["Product2Id"] = entry.get("Product2Id")
            record["ProductCode"] = product.get("ProductCode")
            record["ListPrice"] = entry.get("UnitPrice")
            record["Name"] = " ".join(p for p in (opportunity.get("Name"),
                                                  product.get("Name")) if p)
            record["Subtotal"] = round(float(record["Quantity"]) * float(record["UnitPrice"]),
                                       2)
        elif name == "Order" and record.get("TotalAmount") is None:
            record["TotalAmount"] = 0.0
        elif name == "Opportunity" and record.get("IsClosed") is None:
            record["IsClosed"] = False

    def _line_items(self, opportunity_id: str) -> list[dict[str, Any]]:
        return [i for i in self.rows("OpportunityLineItem")
                if i["OpportunityId"] == opportunity_id and not i["IsDeleted"]]

    def _after_write(self, sobject: SObjectType, record: dict[str, Any]) -> None:
        if sobject.name == "OpportunityLineItem":
            opportunity = self.get_any(record["OpportunityId"])
            if opportunity is not None:
                if self.journal is not None:
                    self.journal.append(("Opportunity", opportunity["Id"],
                                         copy.deepcopy(opportunity)))
                lines = self._line_items(opportunity["Id"])
                # The first product sets the opportunity's price book; with products, Amount
                # is their total (and no longer the figure a user typed).
                if not opportunity.get("Pricebook2Id") and not record["IsDeleted"]:
                    entry = self.get_any(record["PricebookEntryId"]) or {}
                    opportunity["Pricebook2Id"] = entry.get("Pricebook2Id")
                opportunity["HasOpportunityLineItem"] = bool(lines)
                if lines:
                    opportunity["Amount"] = round(sum(i["TotalPrice"] or 0 for i in lines), 2)
        if sobject.name == "OrderItem":
            order = self.get_any(record["OrderId"])
            if order is not None:
                order["TotalAmount"] = round(sum(
                    i["TotalPrice"] or 0 for i in self.rows("OrderItem")
                    if i["OrderId"] == order["Id"] and not i["IsDeleted"]), 2)


def _line_prices(values: dict[str, Any], before: dict[str, Any] | None) -> None:
    """An opportunity line's UnitPrice and TotalPrice from what was given: one of them (on
    create exactly one), the other follows from Quantity; a new Quantity keeps the unit price."""
    if before is not None and not {"Quantity", "UnitPrice", "TotalPrice"} & set(values):
        return
    unit, total = values.get("UnitPrice"), values.get("TotalPrice")
    if unit is not None and total is not None:
        raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", "field integrity exception: TotalPrice "
                      "(cannot specify both unit price and total price)", ["TotalPrice"])
    if before is None and unit is None and total is None:
        raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", "field integrity exception: unknown "
                      "(must specify either UnitPrice or TotalPrice)", ["UnitPrice"])
    quantity = values.get("Quantity", (before or {}).get("Quantity"))
    if quantity is None:
        return  # REQUIRED_FIELD_MISSING follows
    if quantity == 0:
        raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", "field integrity exception: Quantity "
                      "(quantity must be nonzero)", ["Quantity"])
    if total is not None:
        values["UnitPrice"] = round(total / quantity, 2)
    else:
        if unit is None:
            unit = (before or {})["UnitPrice"]
        values["UnitPrice"] = unit
        values["TotalPrice"] = round(quantity * unit, 2)


def _json_error(kind: str, value: Any) -> SfError:
    shown = value
    token = "VALUE_STRING" if isinstance(value, str) else (
        "START_OBJECT" if isinstance(value, dict) else "START_ARRAY"
        if isinstance(value, list) else "VALUE_NUMBER_INT" if isinstance(value, int)
        else "VALUE_TRUE")
    return SfError(400, "JSON_PARSER_ERROR",
                   f"Cannot deserialize instance of {kind} from {token} value {shown} or request "
                   "may be missing a required field")


def _schema(name: str) -> SObjectType:
    from sandboxes.systems.salesforce_schema import SOBJECTS

    return SOBJECTS[name]


def now_ms() -> int:
    return int(time.time() * 1000)
