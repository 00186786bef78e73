"""eConnect document layouts: one declarative table per document type, in schema order.

eConnect validates every document against its XSD before any stored procedure runs, and
every ``ta*`` node is an ``xs:sequence``: an element out of order is refused. So the order
lives here, once, and ``build_document`` emits elements in table order whatever order the
record's dict has; an element the table does not know is refused before sending.

Note the schema's quirk that line items come *before* their header (SOP, PO, POP receipt, GL
and IV documents). Each field is ``NAME`` or ``NAME:max_length`` (GP column size, checked before
sending so the error names the element).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from integrations.connectors.errors import ValidationFailed


@dataclass(frozen=True)
class Node:
    name: str
    fields: tuple[tuple[str, int], ...]  # (element, max length; 0 = not a string)

    @classmethod
    def of(cls, name: str, spec: str) -> Node:
        fields = []
        for token in spec.split():
            element, _, length = token.partition(":")
            fields.append((element, int(length or 0)))
        return cls(name, tuple(fields))


@dataclass(frozen=True)
class Part:
    node: Node
    container: str | None = None  # ``*_Items`` wrapper of repeated line nodes

    @property
    def key(self) -> str:
        """The record key holding this part's values (the mapping's shape)."""
        return self.container or self.node.name


@dataclass(frozen=True)
class DocumentType:
    name: str
    parts: tuple[Part, ...]


CUSTOMER = Node.of("taUpdateCreateCustomerRcd", """
    CUSTNMBR:15 HOLD INACTIVE CUSTNAME:64 SHRTNAME:15 STMTNAME:64 CUSTCLAS:15 CUSTPRIORITY
    ADRSCODE:15 CNTCPRSN:60 ADDRESS1:60 ADDRESS2:60 ADDRESS3:60 CITY:35 STATE:29 ZIPCODE:10
    COUNTRY:60 CCode:6 PHNUMBR1:21 PHNUMBR2:21 PHNUMBR3:21 FAX:21 SHIPMTHD:15 TAXSCHID:15
    PYMTRMID:20 CRLMTTYP CRLMTAMT CURNCYID:15 COMMENT1:30 COMMENT2:30 USERDEF1:20 USERDEF2:20
    INET1:200 UpdateIfExists""")

VENDOR = Node.of("taUpdateCreateVendorRcd", """
    VENDORID:15 VENDNAME:64 VNDCHKNM:64 VENDSHNM:15 VADDCDPR:15 VNDCLSID:10 VNDCNTCT:60
    ADDRESS1:60 ADDRESS2:60 ADDRESS3:60 CITY:35 STATE:29 ZIPCODE:10 COUNTRY:60 CCode:6
    PHNUMBR1:21 PHNUMBR2:21 FAXNUMBR:21 CURNCYID:15 PYMTRMID:20 COMMENT1:30 INET1:200
    UpdateIfExists""")

ITEM = Node.of("taUpdateCreateItemRcd", """
    ITEMNMBR:31 ITEMDESC:101 NOTETEXT:500 ITMSHNAM:15 ITEMTYPE ITMGEDSC:11 STNDCOST CURRCOST
    ITEMSHWT DECPLQTY DECPLCUR ITMTSHID:15 TAXOPTNS ITMCLSCD:11 UOMSCHDL:11 PRCLEVEL:11
    PRICMTHD LISTPRCE USCATVLS_1:10 UPCCODE:14 UpdateIfExists""")

SOP_LINE = Node.of("taSopLineIvcInsert", """
    SOPTYPE SOPNUMBE:21 CUSTNMBR:15 DOCDATE LOCNCODE:10 ITEMNMBR:31 UNITPRCE XTNDPRCE QUANTITY
    MRKDNAMT COMMNTID:15 COMMENT_1:50 UNITCOST PRCLEVEL:11 ITEMDESC:101 TAXAMNT NONINVEN
    LNITMSEQ DOCID:15 SALSTERR:15 SLPRSNID:15 SHIPMTHD:15 UOFM:9 ReqShipDate QTYFULFI
    ACTNUMST:75""")

SOP_HEADER = Node.of("taSopHdrIvcInsert", """
    SOPTYPE DOCID:15 SOPNUMBE:21 ORIGNUMB:21 ORIGTYPE TAXSCHID:15 FRTSCHID:15 SHIPMTHD:15
    TAXAMNT LOCNCODE:10 DOCDATE FREIGHT MISCAMNT TRDISAMT CUSTNMBR:15 CUSTNAME:64 CSTPONBR:20
    ShipToName:64 ADDRESS1:60 ADDRESS2:60 ADDRESS3:60 CNTCPRSN:60 FAXNUMBR:21 CITY:35 STATE:29
    ZIPCODE:10 COUNTRY:60 PHNUMBR1:21 SUBTOTAL DOCAMNT PYMTRCVD SALSTERR:15 SLPRSNID:15
    BACHNUMB:15 PRBTADCD:15 PRSTADCD:15 ORDRDATE PYMTRMID:20 DUEDATE REFRENCE:30 CURNCYID:15
    ReqShipDate CREATETAXES NOTETEXT:500 USERDEF1:20""")

CASH_RECEIPT = Node.of("taRMCashReceiptInsert", """
    CUSTNMBR:15 DOCNUMBR:20 DOCDATE ORTRXAMT GLPOSTDT BACHNUMB:15 CSHRCTYP CHEKBKID:15
    CHEKNMBR:20 CRCARDID:15 TRXDSCRN:30 CURNCYID:15""")

GL_LINE = Node.of("taGLTransactionLineInsert", """
    BACHNUMB:15 JRNENTRY SQNCLINE ACTINDX CRDTAMNT DEBITAMT ACTNUMST:75 DSCRIPTN:30
    ORCTRNUM:20 ORDOCNUM:20 CURNCYID:15""")

GL_HEADER = Node.of("taGLTransactionHeaderInsert", """
    BACHNUMB:15 JRNENTRY REFRENCE:30 TRXDATE RVRSNGDT TRXTYPE SQNCLINE SERIES CURNCYID:15
    SOURCDOC:11 NOTETEXT:500""")

PO_LINE = Node.of("taPoLine", """
    POTYPE PONUMBER:17 DOCDATE VENDORID:15 LOCNCODE:10 VNDITNUM:31 ITEMNMBR:31 QUANTITY
    QTYCANCE REQSTDBY:20 REQDATE PRMDATE NONINVEN ACTNUMST:75 VNDITDSC:101 UNITCOST UOFM:9
    EXTDCOST ORD CURNCYID:15""")

PO_HEADER = Node.of("taPoHdr", """
    POTYPE PONUMBER:17 VENDORID:15 VENDNAME:64 DOCDATE BUYERID:15 LOCNCODE:10 SUBTOTAL
    FRTAMNT TAXAMNT PRMDATE REQDATE PYMTRMID:20 CURNCYID:15 NOTETEXT:500""")

IV_LINE = Node.of("taIVTransactionLineInsert", """
    IVDOCNBR:17 IVDOCTYP ITEMNMBR:31 LNSEQNBR UOFM:9 Reason_Code:15 TRXQTY UNITCOST EXTDCOST
    TRXLOCTN:10 TRNSTLOC:10""")

IV_HEADER = Node.of("taIVTransactionHeaderInsert", """
    BACHNUMB:15 IVDOCNBR:17 IVDOCTYP DOCDATE GLPOSTDT NOTETEXT:500""")

RECEIPT_LINE = Node.of("taPopRcptLineInsert", """
    POPTYPE POPRCTNM:17 PONUMBER:17 ITEMNMBR:31 ITEMDESC:101 VENDORID:15 RCPTLNNM VNDITNUM:31
    VNDITDSC:101 ACTLSHIP InventoryAccount:75 UOFM:9 UNITCOST EXTDCOST NONINVEN JOBNUMBR:17
    BOLPRONUMBER:30 QTYSHPPD QTYINVCD AUTOCOST TAXAMNT LOCNCODE:10 POLNENUM receiptdate
    CURNCYID:15""")

RECEIPT_HEADER = Node.of("taPopRcptHdrInsert", """
    POPRCTNM:17 POPTYPE VNDDOCNM:20 receiptdate ACTLSHIP BACHNUMB:15 VENDORID:15 VENDNAME:64
    SUBTOTAL TRDISAMT FRTAMNT MISCAMNT TAXAMNT PYMTRMID:20 REFRENCE:30 USER2ENT:15 VCHRNMBR:20
    AUTOCOST TAXSCHID:15 CURNCYID:15 NOTETEXT:500""")

DOCUMENT_TYPES: dict[str, DocumentType] = {
    "customer": DocumentType("RMCustomerMasterType", (Part(CUSTOMER),)),
    "supplier": DocumentType("PMVendorMasterType", (Part(VENDOR),)),
    "product": DocumentType("IVItemMasterType", (Part(ITEM),)),
    "sales": DocumentType("SOPTransactionType", (
        Part(SOP_LINE, "taSopLineIvcInsert_Items"), Part(SOP_HEADER))),
    "payment": DocumentType("RMCashReceiptsType", (Part(CASH_RECEIPT),)),
    "journal": DocumentType("GLTransactionType", (
        Part(GL_LINE, "taGLTransactionLineInsert_Items"), Part(GL_HEADER))),
    "purchase_order": DocumentType("POPTransactionType", (
        Part(PO_LINE, "taPoLine_Items"), Part(PO_HEADER))),
    "inventory": DocumentType("IVInventoryTransactionType", (
        Part(IV_LINE, "taIVTransactionLineInsert_Items"), Part(IV_HEADER))),
    "goods_receipt": DocumentType("POPReceivingsType", (
        Part(RECEIPT_LINE, "taPopRcptLineInsert_Items"), Part(RECEIPT_HEADER))),
}


def gp_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float | Decimal):
        return format(Decimal(str(value)), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)


def build_node(parent: ET.Element, node: Node, values: dict[str, Any]) -> None:
    known = dict(node.fields)
    unknown = [name for name in values if name not in known]
    if unknown:
        raise ValidationFailed(f"{node.name} has no element {unknown[0]} in the eConnect "
                               f"schema.", field=f"{node.name}.{unknown[0]}",
                               system="dynamics_gp")
    element = ET.SubElement(parent, node.name)
    for name, length in node.fields:
        value = values.get(name)
        if value is None or value == "":
            continue
        text = gp_text(value)
        if length and len(text) > length:
            raise ValidationFailed(f"{node.name}.{name} is {len(text)} characters long; GP "
                                   f"allows {length}.", field=f"{node.name}.{name}",
                                   system="dynamics_gp")
        ET.SubElement(element, name).text = text


def build_document(kind: str, parts: dict[str, Any]) -> ET.Element:
    """``<eConnect><DocType>…parts in schema order…</DocType></eConnect>``."""
    layout = DOCUMENT_TYPES[kind]
    root = ET.Element("eConnect")
    document = ET.SubElement(root, layout.name)
    for part in layout.parts:
        values = parts.get(part.key)
        if part.container is None:
            build_node(document, part.node, values or {})
            continue
        container = ET.SubElement(document, part.container)
        for line in values or []:
            build_node(container, part.node, line)
    return root
