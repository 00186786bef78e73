"""Reference tables for address cleansing: what ISO 3166 (via pycountry) does not say.

pycountry supplies every country's codes and names and every ISO 3166-2 subdivision; these
tables add the spellings people type that are not ISO names (``UK``, ``Deutschland``,
``Holland``), the everyday English name where ISO's is formal, and each country's postcode
format. A country without a postcode rule here gets its postcode trimmed and upper-cased but
is never called invalid: we only say a postcode cannot be valid where we know the format.
"""

from __future__ import annotations

from dataclasses import dataclass

# Spellings of countries that are not ISO 3166 names or codes, keyed by their normal form
# (see address._key: case folded, accents and punctuation dropped).
COUNTRY_ALIASES: dict[str, str] = {
    # United Kingdom: "UK" is ISO's exceptionally reserved code; the home nations are
    # constituent countries, not ISO 3166 countries, and post goes to GB.
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "united kingdom": "GB",
    "united kingdom of great britain": "GB",
    "us": "US", "usa": "US", "u s": "US", "u s a": "US", "america": "US",
    "united states": "US", "united states of america": "US",
    "deutschland": "DE", "bundesrepublik deutschland": "DE", "allemagne": "DE",
    "west germany": "DE",
    "holland": "NL", "the netherlands": "NL", "nederland": "NL",
    "kingdom of the netherlands": "NL",
    "eire": "IE", "republic of ireland": "IE", "ireland republic": "IE",
    "espana": "ES", "italia": "IT", "osterreich": "AT", "schweiz": "CH", "suisse": "CH",
    "svizzera": "CH", "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI",
    "polska": "PL", "belgie": "BE", "belgique": "BE", "belgien": "BE", "brasil": "BR",
    "mexico": "MX", "nippon": "JP", "nihon": "JP", "日本": "JP", "portugal": "PT",
    "cesko": "CZ", "ceska republika": "CZ", "czech republic": "CZ", "magyarorszag": "HU",
    "hellas": "GR", "ellada": "GR", "turkey": "TR", "russia": "RU", "south korea": "KR",
    "korea south": "KR", "republic of korea": "KR", "vietnam": "VN", "uae": "AE",
    "u a e": "AE", "emirates": "AE", "new zealand aotearoa": "NZ", "aotearoa": "NZ",
    "luxemburg": "LU", "hong kong sar": "HK", "prc": "CN", "peoples republic of china": "CN",
}

# The everyday English name where pycountry's (common_name, else name) is formal; Salesforce
# and ERP address lines hold these, and the pair templates' country tables are keyed by them.
COUNTRY_NAMES: dict[str, str] = {
    "RU": "Russia", "BN": "Brunei", "VA": "Vatican City",
    "CD": "Democratic Republic of the Congo", "CG": "Republic of the Congo",
    "FM": "Micronesia", "PS": "Palestine", "MO": "Macao", "HK": "Hong Kong",
    "NL": "Netherlands",  # iso-codes has tried "Netherlands, Kingdom of the"
}


@dataclass(frozen=True)
class PostcodeRule:
    """A country's postcode: ``pattern`` matches it written without spaces or hyphens, its
    groups joined by ``layout`` give the written form."""

    pattern: str          # on the compact form: upper case, no spaces, hyphens or dots
    layout: str           # str.format over the groups: "{} {}"
    example: str
    describe: str         # "4 digits and 2 letters"
    required: bool = True  # an address in this country has one
    digits: int = 0       # all digits, this many: a digit fewer may be a lost leading zero


def _digits(n: int, layout: str = "{}", example: str = "", *, split: int = 0) -> PostcodeRule:
    pattern = rf"(\d{{{split}}})(\d{{{n - split}}})" if split else rf"(\d{{{n}}})"
    sample = example or "".join(str((i + 1) % 10) for i in range(n))
    if split and not example:
        sample = layout.format(sample[:split], sample[split:])
    return PostcodeRule(pattern, layout, sample, f"{n} digits", digits=n)


_GB = PostcodeRule(r"(GIR|[A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})", "{} {}", "SW1A 1AA",
                   "an outward code and an inward code of a digit and 2 letters")

POSTCODE_RULES: dict[str, PostcodeRule] = {
    "GB": _GB, "JE": _GB, "GG": _GB, "IM": _GB,
    # ZIP or ZIP+4: a layout with more places than matched groups joins them as they are.
    "US": PostcodeRule(r"(\d{5})(\d{4})?", "{}-{}", "12345 or 12345-6789",
                       "5 digits or ZIP+4 (5 + 4 digits)", digits=5),
    "CA": PostcodeRule(r"([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(\d[ABCEGHJ-NPRSTV-Z]\d)",
                       "{} {}", "K1A 0B1", "letter-digit-letter digit-letter-digit"),
    "NL": PostcodeRule(r"([1-9]\d{3})([A-Z]{2})", "{} {}", "1234 AB", "4 digits and 2 letters"),
    "IE": PostcodeRule(r"([AC-FHKNPRTV-Y]\d{2}|D6W)([0-9AC-FHKNPRTV-Y]{4})", "{} {}",
                       "D02 X285", "an Eircode: a routing key and 4 characters",
                       required=False),
    "MT": PostcodeRule(r"([A-Z]{3})(\d{4})", "{} {}", "VLT 1117", "3 letters and 4 digits"),
    "BR": _digits(8, "{}-{}", "01310-100", split=5),
    "JP": _digits(7, "{}-{}", "100-0001", split=3),
    "PL": _digits(5, "{}-{}", "00-950", split=2),
    "PT": _digits(7, "{}-{}", "1000-001", split=4),
    "SE": _digits(5, "{} {}", "111 51", split=3),
    "CZ": _digits(5, "{} {}", "110 00", split=3),
    "SK": _digits(5, "{} {}", "811 01", split=3),
    "GR": _digits(5, "{} {}", "105 57", split=3),
    **{code: _digits(5, example=ex) for code, ex in {
        "DE": "10115", "FR": "75001", "IT": "00184", "ES": "28013", "FI": "00100",
        "EE": "10111", "HR": "10000", "MX": "06600", "TR": "34000", "KR": "03051",
        "MY": "50000", "TH": "10200", "UA": "01001", "LT": "01100", "MC": "98000",
    }.items()},
    **{code: _digits(4, example=ex) for code, ex in {
        "AU": "2000", "NZ": "6011", "AT": "1010", "BE": "1000", "CH": "8001", "LI": "9490",
        "DK": "1050", "NO": "0150", "HU": "1051", "ZA": "8001", "BG": "1000", "CY": "1010",
        "LU": "1009", "SI": "1000", "PH": "1000",
    }.items()},
    **{code: _digits(6, example=ex) for code, ex in {
        "IN": "110001", "SG": "018956", "CN": "100000", "RU": "101000", "RO": "010011",
        "VN": "100000", "KZ": "010000", "BY": "220050",
    }.items()},
}
# Letters that once went before a European postcode ("D-10115", "F-75001"), besides the
# country's own ISO alpha-2 code: dropped when what follows is a valid postcode.
POSTCODE_PREFIXES: dict[str, tuple[str, ...]] = {
    "DE": ("D",), "FR": ("F",), "AT": ("A",), "BE": ("B",), "IT": ("I",), "LU": ("L",),
    "SE": ("S",), "FI": ("FIN", "SF"), "NO": ("N",), "ES": ("E",), "PT": ("P",),
    "HU": ("H",),
}

# Countries whose addresses name the state or province by its code (ISO 3166-2 subdivision
# code without the country part): "California" is written "CA".
REGION_CODE_COUNTRIES = frozenset({"US", "CA", "AU", "BR"})

# Spellings of those regions that are neither the ISO name nor the code.
REGION_ALIASES: dict[str, dict[str, str]] = {
    "US": {"washington dc": "DC", "washington d c": "DC", "d c": "DC", "calif": "CA",
           "mass": "MA", "penn": "PA", "penna": "PA", "wash": "WA", "fla": "FL",
           "tex": "TX", "n y": "NY"},
    "CA": {"newfoundland": "NL", "labrador": "NL", "yukon territory": "YT", "pei": "PE",
           "p e i": "PE", "nwt": "NT", "que": "QC", "pq": "QC"},
    "AU": {"n s w": "NSW", "tasmania": "TAS", "vic": "VIC", "qld": "QLD",
           "australian capital territory": "ACT"},
    "BR": {},
}

# Lower-case words inside a place name written in title case ("Stratford-upon-Avon",
# "Frankfurt am Main", "Aix-en-Provence"); the first word is always capitalised.
CITY_SMALL_WORDS = frozenset({
    "upon", "on", "in", "under", "by", "the", "and", "of", "le", "la", "les", "de", "des",
    "du", "sur", "sous", "en", "et", "am", "im", "an", "der", "den", "dem", "bei", "ob",
    "van", "von", "aan", "op", "y", "del", "di", "da", "do", "dos", "das",
})
