"""Suggestions read the rest of the mapping and what known mappings read for such a field."""

from integrations.mapping.suggest import Candidate, suggest
from integrations.mapping.suggest_memory import (
    Correspondence,
    MappingMemory,
    document_sources,
)

ADDRESSES = [Candidate("billing_address.city", "string", "Lund"),
             Candidate("shipping_addresses[0].city", "string", "Malmö")]


def paths(target: str, candidates: list[Candidate], **kwargs) -> list[str]:
    return [s.path for s in suggest(target, {"type": "string"}, candidates, **kwargs)]


def shop_to_erp(fields: dict) -> dict:
    return {"format_version": 1, "source": {"system": "shop", "entity": "order"},
            "target": {"system": "erp", "entity": "order"}, "fields": fields}


# --- the rest of the mapping ------------------------------------------------------------------
def test_fields_beside_the_target_choose_the_source_object_they_read():
    mapped = {"consignee.street": ("shipping_addresses[0].street_1",),
              "consignee.postcode": ("shipping_addresses[0].zip",)}

    assert paths("consignee.city", ADDRESSES)[0] == "billing_address.city"
    assert paths("consignee.city", ADDRESSES, mapped=mapped)[0] == (
        "shipping_addresses[0].city")


def test_fields_elsewhere_in_the_mapping_do_not_choose_the_source_object():
    mapped = {"invoice.street": ("shipping_addresses[0].street_1",)}

    assert paths("consignee.city", ADDRESSES, mapped=mapped)[0] == "billing_address.city"


def test_the_reason_says_where_the_fields_beside_it_read():
    mapped = {"consignee.street": ("shipping_addresses[0].street_1",)}

    best = suggest("consignee.city", {"type": "string"}, ADDRESSES, mapped=mapped)[0]

    assert "fields beside it read shipping_addresses[0]" in best.reason


def test_a_field_of_each_line_reads_the_line_when_its_siblings_do():
    candidates = [Candidate("$root.name", "string"), Candidate("item.name", "string")]
    mapped = {"rows[].sku": ("sku",), "rows[].quantity": ("quantity",)}

    assert paths("rows[].name", candidates, mapped=mapped)[0] == "item.name"


def test_a_source_field_another_field_reads_is_less_likely_but_still_offered():
    candidates = [Candidate("order_id", "string")]
    alone = suggest("order_number", {"type": "string"}, candidates)
    mapped = {"external_id": ("order_id",), "notes": ("comment",)}

    [reused] = suggest("order_number", {"type": "string"}, candidates, mapped=mapped)

    assert reused.path == "order_id"
    assert reused.score < alone[0].score
    assert "already read by another field" in reused.reason


def test_a_header_field_read_again_in_the_lines_is_not_held_against_it():
    candidates = [Candidate("$root.placed", "string"), Candidate("note", "string")]
    mapped = {"rows[].note": ("note",), "date": ("placed",)}

    [found] = suggest("rows[].placed", {"type": "string"}, candidates, mapped=mapped)

    assert "already read by another field" not in found.reason


# --- the mapping memory -----------------------------------------------------------------------
def test_a_field_known_mappings_read_is_suggested_whatever_its_name():
    memory = MappingMemory.of_documents([shop_to_erp({"CUSTREF": "buyer_token"})])
    candidates = [Candidate("buyer_token", "string"), Candidate("notes", "string")]

    assert paths("CUSTREF", candidates) == []
    [best] = suggest("CUSTREF", {"type": "string"}, candidates, memory=memory,
                     systems=("shop", "erp"))
    assert best.path == "buyer_token"
    assert "known mappings" in best.reason


def test_the_memory_counts_a_mapping_the_other_way_round_too():
    memory = MappingMemory.of_documents([shop_to_erp({"CUSTREF": "buyer_token"})])

    found = paths("buyer_token", [Candidate("CUSTREF", "string"), Candidate("NOTES", "string")],
                  memory=memory, systems=("erp", "shop"))

    assert found == ["CUSTREF"]


def test_the_memory_backs_off_to_the_targets_words_in_another_target_system():
    memory = MappingMemory.of_documents([shop_to_erp({"customer_reference": "buyer_token"})])

    found = paths("CustomerReference", [Candidate("buyer_token", "string")], memory=memory,
                  systems=("shop", "crm"))

    assert found == ["buyer_token"]


def test_what_the_memory_knows_is_for_its_source_system_only():
    memory = MappingMemory.of_documents([shop_to_erp({"CUSTREF": "buyer_token"})])

    score, _ = memory.score("erp", "CUSTREF", "otherShop", "buyer_token")

    assert score < memory.score("erp", "CUSTREF", "shop", "buyer_token")[0]


def test_more_mappings_that_agree_say_more_than_one():
    one = MappingMemory.of_documents([shop_to_erp({"CUSTREF": "buyer_token"})])
    three = MappingMemory.of_documents([shop_to_erp({"CUSTREF": "buyer_token"})] * 3)

    assert three.score("erp", "CUSTREF", "shop", "buyer_token")[0] > one.score(
        "erp", "CUSTREF", "shop", "buyer_token")[0]


def test_a_correspondence_counts_once_per_mapping_however_many_versions_have_it():
    seen = Correspondence("erp", "CUSTREF", "shop", "buyer_token")

    once = MappingMemory.of([[seen]])
    versions = MappingMemory.of([[seen, seen, seen]])

    assert versions.score("erp", "CUSTREF", "shop", "buyer_token") == once.score(
        "erp", "CUSTREF", "shop", "buyer_token")


def test_a_mapping_disagreeing_with_another_lowers_its_share():
    agreed = MappingMemory.of_documents([shop_to_erp({"CUSTREF": "buyer_token"})] * 2)
    split = MappingMemory.of_documents([shop_to_erp({"CUSTREF": "buyer_token"}),
                                        shop_to_erp({"CUSTREF": "cart_id"})])

    assert split.score("erp", "CUSTREF", "shop", "buyer_token")[0] < agreed.score(
        "erp", "CUSTREF", "shop", "buyer_token")[0]


def test_document_sources_lists_what_each_target_field_reads():
    document = shop_to_erp({
        "ref": {"concat": [{"const": "BC-"}, "id"], "sep": ""},
        "email": {"coalesce": ["billing.email", {"from": "customer.email"}]},
        "placed": {"from": "date_created", "transform": [{"date": {}}]},
        "fixed": {"const": "A01"},
        "rows": {"each": "products", "fields": {"sku": "sku", "ordered": "$root.id"}},
        "delivery": {"object": {"city": "shipping_addresses[0].city"}},
    })

    assert document_sources(document) == {
        "ref": ("id",), "email": ("billing.email", "customer.email"),
        "placed": ("date_created",), "rows": ("products",), "rows[].sku": ("sku",),
        "rows[].ordered": ("$root.id",), "delivery.city": ("shipping_addresses[0].city",)}


def test_the_evals_memory_leaves_the_hidden_flows_mapping_out():
    from bench.eval_suggest import memory_without
    from integrations.mapping.suggest_memory import template_correspondences

    groups = template_correspondences()
    key = ("brightpearl-bigcommerce", "payment-bc-to-bp")
    everything = MappingMemory.of(groups.values())

    assert memory_without(key).size == everything.size - len(set(groups[key]))
    assert memory_without(key[:1]).size == everything.size - sum(
        len(set(group)) for k, group in groups.items() if k[0] == key[0])
