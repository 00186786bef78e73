"""The learned-ranker experiment (bench/suggest_ranker.py) and the signals it reads."""

import pytest

from bench.suggest_ranker import FEATURES, Ranker, groups_of, hand_score, rows_of, train
from integrations.mapping.suggest import Candidate, candidate_signals, suggest
from integrations.mapping.suggest_memory import MappingMemory

ADDRESSES = [Candidate("billing_address.city", "string", "Lund"),
             Candidate("shipping_addresses[0].city", "string", "Malmö"),
             Candidate("customer_message", "string", "leave at the door"),
             Candidate("status_id", "integer", 11)]
BESIDE = {"consignee.street": ("shipping_addresses[0].street_1",),
          "consignee.postcode": ("shipping_addresses[0].zip",)}


def shop_to_erp(fields: dict) -> dict:
    return {"format_version": 1, "source": {"system": "shop", "entity": "order"},
            "target": {"system": "erp", "entity": "order"}, "fields": fields}


def rows(target: str, candidates: list[Candidate], **kwargs):
    mapped = kwargs.pop("mapped", None)
    return rows_of(target, candidate_signals(target, {"type": "string"}, candidates,
                                             mapped=mapped), **kwargs)


def test_candidate_signals_keep_a_weak_candidate_the_hand_ranker_leaves_out():
    signalled = {s.path: s for s in candidate_signals("city", {"type": "string"}, ADDRESSES)}

    assert "customer_message" not in [s.path for s in suggest("city", {"type": "string"},
                                                              ADDRESSES)]
    assert signalled["customer_message"].signals["kept"] == 0.0
    assert signalled["billing_address.city"].signals["kept"] == 1.0


def test_the_memory_levels_best_share_is_its_score():
    memory = MappingMemory.of_documents([shop_to_erp({"CUSTREF": "buyer_token"})])

    levels = memory.levels("erp", "CUSTREF", "shop", "buyer_token")

    assert len(levels) == 5
    assert max(share for share, _ in levels) == memory.score("erp", "CUSTREF", "shop",
                                                             "buyer_token")[0] > 0


def test_the_hand_feature_is_the_score_suggest_gives():
    memory = MappingMemory.of_documents([shop_to_erp({"consignee.city": "billing_address.city"})])
    kwargs = {"memory": memory, "systems": ("shop", "erp")}

    hand = {s.path: s.score for s in suggest("consignee.city", {"type": "string"}, ADDRESSES,
                                             mapped=BESIDE, **kwargs)}
    found = {row.path: row.features[FEATURES.index("hand")]
             for row in rows("consignee.city", ADDRESSES, mapped=BESIDE, **kwargs)}

    assert hand and all(found[path] == pytest.approx(score, abs=1e-3)
                        for path, score in hand.items())


def test_hand_score_takes_the_reused_penalty_off_the_blend():
    assert hand_score({"context": 1.0, "reused": 1.0}, 0.8, 0.5) < hand_score(
        {"context": 1.0}, 0.8, 0.5)


def test_features_are_the_same_whatever_order_the_candidates_come_in():
    forward = rows("consignee.city", ADDRESSES, mapped=BESIDE)
    backward = rows("consignee.city", list(reversed(ADDRESSES)), mapped=BESIDE)

    assert [(r.path, r.features) for r in forward] == [(r.path, r.features) for r in backward]
    assert all(len(r.features) == len(FEATURES) for r in forward)


def test_training_on_a_small_corpus_ranks_the_right_field_first():
    # Beside fields that read the shipping address, the shipping address's field is right.
    corpus = [
        (rows(f"consignee.{name}", [Candidate(f"billing_address.{name}", "string", "x"),
                                     Candidate(f"shipping_addresses[0].{name}", "string", "y"),
                                     Candidate("customer_message", "string", "z")],
              mapped={f"consignee.{other}": (f"shipping_addresses[0].{other}",)
                      for other in ("street", "zip", "phone") if other != name}),
         [f"shipping_addresses[0].{name}"])
        for name in ("street", "zip", "phone", "state", "country")]

    ranker = train(groups_of(corpus))
    ranked = ranker.rank(rows("consignee.city", ADDRESSES, mapped=BESIDE))

    assert ranked[0][0].path == "shipping_addresses[0].city"
    assert sum(share for _, share in ranked) == pytest.approx(1.0)


def test_training_needs_a_target_with_a_right_row():
    with pytest.raises(ValueError, match="no training groups"):
        train(groups_of([(rows("city", ADDRESSES), ["nowhere.city"])]))


def test_a_ranker_refuses_weights_for_features_it_does_not_know():
    with pytest.raises(ValueError, match=r"unknown features.*'colour'"):
        Ranker({"name": 1.0, "colour": 2.0})


def test_a_ranker_reads_back_the_weights_it_wrote():
    ranker = Ranker({"name": 1.5, "mem_best": -0.25})

    assert Ranker.from_json(ranker.to_json()).weights == ranker.weights
