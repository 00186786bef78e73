from decimal import Decimal

from tests.integrations.mapping.helpers import run, value

ROWS = {"orderRows": {
    "11": {"sku": "a", "qty": "2", "price": "10.00", "net": "20.00", "type": "stock"},
    "12": {"sku": "b", "qty": "1", "price": "5.50", "net": "4.95", "type": "service"},
}}


def test_calc_adds_net_and_tax_exactly():
    spec = {"calc": "add", "args": ["net", "tax"]}
    assert value(spec, {"net": 0.1, "tax": 0.2}) == Decimal("0.3")


def test_calc_applies_a_discount_percentage():
    spec = {"calc": "sub", "args": ["price", {"calc": "pct", "args": ["price", "discount"]}],
            "transform": [{"round": 2}]}
    assert value(spec, {"price": "59.00", "discount": "10"}) == Decimal("53.10")


def test_calc_with_a_missing_operand_gives_null():
    assert value({"calc": "mul", "args": ["qty", "price"]}, {"qty": "2"}) is None


def test_calc_division_by_zero_is_a_problem():
    result = run({"X": {"calc": "div", "args": ["a", "b"]}}, {"a": "1", "b": "0"})
    (problem,) = result.problems
    assert (problem.target_path, problem.kind) == ("X", "calc")


def test_calc_on_text_is_a_problem_naming_the_sources():
    result = run({"X": {"calc": "add", "args": ["a", "b"]}}, {"a": "1", "b": "two"})
    (problem,) = result.problems
    assert problem.source_path == "a, b"
    assert "'two' is not a number" in problem.message


def test_aggregate_sums_line_totals():
    spec = {"aggregate": "sum", "over": "orderRows", "of": "net"}
    assert value(spec, ROWS) == Decimal("24.95")


def test_aggregate_counts_lines():
    assert value({"aggregate": "count", "over": "orderRows"}, ROWS) == 2


def test_aggregate_with_where_counts_only_matching_lines():
    spec = {"aggregate": "sum", "over": "orderRows", "of": "net",
            "where": {"from": "type", "eq": "stock"}}
    assert value(spec, ROWS) == Decimal("20.00")


def test_aggregate_sums_stock_across_warehouses():
    record = {"warehouses": {"2": {"available": 5}, "3": {"available": 7}}}
    assert value({"aggregate": "sum", "over": "warehouses", "of": "available"}, record) == 12


def test_aggregate_join_and_max():
    assert value({"aggregate": "join", "over": "orderRows", "of": "sku", "sep": "|"}, ROWS) == "a|b"
    assert value({"aggregate": "max", "over": "orderRows", "of": "price"}, ROWS) == Decimal("10.00")


def test_aggregate_over_nothing_sums_to_zero():
    assert value({"aggregate": "sum", "over": "orderRows", "of": "net"}, {}) == 0


def test_aggregate_with_a_bad_line_value_is_a_problem():
    record = {"orderRows": {"1": {"net": "1"}, "2": {"net": "x"}}}
    result = run({"T": {"aggregate": "sum", "over": "orderRows", "of": "net"}}, record)
    assert result.problems[0].target_path == "T"


def test_each_maps_order_rows_to_lines_in_order():
    spec = {"each": "orderRows", "fields": {
        "PONR": "$position", "ROWID": "$key", "ITNO": {"from": "sku", "transform": ["upper"]},
        "ORQT": {"from": "qty", "transform": ["to_int"]},
        "WHLO": "$root.warehouse",
    }}
    record = dict(ROWS, warehouse="STO")
    assert value(spec, record) == [
        {"PONR": 1, "ROWID": "11", "ITNO": "A", "ORQT": 2, "WHLO": "STO"},
        {"PONR": 2, "ROWID": "12", "ITNO": "B", "ORQT": 1, "WHLO": "STO"},
    ]


def test_each_with_where_skips_lines():
    spec = {"each": "orderRows", "where": {"from": "type", "eq": "stock"}, "fields": {"s": "sku"}}
    assert value(spec, ROWS) == [{"s": "a"}]


def test_problem_in_a_line_names_the_line_and_the_source_row():
    record = {"orderRows": {"11": {"sku": "a"}, "12": {"sku": None}}}
    fields = {"Lines": {"each": "orderRows", "fields": {"ITNO": {"from": "sku", "required": True}}}}
    (problem,) = run(fields, record).problems
    assert problem.target_path == "Lines[1].ITNO"
    assert problem.source_path == "orderRows.12.sku"


def test_date_converts_iso_to_m3_date_in_the_company_time_zone():
    spec = {"from": "placedOn", "transform": [{"date": {"to": "%Y%m%d", "tz": "Europe/Stockholm"}}]}
    assert value(spec, {"placedOn": "2024-03-05T23:30:00.000+00:00"}) == "20240306"


def test_date_without_zone_is_read_in_the_assumed_zone():
    spec = {"from": "d", "transform": [{"date": {"from": "%d/%m/%Y %H:%M", "to": "iso",
                                                 "assume_tz": "America/New_York", "tz": "UTC"}}]}
    assert value(spec, {"d": "05/03/2024 20:00"}) == "2024-03-06T01:00:00+00:00"


def test_date_to_unix_seconds_and_back():
    to_unix = {"from": "d", "transform": [{"date": {"to": "unix"}}]}
    assert value(to_unix, {"d": "1970-01-02T00:00:00Z"}) == 86400
    from_unix = {"from": "t", "transform": [{"date": {"from": "unix", "to": "date"}}]}
    assert value(from_unix, {"t": 86400}) == "1970-01-02"


def test_unparseable_date_is_a_problem_not_a_traceback():
    result = run({"ORDT": {"from": "d", "transform": [{"date": {"to": "%Y%m%d"}}]}}, {"d": "soon"})
    (problem,) = result.problems
    assert (problem.target_path, problem.source_path, problem.kind) == ("ORDT", "d", "date")


def test_currency_conversion_uses_the_rate_table():
    spec = {"convert_currency": "total", "from_currency": "currency",
            "to_currency": {"const": "SEK"}, "transform": [{"round": 2}]}
    rates = {"EUR": {"SEK": "11.2450"}}
    assert value(spec, {"total": "100.00", "currency": "EUR"}, rates=rates) == Decimal("1124.50")


def test_currency_conversion_uses_the_inverse_rate_when_needed():
    spec = {"convert_currency": "total", "from_currency": {"const": "SEK"},
            "to_currency": {"const": "EUR"}, "transform": [{"round": 2}]}
    assert value(spec, {"total": "112.45"}, rates={"EUR": {"SEK": "11.2450"}}) == Decimal("10.00")


def test_currency_conversion_without_a_rate_is_a_problem():
    spec = {"convert_currency": "total", "from_currency": {"const": "USD"},
            "to_currency": {"const": "SEK"}}
    result = run({"X": spec}, {"total": "1"}, rates={"EUR": {"SEK": "11"}})
    assert "no exchange rate from USD to SEK" in result.problems[0].message


def test_same_currency_needs_no_rate():
    spec = {"convert_currency": "t", "from_currency": "c", "to_currency": {"const": "EUR"}}
    assert value(spec, {"t": "5", "c": "eur"}) == Decimal("5")
