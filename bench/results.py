"""The one place benchmarks write their figures: ``var/bench/results.json``.

A flat JSON object of figure name to number, merged with what earlier runs wrote, so
``make bench`` and ``make eval`` can run separately and still leave one file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS_PATH = Path(__file__).resolve().parent.parent / "var" / "bench" / "results.json"


def results_record(*, figures: dict[str, float], path: Path = RESULTS_PATH) -> dict[str, float]:
    """Merge ``figures`` into the results file and return the whole merged object."""
    for name, value in figures.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"figure {name!r} must be a number, got {value!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    merged: dict[str, float] = {}
    if path.exists():
        merged = json.loads(path.read_text() or "{}")
    merged.update(figures)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return merged
