"""Infor M3 (ION API ``m3api-rest``) target entities.

Field names and lengths are the M3 MI transaction fields; dates are ``YYYYMMDD``. M3
user-defined fields (``UCA1``-``UCA0`` alpha, ``UDN1``-``UDN6`` numeric, ``UID1``-``UID3``
dates) are allowed as custom fields for channel codes and control totals.
"""

from __future__ import annotations

from integrations.mapping.schemas._fields import (
    M3_DATE,
    choice,
    entity,
    integer,
    money,
    rows,
    text,
)

SYSTEM = "infor"
M3_USER_FIELDS = r"U(CA[0-9]|DN[1-6]|ID[1-3]|CT[1-3])"

_ADDRESS = {
    "ADRT": choice(1, 3, required=True),  # 1 delivery, 3 invoice (OIS100MI/AddBatchAddress)
    "CUNM": text(36, required=True),
    "CUA1": text(36, required=True),
    "CUA2": text(36),
    "CUA3": text(36),
    "CUA4": text(36),
    "TOWN": text(40),
    "PONO": text(10),
    "CSCD": text(3),
    "ECAR": text(3),
    "PHNO": text(16),
    "YREF": text(30),
}

SALES_ORDER = entity(SYSTEM, "OIS100MI.SalesOrder", {
    # AddBatchHead
    "CONO": integer(minimum=0, maximum=999),
    "CUNO": text(10, required=True),
    "ORTP": text(3, required=True),
    "FACI": text(3),
    "WHLO": text(3),
    "CUOR": text(20),
    "ORDT": text(8, required=True, pattern=M3_DATE),
    "CUDT": text(8, pattern=M3_DATE),
    "RLDT": text(8, pattern=M3_DATE),
    "RLDZ": text(8, pattern=M3_DATE),
    "TIZO": text(5),
    "MODL": text(3),
    "TEDL": text(3),
    "TEPY": text(3),
    "PYCD": text(3),
    "CUCD": text(3),
    "PRRF": text(10),
    "OREF": text(36),
    "YREF": text(30),
    "SMCD": text(10),
    "OFNO": text(10),
    "RESP": text(10),
    "DISY": text(10),
    # AddBatchLine, one per order row
    "Lines": rows({
        "ITNO": text(15, required=True),
        "ORQT": money(6, required=True, max_digits=15),
        "SAPR": money(6, max_digits=17),
        "WHLO": text(3),
        "PONR": integer(minimum=1, maximum=99999),
        "POSX": integer(minimum=0, maximum=99),
        "ALUN": text(3),
        "DWDT": text(8, pattern=M3_DATE),
        "DIP1": money(2, max_digits=5),
        "DIA1": money(2, max_digits=15),
        "CUPO": integer(minimum=0, maximum=99999),
        "CUOR": text(20),
        "LTYP": text(1),
    }, required=True, min_items=1, custom_fields=M3_USER_FIELDS),
    # AddBatchAddress
    "Addresses": rows(_ADDRESS),
}, description="Customer order: OIS100MI AddBatchHead + AddBatchLine + AddBatchAddress",
   custom_fields=M3_USER_FIELDS)

ITEM = entity(SYSTEM, "MMS200MI.Item", {
    "CONO": integer(minimum=0, maximum=999),
    "ITNO": text(15, required=True),
    "ITDS": text(30, required=True),
    "FUDS": text(60),
    "STAT": choice("10", "20", "50", "80", "90"),
    "ITTY": text(3),
    "ITCL": text(5),
    "ITGR": text(5),
    "UNMS": text(3),
    "RESP": text(10),
    "NEWE": money(6),
    "GRWE": money(6),
    "CUCD": text(3),
    "SAPR": money(6),
    "EVGR": text(10),
    "BUAR": text(5),
    "CFI1": text(10),
    "TPLI": text(15),
    "EAN": text(13),
    "PUPR": money(6),
}, description="Item master: MMS200MI AddItmBasic / UpdItmBasic", custom_fields=M3_USER_FIELDS)

STOCK = entity(SYSTEM, "MMS200MI.ItemWarehouse", {
    "CONO": integer(minimum=0, maximum=999),
    "WHLO": text(3, required=True),
    "ITNO": text(15, required=True),
    "STQT": money(6),
    "ALQT": money(6),
    "AVAL": money(6),
    "REOP": money(6),
    "WHSL": text(10),
}, description="Item/warehouse balance: MMS200MI GetItmWhsBal (read) / MMS310MI (update)")

CUSTOMER = entity(SYSTEM, "CRS610MI.Customer", {
    "CONO": integer(minimum=0, maximum=999),
    "CUNO": text(10, required=True),
    "CUNM": text(36, required=True),
    "CUTM": text(10),
    "CUA1": text(36),
    "CUA2": text(36),
    "CUA3": text(36),
    "CUA4": text(36),
    "TOWN": text(40),
    "PONO": text(10),
    "CSCD": text(3),
    "ECAR": text(3),
    "PHNO": text(16),
    "TFNO": text(16),
    "MAIL": text(60),
    "EMAL": text(60),
    "PHN2": text(16),
    "LNCD": text(2),
    "ORTP": text(3),
    "YREF": text(30),
    "LHCD": text(2),
    "CUCD": text(3),
    "TEPY": text(3),
    "CUTP": choice(0, 1, 2, 3),
    "STAT": choice("10", "20", "90"),
    "CUCL": text(3),
    "SMCD": text(10),
}, description="Customer: CRS610MI Add / ChgBasicData", custom_fields=M3_USER_FIELDS)

SUPPLIER = entity(SYSTEM, "CRS620MI.Supplier", {
    "CONO": integer(minimum=0, maximum=999),
    "SUNO": text(10, required=True),
    "SUNM": text(36, required=True),
    "SUTY": choice(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    "STAT": choice("10", "20", "90"),
    "CUCD": text(3),
    "CSCD": text(3),
    "PHNO": text(16),
    "EMAL": text(60),
    "ADR1": text(36),
    "ADR2": text(36),
    "TOWN": text(20),
    "PONO": text(10),
    "YREF": text(30),
}, description="Supplier: CRS620MI AddSupplier / UpdSupplier", custom_fields=M3_USER_FIELDS)

PURCHASE_ORDER = entity(SYSTEM, "PPS200MI.PurchaseOrder", {
    "CONO": integer(minimum=0, maximum=999),
    "FACI": text(3),
    "WHLO": text(3, required=True),
    "SUNO": text(10, required=True),
    "ORTY": text(3),
    "PUDT": text(8, pattern=M3_DATE),
    "DWDT": text(8, required=True, pattern=M3_DATE),
    "CUCD": text(3),
    "BUYE": text(10),
    "OURR": text(10),
    "YRE1": text(30),
    "TEDL": text(3),
    "MODL": text(3),
    "Lines": rows({
        "ITNO": text(15, required=True),
        "ORQA": money(6, required=True),
        "PUPR": money(6),
        "PUUN": text(3),
        "DWDT": text(8, pattern=M3_DATE),
        "PNLI": integer(minimum=1, maximum=99999),
        "SITE": text(30),
    }, required=True, min_items=1),
}, description="Purchase order: PPS200MI AddHead + AddLine", custom_fields=M3_USER_FIELDS)

GL_VOUCHER = entity(SYSTEM, "GLS840MI.Voucher", {
    # AddBatchHead
    "CONO": integer(minimum=0, maximum=999),
    "DIVI": text(3),
    "ACDT": text(8, required=True, pattern=M3_DATE),
    "VSER": text(3),
    "VDSC": text(40),
    "CUCD": text(3),
    # AddBatchLine, one per posting (ACAM: + debit, - credit; the lines must balance)
    "Lines": rows({
        "AIT1": text(8, required=True),
        "AIT2": text(8),
        "ACAM": money(2, required=True, max_digits=17),
        "VTXT": text(40),
        "CUNO": text(10),
    }, required=True, min_items=2),
}, description="GL voucher: GLS840MI AddBatchHead + AddBatchLine, then Update")

SCHEMAS = [SALES_ORDER, ITEM, STOCK, CUSTOMER, SUPPLIER, PURCHASE_ORDER, GL_VOUCHER]
