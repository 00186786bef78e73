"""The step document of the fixed pipeline every flow ran before flows had steps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from integrations.workflow.engine import FORMAT_VERSION

CHECK_NAMES = {"address": "Address cleansing", "anomaly": "Anomaly check",
               "dedupe": "Duplicate check"}


def default_document(*, checks: Iterable[str], follow_ups: Iterable[Mapping[str, Any]]
                     ) -> dict[str, Any]:
    """Checks on the source record → the flow's mapping → the duplicate check → follow-ups.

    ``checks`` are the data-quality checks that apply to the flow's entity; each runs when the
    flow's quality settings turn it on, as before."""
    wanted = set(checks)
    steps: list[dict[str, Any]] = [
        {"id": check, "kind": "check", "check": check, "name": CHECK_NAMES[check]}
        for check in ("address", "anomaly") if check in wanted]
    steps.append({"id": "map", "kind": "transform", "name": "Map fields"})
    if "dedupe" in wanted:
        steps.append({"id": "dedupe", "kind": "check", "check": "dedupe",
                      "name": CHECK_NAMES["dedupe"]})
    for n, follow_up in enumerate(follow_ups, start=1):
        step: dict[str, Any] = {"id": f"follow-up-{n}", "kind": "follow_up",
                                "name": follow_up["action"].replace("_", " ").capitalize(),
                                "action": follow_up["action"], "system": follow_up["system"],
                                "args": dict(follow_up.get("args") or {})}
        if follow_up.get("description"):
            step["description"] = follow_up["description"]
        steps.append(step)
    return {"format_version": FORMAT_VERSION, "steps": steps}
