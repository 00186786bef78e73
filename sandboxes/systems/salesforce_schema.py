"""Salesforce sObject metadata: ids with key prefixes, field types, describe output.

The emulated org knows the standard objects the seeds touch plus custom objects for inventory,
shipments and payments, and ``Brightpearl_Id__c`` / ``ExternalID__c`` external-id fields on each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
POD = "5g"  # the "instance" characters of every id this org issues


def id_suffix(id15: str) -> str:
    """The 3 checksum characters that make a case-insensitive 18-character id."""
    out = []
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(SUFFIX_ALPHABET[bits])
    return "".join(out)


def make_id(prefix: str, seq: int) -> str:
    """An 18-character id: key prefix, pod, then the sequence in base 62."""
    digits = ""
    n = seq
    while n:
        n, rem = divmod(n, 62)
        digits = BASE62[rem] + digits
    id15 = f"{prefix}{POD}{digits.rjust(10, '0')}"
    return id15 + id_suffix(id15)


def normalize_id(value: str) -> str | None:
    """The 18-character form of a 15/18-character id, or None if it isn't shaped like one."""
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isalnum():
        return None
    id15 = value[:15]
    full = id15 + id_suffix(id15)
    if len(value) == 18 and value[15:].upper() != full[15:]:
        return None
    return full


def sf_datetime(ts: float | None = None) -> str:
    """Salesforce's JSON datetime form: ``2024-03-05T14:00:00.000+0000``."""
    moment = datetime.fromtimestamp(ts, UTC) if ts is not None else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted: bool = False
    external_id: bool = False
    unique: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    default: Any = None
    custom: bool = False
    calculated: bool = False

    @property
    def required(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted

    def describe(self) -> dict[str, Any]:
        numeric = self.type in ("double", "currency", "percent", "int")
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "soapType": SOAP_TYPES.get(self.type, "xsd:string"),
            "length": self.length,
            "byteLength": self.length * 3,
            "precision": 18 if numeric else 0,
            "scale": 2 if self.type in ("currency", "percent", "double") else 0,
            "digits": 9 if self.type == "int" else 0,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "defaultedOnCreate": self.defaulted,
            "defaultValue": self.default,
            "externalId": self.external_id,
            "idLookup": self.external_id or self.type == "id",
            "unique": self.unique,
            "custom": self.custom,
            "calculated": self.calculated,
            "autoNumber": self.type == "string" and self.calculated,
            "filterable": True,
            "sortable": self.type != "textarea",
            "groupable": self.type not in ("textarea", "double", "currency", "percent"),
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"active": True, "defaultValue": v == self.default, "label": v, "value": v}
                for v in self.picklist
            ],
        }


SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


@dataclass
class SObjectType:
    name: str
    label: str
    plural: str
    key_prefix: str
    fields: dict[str, Field] = field(default_factory=dict)
    custom: bool = False
    # child relationship name -> (child object, lookup field)
    children: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Lower-cased name -> canonical name, for SOQL's case-insensitive field names.
    lookup: dict[str, str] = field(default_factory=dict)

    def field_named(self, name: str) -> Field | None:
        canonical = self.lookup.get(name.lower())
        return self.fields[canonical] if canonical else None

    def relationship(self, name: str) -> Field | None:
        lowered = name.lower()
        for f in self.fields.values():
            if f.relationship_name and f.relationship_name.lower() == lowered:
                return f
        return None

    def child(self, name: str) -> tuple[str, tuple[str, str]] | None:
        lowered = name.lower()
        for rel, target in self.children.items():
            if rel.lower() == lowered:
                return rel, target
        return None

    def external_ids(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.external_id]

    def describe(self) -> dict[str, Any]:
        base = f"/services/data/vXX.X/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.plural,
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "searchable": True,
            "retrieveable": True,
            "undeletable": True,
            "triggerable": True,
            "fields": [f.describe() for f in self.fields.values()],
            "childRelationships": [
                {"childSObject": obj, "field": fld, "relationshipName": rel, "cascadeDelete": False}
                for rel, (obj, fld) in self.children.items()
            ],
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }

    def summary(self) -> dict[str, Any]:
        base = f"/services/data/vXX.X/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.plural,
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "urls": {"sobject": base, "describe": f"{base}/describe",
                     "rowTemplate": base + "/{ID}"},
        }


def _f(name: str, type_: str, label: str | None = None, **kw: Any) -> Field:
    defaults = {"string": 255, "textarea": 32000, "email": 80, "phone": 40, "url": 255,
                "picklist": 255, "id": 18, "reference": 18}
    length = kw.pop("length", defaults.get(type_, 0))
    return Field(name=name, type=type_, label=label or name, length=length,
                 custom=name.endswith("__c"), **kw)


def _ref(name: str, target: str, relationship: str, label: str, **kw: Any) -> Field:
    return _f(name, "reference", label, reference_to=(target,), relationship_name=relationship,
              **kw)


def _system_fields(prefix_owner: bool = True) -> list[Field]:
    ro = {"createable": False, "updateable": False, "nillable": False, "defaulted": True}
    fields = [
        _f("Id", "id", "Record ID", **ro),
        _f("IsDeleted", "boolean", "Deleted", **ro),
        _f("CreatedDate", "datetime", "Created Date", **ro),
        _ref("CreatedById", "User", "CreatedBy", "Created By ID", **ro),
        _f("LastModifiedDate", "datetime", "Last Modified Date", **ro),
        _ref("LastModifiedById", "User", "LastModifiedBy", "Last Modified By ID", **ro),
        _f("SystemModstamp", "datetime", "System Modstamp", **ro),
    ]
    if prefix_owner:
        fields.append(_ref("OwnerId", "User", "Owner", "Owner ID", nillable=False, defaulted=True))
    return fields


def _address(prefix: str, label: str) -> list[Field]:
    return [
        _f(f"{prefix}Street", "textarea", f"{label} Street", length=255),
        _f(f"{prefix}City", "string", f"{label} City", length=40),
        _f(f"{prefix}State", "string", f"{label} State/Province", length=80),
        _f(f"{prefix}PostalCode", "string", f"{label} Zip/Postal Code", length=20),
        _f(f"{prefix}Country", "string", f"{label} Country", length=80),
    ]


def _external_ids() -> list[Field]:
    return [
        _f("Brightpearl_Id__c", "string", "Brightpearl Id", length=50, external_id=True,
           unique=True),
        _f("ExternalID__c", "string", "External ID", length=50, external_id=True),
    ]


READ_ONLY = {"createable": False, "updateable": False, "calculated": True}

ACCOUNT_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel",
                 "Channel Partner / Reseller", "Installation Partner", "Technology Partner",
                 "Other")
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
          "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
          "Negotiation/Review", "Closed Won", "Closed Lost")
ORDER_STATUSES = ("Draft", "Activated", "Partially Fulfilled", "Fulfilled", "Cancelled")
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                 "Closed - Not Converted")
CASE_STATUSES = ("New", "Working", "Escalated", "Closed")
SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")


def _build() -> dict[str, SObjectType]:
    specs: list[tuple[str, str, str, str, list[Field]]] = [
        ("User", "User", "Users", "005", [
            _f("Username", "string", "Username", length=80, nillable=False),
            _f("Name", "string", "Full Name", length=121, **READ_ONLY),
            _f("FirstName", "string", "First Name", length=40),
            _f("LastName", "string", "Last Name", length=80, nillable=False),
            _f("Email", "email", "Email", nillable=False),
            _f("IsActive", "boolean", "Active", nillable=False, defaulted=True, default=True),
        ]),
        ("Account", "Account", "Accounts", "001", [
            _f("Name", "string", "Account Name", nillable=False),
            _f("Type", "picklist", "Account Type", picklist=ACCOUNT_TYPES),
            _ref("ParentId", "Account", "Parent", "Parent Account ID"),
            *_address("Billing", "Billing"),
            *_address("Shipping", "Shipping"),
            _f("Phone", "phone", "Account Phone"),
            _f("Fax", "phone", "Account Fax"),
            _f("AccountNumber", "string", "Account Number", length=40),
            _f("Website", "url", "Website"),
            _f("Industry", "picklist", "Industry",
               picklist=("Apparel", "Retail", "Consumer Goods", "Manufacturing", "Other")),
            _f("AnnualRevenue", "currency", "Annual Revenue"),
            _f("NumberOfEmployees", "int", "Employees"),
            _f("Description", "textarea", "Account Description"),
            *_external_ids(),
        ]),
        ("Contact", "Contact", "Contacts", "003", [
            _ref("AccountId", "Account", "Account", "Account ID"),
            _f("Salutation", "picklist", "Salutation",
               picklist=("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
            _f("FirstName", "string", "First Name", length=40),
            _f("LastName", "string", "Last Name", length=80, nillable=False),
            _f("Name", "string", "Full Name", length=121, **READ_ONLY),
            _f("Email", "email", "Email"),
            _f("Phone", "phone", "Business Phone"),
            _f("MobilePhone", "phone", "Mobile Phone"),
            _f("Title", "string", "Title", length=128),
            *_address("Mailing", "Mailing"),
            _f("Description", "textarea", "Contact Description"),
            *_external_ids(),
        ]),
        ("Lead", "Lead", "Leads", "00Q", [
            _f("FirstName", "string", "First Name", length=40),
            _f("LastName", "string", "Last Name", length=80, nillable=False),
            _f("Name", "string", "Full Name", length=121, **READ_ONLY),
            _f("Company", "string", "Company", nillable=False),
            _f("Email", "email", "Email"),
            _f("Phone", "phone", "Phone"),
            _f("Status", "picklist", "Lead Status", picklist=LEAD_STATUSES, nillable=False,
               defaulted=True, default="Open - Not Contacted", restricted=True),
            _f("LeadSource", "picklist", "Lead Source", picklist=SOURCES),
            _f("Street", "textarea", "Street", length=255),
            _f("City", "string", "City", length=40),
            _f("PostalCode", "string", "Zip/Postal Code", length=20),
            _f("Country", "string", "Country", length=80),
            _f("IsConverted", "boolean", "Converted", nillable=False, **READ_ONLY),
            *_external_ids(),
        ]),
        ("Product2", "Product", "Products", "01t", [
            _f("Name", "string", "Product Name", nillable=False),
            _f("ProductCode", "string", "Product Code"),
            _f("Description", "textarea", "Product Description", length=4000),
            _f("IsActive", "boolean", "Active", nillable=False, defaulted=True, default=False),
            _f("Family", "picklist", "Product Family",
               picklist=("Apparel", "Footwear", "Accessories", "Home", "None")),
            _f("StockKeepingUnit", "string", "Product SKU", length=180),
            _f("QuantityUnitOfMeasure", "picklist", "Quantity Unit Of Measure",
               picklist=("Each", "Pack", "Case")),
            _f("AvailableStock__c", "double", "Available Stock"),
            *_external_ids(),
        ]),
        ("Pricebook2", "Price Book", "Price Books", "01s", [
            _f("Name", "string", "Price Book Name", nillable=False),
            _f("IsActive", "boolean", "Active", nillable=False, defaulted=True, default=False),
            _f("IsStandard", "boolean", "Is Standard Price Book", nillable=False, **READ_ONLY),
            _f("Description", "string", "Description"),
        ]),
        ("PricebookEntry", "Price Book Entry", "Price Book Entries", "01u", [
            _f("Name", "string", "Product Name", **READ_ONLY),
            _ref("Pricebook2Id", "Pricebook2", "Pricebook2", "Price Book ID", nillable=False,
                 updateable=False),
            _ref("Product2Id", "Product2", "Product2", "Product ID", nillable=False,
                 updateable=False),
            _f("UnitPrice", "currency", "List Price", nillable=False),
            _f("IsActive", "boolean", "Active", nillable=False, defaulted=True, default=False),
            _f("UseStandardPrice", "boolean", "Use Standard Price", nillable=False,
               defaulted=True, default=False),
            _f("ProductCode", "string", "Product Code", **READ_ONLY),
        ]),
        ("Opportunity", "Opportunity", "Opportunities", "006", [
            _f("Name", "string", "Name", length=120, nillable=False),
            _ref("AccountId", "Account", "Account", "Account ID"),
            _f("StageName", "picklist", "Stage", picklist=STAGES, nillable=False,
               restricted=True),
            _f("CloseDate", "date", "Close Date", nillable=False),
            _f("Amount", "currency", "Amount"),
            _f("Probability", "percent", "Probability (%)"),
            _f("Type", "picklist", "Opportunity Type",
               picklist=("Existing Customer - Upgrade", "New Customer")),
            _f("LeadSource", "picklist", "Lead Source", picklist=SOURCES),
            _f("Description", "textarea", "Description"),
            _ref("Pricebook2Id", "Pricebook2", "Pricebook2", "Price Book ID"),
            _f("IsClosed", "boolean", "Closed", nillable=False, **READ_ONLY),
            _f("IsWon", "boolean", "Won", nillable=False, **READ_ONLY),
            _f("HasOpportunityLineItem", "boolean", "Has Line Item", nillable=False,
               **READ_ONLY),
            *_external_ids(),
        ]),
        # The opportunity's products. A line gives UnitPrice or TotalPrice (not both); the
        # other follows from Quantity. The opportunity's Amount is the sum of its lines.
        ("OpportunityLineItem", "Opportunity Product", "Opportunity Product", "00k", [
            _ref("OpportunityId", "Opportunity", "Opportunity", "Opportunity ID",
                 nillable=False, updateable=False),
            _f("Name", "string", "Opportunity Product Name", length=376, **READ_ONLY),
            _ref("PricebookEntryId", "PricebookEntry", "PricebookEntry", "Price Book Entry ID",
                 nillable=False, updateable=False),
            _ref("Product2Id", "Product2", "Product2", "Product ID", **READ_ONLY),
            _f("ProductCode", "string", "Product Code", **READ_ONLY),
            _f("Quantity", "double", "Quantity", nillable=False),
            _f("UnitPrice", "currency", "Sales Price"),
            _f("TotalPrice", "currency", "Total Price"),
            _f("ListPrice", "currency", "List Price", **READ_ONLY),
            _f("Subtotal", "currency", "Subtotal", **READ_ONLY),
            _f("ServiceDate", "date", "Date"),
            _f("Description", "string", "Line Description"),
            _f("SortOrder", "int", "Sort Order"),
            *_external_ids(),
        ]),
        ("Order", "Order", "Orders", "801", [
            _ref("AccountId", "Account", "Account", "Account ID", nillable=False),
            _f("Name", "string", "Order Name", length=80),
            _f("OrderNumber", "string", "Order Number", length=30, nillable=False, **READ_ONLY),
            _f("EffectiveDate", "date", "Order Start Date", nillable=False),
            _f("EndDate", "date", "Order End Date"),
            _f("Status", "picklist", "Status", picklist=ORDER_STATUSES, nillable=False,
               restricted=True),
            _ref("Pricebook2Id", "Pricebook2", "Pricebook2", "Price Book ID"),
            _ref("OpportunityId", "Opportunity", "Opportunity", "Opportunity ID"),
            _f("Type", "picklist", "Order Type", picklist=("Web", "Phone", "Retail", "Wholesale")),
            _f("PoNumber", "string", "PO Number", length=80),
            _f("OrderReferenceNumber", "string", "Order Reference Number", length=80),
            _f("Description", "textarea", "Description"),
            _f("TotalAmount", "currency", "Order Amount", nillable=False, **READ_ONLY),
            *_address("Billing", "Billing"),
            *_address("Shipping", "Shipping"),
            *_external_ids(),
        ]),
        ("OrderItem", "Order Product", "Order Products", "802", [
            _ref("OrderId", "Order", "Order", "Order ID", nillable=False, updateable=False),
            _f("OrderItemNumber", "string", "Order Product Number", length=30, nillable=False,
               **READ_ONLY),
            _ref("PricebookEntryId", "PricebookEntry", "PricebookEntry", "Price Book Entry ID",
                 nillable=False, updateable=False),
            _ref("Product2Id", "Product2", "Product2", "Product ID", createable=True,
                 updateable=False, defaulted=True),
            _f("Quantity", "double", "Quantity", nillable=False),
            _f("UnitPrice", "currency", "Unit Price", nillable=False),
            _f("ListPrice", "currency", "List Price"),
            _f("TotalPrice", "currency", "Total Price", **READ_ONLY),
            _f("ServiceDate", "date", "Start Date"),
            _f("Description", "string", "Line Description"),
            *_external_ids(),
        ]),
        ("Case", "Case", "Cases", "500", [
            _f("CaseNumber", "string", "Case Number", length=30, nillable=False, **READ_ONLY),
            _ref("AccountId", "Account", "Account", "Account ID"),
            _ref("ContactId", "Contact", "Contact", "Contact ID"),
            _f("Subject", "string", "Subject"),
            _f("Description", "textarea", "Description"),
            _f("Status", "picklist", "Status", picklist=CASE_STATUSES, defaulted=True,
               default="New"),
            _f("Origin", "picklist", "Case Origin", picklist=("Phone", "Email", "Web")),
            _f("Priority", "picklist", "Priority", picklist=("High", "Medium", "Low"),
               defaulted=True, default="Medium"),
            _f("Type", "picklist", "Case Type",
               picklist=("Question", "Problem", "Return", "Feature Request")),
            _f("Reason", "picklist", "Case Reason",
               picklist=("Damaged", "Wrong Item", "Late Delivery", "Other")),
            _f("IsClosed", "boolean", "Closed", nillable=False, **READ_ONLY),
            *_external_ids(),
        ]),
        ("Inventory__c", "Inventory", "Inventory", "a00", [
            _f("Name", "string", "Inventory Number", length=80, nillable=False, **READ_ONLY),
            _ref("Product__c", "Product2", "Product__r", "Product", nillable=False),
            _f("Warehouse__c", "string", "Warehouse", length=80),
            _f("Quantity_On_Hand__c", "double", "Quantity On Hand"),
            _f("Quantity_Allocated__c", "double", "Quantity Allocated"),
            _f("Quantity_Available__c", "double", "Quantity Available"),
            *_external_ids(),
        ]),
        ("Shipment__c", "Shipment", "Shipments", "a01", [
            _f("Name", "string", "Shipment Number", length=80, nillable=False, **READ_ONLY),
            _ref("Order__c", "Order", "Order__r", "Order", nillable=False),
            _f("Tracking_Number__c", "string", "Tracking Number", length=100),
            _f("Carrier__c", "string", "Carrier", length=80),
            _f("Shipped_Date__c", "date", "Shipped Date"),
            _f("Status__c", "picklist", "Status", picklist=("Pending", "Shipped", "Delivered"),
               defaulted=True, default="Pending"),
            *_external_ids(),
        ]),
        ("Payment__c", "Payment", "Payments", "a02", [
            _f("Name", "string", "Payment Number", length=80, nillable=False, **READ_ONLY),
            _ref("Order__c", "Order", "Order__r", "Order"),
            _ref("Account__c", "Account", "Account__r", "Account"),
            _f("Amount__c", "currency", "Amount", nillable=False),
            _f("Currency__c", "string", "Currency", length=3),
            _f("Payment_Date__c", "date", "Payment Date"),
            _f("Payment_Method__c", "string", "Payment Method", length=80),
            _f("Transaction_Ref__c", "string", "Transaction Reference", length=100),
            *_external_ids(),
        ]),
    ]
    objects: dict[str, SObjectType] = {}
    for name, label, plural, prefix, own in specs:
        sobject = SObjectType(name, label, plural, prefix, custom=name.endswith("__c"))
        # Lines belong to their opportunity: no owner of their own.
        owned = name not in ("User", "OpportunityLineItem")
        for f in [*_system_fields(owned), *own]:
            sobject.fields[f.name] = f
            sobject.lookup[f.name.lower()] = f.name
        objects[name] = sobject
    children = {
        "Account": {"Contacts": ("Contact", "AccountId"), "Opportunities": ("Opportunity",
                    "AccountId"), "Orders": ("Order", "AccountId"), "Cases": ("Case",
                    "AccountId"), "Payments__r": ("Payment__c", "Account__c")},
        "Opportunity": {"OpportunityLineItems": ("OpportunityLineItem", "OpportunityId"),
                        "Orders": ("Order", "OpportunityId")},
        "PricebookEntry": {"OpportunityLineItems": ("OpportunityLineItem",
                                                    "PricebookEntryId")},
        "Order": {"OrderItems": ("OrderItem", "OrderId"), "Shipments__r": ("Shipment__c",
                  "Order__c"), "Payments__r": ("Payment__c", "Order__c")},
        "Product2": {"PricebookEntries": ("PricebookEntry", "Product2Id"),
                     "Inventories__r": ("Inventory__c", "Product__c")},
        "Pricebook2": {"PricebookEntries": ("PricebookEntry", "Pricebook2Id")},
        "Contact": {"Cases": ("Case", "ContactId")},
    }
    for parent, rels in children.items():
        objects[parent].children.update(rels)
    return objects


SOBJECTS: dict[str, SObjectType] = _build()
BY_PREFIX: dict[str, SObjectType] = {o.key_prefix: o for o in SOBJECTS.values()}
_LOWER = {name.lower(): name for name in SOBJECTS}

# Auto-number formats of read-only Name / Number fields.
AUTONUMBER = {
    "Order": ("OrderNumber", "{:08d}", 100),
    "OrderItem": ("OrderItemNumber", "{:010d}", 1),
    "Case": ("CaseNumber", "{:08d}", 1001),
    "Inventory__c": ("Name", "INV-{:05d}", 1),
    "Shipment__c": ("Name", "SHP-{:05d}", 1),
    "Payment__c": ("Name", "PAY-{:05d}", 1),
}


def sobject_named(name: str) -> SObjectType | None:
    canonical = _LOWER.get(name.lower())
    return SOBJECTS[canonical] if canonical else None
