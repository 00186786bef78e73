"""Mapping suggestions against the five pair templates' default mappings (``make eval``).

For every flow of every pair template, each target field whose default rule reads source
fields is hidden in turn, and ``suggest()`` ranks the source paths of a realistic source
record of that flow (the pair's golden record, the shape the connector reads, merged with the
source schema's fields as the portal editor lists them). A hit is the path the default rule
reads (see docs/data-quality.md, "Mapping suggestions", for which rules count and why).

Each hidden field is asked for with the rest of its mapping as context (the other fields'
source paths from the default mapping, as the editor has them) and with a memory of known
mappings that never holds the answer: leave-one-flow-out (the memory is built from every
template mapping except the hidden field's flow: the headline) and leave-one-pair-out (from
the four other pairs only). Two more tables show the ranker with context and no memory, and
with neither (names, types and samples only).

Figures: ``suggest_top1`` and ``suggest_top3`` (leave-one-flow-out, fractions of all counted
targets), ``suggest_top1_lopo`` / ``_top3_lopo`` (leave-one-pair-out), the same for the
held-out pair (``suggest_heldout_top1`` / ``_top3`` and ``..._lopo``: a pair left out of all
tuning of the ranker), ``suggest_targets`` (how many were counted),
``suggest_transform_agreement`` (suggested transform kinds equal to the default rule's, over
hits with a transform) and ``suggest_rules_compile`` (fraction of suggested rules the mapping
engine compiles).

Plain Python, no Django settings: ``python bench/eval_suggest.py`` (``--hide-held-out`` keeps
the held-out pair's misses off the screen while tuning; ``--misses pair`` prints another
table's misses).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.results import results_record  # noqa: E402
from integrations.mapping import schema_get  # noqa: E402
from integrations.mapping.editing import MISSING, rule_at, target_fields  # noqa: E402
from integrations.mapping.suggest import (  # noqa: E402
    Suggestion,
    rule_check,
    sample_candidates,
    suggest,
    with_rules,
)
from integrations.mapping.suggest_memory import (  # noqa: E402
    MappingMemory,
    document_sources,
    template_correspondences,
)
from integrations.pair_templates import template_list  # noqa: E402

GOLDEN = REPO_ROOT / "tests" / "integrations" / "pair_templates" / "golden"
# Chosen before any tuning and never tuned on: its figures say how the ranker does on a pair
# whose field names it has not been adjusted to.
HELD_OUT = "brightpearl-syspro"
_PLAIN_PATH = re.compile(
    r"(\$root\.)?[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?)*\Z")


@dataclass(frozen=True)
class Case:
    pair: str
    flow: str
    target: str
    target_rule: dict[str, Any]
    shape: str                    # from / concat / coalesce
    hits: tuple[str, ...]         # paths that count as the right answer
    default: Any                  # the hidden rule
    lines: str | None
    record: dict[str, Any]
    schema: dict[str, Any] | None
    names: tuple[str, ...]        # the source record's system and entity
    mapped: dict[str, tuple[str, ...]]   # the other fields of the mapping: what they read
    systems: tuple[str, str]      # source system, target system


def _plain(path: Any) -> bool:
    return isinstance(path, str) and _PLAIN_PATH.match(path) is not None


def _part_path(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and set(part) <= {"from", "transform", "default", "required"}:
        found = part.get("from")
        return found if isinstance(found, str) else None
    return None


def answer(spec: Any) -> tuple[str, tuple[str, ...]] | None:
    """Which shape a default rule has and the paths that count as hits, or ``None`` when the
    rule reads no source field by name (constants, calculations, conditions, lines...)."""
    if isinstance(spec, str):
        return ("from", (spec,)) if _plain(spec) else None
    if not isinstance(spec, dict):
        return None
    if "from" in spec and set(spec) <= {"from", "transform", "default", "required", "comment"}:
        return ("from", (spec["from"],)) if _plain(spec["from"]) else None
    for shape in ("concat", "coalesce"):
        parts = spec.get(shape)
        if isinstance(parts, list):
            paths = [p for p in map(_part_path, parts) if p is not None]
            if paths and all(_plain(p) for p in paths):
                # A concat is hit by the path that starts the value (its constant prefix
                # such as "BC-" is not a source field); a coalesce by any of its paths.
                return shape, (paths[0],) if shape == "concat" else tuple(paths)
    return None


def _user_slot(name: str, schema: dict[str, Any] | None) -> bool:
    """A user-defined slot (M3 ``UCA1``, GP ``USERDEF1``): its name says nothing, so what
    goes there is the tenant's choice, not something to guess."""
    pattern = (schema or {}).get("custom_fields")
    return bool(pattern) and re.fullmatch(pattern, name) is not None and re.fullmatch(
        r"[A-Z]+\d+", name) is not None


def _lines_of(document: dict[str, Any], lines: str | None) -> Any:
    if lines is None:
        return None
    spec = rule_at(document, lines).spec
    return spec.get("each") if isinstance(spec, dict) else MISSING


def cases() -> list[Case]:
    found = []
    for template in template_list():
        for flow in template.flows:
            document = flow.mapping
            record = json.loads((GOLDEN / template.key / f"{flow.key}.source.json").read_text(
                encoding="utf-8"), parse_float=Decimal)
            source, target = document["source"], document["target"]
            reads = document_sources(document)
            source_schema = schema_get(source["system"], source["entity"])
            target_schema = schema_get(target["system"], target["entity"])
            for field in target_fields(target_schema, document):
                spec = rule_at(document, field.path).spec
                if spec is MISSING:
                    continue
                shape = answer(spec)
                lines = _lines_of(document, field.lines)
                if shape is None or lines is MISSING or (
                        lines is not None and not _plain(lines)) or _user_slot(
                        field.name, target_schema):
                    continue
                mapped = {path: paths for path, paths in reads.items() if path != field.path}
                found.append(Case(template.key, flow.key, field.path, dict(field.rule),
                                  shape[0], shape[1], spec, lines, record, source_schema,
                                  (flow.source, source["entity"], flow.entity), mapped,
                                  (source["system"], target["system"])))
    return found


def _kinds(rule: Any) -> set[str]:
    """What a rule does beyond copying, as words: date, to_int, to_decimal, to_string,
    lookup, concat (the details such as formats and tables are the tenant's)."""
    if not isinstance(rule, dict):
        return set()
    kinds = {shape for shape in ("concat", "coalesce") if shape in rule}
    for step in rule.get("transform") or []:
        name = step if isinstance(step, str) else next(iter(step), "") if isinstance(
            step, dict) else ""
        if name in ("date", "to_int", "to_decimal", "to_string", "lookup"):
            kinds.add(name)
    return kinds


# Which known mappings the memory may read when a field of a flow is hidden: never that flow's
# own mapping ("flow": leave-one-flow-out, the headline), nor, stricter, any mapping of its
# pair ("pair": leave-one-pair-out, only the four other pairs' mappings). "none" is the ranker
# without memory and context, as it was before either.
MODES = ("flow", "pair", "context", "none")


@cache
def memory_without(left_out: tuple[str, ...]) -> MappingMemory:
    """The memory of the templates' mappings except those whose (pair, flow) key starts with
    ``left_out`` (a pair, or a pair and a flow); built once per key."""
    groups = template_correspondences()
    return MappingMemory.of(group for key, group in groups.items()
                            if key[:len(left_out)] != left_out)


def _memory_for(case: Case, mode: str) -> MappingMemory | None:
    if mode == "flow":
        return memory_without((case.pair, case.flow))
    if mode == "pair":
        return memory_without((case.pair,))
    return None


def evaluate(all_cases: list[Case], mode: str = "flow"
             ) -> tuple[dict[str, list[int]], list[str], dict[str, int]]:
    per_pair: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: list[str] = []
    counts = {"rules": 0, "compiled": 0, "with_transform": 0, "agreed": 0}
    for case in all_cases:
        candidates = sample_candidates(case.record, schema=case.schema, lines=case.lines)
        ranked: list[Suggestion] = with_rules(case.target, case.target_rule, suggest(
            case.target, case.target_rule, candidates, limit=3, record=case.names,
            mapped=case.mapped if mode != "none" else None, memory=_memory_for(case, mode),
            systems=case.systems), candidates)
        paths = [s.path for s in ranked]
        tally = per_pair[case.pair]
        tally[0] += 1
        if paths[:1] and paths[0] in case.hits:
            tally[1] += 1
        if set(paths) & set(case.hits):
            tally[2] += 1
        else:
            offered = any(c.path in case.hits for c in candidates)
            misses.append(f"{case.pair:26} {case.flow:34} {case.target:38} wants "
                          f"{'|'.join(case.hits)}{'' if offered else ' (not offered)'}; "
                          f"got {', '.join(paths) or 'nothing'}")
        for suggestion in ranked:
            if suggestion.rule is not None:
                counts["rules"] += 1
                counts["compiled"] += not rule_check(suggestion.rule, lines=case.lines)
        hit = next((s for s in ranked if s.path in case.hits), None)
        wanted = _kinds(case.default)
        if hit is not None and wanted:
            counts["with_transform"] += 1
            counts["agreed"] += _kinds(hit.rule) == wanted
    return per_pair, misses, counts


def _table(title: str, per_pair: dict[str, list[int]]) -> list[int]:
    print(f"{title}\n{'pair':28} {'targets':>7} {'top-1':>7} {'top-3':>7}")
    total = [0, 0, 0]
    for pair, (n, top1, top3) in sorted(per_pair.items()):
        mark = " (held out)" if pair == HELD_OUT else ""
        print(f"{pair:28} {n:7d} {top1 / n:7.1%} {top3 / n:7.1%}{mark}")
        total = [total[0] + n, total[1] + top1, total[2] + top3]
    print(f"{'all five pairs':28} {total[0]:7d} {total[1] / total[0]:7.1%} "
          f"{total[2] / total[0]:7.1%}\n")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hide-held-out", action="store_true",
                        help=f"do not print the misses of the held-out pair ({HELD_OUT})")
    parser.add_argument("--misses", choices=MODES, default="flow",
                        help="whose misses to print (default: leave-one-flow-out)")
    args = parser.parse_args()
    all_cases = cases()
    titles = {"flow": "Leave-one-flow-out (headline): memory without the flow's mapping",
              "pair": "Leave-one-pair-out: memory of the four other pairs only",
              "context": "Context of the mapping, no memory",
              "none": "Names, types and samples only (no context, no memory)"}
    results = {mode: evaluate(all_cases, mode) for mode in MODES}
    totals = {mode: _table(titles[mode], results[mode][0]) for mode in MODES}
    per_pair, _, counts = results["flow"]
    misses = results[args.misses][1]
    shown = [m for m in misses if not (args.hide_held_out and m.startswith(HELD_OUT))]
    print(f"Misses (not in the top 3, {args.misses}): {len(misses)}"
          + (f", {len(misses) - len(shown)} of the held-out pair not shown" if
             len(shown) < len(misses) else ""))
    for line in shown:
        print("  " + line)
    total, lopo = totals["flow"], totals["pair"]
    held = per_pair.get(HELD_OUT, [1, 0, 0])
    held_lopo = results["pair"][0].get(HELD_OUT, [1, 0, 0])
    figures = {
        "suggest_top1": round(total[1] / total[0], 4),
        "suggest_top3": round(total[2] / total[0], 4),
        "suggest_top1_lopo": round(lopo[1] / lopo[0], 4),
        "suggest_top3_lopo": round(lopo[2] / lopo[0], 4),
        "suggest_heldout_top1": round(held[1] / held[0], 4),
        "suggest_heldout_top3": round(held[2] / held[0], 4),
        "suggest_heldout_top1_lopo": round(held_lopo[1] / held_lopo[0], 4),
        "suggest_heldout_top3_lopo": round(held_lopo[2] / held_lopo[0], 4),
        "suggest_targets": total[0],
        "suggest_transform_agreement": round(
            counts["agreed"] / counts["with_transform"], 4) if counts["with_transform"] else 0,
        "suggest_rules_compile": round(
            counts["compiled"] / counts["rules"], 4) if counts["rules"] else 0,
    }
    print("\n" + json.dumps(figures))
    results_record(figures=figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
