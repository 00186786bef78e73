"""SYSPRO e.net business-object targets (XML element names as in the import documents)."""

from __future__ import annotations

from integrations.mapping.schemas._fields import ISO_DATE, choice, entity, money, obj, rows, text

SYSTEM = "syspro"

SALES_ORDER = entity(SYSTEM, "SORTOI", {
    "OrderHeader": obj({
        "CustomerPoNumber": text(30, required=True),
        "OrderActionType": choice("A", "C", "D", required=True),
        "Customer": text(15, required=True),
        "OrderDate": text(10, pattern=ISO_DATE),
        "RequestedShipDate": text(10, pattern=ISO_DATE),
        "Warehouse": text(10),
        "SalesOrderNumber": text(20),
        "OrderType": text(2),
        "ShippingInstrs": text(30),
        "ShipAddress1": text(40),
        "ShipAddress2": text(40),
        "ShipAddress3": text(40),
        "ShipAddress4": text(40),
        "ShipAddress5": text(40),
        "ShipPostalCode": text(10),
        "CustomerName": text(50),
        "Email": text(255),
        "Currency": text(3),
        "Salesperson": text(20),
        "Branch": text(10),
        "Area": text(10),
        "OrderComments": text(100),
        "OrderSource": text(10),
    }, required=True),
    "OrderDetails": obj({
        "StockLine": rows({
            "CustomerPoLine": text(10, required=True),
            "LineActionType": choice("A", "C", "D", required=True),
            "StockCode": text(30, required=True),
            "StockDescription": text(50),
            "Warehouse": text(10),
            "OrderQty": money(6, required=True),
            "OrderUom": text(10),
            "Price": money(5),
            "PriceUom": text(10),
            "LineDiscPercent1": money(2),
            "LineValue": money(2),
            "TaxCode": text(3),
        }, required=True, min_items=1),
        "FreightLine": rows({
            "FreightValue": money(2, required=True),
            "FreightCost": money(2),
            "FreightTaxCode": text(3),
        }),
    }, required=True),
}, description="Sales order import business object (SORTOI)")

CUSTOMER = entity(SYSTEM, "ARSSCS", {
    "Customer": text(15, required=True),
    "Name": text(50, required=True),
    "ShortName": text(20),
    "Branch": text(10),
    "Area": text(10),
    "Salesperson": text(20),
    "CustomerClass": text(10),
    "TermsCode": text(2),
    "Currency": text(3),
    "Telephone": text(20),
    "Email": text(255),
    "CreditLimit": money(2),
    "SoldToAddr1": text(40),
    "SoldToAddr2": text(40),
    "SoldToAddr3": text(40),
    "SoldToAddr4": text(40),
    "SoldToAddr5": text(40),
    "SoldPostalCode": text(10),
    "ShipToAddr1": text(40),
    "ShipToAddr2": text(40),
    "ShipToAddr3": text(40),
    "ShipToAddr4": text(40),
    "ShipToAddr5": text(40),
    "ShipPostalCode": text(10),
    "TaxStatus": choice("E", "N"),
}, description="Customer setup business object (ARSSCS)")

STOCK = entity(SYSTEM, "INVSST", {
    "StockCode": text(30, required=True),
    "Warehouse": text(10, required=True),
    "Description": text(50),
    "QtyOnHand": money(6),
    "QtyAllocated": money(6),
    "QtyAvailable": money(6),
    "UnitCost": money(5),
    "Bin": text(20),
    "Reason": text(10),
}, description="Inventory stock item per warehouse (INVSST / INVQRY shape)")

AR_PAYMENT = entity(SYSTEM, "ARSTPY", {
    "Customer": text(15, required=True),
    "PaymentReference": text(30, required=True),
    "PaymentDate": text(10, required=True, pattern=ISO_DATE),
    "PaymentValue": money(2, required=True),
    "PaymentType": text(2),
    "Bank": text(10, required=True),
    "Currency": text(3),
    "Invoice": text(20),
    "InvoiceAmountPaid": money(2),
    "Narration": text(50),
    "GlCode": text(35),
}, description="AR payments and adjustments posting (ARSTPY)")

PURCHASE_ORDER = entity(SYSTEM, "PORTOI", {
    "OrderHeader": obj({
        "OrderActionType": choice("A", "C", "D", required=True),
        "Supplier": text(15, required=True),
        "CustomerPoNumber": text(30),
        "OrderDate": text(10, pattern=ISO_DATE),
        "DueDate": text(10, pattern=ISO_DATE),
        "Warehouse": text(10),
        "Buyer": text(20),
        "Currency": text(3),
        "Reference": text(30),
    }, required=True),
    "OrderDetails": obj({
        "StockLine": rows({
            "PurchaseOrderLine": text(10, required=True),
            "LineActionType": choice("A", "C", "D", required=True),
            "StockCode": text(30, required=True),
            "Warehouse": text(10),
            "OrderQty": money(6, required=True),
            "Price": money(5),
            "LatestDueDate": text(10, pattern=ISO_DATE),
        }, required=True, min_items=1),
    }, required=True),
}, description="Purchase order import business object (PORTOI)")

STOCK_CODE = entity(SYSTEM, "SetupInvStockCode", {
    "StockCode": text(30, required=True),
    "Description": text(50, required=True),
    "LongDesc": text(100),
    "StockUom": text(10),
    "ProductClass": text(20),
    "WarehouseToUse": text(10),
    "Mass": money(3),
    "ListPrice": money(5),
    "AlternateKey1": text(30),
    "StockOnHold": choice("Y", "N"),
}, description="Stock code setup (INVSST Add/Update, <SetupInvStockCode><Item>)")

DISPATCH = entity(SYSTEM, "SORTDN", {
    # The connector ships SalesOrder; without it, the order whose CustomerPoNumber the
    # sales-order flow set (the Brightpearl order id) is the one shipped.
    "SalesOrder": text(20),
    "Customer": text(15),
    "CustomerPoNumber": text(30),
    "Carrier": text(30),
    "WaybillNo": text(30),
    "ShipDate": text(10, pattern=ISO_DATE),
}, description="Dispatch of a sales order (sandbox SORTDN: dispatch note + AR invoice)")

SCHEMAS = [SALES_ORDER, CUSTOMER, STOCK, AR_PAYMENT, PURCHASE_ORDER, STOCK_CODE, DISPATCH]
