"""Microsoft Dynamics GP eConnect targets (element names as in the eConnect XML schemas).

Transaction documents nest like the XML: a header node plus an ``..._Items`` list of line
nodes. Lengths are GP's column sizes (CUSTNMBR 15, ITEMNMBR 30, SOPNUMBE 21...).
"""

from __future__ import annotations

from integrations.mapping.schemas._fields import (
    ISO_DATE,
    choice,
    entity,
    integer,
    money,
    obj,
    rows,
    text,
)

SYSTEM = "dynamics_gp"
USER_DEFINED = r"USERDEF[12]|USRDEF0[1-5]|USRDAT0[12]|USRTAB0[1-3]"

SALES_TRANSACTION = entity(SYSTEM, "SOPTransactionType", {
    "taSopHdrIvcInsert": obj({
        "SOPTYPE": choice(1, 2, 3, 4, 5, 6, required=True),
        "DOCID": text(15, required=True),
        "SOPNUMBE": text(21, required=True),
        "ORIGNUMB": text(21),
        "BACHNUMB": text(15, required=True),
        "CUSTNMBR": text(15, required=True),
        "CUSTNAME": text(64),
        "CSTPONBR": text(20),
        "DOCDATE": text(10, required=True, pattern=ISO_DATE),
        "ReqShipDate": text(10, pattern=ISO_DATE),
        "LOCNCODE": text(10),
        "SHIPMTHD": text(15),
        "CURNCYID": text(15),
        "PYMTRMID": text(20),
        "SLPRSNID": text(15),
        "SALSTERR": text(15),
        "TAXSCHID": text(15),
        "ShipToName": text(64),
        "ADDRESS1": text(60),
        "ADDRESS2": text(60),
        "ADDRESS3": text(60),
        "CITY": text(35),
        "STATE": text(29),
        "ZIPCODE": text(10),
        "COUNTRY": text(60),
        "PHNUMBR1": text(21),
        "SUBTOTAL": money(2, required=True, max_digits=19),
        "TAXAMNT": money(2, max_digits=19),
        "FREIGHT": money(2, max_digits=19),
        "MISCAMNT": money(2, max_digits=19),
        "TRDISAMT": money(2, max_digits=19),
        "DOCAMNT": money(2, required=True, max_digits=19),
        "USINGHEADERLEVELTAXES": choice(0, 1),
        "CREATETAXES": choice(0, 1),
    }, required=True, custom_fields=USER_DEFINED),
    "taSopLineIvcInsert_Items": rows({
        "SOPTYPE": choice(1, 2, 3, 4, 5, 6, required=True),
        "SOPNUMBE": text(21, required=True),
        "CUSTNMBR": text(15, required=True),
        "DOCDATE": text(10, required=True, pattern=ISO_DATE),
        "LNITMSEQ": integer(minimum=0),
        "ITEMNMBR": text(30, required=True),
        "ITEMDESC": text(100),
        "UOFM": text(8),
        "QUANTITY": money(5, required=True, max_digits=19),
        "UNITPRCE": money(5, required=True, max_digits=19),
        "XTNDPRCE": money(2, required=True, max_digits=19),
        "TAXAMNT": money(2, max_digits=19),
        "MRKDNAMT": money(5, max_digits=19),
        "LOCNCODE": text(10),
        "NONINVEN": choice(0, 1),
        "SLPRSNID": text(15),
        "ACTNUMST": text(75),
    }, required=True, min_items=1),
}, description="Sales transaction: taSopHdrIvcInsert + taSopLineIvcInsert lines")

CUSTOMER = entity(SYSTEM, "taUpdateCreateCustomerRcd", {
    "CUSTNMBR": text(15, required=True),
    "CUSTNAME": text(64, required=True),
    "CUSTCLAS": text(15),
    "SHRTNAME": text(15),
    "STMTNAME": text(64),
    "CNTCPRSN": text(60),
    "ADRSCODE": text(15),
    "ADDRESS1": text(60),
    "ADDRESS2": text(60),
    "ADDRESS3": text(60),
    "CITY": text(35),
    "STATE": text(29),
    "ZIPCODE": text(10),
    "COUNTRY": text(60),
    "CCode": text(6),
    "PHNUMBR1": text(21),
    "INET1": text(200),
    "CURNCYID": text(15),
    "PYMTRMID": text(20),
    "SHIPMTHD": text(15),
    "TAXSCHID": text(15),
    "PRCLEVEL": text(10),
    "CRLMTTYP": choice(0, 1, 2),
    "CRLMTAMT": money(2),
    "HOLD": choice(0, 1),
    "INACTIVE": choice(0, 1),
    "UpdateIfExists": choice(0, 1),
}, description="Customer: RMCustomerMasterType / taUpdateCreateCustomerRcd",
   custom_fields=USER_DEFINED)

ITEM = entity(SYSTEM, "taUpdateCreateItemRcd", {
    "ITEMNMBR": text(30, required=True),
    "ITEMDESC": text(100, required=True),
    "ITMSHNAM": text(15),
    "ITEMTYPE": choice(1, 2, 3, 4, 5, 6),
    "ITMCLSCD": text(10),
    "UOMSCHDL": text(10),
    "ITMGEDSC": text(10),
    "STNDCOST": money(5),
    "CURRCOST": money(5),
    "ITEMSHWT": integer(minimum=0),
    "TAXOPTNS": choice(1, 2, 3),
    "ITMTSHID": text(15),
    "DECPLQTY": choice(1, 2, 3, 4, 5, 6),
    "DECPLCUR": choice(1, 2, 3, 4, 5, 6),
    "UpdateIfExists": choice(0, 1),
}, description="Inventory item: IVItemMasterType / taUpdateCreateItemRcd",
   custom_fields=USER_DEFINED)

CASH_RECEIPT = entity(SYSTEM, "taRMCashReceiptInsert", {
    "CUSTNMBR": text(15, required=True),
    "DOCNUMBR": text(20, required=True),
    "DOCDATE": text(10, required=True, pattern=ISO_DATE),
    "ORTRXAMT": money(2, required=True, max_digits=19),
    "GLPOSTDT": text(10, pattern=ISO_DATE),
    "BACHNUMB": text(15, required=True),
    "CSHRCTYP": choice(0, 1, 2, required=True),  # 0 check, 1 cash, 2 credit card
    "CHEKBKID": text(15),
    "CHEKNMBR": text(20),
    "CRCARDID": text(15),
    "CURNCYID": text(15),
    "TRXDSCRN": text(30),
    "XCHGRATE": money(7),
}, description="Cash receipt: RMCashReceiptsType / taRMCashReceiptInsert")

GL_TRANSACTION = entity(SYSTEM, "GLTransactionType", {
    "taGLTransactionHeaderInsert": obj({
        "BACHNUMB": text(15, required=True),
        "JRNENTRY": integer(required=True, minimum=1),
        "REFRENCE": text(30, required=True),
        "TRXDATE": text(10, required=True, pattern=ISO_DATE),
        "SERIES": choice(1, 2, 3, 4, 5, 6, 7),
        "CURNCYID": text(15),
        "SOURCDOC": text(10),
    }, required=True),
    "taGLTransactionLineInsert_Items": rows({
        "BACHNUMB": text(15, required=True),
        "JRNENTRY": integer(required=True, minimum=1),
        "ACTNUMST": text(75, required=True),
        "DEBITAMT": money(2, max_digits=19),
        "CRDTAMNT": money(2, max_digits=19),
        "DSCRIPTN": text(30),
        "SQNCLINE": money(0),
    }, required=True, min_items=2),
}, description="General ledger journal: taGLTransactionHeaderInsert + line inserts")

PURCHASE_ORDER = entity(SYSTEM, "POPTransactionType", {
    "taPoHdr": obj({
        "POTYPE": choice(1, 2, 3, required=True),
        "PONUMBER": text(17, required=True),
        "VENDORID": text(15, required=True),
        "DOCDATE": text(10, required=True, pattern=ISO_DATE),
        "PRMDATE": text(10, pattern=ISO_DATE),
        "CURNCYID": text(15),
        "BUYERID": text(15),
        "SHIPMTHD": text(15),
        "SUBTOTAL": money(2),
    }, required=True),
    "taPoLine_Items": rows({
        "POTYPE": choice(1, 2, 3, required=True),
        "PONUMBER": text(17, required=True),
        "VENDORID": text(15, required=True),
        "LOCNCODE": text(10, required=True),
        "ITEMNMBR": text(30, required=True),
        "QUANTITY": money(5, required=True),
        "UNITCOST": money(5),
        "UOFM": text(8),
        "REQDATE": text(10, pattern=ISO_DATE),
    }, required=True, min_items=1),
}, description="Purchase order: taPoHdr + taPoLine lines")

PURCHASE_RECEIPT = entity(SYSTEM, "POPReceivingsType", {
    "taPopRcptHdrInsert": obj({
        "POPRCTNM": text(17, required=True),
        "POPTYPE": choice(1, 3, required=True),  # 1 shipment, 3 shipment/invoice
        "VNDDOCNM": text(20),
        "receiptdate": text(10, required=True, pattern=ISO_DATE),
        "BACHNUMB": text(15, required=True),
        "VENDORID": text(15, required=True),
        "SUBTOTAL": money(2, max_digits=19),
        "REFRENCE": text(30),
        "CURNCYID": text(15),
    }, required=True),
    "taPopRcptLineInsert_Items": rows({
        "POPTYPE": choice(1, 3, required=True),
        "POPRCTNM": text(17, required=True),
        "PONUMBER": text(17),
        "ITEMNMBR": text(30, required=True),
        "VENDORID": text(15, required=True),
        "RCPTLNNM": integer(minimum=0),
        "UOFM": text(8),
        "UNITCOST": money(5, max_digits=19),
        "EXTDCOST": money(2, max_digits=19),
        "QTYSHPPD": money(5, required=True, max_digits=19),
        "QTYINVCD": money(5, max_digits=19),
        "LOCNCODE": text(10),
        "POLNENUM": integer(minimum=0),
    }, required=True, min_items=1),
}, description="Purchase receipt: taPopRcptHdrInsert + taPopRcptLineInsert lines")

VENDOR = entity(SYSTEM, "taUpdateCreateVendorRcd", {
    "VENDORID": text(15, required=True),
    "VENDNAME": text(64, required=True),
    "VNDCHKNM": text(64),
    "VENDSHNM": text(15),
    "VADDCDPR": text(15),
    "VNDCLSID": text(10),
    "VNDCNTCT": text(60),
    "ADDRESS1": text(60),
    "ADDRESS2": text(60),
    "ADDRESS3": text(60),
    "CITY": text(35),
    "STATE": text(29),
    "ZIPCODE": text(10),
    "COUNTRY": text(60),
    "CCode": text(6),
    "PHNUMBR1": text(21),
    "CURNCYID": text(15),
    "PYMTRMID": text(20),
    "INET1": text(200),
    "UpdateIfExists": choice(0, 1),
}, description="Vendor: PMVendorMasterType / taUpdateCreateVendorRcd", custom_fields=USER_DEFINED)

ITEM_SITE_QUANTITY = entity(SYSTEM, "IV00102", {
    "ITEMNMBR": text(30, required=True),
    "LOCNCODE": text(10, required=True),
    "QTYONHND": money(5, required=True, max_digits=19),
    "ATYALLOC": money(5, max_digits=19),
}, description="On-hand quantity of an item at a site (IV00102 columns); the connector posts "
               "the difference as an IVInventoryTransactionType adjustment")

SCHEMAS = [SALES_TRANSACTION, CUSTOMER, ITEM, CASH_RECEIPT, GL_TRANSACTION, PURCHASE_ORDER,
           PURCHASE_RECEIPT, VENDOR, ITEM_SITE_QUANTITY]
