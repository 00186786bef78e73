"""Pieces the Brightpearl + ERP templates (Infor, SYSPRO, Dynamics GP) share: plain data.

Brightpearl stores countries as ISO 3166 alpha-3 (``GBR``); M3 and GP's ``CCode`` want alpha-2,
SYSPRO and GP address lines want the country's name. The tables hold every ISO 3166-1 country
(from pycountry, as address cleansing uses): a storefront ships anywhere, and an order to a
country missing from a hand-kept list failed at mapping. A tenant may still edit its copy; a
value not in the table fails the record (``on_miss: fail``) rather than writing a wrong code.
"""

from __future__ import annotations

from typing import Any

import pycountry

from integrations.quality.address import country_name

# The names the templates used before the full list, kept so existing mappings read the same;
# every other name is the one address cleansing writes, so a cleansed address finds its code.
_NAMES = {"GBR": "United Kingdom", "USA": "United States"}

COUNTRY_ISO2: dict[str, str] = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
COUNTRY_ISO3: dict[str, str] = {iso2: iso3 for iso3, iso2 in COUNTRY_ISO2.items()}
COUNTRY_NAMES: dict[str, str] = {
    c.alpha_3: _NAMES.get(c.alpha_3) or country_name(c) for c in pycountry.countries}
COUNTRY_NAME_ISO3: dict[str, str] = {name: iso3 for iso3, name in COUNTRY_NAMES.items()}

# Brightpearl channels (product-service/channel) as sales channel codes for reporting.
SALES_CHANNELS: dict[str, Any] = {"1": "WEB", "2": "AMAZON", "3": "POS"}

# Order rows without a product are Brightpearl's shipping (and other non-stock) charges.
IS_PRODUCT_ROW = {"from": "productId", "gt": 0}
IS_CHARGE_ROW = {"not": IS_PRODUCT_ROW}


def customer_number(contact_path: str) -> dict[str, Any]:
    """The partner's customer number for a Brightpearl contact: ``BP`` + contact id.

    One rule in every flow of a pair (customers, orders, payments), so an order always names
    the customer its customer flow created.
    """
    return {"concat": [{"const": "BP"}, contact_path], "sep": "", "required": True}


def full_name(prefix: str = "") -> dict[str, Any]:
    return {"concat": [f"{prefix}firstName", f"{prefix}lastName"], "sep": " "}


def iso_date(path: str, *, fmt: str = "date") -> dict[str, Any]:
    """An ISO date-time from Brightpearl as ``YYYY-MM-DD`` (or a strftime format)."""
    return {"from": path, "transform": [{"date": {"to": fmt}}]}
