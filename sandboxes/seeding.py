"""Deterministic, realistic seed data as neutral dicts; each system converts them to its shape.

``dataset_generate(seed=42, products=20, customers=10, orders=15)`` always returns the same data
for the same arguments. Money values are floats rounded to 2 places; dates are ISO 8601 strings
counted back from a fixed reference day so the data doesn't change between runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

REFERENCE_DAY = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)

BRANDS = [
    "Northwind Outdoor", "Harbor & Pine", "Alder Works", "Bluefield Supply", "Copperline",
    "Granite Peak", "Meridian Home", "Silver Birch", "Tidewater Co.", "Oak & Iron",
]
CATEGORIES: dict[str, list[tuple[str, float]]] = {
    # category: (product noun, typical price)
    "Outdoor": [("Trail Backpack 30L", 89.0), ("Insulated Water Bottle", 24.0),
                ("Camping Lantern", 35.0), ("Trekking Poles", 59.0), ("Rain Shell Jacket", 129.0)],
    "Kitchen": [("Cast Iron Skillet", 45.0), ("Chef's Knife 20cm", 79.0),
                ("Pour-Over Coffee Set", 39.0), ("Bamboo Cutting Board", 22.0),
                ("Stoneware Mug Set", 32.0)],
    "Home": [("Linen Throw Blanket", 65.0), ("Ceramic Table Lamp", 95.0),
             ("Wool Area Rug 120x180", 210.0), ("Scented Soy Candle", 18.0),
             ("Oak Wall Shelf", 54.0)],
    "Apparel": [("Merino Crew Sweater", 98.0), ("Organic Cotton Tee", 28.0),
                ("Canvas Work Jacket", 149.0), ("Wool Beanie", 25.0), ("Leather Belt", 49.0)],
    "Tools": [("Cordless Drill 18V", 139.0), ("Precision Screwdriver Set", 29.0),
              ("Tape Measure 8m", 15.0), ("Bench Vise", 85.0), ("Work Gloves", 12.0)],
}
COLOURS = ["Black", "Navy", "Olive", "Sand", "Slate", "Rust", "Forest", "Charcoal"]

COUNTRIES: list[dict[str, Any]] = [
    {"iso2": "GB", "iso3": "GBR", "name": "United Kingdom", "currency": "GBP", "tax": 20.0,
     "cities": [("London", "Greater London", "EC1A 1BB"), ("Manchester", "Greater Manchester",
                "M1 1AE"), ("Bristol", "Bristol", "BS1 4DJ"), ("Leeds", "West Yorkshire",
                "LS1 4AP")], "phone": "+44 20 7946 {:04d}"},
    {"iso2": "US", "iso3": "USA", "name": "United States", "currency": "USD", "tax": 0.0,
     "cities": [("Austin", "TX", "78701"), ("Portland", "OR", "97205"), ("Denver", "CO",
                "80202"), ("Chicago", "IL", "60601")], "phone": "+1 512 555 {:04d}"},
    {"iso2": "DE", "iso3": "DEU", "name": "Germany", "currency": "EUR", "tax": 19.0,
     "cities": [("Berlin", "Berlin", "10115"), ("Hamburg", "Hamburg", "20095"),
                ("Munich", "Bavaria", "80331")], "phone": "+49 30 5555 {:04d}"},
    {"iso2": "FR", "iso3": "FRA", "name": "France", "currency": "EUR", "tax": 20.0,
     "cities": [("Paris", "Ile-de-France", "75001"), ("Lyon", "Auvergne-Rhone-Alpes",
                "69001")], "phone": "+33 1 5555 {:04d}"},
    {"iso2": "AU", "iso3": "AUS", "name": "Australia", "currency": "AUD", "tax": 10.0,
     "cities": [("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000")],
     "phone": "+61 2 5550 {:04d}"},
    {"iso2": "CA", "iso3": "CAN", "name": "Canada", "currency": "CAD", "tax": 5.0,
     "cities": [("Toronto", "ON", "M5H 2N2"), ("Vancouver", "BC", "V6B 1A1")],
     "phone": "+1 416 555 {:04d}"},
]
FIRST_NAMES = [
    "Olivia", "James", "Amelia", "Noah", "Sophie", "Liam", "Isla", "Oliver", "Emma", "Lucas",
    "Mia", "Ethan", "Hannah", "Leon", "Chloe", "Mateo", "Grace", "Felix", "Ava", "Samuel",
    "Priya", "Kenji", "Fatima", "Diego", "Ingrid", "Tomasz", "Aisha", "Pierre", "Lena", "Raj",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Taylor", "Müller", "Schmidt", "Dubois", "Martin",
    "Wilson", "Anderson", "Thompson", "Patel", "Nguyen", "Kowalski", "Garcia", "Rossi", "Clarke",
    "Walker", "Wright", "Becker", "Laurent", "O'Brien", "Hughes", "Campbell", "Fischer",
]
STREETS = [
    "High Street", "Station Road", "Main Street", "Church Lane", "Park Avenue", "Mill Road",
    "Oak Street", "Bahnhofstraße", "Rue de la Paix", "King Street", "Harbour Road", "Elm Drive",
]
COMPANY_SUFFIXES = ["Ltd", "LLC", "GmbH", "SARL", "Pty Ltd", "Inc."]
COMPANY_WORDS = [
    "Summit", "Riverside", "Evergreen", "Keystone", "Lakeside", "Pioneer", "Crescent",
    "Atlas", "Beacon", "Horizon", "Maple", "Sterling",
]
WAREHOUSES = [
    {"code": "MAIN", "name": "Main Warehouse", "country": "GB", "city": "Manchester"},
    {"code": "EAST", "name": "East Coast DC", "country": "US", "city": "Newark"},
]
CARRIERS = [("Royal Mail", "RM"), ("DHL Express", "DHL"), ("UPS", "1Z"), ("FedEx", "FX")]
PAYMENT_METHODS = ["CARD", "PAYPAL", "BANK_TRANSFER"]
CHANNELS = [{"id": 1, "name": "Web Store"}, {"id": 2, "name": "Amazon"}, {"id": 3, "name": "POS"}]
ORDER_STATUSES = ["new", "paid", "allocated", "shipped", "completed", "cancelled"]


@dataclass
class Dataset:
    """Neutral seed data. Records reference each other by ``key`` (1-based, per kind)."""

    seed: int
    brands: list[dict[str, Any]] = field(default_factory=list)
    warehouses: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    customers: list[dict[str, Any]] = field(default_factory=list)
    suppliers: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    purchase_orders: list[dict[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in ("brands", "warehouses", "products", "customers", "suppliers", "orders",
                         "payments", "shipments", "purchase_orders")
        }


def _money(value: float) -> float:
    return round(value + 1e-9, 2)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _ean13(rng: random.Random) -> str:
    digits = [5, 0] + [rng.randrange(10) for _ in range(10)]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _address(rng: random.Random, country: dict[str, Any]) -> dict[str, Any]:
    city, region, postcode = rng.choice(country["cities"])
    line2 = rng.choice(["", "", f"Flat {rng.randint(1, 40)}", f"Suite {rng.randint(100, 900)}"])
    return {
        "line1": f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
        "line2": line2,
        "city": city,
        "region": region,
        "postal_code": postcode,
        "country_iso2": country["iso2"],
        "country_iso3": country["iso3"],
        "country": country["name"],
    }


def _person(rng: random.Random, key: int, domain: str | None = None) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    country = rng.choice(COUNTRIES)
    ascii_last = (
        last.lower().replace("'", "").replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
    )
    mail_domain = domain or rng.choice(["example.com", "example.org", "example.net"])
    return {
        "key": key,
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{ascii_last}{key}@{mail_domain}",
        "phone": country["phone"].format(rng.randint(0, 9999)),
        "address": _address(rng, country),
        "currency": country["currency"],
        "tax_rate": country["tax"],
    }


def dataset_generate(
    *,
    seed: int = 42,
    products: int = 20,
    customers: int = 10,
    orders: int = 15,
    suppliers: int = 3,
    purchase_orders: int | None = None,
    payments: bool = True,
    shipments: bool = True,
) -> Dataset:
    """Build a dataset; ``purchase_orders`` defaults to a third of ``orders`` (at least 1)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    data = Dataset(seed=seed, warehouses=[dict(w) for w in WAREHOUSES],
                   channels=[dict(c) for c in CHANNELS])
    data.brands = [{"key": i + 1, "name": name} for i, name in enumerate(BRANDS)]

    used_skus: set[str] = set()
    for key in range(1, products + 1):
        category = rng.choice(list(CATEGORIES))
        noun, base_price = rng.choice(CATEGORIES[category])
        colour = rng.choice(COLOURS)
        brand = rng.choice(data.brands)
        prefix = "".join(w[0] for w in category.split()).upper()[:2] + noun[:2].upper()
        sku = f"{prefix}-{rng.randint(1000, 9999)}-{colour[:3].upper()}"
        while sku in used_skus:
            sku = f"{prefix}-{rng.randint(1000, 9999)}-{colour[:3].upper()}"
        used_skus.add(sku)
        raw = base_price * rng.uniform(0.85, 1.25)
        price = _money(round(raw) - 0.01) if raw > 5 else _money(raw)
        cost = _money(price * rng.uniform(0.35, 0.6))
        stock = {w["code"]: rng.choice([0, 3, 8, 12, 25, 40, 75, 120]) for w in data.warehouses}
        data.products.append({
            "key": key,
            "sku": sku,
            "name": f"{brand['name']} {noun} - {colour}",
            "short_name": f"{noun} {colour}",
            "description": f"{noun} in {colour.lower()} by {brand['name']}.",
            "brand_key": brand["key"],
            "brand": brand["name"],
            "category": category,
            "colour": colour,
            "price": price,
            "cost": cost,
            "currency": "GBP",
            "weight_kg": _money(rng.uniform(0.1, 6.0)),
            "barcode": _ean13(rng),
            "tax_code": "T20",
            "tax_rate": 20.0,
            "unit": "EA",
            "stock": stock,
            "active": rng.random() > 0.05,
            "created_at": _iso(REFERENCE_DAY - timedelta(days=rng.randint(60, 720))),
        })

    for key in range(1, customers + 1):
        person = _person(rng, key)
        person["company"] = (
            f"{rng.choice(COMPANY_WORDS)} {rng.choice(['Trading', 'Retail', 'Supplies'])} "
            f"{rng.choice(COMPANY_SUFFIXES)}" if rng.random() < 0.35 else ""
        )
        person["created_at"] = _iso(REFERENCE_DAY - timedelta(days=rng.randint(30, 700)))
        data.customers.append(person)

    for key in range(1, suppliers + 1):
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(['Manufacturing', 'Wholesale'])} "
        company += rng.choice(COMPANY_SUFFIXES)
        person = _person(rng, key, domain="supplier.example.com")
        person["company"] = company
        person["currency"] = "GBP"
        data.suppliers.append(person)

    if products and customers:
        for key in range(1, orders + 1):
            data.orders.append(_order(rng, key, data))
        for order in data.orders:
            if payments and order["status"] not in ("new", "cancelled"):
                data.payments.append({
                    "key": len(data.payments) + 1,
                    "order_key": order["key"],
                    "amount": order["total"],
                    "currency": order["currency"],
                    "method": rng.choice(PAYMENT_METHODS),
                    "reference": f"TXN-{rng.randint(10**9, 10**10 - 1)}",
                    "paid_at": order["placed_at"],
                })
            if shipments and order["status"] in ("shipped", "completed"):
                carrier, prefix = rng.choice(CARRIERS)
                data.shipments.append({
                    "key": len(data.shipments) + 1,
                    "order_key": order["key"],
                    "warehouse": order["warehouse"],
                    "carrier": carrier,
                    "tracking_number": f"{prefix}{rng.randint(10**9, 10**10 - 1)}GB",
                    "shipped_at": _iso(datetime.fromisoformat(order["placed_at"][:19]).replace(
                        tzinfo=UTC) + timedelta(days=rng.randint(1, 3))),
                    "lines": [
                        {"line": ln["line"], "product_key": ln["product_key"], "sku": ln["sku"],
                         "quantity": ln["quantity"]}
                        for ln in order["lines"]
                    ],
                })

    if purchase_orders is None:
        po_count = max(1, orders // 3) if orders else 0
    else:
        po_count = purchase_orders
    if products and data.suppliers:
        for key in range(1, po_count + 1):
            supplier = rng.choice(data.suppliers)
            lines = []
            for number, product in enumerate(rng.sample(data.products, min(3, products)), 1):
                quantity = rng.choice([10, 20, 25, 50, 100])
                lines.append({
                    "line": number, "product_key": product["key"], "sku": product["sku"],
                    "name": product["name"], "quantity": quantity, "unit_cost": product["cost"],
                    "net": _money(quantity * product["cost"]),
                })
            net = _money(sum(ln["net"] for ln in lines))
            data.purchase_orders.append({
                "key": key,
                "reference": f"PO-{20000 + key}",
                "supplier_key": supplier["key"],
                "warehouse": rng.choice(data.warehouses)["code"],
                "currency": "GBP",
                "ordered_at": _iso(REFERENCE_DAY - timedelta(days=rng.randint(1, 60))),
                "expected_at": _iso(REFERENCE_DAY + timedelta(days=rng.randint(5, 30))),
                "status": rng.choice(["draft", "ordered", "received"]),
                "lines": lines,
                "net": net,
                "tax": _money(net * 0.2),
                "total": _money(net * 1.2),
            })
    return data


def _order(rng: random.Random, key: int, data: Dataset) -> dict[str, Any]:
    customer = rng.choice(data.customers)
    lines = []
    for number, product in enumerate(
        rng.sample(data.products, min(len(data.products), rng.randint(1, 5))), 1
    ):
        quantity = rng.choice([1, 1, 1, 2, 2, 3, 4, 6])
        discount = rng.choice([0, 0, 0, 0.1])
        unit = _money(product["price"] * (1 - discount))
        net = _money(unit * quantity)
        tax = _money(net * customer["tax_rate"] / 100)
        lines.append({
            "line": number,
            "product_key": product["key"],
            "sku": product["sku"],
            "name": product["name"],
            "quantity": quantity,
            "unit_price": unit,
            "discount_pct": discount * 100,
            "tax_rate": customer["tax_rate"],
            "tax_code": "T20" if customer["tax_rate"] else "T0",
            "net": net,
            "tax": tax,
        })
    shipping = rng.choice([0.0, 4.95, 7.5, 12.0])
    net = _money(sum(ln["net"] for ln in lines) + shipping)
    tax = _money(sum(ln["tax"] for ln in lines))
    placed = REFERENCE_DAY - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1439))
    status = rng.choices(ORDER_STATUSES, weights=[3, 3, 2, 3, 2, 1])[0]
    return {
        "key": key,
        "reference": f"WEB-{100000 + key * 7 + rng.randint(0, 6)}",
        "customer_key": customer["key"],
        "placed_at": _iso(placed),
        "currency": customer["currency"],
        "channel_id": rng.choice(data.channels)["id"],
        "warehouse": rng.choice(data.warehouses)["code"],
        "status": status,
        "shipping_method": rng.choice(["Standard", "Express", "Next Day"]),
        "shipping": shipping,
        "billing_address": dict(customer["address"]),
        "shipping_address": dict(customer["address"]),
        "lines": lines,
        "net": net,
        "tax": tax,
        "total": _money(net + tax),
        "paid": status not in ("new", "cancelled"),
        "shipped": status in ("shipped", "completed"),
        "notes": rng.choice(["", "", "Leave with neighbour", "Gift wrap please"]),
    }
