"""Data-quality checks in the sync pipeline: address cleansing, duplicate and anomaly detection.

Each flow turns each check on or off and says what a finding does (``Flow.quality``, merged
over ``DEFAULTS``). The pipeline calls one ``FlowQuality`` per batch:

    fetch source → inspect (cleanse addresses, look for anomalies) → map
    → before a create: look for an existing match in the target (duplicates) → write
    → after the batch: learn what this flow's records usually look like

A finding either goes on the transaction as a note (``Transaction.quality``), changes what is
written (a cleansed address; a link to the existing record instead of a new one), or holds the
record for review: a dead letter of class ``HeldForReview`` whose problems name the check. A
person approves it (the replay skips that check for that event) or discards it.

The checks themselves are plain Python in ``integrations/quality/`` (address, dedupe, anomaly);
this module decides when they run and what their findings do.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from integrations.models import DeadLetter, Flow, InboundEvent

CHECKS = ("address", "dedupe", "anomaly")

# Which canonical entities each check applies to.
APPLIES: dict[str, frozenset[str]] = {
    "address": frozenset({"sales_order", "customer", "credit_note", "purchase_order",
                          "shipment"}),
    "dedupe": frozenset({"customer", "product"}),
    "anomaly": frozenset({"sales_order", "credit_note", "purchase_order", "payment",
                          "product", "inventory"}),
}

DEFAULTS: dict[str, dict[str, Any]] = {
    # invalid: "flag" syncs the record with a note; "hold" holds it for review.
    "address": {"enabled": False, "invalid": "flag"},
    # action: "link" updates the best match instead of creating; "review" holds the record.
    "dedupe": {"enabled": False, "action": "review", "threshold": 0.85},
    # action: "flag" syncs with a note (and alerts); "hold" holds the record for review.
    # sensitivity: how many robust deviations from the usual value count as anomalous.
    "anomaly": {"enabled": False, "action": "flag", "sensitivity": 5.0,
                "price_change_pct": 50, "min_history": 20, "volume": True},
}

CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("address", "invalid"): ("flag", "hold"),
    ("dedupe", "action"): ("link", "review"),
    ("anomaly", "action"): ("flag", "hold"),
}

APPROVED_KEY = "quality_approved"   # InboundEvent.payload: checks a person approved


class QualitySettingsError(ValueError):
    """A flow's quality settings that cannot be used, with what was wrong."""


def quality_settings(flow: Flow) -> dict[str, dict[str, Any]]:
    """The flow's settings for each check, over the defaults; checks that do not apply to
    the flow's entity are off whatever the flow says."""
    merged = {}
    stored = flow.quality or {}
    for check in CHECKS:
        values = {**DEFAULTS[check], **(stored.get(check) or {})}
        if flow.entity not in APPLIES[check]:
            values["enabled"] = False
        merged[check] = values
    return merged


def quality_settings_clean(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Validated settings to store on a flow; ``QualitySettingsError`` says what is wrong."""
    if not isinstance(raw, dict):
        raise QualitySettingsError("Quality settings must be an object of checks.")
    unknown = set(raw) - set(CHECKS)
    if unknown:
        raise QualitySettingsError(f"Unknown check(s): {', '.join(sorted(unknown))}; "
                                   f"known: {', '.join(CHECKS)}.")
    cleaned: dict[str, dict[str, Any]] = {}
    for check, values in raw.items():
        if not isinstance(values, dict):
            raise QualitySettingsError(f"{check}: settings must be an object.")
        extra = set(values) - set(DEFAULTS[check])
        if extra:
            raise QualitySettingsError(f"{check}: unknown setting(s) {', '.join(sorted(extra))}.")
        out: dict[str, Any] = {}
        for name, value in values.items():
            default = DEFAULTS[check][name]
            choices = CHOICES.get((check, name))
            if choices is not None:
                if value not in choices:
                    raise QualitySettingsError(f"{check}.{name}: {value!r} is not one of "
                                               f"{', '.join(choices)}.")
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise QualitySettingsError(f"{check}.{name}: must be true or false.")
            elif isinstance(default, int | float):
                if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                    raise QualitySettingsError(f"{check}.{name}: must be a number above 0.")
                if name == "threshold" and value > 1:
                    raise QualitySettingsError(f"{check}.{name}: a score between 0 and 1.")
            out[name] = value
        cleaned[check] = out
    return cleaned


@dataclass
class Note:
    """One thing a check did or found, kept on the transaction."""

    check: str
    message: str
    path: str = ""
    before: Any = None
    after: Any = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "message": self.message}
        if self.path:
            out["path"] = self.path
        if self.before is not None or self.after is not None:
            out["before"], out["after"] = self.before, self.after
        if self.data:
            out["data"] = self.data
        return out


class HeldForReview(Exception):
    """A record a check holds until a person approves or discards it (a dead letter now)."""

    def __init__(self, check: str, message: str, notes: Iterable[Note] = ()) -> None:
        super().__init__(message)
        self.check = check
        self.problems = [{"target_path": n.path, "source_path": n.path, "kind": f"quality.{check}",
                          "message": n.message, "check": check, "data": n.data}
                         for n in notes] or [{"target_path": "", "source_path": "",
                                              "kind": f"quality.{check}", "message": message,
                                              "check": check, "data": {}}]


class FlowQuality:
    """The checks of one flow for one batch of its events."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.settings = quality_settings(flow)
        self.active = any(s["enabled"] for s in self.settings.values())
        self.passed: list[Any] = []   # records that synced cleanly: what the flow learns from

    def _on(self, check: str, event: InboundEvent) -> bool:
        return bool(self.settings[check]["enabled"]) and check not in _approved(event)

    def address(self, event: InboundEvent, record: Any, notes: list[Note]) -> Any:
        """The record with its addresses cleansed, when the flow cleanses them."""
        if not self.active or not isinstance(record, dict):
            return record
        if self.settings["address"]["enabled"]:
            record = self._addresses(event, record, notes)
        return record

    def anomaly(self, event: InboundEvent, record: Any, notes: list[Note]) -> Any:
        """The record, with notes of anything unusual; ``HeldForReview`` when the flow holds
        anomalies."""
        if not self.active or not isinstance(record, dict):
            return record
        if self._on("anomaly", event):
            from integrations.services.quality_anomaly import anomaly_findings

            found = anomaly_findings(flow=self.flow, record=record,
                                     settings=self.settings["anomaly"])
            notes.extend(found)
            if found and self.settings["anomaly"]["action"] == "hold":
                raise HeldForReview("anomaly", "Held for review: " + "; ".join(
                    n.message for n in found), found)
        return record

    def _addresses(self, event: InboundEvent, record: dict[str, Any],
                   notes: list[Note]) -> dict[str, Any]:
        from integrations.quality.address import cleanse_record

        cleansed = cleanse_record(copy.deepcopy(record), system=self.flow.source_system)
        notes.extend(Note("address", change.reason, change.path, change.before, change.after)
                     for change in cleansed.changes)
        invalid = [Note("address", problem.message, problem.path) for problem in cleansed.invalid]
        notes.extend(invalid)
        if invalid and self.settings["address"]["invalid"] == "hold" and self._on("address",
                                                                                  event):
            raise HeldForReview("address", "Held for review: " + "; ".join(
                n.message for n in invalid), invalid)
        return cleansed.record

    def existing_match(self, event: InboundEvent, target: Any, target_entity: str,
                       mapped: Any, notes: list[Note]) -> str | None:
        """Before a create: the id of the target record this one duplicates, when the flow
        links duplicates; ``HeldForReview`` when it holds them; None to create."""
        if not self._on("dedupe", event) or not isinstance(mapped, dict):
            return None
        from integrations.services.quality_dedupe import duplicate_find

        settings = self.settings["dedupe"]
        match = duplicate_find(flow=self.flow, connector=target, entity=target_entity,
                               record=mapped, threshold=float(settings["threshold"]))
        if match is None:
            return None
        note = Note("dedupe", match.message, data=match.as_json())
        if settings["action"] == "link":
            notes.append(note)
            return match.target_id
        raise HeldForReview("dedupe", "Held for review: " + match.message, [note])

    def passed_record(self, record: Any) -> None:
        if self.active and self.settings["anomaly"]["enabled"]:
            self.passed.append(record)

    def finish(self) -> None:
        """Learn from the batch's clean records (after the batch's own writes)."""
        if self.passed:
            from integrations.services.quality_anomaly import anomaly_learn

            anomaly_learn(flow=self.flow, records=self.passed,
                          settings=self.settings["anomaly"])
            self.passed = []


def _approved(event: InboundEvent) -> set[str]:
    payload = event.payload if isinstance(event.payload, dict) else {}
    return set(payload.get(APPROVED_KEY) or ())


def notes_json(notes: list[Note]) -> list[dict[str, Any]] | None:
    return [note.as_json() for note in notes] or None


@transaction.atomic
def dead_letters_approve(*, letters: QuerySet[DeadLetter], by: str = "") -> int:
    """Replay records held for review, telling the pipeline a person approved what held them
    (that check does not hold them again); other dead letters in ``letters`` are left."""
    from integrations.services.dead_letters import dead_letters_replay

    held = list(letters.filter(resolution=DeadLetter.Resolution.OPEN,
                               error_class=HeldForReview.__name__)
                .select_related("event").select_for_update(of=("self",)))
    for letter in held:
        checks = {p.get("check") for p in letter.problems if isinstance(p, dict)} - {None}
        payload = dict(letter.event.payload) if isinstance(letter.event.payload, dict) else {}
        payload[APPROVED_KEY] = sorted(set(payload.get(APPROVED_KEY) or ()) | checks)
        InboundEvent.objects.filter(pk=letter.event_id).update(payload=payload)
    if not held:
        return 0
    return dead_letters_replay(letters=DeadLetter.objects.filter(pk__in=[h.pk for h in held]),
                               by=by)


@transaction.atomic
def dead_letter_link(*, letter: DeadLetter, target_id: str, by: str = "") -> bool:
    """Resolve a record held as a likely duplicate by linking it to the existing target record
    the reviewer chose, then replay it: the pipeline updates that record instead of creating."""
    from integrations.models import RecordLink
    from integrations.services.dead_letters import dead_letter_replay

    target_id = str(target_id).strip()
    if not target_id:
        raise QualitySettingsError("Choose the existing record to link to.")
    RecordLink.objects.update_or_create(
        flow_id=letter.flow_id, source_id=letter.event.external_id,
        defaults={"target_id": target_id, "payload_hash": "",
                  "last_synced_at": letter.created_at})
    return dead_letter_replay(letter=letter, by=by)


def flow_quality_set(*, flow: Flow, settings: dict[str, Any]) -> Flow:
    """Store the flow's quality settings (validated; unknown checks or values refused with what
    was wrong). Checks not named keep what the flow had."""
    cleaned = quality_settings_clean(settings)
    for check in cleaned:
        if flow.entity not in APPLIES[check] and cleaned[check].get("enabled"):
            raise QualitySettingsError(
                f"{check} does not apply to {flow.entity.replace('_', ' ')} flows.")
    stored = dict(flow.quality or {})
    for check, values in cleaned.items():
        stored[check] = {**(stored.get(check) or {}), **values}
    flow.quality = stored
    flow.save(update_fields=["quality", "updated_at"])
    return flow
