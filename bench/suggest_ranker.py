"""Experiment: a learned ranker for mapping suggestions over the hand ranker's signals.

Not shipped: ``suggest()`` ranks by the hand weights. Cross-validated the same way as
``bench/eval_suggest.py`` (the weights trained on the other flows, or the other four pairs,
never on the hidden one), the learned ranker gains about a point of top-3 and none of top-1
(docs/data-quality.md, "Mapping suggestions"), so it stays here, to be re-run when the
signals or the corpus change: ``python bench/suggest_ranker.py [--modes flow pair]``.

Plain Python (no numpy). For one target field, every candidate whose type can fit
(:func:`~integrations.mapping.suggest.candidate_signals`) becomes a row of :data:`FEATURES`:
each signal the hand weights combine, read separately (name, type, value, roles, the
context's alignment, reuse, the memory at each of its back-off levels), the hand score
itself, and cheap extras (the candidate's depth, whether it sits in a list, token overlaps,
the spelling likeness of the last names, where it stands against the other candidates, a few
products of signals). No system-pair indicator: it would learn the templates' answers.

The score of a row is ``weights · features``; the candidates of one target are compared by
the softmax of their scores (listwise logistic regression). :func:`train` fits the weights
on groups of rows (one group per target field, the right rows marked) by L-BFGS on the mean
log loss with an L2 penalty.

Training features never see the hidden mapping: when flow F is hidden, a training target of
flow G is read with the memory of every template mapping except F and G (as G's own target
would be asked with F hidden), so neither the examples nor their memory signals hold F.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from integrations.mapping.suggest import (  # noqa: E402
    NEUTRAL,
    REUSED_PENALTY,
    WEIGHT_CONTEXT,
    WEIGHT_MEMORY,
    Suggestion,
    _Field,
)
from integrations.mapping.suggest_memory import MappingMemory  # noqa: E402

# Only the best rows by the hand score are read (a field the hand score puts lower is
# almost never the answer, and fewer rows keep the ranker quick in the editor).
TOP_ROWS = 30
L2 = 0.01

FEATURES: tuple[str, ...] = (
    "hand", "base", "name", "name_sq", "name_high", "type", "value", "telling", "kept",
    "own_id", "header", "full_name", "context", "context_top", "sibling_share", "reused",
    "mem0", "mem1", "mem2", "mem3", "mem4", "mem_best", "mem_top", "mem_gap", "mem_none",
    "depth", "in_list", "record_id", "leaf_overlap", "path_overlap", "last_ratio",
    "hand_top", "hand_top3", "hand_gap", "name_top",
    "name_x_memory", "name_x_context", "context_x_namesakes", "kept_x_memory", "namesakes",
    "sibling_gap",
)
_INDEX = {name: i for i, name in enumerate(FEATURES)}


@dataclass(frozen=True)
class Row:
    """One candidate of one target field as the ranker reads it."""

    suggestion: Suggestion     # from candidate_signals, memory not yet read
    memory: tuple[float, ...]  # the memory's share at each level (0 when it knows nothing)
    memory_note: str
    features: tuple[float, ...]

    @property
    def path(self) -> str:
        return self.suggestion.path


def hand_score(signals: Mapping[str, float], base: float, memory: float | None) -> float:
    """The hand weights' blend of a row's signals (as ``suggest()`` makes it): ``memory`` is
    ``None`` when the memory knows nothing of the target."""
    weights, total = 0.0, 0.0
    if memory is not None:
        weights, total = WEIGHT_MEMORY, WEIGHT_MEMORY * memory
    if "context" in signals:
        weights += WEIGHT_CONTEXT
        total += WEIGHT_CONTEXT * signals["context"]
    total += (1.0 - weights) * base
    return total * (1.0 - REUSED_PENALTY) if signals.get("reused") else total


def rows_of(target_path: str, signalled: Sequence[Suggestion], *,
            memory: MappingMemory | None = None, systems: tuple[str, str] = ("", "")
            ) -> list[Row]:
    """The rows of one target field: the best :data:`TOP_ROWS` of ``signalled`` (what
    ``candidate_signals`` gives) by the hand score, with their features, in a fixed order."""
    knows = memory is not None and memory.knows(systems[1], target_path, systems[0])
    read: list[tuple[Suggestion, tuple[float, ...], str, float]] = []
    for suggestion in signalled:
        shares: tuple[float, ...] = (0.0,) * 5
        note = ""
        if knows:
            assert memory is not None
            # The note is the memory's reason for the suggestion (its best level).
            _, note = memory.score(systems[1], target_path, systems[0], suggestion.path)
            shares = tuple(share for share, _ in memory.levels(
                systems[1], target_path, systems[0], suggestion.path))
        hand = hand_score(suggestion.signals, suggestion.score, max(shares) if knows else None)
        read.append((suggestion, shares, note, hand))
    read.sort(key=lambda r: (-r[3], len(r[0].path), r[0].path))
    read = read[:TOP_ROWS]
    if not read:
        return []
    target = _Field.of(target_path)
    best_hand = read[0][3]
    best_name = max(s.signals.get("name", 0.0) for s, *_ in read)
    best_memory = max(max(shares) for _, shares, _, _ in read)
    groups: dict[tuple[str, ...], float] = {}
    siblings: dict[tuple[str, ...], float] = {}
    for suggestion, *_ in read:
        leaf = _Field.of(suggestion.path).leaf
        groups[leaf] = groups.get(leaf, 0) + 1
        siblings[leaf] = max(siblings.get(leaf, 0.0), suggestion.signals.get("sibling_share", 0))
    rows = []
    for rank, (suggestion, shares, note, hand) in enumerate(read):
        signals = suggestion.signals
        source = _Field.of(suggestion.path)
        name = signals.get("name", 0.0)
        mem = max(shares)
        context = signals.get("context", NEUTRAL)
        values = {
            "hand": hand, "base": suggestion.score, "name": name, "name_sq": name * name,
            "name_high": float(name >= 0.9), "type": signals.get("type", NEUTRAL),
            "value": signals.get("value", NEUTRAL), "telling": signals.get("telling", 0.0),
            "kept": signals.get("kept", 0.0), "own_id": signals.get("own_id", 0.0),
            "header": signals.get("header", 0.0), "full_name": signals.get("full_name", 0.0),
            "context": context,
            "context_top": float(context == 1.0 and groups[source.leaf] > 1),
            "sibling_share": signals.get("sibling_share", 0.0),
            "reused": signals.get("reused", 0.0),
            **{f"mem{level}": share for level, share in enumerate(shares)},
            "mem_best": mem, "mem_top": float(mem > 0 and mem == best_memory),
            "mem_gap": mem - best_memory, "mem_none": float(knows and mem == 0),
            "depth": min(source.depth, 5) / 5, "in_list": float("[" in suggestion.path),
            "record_id": float(source.depth == 1 and source.leaf == ("identifier",)),
            "leaf_overlap": min(len(set(target.leaf) & set(source.leaf)), 3) / 3,
            "path_overlap": min(len(set(target.context) & set(source.context)), 4) / 4,
            "last_ratio": SequenceMatcher(None, "".join(target.raw),
                                          "".join(source.raw)).ratio(),
            "hand_top": float(rank == 0), "hand_top3": float(rank < 3),
            "hand_gap": hand - best_hand, "name_top": float(name > 0 and name == best_name),
            "name_x_memory": name * mem, "name_x_context": name * (context - NEUTRAL),
            "context_x_namesakes": (context - NEUTRAL) * float(groups[source.leaf] > 1),
            "kept_x_memory": signals.get("kept", 0.0) * mem,
            "namesakes": min(groups[source.leaf] - 1, 3) / 3,
            "sibling_gap": signals.get("sibling_share", 0.0) - siblings[source.leaf],
        }
        features = tuple(round(float(values[name_]), 6) for name_ in FEATURES)
        rows.append(Row(suggestion, shares, note, features))
    return rows


class Ranker:
    """Weights for :data:`FEATURES`; :meth:`rank` orders one target's rows best first."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features in the ranker's weights: {sorted(unknown)}; "
                             f"known are {', '.join(FEATURES)}")
        self.weights = {name: float(weights.get(name, 0.0)) for name in FEATURES}
        self._vector = [self.weights[name] for name in FEATURES]

    def scores(self, rows: Sequence[Row]) -> list[float]:
        return [sum(w * x for w, x in zip(self._vector, row.features, strict=True))
                for row in rows]

    def rank(self, rows: Sequence[Row]) -> list[tuple[Row, float]]:
        """Each row with its share of the softmax over all rows, best first."""
        if not rows:
            return []
        scores = self.scores(rows)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        ranked = sorted(zip(rows, (e / total for e in exps), strict=True),
                        key=lambda r: (-r[1], len(r[0].path), r[0].path))
        return ranked

    def to_json(self, **about: Any) -> str:
        return json.dumps({"features": list(FEATURES), "weights": {
            name: round(value, 6) for name, value in self.weights.items()}, **about},
            indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Ranker:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("weights"), dict):
            raise ValueError("a ranker's JSON is an object with a 'weights' object")
        return cls(data["weights"])


# --- training -------------------------------------------------------------------------------
Group = tuple[Sequence[Sequence[float]], frozenset[int]]   # rows' features, the right rows


def groups_of(examples: Iterable[tuple[Sequence[Row], Iterable[str]]]) -> list[Group]:
    """Training groups from (rows of a target, the paths that are right); a target whose
    rows hold no right path teaches nothing and is left out."""
    found = []
    for rows, right in examples:
        right = set(right)
        hits = frozenset(i for i, row in enumerate(rows) if row.path in right)
        if hits and len(hits) < len(rows):
            found.append(([row.features for row in rows], hits))
    return found


def train(groups: Sequence[Group], *, l2: float = L2, iterations: int = 200,
          start: Mapping[str, float] | None = None) -> Ranker:
    """Weights that minimise the mean listwise log loss of ``groups`` plus ``l2``·|w|²/2,
    by L-BFGS (a convex problem: the start only changes how soon it is reached)."""
    if not groups:
        raise ValueError("no training groups: every target needs rows with a right path")
    sparse = [([[(j, v) for j, v in enumerate(x) if v] for x in rows], hits)
              for rows, hits in groups]
    size = len(FEATURES)
    w = [float((start or {}).get(name, 0.0)) for name in FEATURES]

    def loss_grad(w: list[float]) -> tuple[float, list[float]]:
        loss, grad = 0.0, [0.0] * size
        for rows, hits in sparse:
            scores = [sum(w[j] * v for j, v in x) for x in rows]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            right = sum(exps[i] for i in hits)
            loss -= math.log(right / total)
            for i, x in enumerate(rows):
                c = exps[i] / total - (exps[i] / right if i in hits else 0.0)
                if c:
                    for j, v in x:
                        grad[j] += c * v
        n = len(sparse)
        loss = loss / n + 0.5 * l2 * sum(v * v for v in w)
        return loss, [g / n + l2 * v for g, v in zip(grad, w, strict=True)]

    return Ranker(dict(zip(FEATURES, _lbfgs(loss_grad, w, iterations), strict=True)))


def _lbfgs(f: Any, x: list[float], iterations: int, memory: int = 8,
           tolerance: float = 1e-6) -> list[float]:
    """Minimise ``f`` (returning value and gradient) from ``x``: L-BFGS with a backtracking
    (Armijo) line search."""
    value, grad = f(x)
    history: list[tuple[list[float], list[float], float]] = []
    for _ in range(iterations):
        # Two-loop recursion: the direction -H·grad.
        q = list(grad)
        alphas = []
        for s, y, rho in reversed(history):
            a = rho * _dot(s, q)
            alphas.append(a)
            q = [qi - a * yi for qi, yi in zip(q, y, strict=True)]
        if history:
            s, y, _ = history[-1]
            gamma = _dot(s, y) / _dot(y, y)
            q = [gamma * qi for qi in q]
        for (s, y, rho), a in zip(history, reversed(alphas), strict=True):
            b = rho * _dot(y, q)
            q = [qi + (a - b) * si for qi, si in zip(q, s, strict=True)]
        direction = [-qi for qi in q]
        slope = _dot(grad, direction)
        if slope >= 0:
            direction, slope, history = [-g for g in grad], -_dot(grad, grad), []
        step = 1.0
        while True:
            trial = [xi + step * di for xi, di in zip(x, direction, strict=True)]
            new_value, new_grad = f(trial)
            if new_value <= value + 1e-4 * step * slope or step < 1e-10:
                break
            step /= 2
        s = [t - xi for t, xi in zip(trial, x, strict=True)]
        y = [g1 - g0 for g1, g0 in zip(new_grad, grad, strict=True)]
        sy = _dot(s, y)
        if sy > 1e-12:
            history = [*history[-(memory - 1):], (s, y, 1.0 / sy)]
        done = abs(value - new_value) < tolerance * max(1.0, abs(value))
        x, value, grad = trial, new_value, new_grad
        if done:
            break
    return x


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# --- cross-validation against the hand weights ----------------------------------------------
def _fold_of(case: Any, mode: str) -> tuple[str, ...]:
    return (case.pair, case.flow) if mode == "flow" else (case.pair,)


@cache
def _memory_without(left_out: frozenset[tuple[str, ...]]) -> MappingMemory:
    """The templates' memory without the mappings whose (pair, flow) key starts with any of
    ``left_out``."""
    from integrations.mapping.suggest_memory import template_correspondences

    return MappingMemory.of(group for key, group in template_correspondences().items()
                            if not any(key[:len(out)] == out for out in left_out))


def cross_validate(mode: str, *, l2: float = L2) -> dict[str, dict[str, list[int]]]:
    """Per pair, [targets, top-1 hits, top-3 hits] of the hand weights and of the learned
    ranker with each fold ("flow": leave-one-flow-out, "pair": leave-one-pair-out) trained
    on the other folds only."""
    from bench.eval_suggest import cases, memory_without
    from integrations.mapping.suggest import candidate_signals, sample_candidates, suggest

    all_cases = cases()
    signalled, offered = [], []
    for case in all_cases:
        candidates = sample_candidates(case.record, schema=case.schema, lines=case.lines)
        offered.append(candidates)
        signalled.append(candidate_signals(case.target, case.target_rule, candidates,
                                           record=case.names, mapped=case.mapped))

    def rows(i: int, left_out: frozenset[tuple[str, ...]]) -> list[Row]:
        case = all_cases[i]
        return rows_of(case.target, signalled[i], memory=_memory_without(left_out),
                       systems=case.systems)

    tallies: dict[str, dict[str, list[int]]] = {"hand": {}, "learned": {}}

    def count(method: str, case: Any, paths: list[str]) -> None:
        tally = tallies[method].setdefault(case.pair, [0, 0, 0])
        tally[0] += 1
        tally[1] += bool(paths[:1] and paths[0] in case.hits)
        tally[2] += bool(set(paths[:3]) & set(case.hits))

    for fold in sorted({_fold_of(case, mode) for case in all_cases}):
        examples = [(rows(i, frozenset({fold, _fold_of(case, mode)})), case.hits)
                    for i, case in enumerate(all_cases) if _fold_of(case, mode) != fold]
        ranker = train(groups_of(examples), l2=l2)
        for i, case in enumerate(all_cases):
            if _fold_of(case, mode) != fold:
                continue
            count("learned", case, [row.path for row, _ in ranker.rank(
                rows(i, frozenset({fold})))[:3]])
            count("hand", case, [s.path for s in suggest(
                case.target, case.target_rule, offered[i], record=case.names,
                mapped=case.mapped, memory=memory_without(fold), systems=case.systems)])
    return tallies


def main() -> int:
    from bench.eval_suggest import HELD_OUT
    from bench.results import results_record

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=("flow", "pair"),
                        default=["flow", "pair"])
    args = parser.parse_args()
    figures: dict[str, float] = {}
    for mode in args.modes:
        started = time.perf_counter()
        tallies = cross_validate(mode)
        print(f"Leave-one-{mode}-out ({time.perf_counter() - started:.0f} s)\n"
              f"{'pair':28} {'hand top-1':>10} {'top-3':>7} {'learned top-1':>14} {'top-3':>7}")
        totals = {}
        for method, per_pair in tallies.items():
            totals[method] = [sum(t[k] for t in per_pair.values()) for k in range(3)]
        for pair in sorted(tallies["hand"]):
            (n, h1, h3), (_, l1, l3) = tallies["hand"][pair], tallies["learned"][pair]
            mark = " (held out)" if pair == HELD_OUT else ""
            print(f"{pair:28} {h1 / n:10.1%} {h3 / n:7.1%} {l1 / n:14.1%} {l3 / n:7.1%}{mark}")
        (n, h1, h3), (_, l1, l3) = totals["hand"], totals["learned"]
        print(f"{'all five pairs':28} {h1 / n:10.1%} {h3 / n:7.1%} {l1 / n:14.1%} "
              f"{l3 / n:7.1%}\n")
        suffix = "" if mode == "flow" else "_lopo"
        held = tallies["learned"].get(HELD_OUT, [1, 0, 0])
        figures |= {f"suggest_learned_top1{suffix}": round(l1 / n, 4),
                    f"suggest_learned_top3{suffix}": round(l3 / n, 4),
                    f"suggest_learned_heldout_top1{suffix}": round(held[1] / held[0], 4),
                    f"suggest_learned_heldout_top3{suffix}": round(held[2] / held[0], 4)}
    print(json.dumps(figures))
    results_record(figures=figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
