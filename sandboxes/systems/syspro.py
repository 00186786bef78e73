"""SYSPRO 8 e.net Solutions REST (``SYSPROWCFService/Rest``).

Base URL ``http://127.0.0.1:8100/syspro/SYSPROWCFService/Rest``; companies (accounts) coexist on
one server and are chosen at logon, as in SYSPRO:

- ``GET /Logon?Operator=&OperatorPassword=&CompanyId=&CompanyPassword=`` → the session id as
  plain text, padded with trailing spaces; ``GET /Logoff?UserId=`` → ``0``.
- ``GET|POST /Query/Query|Browse|Fetch?UserId&BusinessObject&XmlIn``,
  ``/Transaction/Post?UserId&BusinessObject&XmlParameters&XmlIn``,
  ``/Setup/Add|Update|Delete?UserId&BusinessObject&XmlParameters&XmlIn`` (see ``syspro_objects``).
- Transport errors (bad logon, unknown or expired session, unknown business object, malformed
  XML) are HTTP 200 with a text body starting ``ERROR:``. Sessions expire after
  ``session_idle_s`` without use. A proxy-style rate limit (``requests_per_minute`` per company)
  answers 429 ``ERROR: ...`` with ``Retry-After``.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from sandboxes.faults import FaultKind
from sandboxes.seeding import Dataset
from sandboxes.state import Account, Token
from sandboxes.system import DemoAccount, SandboxSystem, SystemContext, system_context
from sandboxes.systems import syspro_objects as bo
from sandboxes.systems.syspro_objects import BusinessError, Company, TransportError

DEMO_COMPANY = "EDU1"
DEMO_CREDENTIALS = {"operator": "ADMIN", "operator_password": "demo-syspro",
                    "company_password": "edu1-pass"}
REST = "/SYSPROWCFService/Rest"


def _error(message: str, status: int = 200, **headers: str) -> Response:
    return PlainTextResponse(f"ERROR: {message}", status_code=status, headers=headers)


def _xml(body: bytes) -> Response:
    return Response(body, media_type="application/xml")


def fault_response(ctx: SystemContext, kind: FaultKind, scope: Scope) -> Response:
    if kind is FaultKind.RATE_LIMITED:
        return _error("Too many requests, retry later", 429, **{"Retry-After": "1"})
    return _error("The e.net Solutions communication service is not available "
                  "(SYSPRO server unreachable)", 500)


def create_account(ctx: SystemContext, company: str, given: dict[str, Any]) -> dict[str, Any]:
    return {
        "operator": given.get("operator", "ADMIN"),
        "operator_password": given.get("operator_password", secrets.token_urlsafe(12)),
        "company_password": given.get("company_password", ""),
    }


async def _params(request: Request) -> dict[str, str]:
    """Query string, plus a form body for clients that POST long XmlIn values."""
    params = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        body = (await request.body()).decode("utf-8", "replace")
        if "=" in body and not body.lstrip().startswith("<"):
            params.update(parse_qsl(body, keep_blank_values=True))
    return params


def _limited(ctx: SystemContext, company: str) -> Response | None:
    limit = int(ctx.limit("requests_per_minute", company))
    budget = ctx.rolling_window("rest", 60.0).hit(company, limit)
    if budget.allowed:
        return None
    retry = max(1, -(-budget.reset_ms // 1000))
    return _error(f"Too many requests: limit of {limit} per minute exceeded for company "
                  f"'{company}'", 429, **{"Retry-After": str(retry)})


async def logon(request: Request) -> Response:
    ctx = system_context(request)
    params = await _params(request)
    company_id = params.get("CompanyId", "").strip()
    operator = params.get("Operator", "").strip()
    account = ctx.account(company_id)
    if account is None:
        return _error(f"Company '{company_id}' is not a valid company")
    creds = account.credentials
    if operator.upper() != str(creds.get("operator", "")).upper():
        return _error(f"Operator '{operator}' not found")
    if params.get("OperatorPassword", "") != creds.get("operator_password", ""):
        return _error("Invalid operator password")
    if params.get("CompanyPassword", "") != creds.get("company_password", ""):
        return _error(f"Invalid company password for company '{company_id}'")
    limited = _limited(ctx, company_id)
    if limited is not None:
        return limited
    idle = float(ctx.limit("session_idle_s", company_id))
    session = ctx.state.token_issue(
        company_id, "session", ttl_s=idle, value=secrets.token_hex(16).upper(),
        data={"operator": operator.upper()},
    )
    # e.net pads the UserId; callers must trim it (or send it back as is).
    return PlainTextResponse(session.value + "  ")


def _session(ctx: SystemContext, user_id: str) -> Token | Response:
    token = ctx.state.token_get(user_id.strip(), "session")
    if token is None or token.expired:
        return _error("UserId is invalid, or the session has expired. Please log on again")
    idle = float(ctx.limit("session_idle_s", token.account))
    token.expires_at = ctx.now() + idle
    return token


async def logoff(request: Request) -> Response:
    ctx = system_context(request)
    params = await _params(request)
    found = _session(ctx, params.get("UserId", ""))
    if isinstance(found, Response):
        return found
    ctx.state.token_revoke(found.value)
    return PlainTextResponse("0")


async def _prepare(request: Request) -> tuple[Company, dict[str, str]] | Response:
    ctx = system_context(request)
    params = await _params(request)
    found = _session(ctx, params.get("UserId", ""))
    if isinstance(found, Response):
        return found
    account = ctx.account(found.account)
    if account is None:
        return _error("Company no longer exists")
    limited = _limited(ctx, found.account)
    if limited is not None:
        return limited
    return Company(account), params


async def query(request: Request) -> Response:
    prepared = await _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    company, params = prepared
    method = request.path_params["method"]
    if method not in ("Query", "Browse", "Fetch"):
        return _error(f"Method 'Query/{method}' is not supported", 404)
    name = params.get("BusinessObject", "").strip().upper()
    if method == "Browse" and not name:
        name = "COMBRW"
    handler = bo.QUERIES.get(name)
    if handler is None:
        return _error(f"Business object '{name}' is not a valid {method} business object")
    try:
        root = handler(company, bo.parse_xml(params.get("XmlIn", "")))
    except TransportError as exc:
        return _error(str(exc))
    except BusinessError as exc:
        return _error(exc.description)
    return _xml(bo.render(root))


async def transaction_post(request: Request) -> Response:
    prepared = await _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    company, params = prepared
    name = params.get("BusinessObject", "").strip().upper()
    handler = bo.TRANSACTIONS.get(name)
    if handler is None:
        return _error(f"Business object '{name}' is not a valid Transaction business object")
    try:
        parameters = (bo.parse_xml(params["XmlParameters"], "XmlParameters")
                      if params.get("XmlParameters", "").strip() else None)
        root = handler(company, bo._params(parameters), bo.parse_xml(params.get("XmlIn", "")))
    except TransportError as exc:
        return _error(str(exc))
    return _xml(bo.render(root))


async def setup(request: Request) -> Response:
    prepared = await _prepare(request)
    if isinstance(prepared, Response):
        return prepared
    company, params = prepared
    name = params.get("BusinessObject", "").strip().upper()
    if request.path_params["action"] not in ("Add", "Update", "Delete"):
        return _error(f"Method 'Setup/{request.path_params['action']}' is not supported", 404)
    if name not in bo.SETUPS:
        return _error(f"Business object '{name}' is not a valid Setup business object")
    try:
        parameters = (bo.parse_xml(params["XmlParameters"], "XmlParameters")
                      if params.get("XmlParameters", "").strip() else None)
        root = bo.setup_run(company, name, request.path_params["action"],
                            bo._params(parameters), bo.parse_xml(params.get("XmlIn", "")))
    except TransportError as exc:
        return _error(str(exc))
    return _xml(bo.render(root))


# -- seeding ----------------------------------------------------------------------------------

WAREHOUSE_CODES = {"MAIN": "FG", "EAST": "E"}


def seed_account(ctx: SystemContext, account: Account, data: Dataset) -> None:
    company = Company(account)
    stock: dict[int, str] = {}
    for product in data.products:
        code = product["sku"]
        stock[product["key"]] = code
        company.put("InvMaster", code, {
            "StockCode": code, "Description": product["name"][:50],
            "LongDesc": product["description"][:100], "StockUom": "EA",
            "ProductClass": product["category"].upper()[:20], "WarehouseToUse": "FG",
            "Mass": product["weight_kg"], "ListPrice": product["price"],
            "AlternateKey1": product["barcode"], "StockOnHold": "N" if product["active"] else "Y",
        })
        for warehouse, qty in product["stock"].items():
            company.move(code, WAREHOUSE_CODES[warehouse], QtyOnHand=float(qty))
            row = company.warehouse_row(code, WAREHOUSE_CODES[warehouse])
            if row is not None:
                row["UnitCost"] = product["cost"]
    customers: dict[int, str] = {}
    for person in data.customers:
        code = f"{person['key']:07d}"
        customers[person["key"]] = code
        address = person["address"]
        name = person["company"] or f"{person['first_name']} {person['last_name']}"
        lines = [address["line1"], address["line2"], address["city"], address["region"],
                 address["country"]]
        record = {
            "Customer": code, "Name": name[:50], "ShortName": name[:20],
            "Telephone": person["phone"][:20], "Email": person["email"],
            "SoldPostalCode": address["postal_code"], "ShipPostalCode": address["postal_code"],
            "Currency": person["currency"], "CreditLimit": 5000.0, "CustomerOnHold": "N",
            "Branch": "01", "Salesperson": "WEB", "TermsCode": "30", "CustomerClass": "RT",
        }
        for n, line in enumerate(lines, 1):
            record[f"SoldToAddr{n}"] = line[:40]
            record[f"ShipToAddr{n}"] = line[:40]
        company.put("ArCustomer", code, record)
    suppliers: dict[int, str] = {}
    for supplier in data.suppliers:
        code = f"SUP{supplier['key']:03d}"
        suppliers[supplier["key"]] = code
        company.put("ApSupplier", code, {
            "Supplier": code, "SupplierName": supplier["company"][:50], "Currency": "GBP",
            "Telephone": supplier["phone"][:20], "Email": supplier["email"],
        })
    shipments = {s["order_key"]: s for s in data.shipments}
    orders: dict[int, str] = {}
    for order in data.orders:
        if order["status"] == "cancelled":
            continue
        xml_in = bo.parse_xml(_sortoi_xml(order, customers[order["customer_key"]], stock))
        result = bo.post_sortoi(company, {"AllowDuplicateOrderNumbers": "Y"}, xml_in)
        sales_order = bo.txt(result, "Order/SalesOrder")
        if not sales_order:
            continue
        orders[order["key"]] = sales_order
        shipment = shipments.get(order["key"])
        if shipment is not None:
            bo.dispatch_order(company, sales_order, carrier=shipment["carrier"],
                              waybill=shipment["tracking_number"],
                              ship_date=shipment["shipped_at"][:10])
    for payment in data.payments:
        order = data.orders[payment["order_key"] - 1]
        code = customers[order["customer_key"]]
        invoice = next((i for i in company.rows("ArInvoice")
                        if i["SalesOrder"] == orders.get(order["key"])), None)
        allocation = ""
        if invoice is not None:
            allocation = (f"<Invoice><InvoiceNumber>{invoice['Invoice']}</InvoiceNumber>"
                          f"<PaymentValue>{invoice['InvoiceBal1']}</PaymentValue></Invoice>")
        value = invoice["InvoiceBal1"] if invoice is not None else payment["amount"]
        bo.post_arstpy(company, {}, bo.parse_xml(
            f"<PostArPayment><Item><Payment><Customer>{code}</Customer>"
            f"<PaymentType>{payment['method'][:1]}</PaymentType>"
            f"<Reference>{payment['reference']}</Reference><PaymentValue>{value}</PaymentValue>"
            f"<PaymentDate>{payment['paid_at'][:10]}</PaymentDate><Bank>BANK1</Bank></Payment>"
            f"{allocation}</Item></PostArPayment>"
        ))
    for po in data.purchase_orders:
        lines = "".join(
            f"<StockLine><PurchaseOrderLine>{line['line']}</PurchaseOrderLine>"
            f"<LineActionType>A</LineActionType><StockCode>{stock[line['product_key']]}"
            f"</StockCode><OrderQty>{line['quantity']}</OrderQty><PriceMethod>M</PriceMethod>"
            f"<Price>{line['unit_cost']}</Price></StockLine>"
            for line in po["lines"]
        )
        bo.post_portoi(company, {}, bo.parse_xml(
            f"<PurchaseOrders><Orders><OrderHeader><OrderActionType>A</OrderActionType>"
            f"<Supplier>{suppliers[po['supplier_key']]}</Supplier>"
            f"<OrderDate>{po['ordered_at'][:10]}</OrderDate>"
            f"<DueDate>{po['expected_at'][:10]}</DueDate>"
            f"<Warehouse>{WAREHOUSE_CODES[po['warehouse']]}</Warehouse>"
            f"<Reference>{po['reference']}</Reference></OrderHeader>"
            f"<OrderDetails>{lines}</OrderDetails></Orders></PurchaseOrders>"
        ))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sortoi_xml(order: dict[str, Any], customer: str, stock: dict[int, str]) -> str:
    address = order["shipping_address"]
    warehouse = WAREHOUSE_CODES[order["warehouse"]]
    lines = "".join(
        f"<StockLine><CustomerPoLine>{line['line']}</CustomerPoLine>"
        f"<LineActionType>A</LineActionType><StockCode>{stock[line['product_key']]}</StockCode>"
        f"<Warehouse>{warehouse}</Warehouse><OrderQty>{line['quantity']}</OrderQty>"
        f"<Price>{line['unit_price']}</Price></StockLine>"
        for line in order["lines"]
    )
    freight = (f"<FreightLine><FreightValue>{order['shipping']}</FreightValue></FreightLine>"
               if order["shipping"] else "")
    return (
        f"<SalesOrders><Orders><OrderHeader><CustomerPoNumber>{order['reference']}"
        f"</CustomerPoNumber><OrderActionType>A</OrderActionType><Customer>{customer}</Customer>"
        f"<OrderDate>{order['placed_at'][:10]}</OrderDate><Warehouse>{warehouse}</Warehouse>"
        f"<ShipAddress1>{_esc(address['line1'])}</ShipAddress1>"
        f"<ShipAddress2>{_esc(address['line2'])}</ShipAddress2>"
        f"<ShipAddress3>{_esc(address['city'])}</ShipAddress3>"
        f"<ShipAddress4>{_esc(address['region'])}</ShipAddress4>"
        f"<ShipAddress5>{_esc(address['country'])}</ShipAddress5>"
        f"<ShipPostalCode>{address['postal_code']}</ShipPostalCode></OrderHeader>"
        f"<OrderDetails>{lines}{freight}</OrderDetails></Orders></SalesOrders>"
    )


async def sandbox_dispatch(request: Request) -> Response:
    """Ship an order in full, as warehouse staff would in SYSPRO (no e.net call does this)."""
    ctx = system_context(request)
    account = ctx.account(request.path_params["company"])
    if account is None:
        return _error("Company not found", 404)
    params = await _params(request)
    try:
        note, invoice = bo.dispatch_order(
            Company(account), request.path_params["order"], carrier=params.get("carrier", ""),
            waybill=params.get("waybill", ""),
        )
    except BusinessError as exc:
        return _error(exc.description, 400)
    return PlainTextResponse(f"{note} {invoice}")


SYSTEM = SandboxSystem(
    name="syspro",
    title="SYSPRO 8 e.net Solutions (REST)",
    routes=[
        Route(REST + "/Logon", logon, methods=["GET", "POST"]),
        Route(REST + "/Logoff", logoff, methods=["GET", "POST"]),
        Route(REST + "/Query/{method:str}", query, methods=["GET", "POST"]),
        Route(REST + "/Transaction/Post", transaction_post, methods=["GET", "POST"]),
        Route(REST + "/Setup/{action:str}", setup, methods=["GET", "POST"]),
        Route("/_sandbox/{company}/orders/{order}/dispatch", sandbox_dispatch,
              methods=["POST"]),
    ],
    demo_account=DemoAccount(DEMO_COMPANY, DEMO_CREDENTIALS),
    seed_account=seed_account,
    create_account=create_account,
    fault_response=fault_response,
    default_limits={"requests_per_minute": 600, "session_idle_s": 1200},
    base_path=REST + " (company chosen at /Logon)",
)
