"""The one-click fixes a dead letter's hints offer (its detail page shows the hints).

Each is a POST from the detail page, editors only (like replay and discard), in the tenant's
own schema; each does one service and goes back to the dead letter with what it did.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.decorators import editor_required
from integrations.models import DeadLetter
from integrations.quality.hints import (
    ADD_LOOKUP_ENTRY,
    APPROVE,
    CHANGE_DATE_FORMAT,
    DISCARD,
    EDIT_MAPPING,
    LINK_DUPLICATE,
    RECONNECT,
    REPLAY,
    SYNC_MISSING_RECORD,
    Hint,
    link_choices,
)
from integrations.services.dead_letters import (
    FixDone,
    dead_letter_date_format_change,
    dead_letter_hints,
    dead_letter_lookup_entry_add,
    dead_letter_missing_record_sync,
    dead_letters_same_fix,
)

_REPLAY_CHOICES = ("all", "this", "none")
# The action URL each one-click kind posts to.
_POSTS = {ADD_LOOKUP_ENTRY: "dead_letter_lookup_entry", CHANGE_DATE_FORMAT:
          "dead_letter_date_format", SYNC_MISSING_RECORD: "dead_letter_record_sync",
          APPROVE: "dead_letter_approve", LINK_DUPLICATE: "dead_letter_link",
          REPLAY: "dead_letter_replay",
          DISCARD: "dead_letter_discard"}


def hints_for_page(letter: DeadLetter) -> list[dict[str, Any]]:
    """The dead letter's hints with what the page needs to offer each action."""
    shown = []
    open_ = letter.resolution == DeadLetter.Resolution.OPEN
    for hint in dead_letter_hints(letter=letter):
        shown.append({"text": hint.text, "field": hint.field, **_action(letter, hint, open_)})
    return shown


def _action(letter: DeadLetter, hint: Hint, open_: bool) -> dict[str, Any]:
    action = hint.action
    if action is None:
        return {"kind": ""}
    params = action.params
    out: dict[str, Any] = {"kind": action.kind, "params": params}
    if action.kind == EDIT_MAPPING:
        url = reverse("flow_mapping", args=[letter.flow_id])
        if params.get("field"):
            url = reverse("flow_mapping_field", args=[letter.flow_id]) + "?field=" + \
                str(params["field"])
        out["url"] = url
    elif action.kind == RECONNECT:
        if params.get("connection"):
            out["url"] = reverse("connection_detail", args=[params["connection"]])
    elif action.kind in _POSTS and open_:
        out["post"] = reverse(_POSTS[action.kind], args=[letter.pk])
        if action.kind == SYNC_MISSING_RECORD:
            out["record"] = params.get("id") or params.get("natural_key") or ""
        if action.kind in (ADD_LOOKUP_ENTRY, CHANGE_DATE_FORMAT, SYNC_MISSING_RECORD):
            others = len(dead_letters_same_fix(letter=letter, action=action)) - 1
            out["others"] = max(others, 0)
    return out


def _replay_choice(request: HttpRequest) -> str:
    choice = request.POST.get("replay", "all")
    return choice if choice in _REPLAY_CHOICES else "all"


def _done(request: HttpRequest, pk: int, outcome: FixDone) -> HttpResponse:
    if outcome.replayed:
        rest = (f" Replayed {outcome.replayed} dead letter"
                f"{'' if outcome.replayed == 1 else 's'}; new attempts show in the log.")
    else:
        rest = " Nothing was replayed: replay it when you are ready."
    messages.success(request, outcome.message + rest)
    return redirect("dead_letter_detail", pk=pk)


def _refused(request: HttpRequest, pk: int, exc: ValidationError) -> HttpResponse:
    messages.error(request, "Not done: " + " ".join(exc.messages))
    return redirect("dead_letter_detail", pk=pk)


def _open_letter(request: HttpRequest, pk: int) -> DeadLetter | None:
    letter = get_object_or_404(DeadLetter.objects.select_related("flow__pair", "flow__mapping",
                                                                 "event"), pk=pk)
    if letter.resolution != DeadLetter.Resolution.OPEN:
        messages.error(request, "Not done: this dead letter is no longer open.")
        return None
    return letter


@require_POST
@editor_required
def dead_letter_lookup_entry(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _open_letter(request, pk)
    if letter is None:
        return redirect("dead_letter_detail", pk=pk)
    try:
        outcome = dead_letter_lookup_entry_add(
            letter=letter, table=request.POST.get("table", ""), key=request.POST.get("key", ""),
            value=request.POST.get("value", ""), replay=_replay_choice(request),
            by=request.user.email)
    except ValidationError as exc:
        return _refused(request, pk, exc)
    return _done(request, pk, outcome)


@require_POST
@editor_required
def dead_letter_date_format(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _open_letter(request, pk)
    if letter is None:
        return redirect("dead_letter_detail", pk=pk)
    seen = request.POST.get("value")
    try:
        outcome = dead_letter_date_format_change(
            letter=letter, field_path=request.POST.get("field", ""),
            date_format=request.POST.get("format", ""), value=seen if seen else None,
            replay=_replay_choice(request), by=request.user.email)
    except ValidationError as exc:
        return _refused(request, pk, exc)
    return _done(request, pk, outcome)


@require_POST
@editor_required
def dead_letter_record_sync(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _open_letter(request, pk)
    if letter is None:
        return redirect("dead_letter_detail", pk=pk)
    try:
        outcome = dead_letter_missing_record_sync(
            letter=letter, flow_key=request.POST.get("flow", ""),
            record_id=request.POST.get("id", ""),
            natural_key=request.POST.get("natural_key", ""), replay=_replay_choice(request),
            by=request.user.email)
    except ValidationError as exc:
        return _refused(request, pk, exc)
    return _done(request, pk, outcome)


@require_POST
@editor_required
def dead_letter_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """A record a quality check held: a person says it is right, and it syncs without
    that check."""
    from integrations.services.quality import dead_letters_approve

    letter = _open_letter(request, pk)
    if letter is None:
        return redirect("dead_letter_detail", pk=pk)
    if dead_letters_approve(letters=DeadLetter.objects.filter(pk=letter.pk),
                            by=request.user.email):
        messages.success(request, "Approved: sent back through the pipeline without the check "
                                  "that held it; its new attempt shows below.")
    else:
        messages.error(request, "Not approved: only records held for review can be approved.")
    return redirect("dead_letter_detail", pk=pk)


@require_POST
@editor_required
def dead_letter_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A record held as a likely duplicate is the same as one already in the target: link it
    to that one and replay, so it updates the existing record."""
    from integrations.services.quality import HeldForReview, dead_letter_link

    letter = _open_letter(request, pk)
    if letter is None:
        return redirect("dead_letter_detail", pk=pk)
    choices = {str(c.get("target_id")) for p in letter.problems if isinstance(p, dict)
               for c in link_choices(p.get("data") or {})}
    target_id = request.POST.get("target_id", "").strip()
    if letter.error_class != HeldForReview.__name__ or not choices:
        messages.error(request, "Not linked: only a record held as a likely duplicate can be "
                                "linked to an existing one.")
    elif target_id not in choices:
        found = ", ".join(sorted(choices))
        messages.error(request, f"Not linked: {target_id or 'nothing'} is not one of the "
                                f"records the duplicate check found ({found}).")
    else:
        dead_letter_link(letter=letter, target_id=target_id, by=request.user.email)
        messages.success(request, f"Linked to {target_id} and replayed: it updates that record; "
                                  "its new attempt shows below.")
    return redirect("dead_letter_detail", pk=pk)
