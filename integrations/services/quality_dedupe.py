"""Duplicate detection before a create: is the record already in the target under another id?

The target connector searches its system for likely matches (``duplicate_candidates``: by
email, name, phone, SKU, with the system's own search API); each candidate and the mapped
record are read as comparable parties or products in that system's field names and scored
(``integrations.quality.dedupe``). The best candidate at or above the flow's threshold is the
match; the pipeline links to it or holds the record for review (``services.quality``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from integrations.models import Flow
from integrations.quality.dedupe import Item, Party, party_from_record, record_score

SHOWN_CANDIDATES = 5      # what a reviewer is shown besides the best match
SHOWN_FROM_SCORE = 0.5    # candidates below this are not worth a reviewer's look


@dataclass
class DuplicateMatch:
    target_id: str
    score: float
    message: str
    reasons: list[str] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    label: str = ""           # how a reviewer recognises the matched record

    def as_json(self) -> dict[str, Any]:
        return {"target_id": self.target_id, "score": round(self.score, 3),
                "label": self.label, "reasons": self.reasons, "candidates": self.candidates}


def duplicate_find(*, flow: Flow, connector: Any, entity: str, record: dict[str, Any],
                   threshold: float) -> DuplicateMatch | None:
    """The existing target record ``record`` most likely duplicates, when one scores at least
    ``threshold``; None when none does or the target cannot be searched for it.

    A connector error while searching propagates: the pipeline retries it as any other,
    rather than create a record it could not check."""
    system = connector.system
    try:
        wanted = party_from_record(system, entity, record)
    except ValueError:
        return None  # a system whose customer/product fields the scorer does not know
    scored: list[tuple[float, list[str], Party | Item]] = []
    for candidate in connector.duplicate_candidates(entity, record):
        other = party_from_record(system, entity, candidate)
        if not other.key:
            continue
        score = record_score(wanted, other)
        scored.append((score.value, score.reasons, other))
    if not scored:
        return None
    scored.sort(key=lambda s: -s[0])
    best_score, reasons, best = scored[0]
    if best_score < threshold:
        return None
    shown = [{"target_id": other.key, "score": round(value, 3), "label": other.label,
              "reasons": why} for value, why, other in scored[:SHOWN_CANDIDATES]
             if value >= SHOWN_FROM_SCORE]
    what = "product" if isinstance(best, Item) else "customer"
    named = f" ({best.label})" if best.label else ""
    message = (f"Likely the existing {what} {best.key}{named}, score {best_score:.2f}: "
               f"{'; '.join(reasons[:3])}.")
    return DuplicateMatch(target_id=best.key, score=best_score, message=message,
                          reasons=reasons, candidates=shown, label=best.label)
