from decimal import Decimal

from tests.integrations.mapping.helpers import run, value


def test_concat_joins_first_and_last_name():
    spec = {"concat": ["firstName", "lastName"], "sep": " "}
    assert value(spec, {"firstName": "Anna", "lastName": "Berg"}) == "Anna Berg"


def test_concat_skips_empty_parts():
    spec = {"concat": ["a", "b", "c"], "sep": ", "}
    assert value(spec, {"a": "x", "b": "", "c": "z"}) == "x, z"


def test_concat_turns_numbers_into_text():
    assert value({"concat": [{"const": "BP"}, "id"]}, {"id": 207}) == "BP207"


def test_split_takes_the_first_word():
    spec = {"from": "name", "transform": [{"split": {"sep": " ", "index": 0, "max": 1}}]}
    assert value(spec, {"name": "Anna Maria Berg"}) == "Anna"


def test_split_with_max_keeps_the_rest_together():
    spec = {"from": "name", "transform": [{"split": {"sep": " ", "index": 1, "max": 1}}]}
    assert value(spec, {"name": "Anna Maria Berg"}) == "Maria Berg"


def test_split_past_the_end_gives_null():
    spec = {"from": "name", "transform": [{"split": {"index": 1}}]}
    assert value(spec, {"name": "Cher"}) is None


def test_coalesce_takes_the_first_non_empty_value():
    spec = {"coalesce": ["company", "fullName"]}
    assert value(spec, {"company": "", "fullName": "Anna Berg"}) == "Anna Berg"


def test_text_steps_upper_trim_truncate_pad_and_replace():
    spec = {"from": "sku", "transform": ["trim", "upper", {"replace": {"old": "-", "new": ""}},
                                         {"truncate": 6}, {"pad_left": {"length": 8}}]}
    assert value(spec, {"sku": "  tent-2p-green "}) == "00TENT2P"


def test_upper_on_a_number_is_a_problem():
    result = run({"X": {"from": "n", "transform": ["upper"]}}, {"n": 5})
    assert result.problems[0].kind == "upper"


def test_to_string_writes_decimals_without_exponent():
    assert value({"from": "n", "transform": ["to_string"]}, {"n": Decimal("1E+2")}) == "100"


def test_to_string_writes_booleans_as_words():
    assert value({"from": "b", "transform": ["to_string"]}, {"b": True}) == "true"


def test_to_int_reads_whole_numbers_from_text():
    assert value({"from": "n", "transform": ["to_int"]}, {"n": " 42 "}) == 42


def test_to_int_refuses_fractions_with_a_readable_problem():
    result = run({"QTY": {"from": "n", "transform": ["to_int"]}}, {"n": "1.5"})
    (problem,) = result.problems
    assert (problem.target_path, problem.kind) == ("QTY", "to_int")
    assert "not a whole number" in problem.message


def test_to_decimal_reads_floats_without_drift():
    assert value({"from": "n", "transform": ["to_decimal"]}, {"n": 0.1}) == Decimal("0.1")


def test_to_decimal_with_places_rounds_half_up_by_default():
    spec = {"from": "n", "transform": [{"to_decimal": {"places": 2}}]}
    assert value(spec, {"n": "2.345"}) == Decimal("2.35")


def test_round_can_use_bankers_rounding():
    spec = {"from": "n", "transform": [{"round": {"places": 2, "rounding": "half_even"}}]}
    assert value(spec, {"n": "2.345"}) == Decimal("2.34")


def test_round_rejects_not_a_number_text():
    result = run({"P": {"from": "n", "transform": [{"round": 2}]}}, {"n": "abc"})
    (problem,) = result.problems
    assert (problem.target_path, problem.source_path) == ("P", "n")
    assert "not a number" in problem.message


def test_round_rejects_nan():
    result = run({"P": {"from": "n", "transform": [{"round": 2}]}}, {"n": "NaN"})
    assert result.problems[0].kind == "to_decimal"


def test_to_bool_understands_yes_and_no_words():
    spec = {"from": "f", "transform": ["to_bool"]}
    assert [value(spec, {"f": w}) for w in ("Yes", "n", "1", "false")] == [True, False, True, False]


def test_to_bool_accepts_custom_words():
    spec = {"from": "f", "transform": [{"to_bool": {"true": ["J"], "false": ["N"]}}]}
    assert value(spec, {"f": "j"}) is True


def test_to_bool_refuses_unknown_words():
    result = run({"F": {"from": "f", "transform": ["to_bool"]}}, {"f": "maybe"})
    assert result.problems[0].kind == "to_bool"


def test_boolean_to_target_codes_uses_an_inline_map():
    spec = {"from": "f", "transform": [{"lookup": {"map": {"true": "Y", "false": "N"}}}]}
    assert value(spec, {"f": True}) == "Y"
