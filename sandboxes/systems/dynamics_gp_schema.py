"""The part of the eConnect XML schema the GP sandbox enforces, and its validator.

eConnect validates each document against ``eConnect.xsd`` before any stored procedure runs: every
``ta*`` node is an ``xs:sequence``, so an element out of schema order, an unknown element or a
missing required one is refused with the .NET schema validator's message naming the element.
Note the real schema's quirk that line items come *before* their header
(``taSopLineIvcInsert_Items`` precedes ``taSopHdrIvcInsert``; likewise PO, POP receipt, GL and
IV documents).
The field lists are a faithful-order subset of the real nodes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

SCHEMA_ERROR_NUMBER = 9001  # sandbox-assigned: .NET schema errors carry no SQL error number


@dataclass(frozen=True)
class E:
    """A leaf element: kind s string, i integer, d decimal, t date (yyyy-mm-dd)."""

    name: str
    kind: str = "s"
    length: int = 0
    required: bool = False


@dataclass(frozen=True)
class Node:
    name: str
    fields: tuple[E, ...]


@dataclass(frozen=True)
class Child:
    """A node inside a document type: alone, or repeated inside a ``*_Items`` container."""

    node: Node
    required: bool = False
    container: str | None = None

    @property
    def tag(self) -> str:
        return self.container or self.node.name


def s(name: str, length: int, required: bool = False) -> E:
    return E(name, "s", length, required)


def i(name: str, required: bool = False) -> E:
    return E(name, "i", 0, required)


def d(name: str, required: bool = False) -> E:
    return E(name, "d", 0, required)


def t(name: str, required: bool = False) -> E:
    return E(name, "t", 0, required)


PROCESS_INFO = Node("eConnectProcessInfo", (
    s("ConnectionString", 255), s("eConnectProcsRunFirst", 10), s("DocumentAction", 10),
))

CUSTOMER = Node("taUpdateCreateCustomerRcd", (
    s("CUSTNMBR", 15, True), i("HOLD"), i("INACTIVE"), s("CUSTNAME", 64), s("SHRTNAME", 15),
    s("STMTNAME", 64), s("CUSTCLAS", 15), i("CUSTPRIORITY"), s("ADRSCODE", 15),
    s("CNTCPRSN", 60), s("ADDRESS1", 60), s("ADDRESS2", 60), s("ADDRESS3", 60), s("CITY", 35),
    s("STATE", 29), s("ZIPCODE", 10), s("COUNTRY", 60), s("CCode", 6), s("PHNUMBR1", 21),
    s("PHNUMBR2", 21), s("PHNUMBR3", 21), s("FAX", 21), s("SHIPMTHD", 15), s("TAXSCHID", 15),
    s("PYMTRMID", 20), i("CRLMTTYP"), d("CRLMTAMT"), s("CURNCYID", 15), s("COMMENT1", 30),
    s("COMMENT2", 30), s("USERDEF1", 20), s("USERDEF2", 20), s("INET1", 200),
    i("UpdateIfExists"),
))

VENDOR = Node("taUpdateCreateVendorRcd", (
    s("VENDORID", 15, True), s("VENDNAME", 64), s("VNDCHKNM", 64), s("VENDSHNM", 15),
    s("VADDCDPR", 15), s("VNDCLSID", 10), s("VNDCNTCT", 60), s("ADDRESS1", 60),
    s("ADDRESS2", 60), s("ADDRESS3", 60), s("CITY", 35), s("STATE", 29), s("ZIPCODE", 10),
    s("COUNTRY", 60), s("CCode", 6), s("PHNUMBR1", 21), s("PHNUMBR2", 21), s("FAXNUMBR", 21),
    s("CURNCYID", 15), s("PYMTRMID", 20), s("COMMENT1", 30), s("INET1", 200),
    i("UpdateIfExists"),
))

ITEM = Node("taUpdateCreateItemRcd", (
    s("ITEMNMBR", 31, True), s("ITEMDESC", 101), s("NOTETEXT", 500), s("ITMSHNAM", 15),
    i("ITEMTYPE"), s("ITMGEDSC", 11), d("STNDCOST"), d("CURRCOST"), i("ITEMSHWT"),
    i("DECPLQTY"), i("DECPLCUR"), s("ITMTSHID", 15), i("TAXOPTNS"), s("ITMCLSCD", 11),
    s("UOMSCHDL", 11), s("PRCLEVEL", 11), i("PRICMTHD"), d("LISTPRCE"), s("USCATVLS_1", 10),
    s("UPCCODE", 14), i("UpdateIfExists"),
))

SITE = Node("taCreateInventorySite", (
    s("LOCNCODE", 10, True), s("LOCNDSCR", 30), s("ADDRESS1", 60), s("ADDRESS2", 60),
    s("ADDRESS3", 60), s("CITY", 35), s("STATE", 29), s("ZIPCODE", 10), s("COUNTRY", 60),
    s("PHONE1", 21), i("UpdateIfExists"),
))

SOP_LINE = Node("taSopLineIvcInsert", (
    i("SOPTYPE", True), s("SOPNUMBE", 21, True), s("CUSTNMBR", 15, True), t("DOCDATE", True),
    s("LOCNCODE", 10), s("ITEMNMBR", 31, True), d("UNITPRCE"), d("XTNDPRCE"),
    d("QUANTITY", True), d("MRKDNAMT"), s("COMMNTID", 15), s("COMMENT_1", 50), d("UNITCOST"),
    s("PRCLEVEL", 11), s("ITEMDESC", 101), d("TAXAMNT"), i("NONINVEN"), i("LNITMSEQ"),
    s("DOCID", 15), s("SALSTERR", 15), s("SLPRSNID", 15), s("SHIPMTHD", 15), s("UOFM", 9),
    t("ReqShipDate"), d("QTYFULFI"), s("ACTNUMST", 75),
))

SOP_HEADER = Node("taSopHdrIvcInsert", (
    i("SOPTYPE", True), s("DOCID", 15, True), s("SOPNUMBE", 21, True), s("ORIGNUMB", 21),
    i("ORIGTYPE"), s("TAXSCHID", 15), s("FRTSCHID", 15), s("SHIPMTHD", 15), d("TAXAMNT"),
    s("LOCNCODE", 10), t("DOCDATE", True), d("FREIGHT"), d("MISCAMNT"), d("TRDISAMT"),
    s("CUSTNMBR", 15, True), s("CUSTNAME", 64), s("CSTPONBR", 20), s("ShipToName", 64),
    s("ADDRESS1", 60), s("ADDRESS2", 60), s("ADDRESS3", 60), s("CNTCPRSN", 60),
    s("FAXNUMBR", 21), s("CITY", 35), s("STATE", 29), s("ZIPCODE", 10), s("COUNTRY", 60),
    s("PHNUMBR1", 21), d("SUBTOTAL", True), d("DOCAMNT", True), d("PYMTRCVD"),
    s("SALSTERR", 15), s("SLPRSNID", 15), s("BACHNUMB", 15, True), s("PRBTADCD", 15),
    s("PRSTADCD", 15), t("ORDRDATE"), s("PYMTRMID", 20), t("DUEDATE"), s("REFRENCE", 30),
    s("CURNCYID", 15), t("ReqShipDate"), i("CREATETAXES"), s("NOTETEXT", 500),
    s("USERDEF1", 20),
))

CASH_RECEIPT = Node("taRMCashReceiptInsert", (
    s("CUSTNMBR", 15, True), s("DOCNUMBR", 20, True), t("DOCDATE", True),
    d("ORTRXAMT", True), t("GLPOSTDT"), s("BACHNUMB", 15, True), i("CSHRCTYP", True),
    s("CHEKBKID", 15), s("CHEKNMBR", 20), s("CRCARDID", 15), s("TRXDSCRN", 30),
    s("CURNCYID", 15),
))

GL_LINE = Node("taGLTransactionLineInsert", (
    s("BACHNUMB", 15, True), i("JRNENTRY", True), i("SQNCLINE"), i("ACTINDX"),
    d("CRDTAMNT"), d("DEBITAMT"), s("ACTNUMST", 75), s("DSCRIPTN", 30), s("ORCTRNUM", 20),
    s("ORDOCNUM", 20), s("CURNCYID", 15),
))

GL_HEADER = Node("taGLTransactionHeaderInsert", (
    s("BACHNUMB", 15, True), i("JRNENTRY", True), s("REFRENCE", 30, True),
    t("TRXDATE", True), t("RVRSNGDT"), i("TRXTYPE", True), i("SQNCLINE"), s("SERIES", 2),
    s("CURNCYID", 15), s("SOURCDOC", 11), s("NOTETEXT", 500),
))

PO_LINE = Node("taPoLine", (
    i("POTYPE", True), s("PONUMBER", 17, True), t("DOCDATE"), s("VENDORID", 15, True),
    s("LOCNCODE", 10), s("VNDITNUM", 31), s("ITEMNMBR", 31, True), d("QUANTITY", True),
    d("QTYCANCE"), s("REQSTDBY", 20), t("REQDATE"), t("PRMDATE"), i("NONINVEN"),
    s("ACTNUMST", 75), s("VNDITDSC", 101), d("UNITCOST"), s("UOFM", 9), d("EXTDCOST"),
    i("ORD"), s("CURNCYID", 15),
))

PO_HEADER = Node("taPoHdr", (
    i("POTYPE", True), s("PONUMBER", 17, True), s("VENDORID", 15, True), s("VENDNAME", 64),
    t("DOCDATE"), s("BUYERID", 15), s("LOCNCODE", 10), d("SUBTOTAL"), d("FRTAMNT"),
    d("TAXAMNT"), t("PRMDATE"), t("REQDATE"), s("PYMTRMID", 20), s("CURNCYID", 15),
    s("NOTETEXT", 500),
))

IV_LINE = Node("taIVTransactionLineInsert", (
    s("IVDOCNBR", 17, True), i("IVDOCTYP", True), s("ITEMNMBR", 31, True), i("LNSEQNBR"),
    s("UOFM", 9), s("Reason_Code", 15), d("TRXQTY", True), d("UNITCOST"), d("EXTDCOST"),
    s("TRXLOCTN", 10, True), s("TRNSTLOC", 10),
))

IV_HEADER = Node("taIVTransactionHeaderInsert", (
    s("BACHNUMB", 15, True), s("IVDOCNBR", 17, True), i("IVDOCTYP", True),
    t("DOCDATE", True), t("GLPOSTDT"), s("NOTETEXT", 500),
))

PM_TRANSACTION = Node("taPMTransactionInsert", (
    s("BACHNUMB", 15, True), s("VCHNUMWK", 17, True), s("VENDORID", 15, True),
    s("DOCNUMBR", 20, True), i("DOCTYPE", True), d("DOCAMNT", True), t("DOCDATE", True),
    t("PSTGDATE"), s("PYMTRMID", 20), d("PRCHAMNT", True), d("TAXAMNT"), d("FRTAMNT"),
    d("MSCCHAMT"), s("TRXDSCRN", 30), s("PORDNMBR", 20), s("CURNCYID", 15),
))

RECEIPT_LINE = Node("taPopRcptLineInsert", (
    i("POPTYPE", True), s("POPRCTNM", 17, True), s("PONUMBER", 17), s("ITEMNMBR", 31, True),
    s("ITEMDESC", 101), s("VENDORID", 15, True), i("RCPTLNNM"), s("VNDITNUM", 31),
    s("VNDITDSC", 101), t("ACTLSHIP"), s("InventoryAccount", 75), s("UOFM", 9),
    d("UNITCOST"), d("EXTDCOST"), i("NONINVEN"), s("JOBNUMBR", 17), s("BOLPRONUMBER", 30),
    d("QTYSHPPD", True), d("QTYINVCD"), i("AUTOCOST"), d("TAXAMNT"), s("LOCNCODE", 10),
    i("POLNENUM"), t("receiptdate"), s("CURNCYID", 15),
))

RECEIPT_HEADER = Node("taPopRcptHdrInsert", (
    s("POPRCTNM", 17, True), i("POPTYPE", True), s("VNDDOCNM", 20), t("receiptdate", True),
    t("ACTLSHIP"), s("BACHNUMB", 15, True), s("VENDORID", 15, True), s("VENDNAME", 64),
    d("SUBTOTAL"), d("TRDISAMT"), d("FRTAMNT"), d("MISCAMNT"), d("TAXAMNT"), s("PYMTRMID", 20),
    s("REFRENCE", 30), s("USER2ENT", 15), s("VCHRNMBR", 20), i("AUTOCOST"), s("TAXSCHID", 15),
    s("CURNCYID", 15), s("NOTETEXT", 500),
))

DOCUMENT_TYPES: dict[str, tuple[Child, ...]] = {
    "RMCustomerMasterType": (Child(PROCESS_INFO), Child(CUSTOMER, required=True)),
    "PMVendorMasterType": (Child(PROCESS_INFO), Child(VENDOR, required=True)),
    "IVItemMasterType": (Child(PROCESS_INFO), Child(ITEM, required=True)),
    "IVInventorySiteType": (Child(PROCESS_INFO), Child(SITE, required=True)),
    "SOPTransactionType": (
        Child(PROCESS_INFO),
        Child(SOP_LINE, required=True, container="taSopLineIvcInsert_Items"),
        Child(SOP_HEADER, required=True),
    ),
    "RMCashReceiptsType": (Child(PROCESS_INFO), Child(CASH_RECEIPT, required=True)),
    "GLTransactionType": (
        Child(PROCESS_INFO),
        Child(GL_LINE, required=True, container="taGLTransactionLineInsert_Items"),
        Child(GL_HEADER, required=True),
    ),
    "POPTransactionType": (
        Child(PROCESS_INFO),
        Child(PO_LINE, required=True, container="taPoLine_Items"),
        Child(PO_HEADER, required=True),
    ),
    "IVInventoryTransactionType": (
        Child(PROCESS_INFO),
        Child(IV_LINE, required=True, container="taIVTransactionLineInsert_Items"),
        Child(IV_HEADER, required=True),
    ),
    "PMTransactionType": (Child(PROCESS_INFO), Child(PM_TRANSACTION, required=True)),
    "POPReceivingsType": (
        Child(PROCESS_INFO),
        Child(RECEIPT_LINE, required=True, container="taPopRcptLineInsert_Items"),
        Child(RECEIPT_HEADER, required=True),
    ),
}


class SchemaError(Exception):
    """A schema validation failure, worded as the .NET XmlSchema validator words it."""

    def __init__(self, message: str, node: str, element: str) -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.element = element


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _expected(names: list[str], required: list[bool], position: int) -> str:
    """The elements the validator would accept at ``position``: up to the next required one."""
    out = []
    for name, needed in zip(names[position:], required[position:], strict=True):
        out.append(name)
        if needed:
            break
    return ", ".join(out)


def check_sequence(
    parent: str, children: list[str], names: list[str], required: list[bool],
    repeatable: set[str] | None = None,
) -> None:
    """Validate child tag order against an ``xs:sequence`` of ``names``."""
    repeatable = repeatable or set()
    position = 0
    last: str | None = None
    for tag in children:
        if tag == last and tag in repeatable:
            continue
        try:
            index = names.index(tag, position)
        except ValueError:
            index = -1
        skipped_required = index > 0 and any(required[position:index])
        if index < 0 or skipped_required:
            expected = _expected(names, required, position)
            tail = f" List of possible elements expected: '{expected}'." if expected else ""
            raise SchemaError(
                f"The element '{parent}' has invalid child element '{tag}'.{tail}", parent, tag
            )
        position = index + 1
        last = tag
    if any(required[position:]):
        expected = _expected(names, required, position)
        raise SchemaError(
            f"The element '{parent}' has incomplete content. List of possible elements "
            f"expected: '{expected}'.", parent, expected.split(",")[-1].strip(),
        )


def _leaf_value(node: str, spec: E, text: str) -> Any:
    datatype = {"s": "String", "i": "http://www.w3.org/2001/XMLSchema:int",
                "d": "http://www.w3.org/2001/XMLSchema:decimal",
                "t": "http://www.w3.org/2001/XMLSchema:date"}[spec.kind]

    def invalid(reason: str) -> SchemaError:
        return SchemaError(
            f"The '{spec.name}' element is invalid - The value '{text}' is invalid according to "
            f"its datatype '{datatype}' - {reason}", node, spec.name,
        )

    if spec.kind == "s":
        if spec.length and len(text) > spec.length:
            raise invalid("The actual length is greater than the MaxLength value.")
        return text
    if spec.kind == "i":
        try:
            return int(text.strip())
        except ValueError:
            raise invalid(f"The string '{text}' is not a valid Int32 value.") from None
    if spec.kind == "d":
        try:
            return Decimal(text.strip())
        except InvalidOperation:
            raise invalid(f"The string '{text}' is not a valid Decimal value.") from None
    try:
        return datetime.strptime(text.strip()[:10], "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise invalid(f"The string '{text}' is not a valid Date value.") from None


def parse_node(element: ET.Element, node: Node) -> dict[str, Any]:
    """Check a ``ta*`` node's leaves (order, required, type, length) and return its values."""
    names = [f.name for f in node.fields]
    check_sequence(
        node.name, [local(c.tag) for c in element], names, [f.required for f in node.fields]
    )
    specs = {f.name: f for f in node.fields}
    values: dict[str, Any] = {}
    for child in element:
        name = local(child.tag)
        if len(child):
            raise SchemaError(
                f"The element '{name}' cannot contain child element "
                f"'{local(child[0].tag)}' because the parent element's content model is "
                f"text only.", node.name, name,
            )
        values[name] = _leaf_value(node.name, specs[name], child.text or "")
    return values


def parse_document(element: ET.Element) -> dict[str, Any]:
    """Validate one transaction-type element; return ``{node_name: values or [values...]}``."""
    doc_type = local(element.tag)
    layout = DOCUMENT_TYPES[doc_type]
    tags = [c.tag for c in layout]
    check_sequence(doc_type, [local(c.tag) for c in element], tags,
                   [c.required for c in layout])
    by_tag = {c.tag: c for c in layout}
    out: dict[str, Any] = {}
    for child in element:
        spec = by_tag[local(child.tag)]
        if spec.container:
            items = list(child)
            names = [spec.node.name]
            check_sequence(spec.container, [local(c.tag) for c in items], names, [True],
                           repeatable={spec.node.name})
            out[spec.node.name] = [parse_node(item, spec.node) for item in items]
        else:
            out[spec.node.name] = parse_node(child, spec.node)
    return out


def parse_envelope(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Parse an ``<eConnect>`` document into its transaction documents, schema-checked."""
    try:
        # Loopback test traffic only; expat >= 2.4 refuses entity-expansion bombs anyway.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (1, 1))
        raise SchemaError(
            f"Data at the root level is invalid. Line {line}, position {column + 1}.",
            "eConnect", "",
        ) from None
    if local(root.tag) != "eConnect":
        raise SchemaError(f"The '{local(root.tag)}' element is not declared.", local(root.tag),
                          local(root.tag))
    documents = []
    for child in root:
        name = local(child.tag)
        if name not in DOCUMENT_TYPES:
            raise SchemaError(
                f"The element 'eConnect' has invalid child element '{name}'. List of possible "
                f"elements expected: '{', '.join(DOCUMENT_TYPES)}'.", "eConnect", name,
            )
        documents.append((name, parse_document(child)))
    if not documents:
        raise SchemaError(
            "The element 'eConnect' has incomplete content. List of possible elements "
            f"expected: '{', '.join(DOCUMENT_TYPES)}'.", "eConnect", "",
        )
    return documents
