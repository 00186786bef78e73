"""Messy addresses as the six systems hold them, each with its expected normalised form.

The test set of the address cleansing (tests/integrations/quality/test_address.py) and of its
accuracy figure (bench/eval_address.py). Each case is a source record in the shape its
system's connector reads, the record as it should be after cleansing, and the fields that
should be flagged as unable to be valid (the rest of the record still cleansed).
Plain data: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    country: str                  # the country the address is in (ISO alpha-2), "" if none
    system: str
    record: dict[str, Any]
    expected: dict[str, Any]
    invalid: tuple[str, ...] = ()   # paths flagged as unable to be valid


def bc(**parts: str) -> dict[str, Any]:
    """A BigCommerce v2 order with this billing address."""
    address = {"first_name": "Ann", "last_name": "Lee", "company": "", "street_1": "",
               "street_2": "", "city": "", "state": "", "zip": "", "country": "",
               "country_iso2": "", "phone": "", "email": "ann@example.com", **parts}
    return {"id": 100, "billing_address": address}


def bc_customer(**parts: str) -> dict[str, Any]:
    """A BigCommerce v3 customer with one address."""
    address = {"first_name": "Ann", "last_name": "Lee", "address1": "", "address2": "",
               "city": "", "state_or_province": "", "postal_code": "", "country_code": "",
               "country": "", **parts}
    return {"id": 7, "email": "ann@example.com", "addresses": [address]}


def bp(**parts: str) -> dict[str, Any]:
    """A Brightpearl sales order with this delivery party."""
    party = {"contactId": 214, "addressFullName": "Ann Lee", "addressLine1": "",
             "addressLine2": "", "addressLine3": "", "addressLine4": "", "postalCode": "",
             "countryIsoCode": "", **parts}
    return {"id": 5001, "orderTypeCode": "SO", "parties": {"delivery": party}}


def bp_contact(**parts: str) -> dict[str, Any]:
    """A Brightpearl contact with this default postal address."""
    address = {"addressId": 318, "addressLine1": "", "addressLine2": "", "addressLine3": "",
               "addressLine4": "", "postalCode": "", "countryIsoCode": "", "countryId": 0,
               **parts}
    return {"contactId": 214, "postalAddresses": {"DEF": address}}


def sf(**parts: str | None) -> dict[str, Any]:
    """A Salesforce contact with this mailing address (an org without country picklists)."""
    return {"Id": "0035g00001EauuBAAR", "LastName": "Lee", "MailingStreet": "",
            "MailingCity": "", "MailingState": "", "MailingPostalCode": "",
            "MailingCountry": "", **parts}


def sf_account(**parts: str | None) -> dict[str, Any]:
    """A Salesforce opportunity whose account has this billing address (with picklists:
    BillingCountryCode)."""
    account = {"Name": "Acme", "BillingStreet": "", "BillingCity": "", "BillingState": "",
               "BillingPostalCode": "", "BillingCountry": "", "BillingCountryCode": None,
               **parts}
    return {"Id": "0065g00001EauvQAAR", "StageName": "Closed Won", "Account": account}


def infor(**parts: str) -> dict[str, Any]:
    """An Infor M3 customer (CRS610MI)."""
    return {"CUNO": "10017", "CUNM": "Ann Lee", "CUA1": "", "CUA2": "", "CUA3": "", "CUA4": "",
            "TOWN": "", "ECAR": "", "PONO": "", "CSCD": "", **parts}


def syspro(**parts: str) -> dict[str, Any]:
    """A SYSPRO customer (ARSQRY) with this sold-to address; the ship-to left empty."""
    customer = {"Customer": "0000019", "Name": "Ann Lee", "SoldToAddr1": "",
                "SoldToAddr2": "", "SoldToAddr3": "", "SoldToAddr4": "", "SoldToAddr5": "",
                "SoldPostalCode": "", "ShipToAddr1": "", "ShipToAddr2": "", "ShipToAddr3": "",
                "ShipToAddr4": "", "ShipToAddr5": "", "ShipPostalCode": "", **parts}
    return {"Customer": customer, "CurrentBalance": "0.000"}


def gp(**parts: Any) -> dict[str, Any]:
    """A Dynamics GP customer."""
    return {"CUSTNMBR": "LEE0001", "CUSTNAME": "Ann Lee", "ADDRESS1": "", "ADDRESS2": "",
            "ADDRESS3": "", "CITY": "", "STATE": "", "ZIPCODE": "", "COUNTRY": "", "CCode": "",
            **parts}


CASES: list[Case] = [
    # -- United Kingdom ------------------------------------------------------------------
    Case("gb-bc-uk-caps-city-compact-postcode", "GB", "bigcommerce",
         bc(street_1=" 10 Downing  St ", city="LONDON", zip="sw1a2aa", country="UK"),
         bc(street_1="10 Downing St", city="London", zip="SW1A 2AA", country="United Kingdom",
            country_iso2="GB")),
    Case("gb-bp-alpha2-in-alpha3-field", "GB", "brightpearl",
         bp(addressLine1="221B Baker Street", addressLine3="london",
            addressLine4="Greater London", postalCode="nw1 6xe", countryIsoCode="GB"),
         bp(addressLine1="221B Baker Street", addressLine3="London",
            addressLine4="Greater London", postalCode="NW1 6XE", countryIsoCode="GBR")),
    Case("gb-sf-england-multiline-street", "GB", "salesforce",
         sf(MailingStreet="1 Deansgate\r\n\r\n  Floor  2 ", MailingCity="MANCHESTER",
            MailingPostalCode="M3  1AZ", MailingCountry="England"),
         sf(MailingStreet="1 Deansgate\nFloor 2", MailingCity="Manchester",
            MailingPostalCode="M3 1AZ", MailingCountry="United Kingdom")),
    Case("gb-infor-lowercase-uk-code", "GB", "infor",
         infor(CUA1="Unit 4,  Trafford Park", TOWN="stockport", PONO="sk4 1aa", CSCD="uk"),
         infor(CUA1="Unit 4, Trafford Park", TOWN="Stockport", PONO="SK4 1AA", CSCD="GB")),
    Case("gb-gp-great-britain-code-filled", "GB", "dynamics_gp",
         gp(ADDRESS1="1 Grey Street", CITY="NEWCASTLE UPON TYNE", ZIPCODE="ne1 6ee",
            COUNTRY="Great Britain"),
         gp(ADDRESS1="1 Grey Street", CITY="Newcastle upon Tyne", ZIPCODE="NE1 6EE",
            COUNTRY="United Kingdom", CCode="GB")),
    Case("gb-syspro-scotland", "GB", "syspro",
         syspro(SoldToAddr1="1 Princes Street", SoldToAddr3="EDINBURGH",
                SoldToAddr5="Scotland", SoldPostalCode="eh12ng"),
         syspro(SoldToAddr1="1 Princes Street", SoldToAddr3="Edinburgh",
                SoldToAddr5="United Kingdom", SoldPostalCode="EH1 2NG")),
    Case("gb-bc-customer-hyphenated-town", "GB", "bigcommerce",
         bc_customer(address1="Henley Street", city="STRATFORD-UPON-AVON",
                     postal_code="cv37 6qw", country_code="gb", country="united kingdom"),
         bc_customer(address1="Henley Street", city="Stratford-upon-Avon",
                     postal_code="CV37 6QW", country_code="GB", country="United Kingdom")),
    Case("gb-bc-outward-code-only-is-flagged", "GB", "bigcommerce",
         bc(street_1="10 Downing St", city="London", zip="SW1A", country="United Kingdom",
            country_iso2="GB"),
         bc(street_1="10 Downing St", city="London", zip="SW1A", country="United Kingdom",
            country_iso2="GB"),
         invalid=("billing_address.zip",)),
    # -- United States -------------------------------------------------------------------
    Case("us-bc-dc-usa-dots", "US", "bigcommerce",
         bc(street_1="1600 Pennsylvania Ave NW", city="washington", state="Washington DC",
            zip="20500", country="U.S.A."),
         bc(street_1="1600 Pennsylvania Ave NW", city="Washington", state="DC", zip="20500",
            country="United States", country_iso2="US")),
    Case("us-bp-zip-plus-four-compact", "US", "brightpearl",
         bp(addressLine1="200 Port Street", addressLine3="NEWARK", addressLine4="new jersey",
            postalCode="071141234", countryIsoCode="USA"),
         bp(addressLine1="200 Port Street", addressLine3="Newark", addressLine4="NJ",
            postalCode="07114-1234", countryIsoCode="USA")),
    Case("us-sf-account-state-name-picklist-code-filled", "US", "salesforce",
         sf_account(BillingStreet="1 Market St", BillingCity="San Francisco",
                    BillingState="California", BillingPostalCode="94105",
                    BillingCountry="United States of America"),
         sf_account(BillingStreet="1 Market St", BillingCity="San Francisco",
                    BillingState="CA", BillingPostalCode="94105",
                    BillingCountry="United States", BillingCountryCode="US")),
    Case("us-gp-mcallen-lowercase-state", "US", "dynamics_gp",
         gp(ADDRESS1="1300 Houston Ave", CITY="MCALLEN", STATE="tx", ZIPCODE="78501",
            COUNTRY="USA"),
         gp(ADDRESS1="1300 Houston Ave", CITY="McAllen", STATE="TX", ZIPCODE="78501",
            COUNTRY="United States", CCode="US")),
    Case("us-infor-state-name-lowercase-code", "US", "infor",
         infor(CUA1="100 Congress Ave", TOWN="Austin", ECAR="Texas", PONO="78701 ",
               CSCD="us"),
         infor(CUA1="100 Congress Ave", TOWN="Austin", ECAR="TX", PONO="78701", CSCD="US")),
    Case("us-bc-zip-plus-four-with-space", "US", "bigcommerce",
         bc(street_1="233 S Wacker Dr", city="Chicago", state="IL", zip="60606 6306",
            country="United States", country_iso2="US"),
         bc(street_1="233 S Wacker Dr", city="Chicago", state="IL", zip="60606-6306",
            country="United States", country_iso2="US")),
    Case("us-gp-washington-state", "US", "dynamics_gp",
         gp(ADDRESS1="400 Broad St", CITY="seattle", STATE="Washington", ZIPCODE="98109",
            COUNTRY="United States", CCode="US"),
         gp(ADDRESS1="400 Broad St", CITY="Seattle", STATE="WA", ZIPCODE="98109",
            COUNTRY="United States", CCode="US")),
    Case("us-bc-zip-lost-leading-zero-is-flagged", "US", "bigcommerce",
         bc(street_1="1 Beacon St", city="Boston", state="Massachusetts", zip="2108",
            country="United States", country_iso2="US"),
         bc(street_1="1 Beacon St", city="Boston", state="MA", zip="2108",
            country="United States", country_iso2="US"),
         invalid=("billing_address.zip",)),
    Case("us-infor-unknown-state-is-flagged", "US", "infor",
         infor(CUA1="1 Main St", TOWN="Fresno", ECAR="Cali", PONO="93721", CSCD="US"),
         infor(CUA1="1 Main St", TOWN="Fresno", ECAR="Cali", PONO="93721", CSCD="US"),
         invalid=("ECAR",)),
    # -- Canada --------------------------------------------------------------------------
    Case("ca-bc-province-name-compact-postcode", "CA", "bigcommerce",
         bc(street_1="24 Sussex Dr", city="OTTAWA", state="ontario", zip="k1m1m4",
            country="Canada", country_iso2="CA"),
         bc(street_1="24 Sussex Dr", city="Ottawa", state="ON", zip="K1M 1M4",
            country="Canada", country_iso2="CA")),
    Case("ca-bp-st-johns-newfoundland", "CA", "brightpearl",
         bp(addressLine1="10 Water St", addressLine3="ST. JOHN'S",
            addressLine4="Newfoundland and Labrador", postalCode="a1c 5m2",
            countryIsoCode="CAN"),
         bp(addressLine1="10 Water St", addressLine3="St. John's", addressLine4="NL",
            postalCode="A1C 5M2", countryIsoCode="CAN")),
    Case("ca-sf-quebec-accented", "CA", "salesforce",
         sf(MailingStreet="275 Rue Notre-Dame E", MailingCity="Montréal",
            MailingState="Québec", MailingPostalCode="h2y1c6", MailingCountry="canada"),
         sf(MailingStreet="275 Rue Notre-Dame E", MailingCity="Montréal",
            MailingState="QC", MailingPostalCode="H2Y 1C6", MailingCountry="Canada")),
    Case("ca-bc-short-postcode-is-flagged", "CA", "bigcommerce",
         bc(street_1="24 Sussex Dr", city="Ottawa", state="ON", zip="K1A 0B",
            country="Canada", country_iso2="CA"),
         bc(street_1="24 Sussex Dr", city="Ottawa", state="ON", zip="K1A 0B",
            country="Canada", country_iso2="CA"),
         invalid=("billing_address.zip",)),
    # -- Netherlands ---------------------------------------------------------------------
    Case("nl-bc-holland-compact-postcode", "NL", "bigcommerce",
         bc(street_1="Damrak 1", city="amsterdam", zip="1012lg", country="Holland"),
         bc(street_1="Damrak 1", city="Amsterdam", zip="1012 LG", country="Netherlands",
            country_iso2="NL")),
    Case("nl-bp-s-hertogenbosch", "NL", "brightpearl",
         bp(addressLine1="Markt 1", addressLine3="'S-HERTOGENBOSCH", postalCode="5211 ab",
            countryIsoCode="NLD"),
         bp(addressLine1="Markt 1", addressLine3="'s-Hertogenbosch", postalCode="5211 AB",
            countryIsoCode="NLD")),
    Case("nl-syspro-the-netherlands", "NL", "syspro",
         syspro(SoldToAddr1="Lange Voorhout 1", SoldToAddr3="Den Haag",
                SoldToAddr5="The Netherlands", SoldPostalCode="2514EA"),
         syspro(SoldToAddr1="Lange Voorhout 1", SoldToAddr3="Den Haag",
                SoldToAddr5="Netherlands", SoldPostalCode="2514 EA")),
    Case("nl-bc-digits-only-is-flagged", "NL", "bigcommerce",
         bc(street_1="Damrak 1", city="Amsterdam", zip="1012", country="Netherlands",
            country_iso2="NL"),
         bc(street_1="Damrak 1", city="Amsterdam", zip="1012", country="Netherlands",
            country_iso2="NL"),
         invalid=("billing_address.zip",)),
    # -- Germany -------------------------------------------------------------------------
    Case("de-gp-deutschland-d-prefix", "DE", "dynamics_gp",
         gp(ADDRESS1="Königsallee 27", CITY="DÜSSELDORF", STATE="NRW", ZIPCODE="D-40212",
            COUNTRY="Deutschland"),
         gp(ADDRESS1="Königsallee 27", CITY="Düsseldorf", STATE="NRW", ZIPCODE="40212",
            COUNTRY="Germany", CCode="DE")),
    Case("de-sf-lowercase-city-padded-postcode", "DE", "salesforce",
         sf(MailingStreet="Prinzipalmarkt  12", MailingCity="münster",
            MailingState="Nordrhein-Westfalen", MailingPostalCode=" 48143",
            MailingCountry="germany"),
         sf(MailingStreet="Prinzipalmarkt 12", MailingCity="Münster",
            MailingState="Nordrhein-Westfalen", MailingPostalCode="48143",
            MailingCountry="Germany")),
    Case("de-bc-frankfurt-am-main-lowercase-code", "DE", "bigcommerce",
         bc(street_1="Zeil 1", city="FRANKFURT AM MAIN", zip="60313", country="Germany",
            country_iso2="de"),
         bc(street_1="Zeil 1", city="Frankfurt am Main", zip="60313", country="Germany",
            country_iso2="DE")),
    Case("de-infor-old-four-digit-postcode-is-flagged", "DE", "infor",
         infor(CUA1="Königsallee 27", TOWN="Düsseldorf", PONO="4000", CSCD="DE"),
         infor(CUA1="Königsallee 27", TOWN="Düsseldorf", PONO="4000", CSCD="DE"),
         invalid=("PONO",)),
    # -- France --------------------------------------------------------------------------
    Case("fr-bp-f-prefix-caps-city", "FR", "brightpearl",
         bp(addressLine1="55 Rue du Faubourg Saint-Honoré", addressLine3="PARIS",
            postalCode="F-75008", countryIsoCode="FRA"),
         bp(addressLine1="55 Rue du Faubourg Saint-Honoré", addressLine3="Paris",
            postalCode="75008", countryIsoCode="FRA")),
    Case("fr-syspro-aix-en-provence", "FR", "syspro",
         syspro(SoldToAddr1="1 Cours Mirabeau", SoldToAddr3="AIX-EN-PROVENCE",
                SoldToAddr5="france", SoldPostalCode="13100"),
         syspro(SoldToAddr1="1 Cours Mirabeau", SoldToAddr3="Aix-en-Provence",
                SoldToAddr5="France", SoldPostalCode="13100")),
    Case("fr-infor-spaced-postcode", "FR", "infor",
         infor(CUA1="1 Place Bellecour", TOWN="Lyon", PONO="69 002", CSCD="FR"),
         infor(CUA1="1 Place Bellecour", TOWN="Lyon", PONO="69002", CSCD="FR")),
    Case("fr-bc-saint-etienne-caps", "FR", "bigcommerce",
         bc(street_1="1 Place Jean Jaurès", city="SAINT-ÉTIENNE", zip="42000",
            country="France", country_iso2="FR"),
         bc(street_1="1 Place Jean Jaurès", city="Saint-Étienne", zip="42000",
            country="France", country_iso2="FR")),
    # -- Ireland -------------------------------------------------------------------------
    Case("ie-bc-eire-compact-eircode", "IE", "bigcommerce",
         bc(street_1="14 Grafton Street", city="Dublin", zip="d02vf65", country="Éire"),
         bc(street_1="14 Grafton Street", city="Dublin", zip="D02 VF65", country="Ireland",
            country_iso2="IE")),
    Case("ie-sf-republic-of-ireland", "IE", "salesforce",
         sf(MailingStreet="1 Shop Street", MailingCity="galway", MailingState="Co. Galway",
            MailingPostalCode="h91x2r4", MailingCountry="Republic of Ireland"),
         sf(MailingStreet="1 Shop Street", MailingCity="Galway", MailingState="Co. Galway",
            MailingPostalCode="H91 X2R4", MailingCountry="Ireland")),
    Case("ie-bp-no-eircode-is-fine", "IE", "brightpearl",
         bp(addressLine1="Main Street", addressLine3="Dingle", addressLine4="Co. Kerry",
            countryIsoCode="irl"),
         bp(addressLine1="Main Street", addressLine3="Dingle", addressLine4="Co. Kerry",
            countryIsoCode="IRL")),
    # -- Australia and New Zealand -------------------------------------------------------
    Case("au-bc-new-south-wales", "AU", "bigcommerce",
         bc(street_1="1 Macquarie St", city="SYDNEY", state="New South Wales", zip="2000",
            country="Australia", country_iso2="AU"),
         bc(street_1="1 Macquarie St", city="Sydney", state="NSW", zip="2000",
            country="Australia", country_iso2="AU")),
    Case("au-bp-lowercase-state-code", "AU", "brightpearl",
         bp(addressLine1="1 Flinders St", addressLine3="melbourne", addressLine4="vic",
            postalCode="3000", countryIsoCode="AUS"),
         bp(addressLine1="1 Flinders St", addressLine3="Melbourne", addressLine4="VIC",
            postalCode="3000", countryIsoCode="AUS")),
    Case("au-sf-three-digit-postcode-is-flagged", "AU", "salesforce",
         sf(MailingStreet="1 Smith St", MailingCity="Darwin", MailingState="NT",
            MailingPostalCode="800", MailingCountry="Australia"),
         sf(MailingStreet="1 Smith St", MailingCity="Darwin", MailingState="NT",
            MailingPostalCode="800", MailingCountry="Australia"),
         invalid=("MailingPostalCode",)),
    Case("nz-bc-lowercase-name-and-code", "NZ", "bigcommerce",
         bc(street_1="1 Lambton Quay", city="wellington", zip="6011", country="new zealand",
            country_iso2="nz"),
         bc(street_1="1 Lambton Quay", city="Wellington", zip="6011", country="New Zealand",
            country_iso2="NZ")),
    # -- Japan ---------------------------------------------------------------------------
    Case("jp-bc-compact-postcode", "JP", "bigcommerce",
         bc(street_1="1-1 Chiyoda", city="Tokyo", zip="1000001", country="Japan",
            country_iso2="JP"),
         bc(street_1="1-1 Chiyoda", city="Tokyo", zip="100-0001", country="Japan",
            country_iso2="JP")),
    Case("jp-sf-kanji-country", "JP", "salesforce",
         sf(MailingStreet="北区梅田3-1-1", MailingCity="大阪市", MailingPostalCode="5300001",
            MailingCountry="日本"),
         sf(MailingStreet="北区梅田3-1-1", MailingCity="大阪市", MailingPostalCode="530-0001",
            MailingCountry="Japan")),
    # -- Brazil --------------------------------------------------------------------------
    Case("br-bc-brasil-state-name", "BR", "bigcommerce",
         bc(street_1="Av. Paulista 1578", city="SÃO PAULO", state="São Paulo",
            zip="01310200", country="Brasil"),
         bc(street_1="Av. Paulista 1578", city="São Paulo", state="SP", zip="01310-200",
            country="Brazil", country_iso2="BR")),
    Case("br-bp-rio-lowercase", "BR", "brightpearl",
         bp(addressLine1="Av. Rio Branco 1", addressLine3="rio de janeiro",
            addressLine4="rj", postalCode="20090-003", countryIsoCode="BRA"),
         bp(addressLine1="Av. Rio Branco 1", addressLine3="Rio de Janeiro",
            addressLine4="RJ", postalCode="20090-003", countryIsoCode="BRA")),
    # -- Poland --------------------------------------------------------------------------
    Case("pl-infor-warszawa-caps-compact", "PL", "infor",
         infor(CUA1="ul. Świętokrzyska 18", CUA2="lok. 4", TOWN="WARSZAWA", PONO="00116",
               CSCD="PL"),
         infor(CUA1="ul. Świętokrzyska 18", CUA2="lok. 4", TOWN="Warszawa", PONO="00-116",
               CSCD="PL")),
    Case("pl-bc-customer-polska-voivodeship-kept", "PL", "bigcommerce",
         bc_customer(address1="ul. Floriańska 27/4", city="kraków",
                     state_or_province="małopolskie", postal_code="31019",
                     country="Polska"),
         bc_customer(address1="ul. Floriańska 27/4", city="Kraków",
                     state_or_province="małopolskie", postal_code="31-019",
                     country="Poland", country_code="PL")),
    # -- Nordics -------------------------------------------------------------------------
    Case("se-bp-contact-compact-postcode", "SE", "brightpearl",
         bp_contact(addressLine1="Strandvägen 7A", addressLine3="STOCKHOLM",
                    addressLine4="Stockholms län", postalCode="11456", countryIsoCode="SWE"),
         bp_contact(addressLine1="Strandvägen 7A", addressLine3="Stockholm",
                    addressLine4="Stockholms län", postalCode="114 56",
                    countryIsoCode="SWE")),
    Case("se-bc-sverige-s-prefix", "SE", "bigcommerce",
         bc(street_1="Kungsportsavenyen 1", city="Göteborg", zip="S-411 36",
            country="Sverige"),
         bc(street_1="Kungsportsavenyen 1", city="Göteborg", zip="411 36", country="Sweden",
            country_iso2="SE")),
    Case("dk-syspro-kobenhavn-caps-danmark", "DK", "syspro",
         syspro(SoldToAddr1="Nørrebrogade 42", SoldToAddr3="KØBENHAVN N",
                SoldToAddr5="Danmark", SoldPostalCode="2200"),
         syspro(SoldToAddr1="Nørrebrogade 42", SoldToAddr3="København N",
                SoldToAddr5="Denmark", SoldPostalCode="2200")),
    Case("no-bc-norge-caps", "NO", "bigcommerce",
         bc(street_1="Karl Johans gate 1", city="OSLO", zip="0154", country="Norge"),
         bc(street_1="Karl Johans gate 1", city="Oslo", zip="0154", country="Norway",
            country_iso2="NO")),
    Case("fi-bp-lowercase-city-alpha3", "FI", "brightpearl",
         bp(addressLine1="Mannerheimintie 1", addressLine3="helsinki", postalCode="00100",
            countryIsoCode="FIN"),
         bp(addressLine1="Mannerheimintie 1", addressLine3="Helsinki", postalCode="00100",
            countryIsoCode="FIN")),
    # -- Southern and central Europe -----------------------------------------------------
    Case("es-gp-espana-caps", "ES", "dynamics_gp",
         gp(ADDRESS1="Calle de Alcalá 1", CITY="MADRID", STATE="Madrid", ZIPCODE="28014",
            COUNTRY="España"),
         gp(ADDRESS1="Calle de Alcalá 1", CITY="Madrid", STATE="Madrid", ZIPCODE="28014",
            COUNTRY="Spain", CCode="ES")),
    Case("it-syspro-italia-roma", "IT", "syspro",
         syspro(SoldToAddr1="Via del Corso 1", SoldToAddr3="ROMA", SoldToAddr5="Italia",
                SoldPostalCode="00186"),
         syspro(SoldToAddr1="Via del Corso 1", SoldToAddr3="Roma", SoldToAddr5="Italy",
                SoldPostalCode="00186")),
    Case("ch-bc-schweiz-ch-prefix", "CH", "bigcommerce",
         bc(street_1="Bahnhofstrasse 1", city="zürich", zip="CH-8001", country="Schweiz"),
         bc(street_1="Bahnhofstrasse 1", city="Zürich", zip="8001", country="Switzerland",
            country_iso2="CH")),
    Case("at-infor-wien-a-prefix", "AT", "infor",
         infor(CUA1="Stephansplatz 1", TOWN="WIEN", PONO="A-1010", CSCD="AT"),
         infor(CUA1="Stephansplatz 1", TOWN="Wien", PONO="1010", CSCD="AT")),
    Case("be-bp-bruxelles-caps", "BE", "brightpearl",
         bp(addressLine1="Grand-Place 1", addressLine3="BRUXELLES", postalCode="1000",
            countryIsoCode="BEL"),
         bp(addressLine1="Grand-Place 1", addressLine3="Bruxelles", postalCode="1000",
            countryIsoCode="BEL")),
    Case("pt-bc-compact-postcode", "PT", "bigcommerce",
         bc(street_1="Praça do Comércio", city="LISBOA", zip="1100148", country="Portugal",
            country_iso2="PT"),
         bc(street_1="Praça do Comércio", city="Lisboa", zip="1100-148", country="Portugal",
            country_iso2="PT")),
    Case("cz-infor-praha-compact", "CZ", "infor",
         infor(CUA1="Václavské náměstí 1", TOWN="Praha", PONO="11000", CSCD="cz"),
         infor(CUA1="Václavské náměstí 1", TOWN="Praha", PONO="110 00", CSCD="CZ")),
    # -- Elsewhere -----------------------------------------------------------------------
    Case("mx-sf-mexico-accented", "MX", "salesforce",
         sf(MailingStreet="Paseo de la Reforma 1", MailingCity="Ciudad de México",
            MailingPostalCode="06600", MailingCountry="México"),
         sf(MailingStreet="Paseo de la Reforma 1", MailingCity="Ciudad de México",
            MailingPostalCode="06600", MailingCountry="Mexico")),
    Case("in-gp-new-delhi-spaced-pin", "IN", "dynamics_gp",
         gp(ADDRESS1="1 Janpath", CITY="NEW DELHI", ZIPCODE="110 001", COUNTRY="india"),
         gp(ADDRESS1="1 Janpath", CITY="New Delhi", ZIPCODE="110001", COUNTRY="India",
            CCode="IN")),
    Case("sg-bc-no-rule-needed-trimmed", "SG", "bigcommerce",
         bc(street_1=" 1 Raffles Place ", city="Singapore", zip="048616",
            country="Singapore", country_iso2="sg"),
         bc(street_1="1 Raffles Place", city="Singapore", zip="048616",
            country="Singapore", country_iso2="SG")),
    Case("kr-sf-account-korea-republic", "KR", "salesforce",
         sf_account(BillingStreet="110 Sejong-daero", BillingCity="SEOUL",
                    BillingPostalCode="04524", BillingCountry="Republic of Korea"),
         sf_account(BillingStreet="110 Sejong-daero", BillingCity="Seoul",
                    BillingPostalCode="04524", BillingCountry="South Korea",
                    BillingCountryCode="KR")),
    # -- Cannot be valid -----------------------------------------------------------------
    Case("unknown-country-name-is-flagged", "", "bigcommerce",
         bc(street_1="1 Harbour Rd", city="Poseidonis", zip="12345", country="Atlantis"),
         bc(street_1="1 Harbour Rd", city="Poseidonis", zip="12345", country="Atlantis"),
         invalid=("billing_address.country",)),
    Case("unknown-country-code-is-flagged", "", "brightpearl",
         bp(addressLine1="1 High St", addressLine3="Leeds", postalCode="LS1 4AP",
            countryIsoCode="XYZ"),
         bp(addressLine1="1 High St", addressLine3="Leeds", postalCode="LS1 4AP",
            countryIsoCode="XYZ"),
         invalid=("parties.delivery.countryIsoCode",)),
    Case("no-street-is-flagged", "GB", "bigcommerce",
         bc(city="London", zip="EC1A 1BB", country="United Kingdom", country_iso2="GB"),
         bc(city="London", zip="EC1A 1BB", country="United Kingdom", country_iso2="GB"),
         invalid=("billing_address.street_1",)),
    Case("no-city-is-flagged", "DE", "dynamics_gp",
         gp(ADDRESS1="Königsallee 27", ZIPCODE="40212", COUNTRY="Germany", CCode="DE"),
         gp(ADDRESS1="Königsallee 27", ZIPCODE="40212", COUNTRY="Germany", CCode="DE"),
         invalid=("CITY",)),
    Case("name-and-code-disagreeing-is-flagged", "GB", "bigcommerce",
         bc(street_1="10 Downing St", city="London", zip="SW1A 2AA", country="France",
            country_iso2="GB"),
         bc(street_1="10 Downing St", city="London", zip="SW1A 2AA", country="France",
            country_iso2="GB"),
         invalid=("billing_address.country",)),
    Case("no-country-is-flagged", "", "infor",
         infor(CUA1="1 High St", TOWN="Leeds", PONO="LS1 4AP"),
         infor(CUA1="1 High St", TOWN="Leeds", PONO="LS1 4AP"),
         invalid=("CSCD",)),
    Case("no-postcode-where-one-is-required-is-flagged", "US", "syspro",
         syspro(SoldToAddr1="1 Main St", SoldToAddr3="Denver", SoldToAddr4="CO",
                SoldToAddr5="United States"),
         syspro(SoldToAddr1="1 Main St", SoldToAddr3="Denver", SoldToAddr4="CO",
                SoldToAddr5="United States"),
         invalid=("Customer.SoldPostalCode",)),
]
