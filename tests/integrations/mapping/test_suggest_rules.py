"""Suggestions beyond names: vendor codes, address roles, the record's own id, list items,
and the rule (with its transform) each suggestion comes with."""

from integrations.mapping.suggest import (
    Candidate,
    rule_check,
    rule_for,
    sample_candidates,
    suggest,
    tokens,
    with_rules,
)


def paths(target: str, rule: dict, candidates: list[Candidate], **kwargs) -> list[str]:
    return [s.path for s in suggest(target, rule, candidates, **kwargs)]


def test_vendor_field_codes_read_as_the_words_they_stand_for():
    assert tokens("CUNO") == tokens("customer_number")
    assert tokens("ITEMNMBR") == tokens("itemNumber")


def test_an_m3_code_finds_the_field_it_names():
    candidates = [Candidate("parties.customer.addressLine1", "string", "1 High St"),
                  Candidate("parties.customer.contactId", "integer", 207),
                  Candidate("warehouseId", "integer", 2)]
    assert paths("CUNO", {"type": "string", "max_length": 10}, candidates)[0] == (
        "parties.customer.contactId")


def test_a_billing_field_reads_the_billing_address_before_the_delivery_one():
    candidates = [Candidate("parties.delivery.addressLine3", "string", "Lund"),
                  Candidate("parties.billing.addressLine3", "string", "Malmo")]
    assert paths("BillingCity", {"type": "string"}, candidates)[0] == (
        "parties.billing.addressLine3")


def test_a_field_without_a_role_reads_the_primary_telephone():
    candidates = [Candidate("postalAddresses.BIL.telephone", "string", "+46 40 123 45"),
                  Candidate("communication.telephones.PRI", "string", "+46 40 999 99")]
    assert paths("Phone", {"type": "string"}, candidates)[0] == "communication.telephones.PRI"


def test_an_id_named_after_the_source_system_is_the_records_own_id():
    candidates = [Candidate("id", "integer", 1001), Candidate("priceListId", "integer", 2),
                  Candidate("parentOrderId", "integer", 9)]
    found = paths("Brightpearl_Id__c", {"type": "string"}, candidates,
                  record=("brightpearl", "order"))
    assert found[0] == "id"


def test_an_id_inside_another_object_is_not_the_records_own_id():
    candidates = [Candidate("id", "integer", 1001),
                  Candidate("parties.customer.contactId", "integer", 207)]
    found = suggest("Account.Brightpearl_Id__c", {"type": "string"}, candidates,
                    record=("brightpearl", "order"))
    assert not any("the record's own id" in s.reason for s in found)


def test_a_lines_own_field_comes_before_the_records_field_of_the_same_name():
    candidates = [Candidate("$root.totalValue.taxAmount", "decimal", "4.00"),
                  Candidate("rowValue.rowTax.value", "decimal", "2.00")]
    assert paths("Lines[].TAXAMNT", {"type": "decimal"}, candidates)[0] == (
        "rowValue.rowTax.value")


def test_candidates_include_the_first_list_item_and_header_fields_of_lines():
    record = {"id": 7, "shipping_addresses": [{"city": "Lund"}],
              "products": [{"sku": "A-1", "quantity": 2}]}

    header = {c.path for c in sample_candidates(record)}
    lines = {c.path for c in sample_candidates(record, lines="products")}

    assert "shipping_addresses[0].city" in header
    assert {"sku", "quantity", "$root.id"} <= lines
    assert "$root.products" not in lines


def test_an_rfc_2822_date_for_an_m3_date_field_is_converted_to_yyyymmdd():
    rule, note = rule_for("ORDT", {"type": "string", "pattern": r"\d{8}"},
                          Candidate("date_created", "string", "Tue, 04 Mar 2025 14:02:00 +0000"))
    assert rule == {"from": "date_created", "transform": [
        {"date": {"from": "%a, %d %b %Y %H:%M:%S %z", "to": "%Y%m%d"}}]}
    assert "date" in note
    assert rule_check(rule) == []


def test_an_iso_date_for_an_iso_field_needs_no_transform():
    rule, _ = rule_for("placedOn", {"type": "string"},
                       Candidate("createdOn", "string", "2025-03-04T14:02:00+00:00"))
    assert rule == {"from": "createdOn"}


def test_numbers_and_text_are_converted_to_the_target_type():
    as_int, _ = rule_for("customerId", {"type": "integer"}, Candidate("customer_id", "string",
                                                                       "42"))
    as_text, _ = rule_for("reference", {"type": "string"}, Candidate("id", "integer", 1007))
    as_decimal, _ = rule_for("price", {"type": "decimal", "scale": 2},
                             Candidate("price", "string", "19.99"))
    assert as_int["transform"] == ["to_int"]
    assert as_text["transform"] == ["to_string"]
    assert as_decimal["transform"] == [{"to_decimal": {"places": 2}}]


def test_a_value_outside_the_targets_choices_gets_a_lookup_onto_them():
    rule, _ = rule_for("paymentMethodCode", {"type": "string", "choices": ["CARD", "PAYPAL"]},
                       Candidate("method", "string", "paypal_express"))
    assert rule["transform"] == [{"lookup": {"map": {"paypal_express": "PAYPAL"},
                                             "on_miss": "fail"}}]
    assert rule_check(rule) == []


def test_a_full_name_target_joins_first_and_last_name():
    candidates = [Candidate("billing.first_name", "string", "Ann"),
                  Candidate("billing.last_name", "string", "Berg")]
    [best, *_] = with_rules("addressFullName", {"type": "string"},
                            suggest("addressFullName", {"type": "string"}, candidates),
                            candidates)
    assert best.rule == {"concat": ["billing.first_name", "billing.last_name"], "sep": " "}
    assert rule_check(best.rule) == []


def test_text_longer_than_the_target_allows_is_truncated():
    rule, _ = rule_for("CUSTNMBR", {"type": "string", "max_length": 5},
                       Candidate("reference", "string", "ABCDEFGH"))
    assert rule["transform"] == [{"truncate": 5}]
