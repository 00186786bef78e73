"""Portal pages of the transaction log, the dead letters and long operations' progress."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import editor_required
from billing.limits import LimitExceeded, tenant_plan
from integrations.filters import (
    DeadLetterLogFilter,
    TransactionLogFilter,
    dead_letter_filter_params,
)
from integrations.models import DeadLetter, Operation, Transaction
from integrations.redaction import redact
from integrations.selectors import (
    KeysetPage,
    dead_letter_error_classes,
    dead_letters_matching,
    keyset_page,
    operations_recent,
    transaction_attempts,
    transactions_retained,
)
from integrations.services.dead_letters import dead_letter_replay, dead_letters_discard
from integrations.services.operations import dead_letters_operation_start, operation_refresh
from integrations.views.hints import hints_for_page

PAGE_SIZE = 50
_BULK_ACTIONS = {"replay", "discard"}


def _pretty(record: Any) -> str:
    """A stored record as indented JSON, secrets replaced (the API's redaction)."""
    return "" if record is None else json.dumps(redact(record), indent=2, sort_keys=True,
                                                default=str)


def _cursor(request: HttpRequest) -> tuple[int | None, int | None, str]:
    """``?after=`` / ``?before=`` from a page link, and what was wrong with them, if anything."""
    values = []
    for name in ("after", "before"):
        raw = request.GET.get(name, "").strip()
        if not raw:
            values.append(None)
        elif raw.isdigit():
            values.append(int(raw))
        else:
            return None, None, "That page link is not valid; showing the newest entries."
    return values[0], values[1], ""


def _paged(request: HttpRequest, filters: Any) -> tuple[KeysetPage, list[str]]:
    """The page of ``filters``' rows the request asks for, or nothing with the reasons why."""
    empty = KeysetPage(items=[], older=None, newer=None)
    if filters.is_bound and not filters.is_valid():
        return empty, []
    after, before, problem = _cursor(request)
    try:
        page = keyset_page(filters.qs, after=after, before=before, size=PAGE_SIZE)
    except LimitExceeded as exc:
        return empty, [exc.reason]
    except ValidationError as exc:
        return empty, exc.messages
    return page, [problem] if problem else []


def _link(request: HttpRequest, **changes: int | None) -> str:
    query: QueryDict = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    for name, value in changes.items():
        if value is not None:
            query[name] = str(value)
    return f"?{query.urlencode()}"


def _page_links(request: HttpRequest, page: KeysetPage) -> dict[str, str]:
    return {"older_url": _link(request, after=page.older) if page.older else "",
            "newer_url": _link(request, before=page.newer) if page.newer else "",
            "newest_url": _link(request) if page.newer or request.GET.get("after")
            or request.GET.get("before") else ""}


@require_safe
@login_required
def transaction_list(request: HttpRequest) -> HttpResponse:
    filters = TransactionLogFilter(data=request.GET or None, queryset=transactions_retained())
    page, problems = _paged(request, filters)
    plan = tenant_plan(tenant=request.tenant)
    return render(request, "portal/transactions/list.html", {
        "filter": filters, "page": page, "problems": problems,
        "retention_days": plan.log_retention_days if plan else None,
        **_page_links(request, page)})


@require_safe
@login_required
def transaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Transaction.objects.select_related("flow__pair", "event"), pk=pk)
    letter = DeadLetter.objects.filter(event_id=row.event_id).first() if row.event_id else None
    return render(request, "portal/transactions/detail.html", {
        "row": row, "letter": letter, "attempts": transaction_attempts(transaction=row),
        "source_record": _pretty(row.source_record),
        "target_record": _pretty(row.target_record)})


def _dead_letter_filter_data(request: HttpRequest) -> QueryDict:
    data = request.GET.copy()
    # Open letters are what needs a person; "Any" (resolution=) shows every one.
    if "resolution" not in data:
        data["resolution"] = DeadLetter.Resolution.OPEN
    return data


@require_safe
@login_required
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    filters = DeadLetterLogFilter(
        data=_dead_letter_filter_data(request),
        queryset=DeadLetter.objects.select_related("flow__pair", "event"))
    page, problems = _paged(request, filters)
    resolution = filters.data.get("resolution", "")
    return render(request, "portal/dead_letters/list.html", {
        "filter": filters, "page": page, "problems": problems,
        "error_classes": dead_letter_error_classes(),
        "params": dead_letter_filter_params(filters.data),
        # Only open letters are replayed or discarded: no bulk buttons over resolved ones.
        "bulk_allowed": resolution in ("", DeadLetter.Resolution.OPEN) and bool(page.items),
        **_page_links(request, page)})


@require_safe
@login_required
def dead_letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(DeadLetter.objects.select_related("flow__pair", "event"), pk=pk)
    attempts = list(Transaction.objects.filter(event_id=letter.event_id)
                    .order_by("started_at", "pk"))
    return render(request, "portal/dead_letters/detail.html", {
        "letter": letter, "attempts": attempts, "hints": hints_for_page(letter),
        "problems": [p if isinstance(p, dict) else {"message": str(p)}
                     for p in letter.problems or []],
        "source_record": _pretty(letter.source_record),
        "mapped_record": _pretty(letter.mapped_record)})


@require_POST
@editor_required
def dead_letter_replay_view(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(DeadLetter, pk=pk)
    if dead_letter_replay(letter=letter, by=request.user.email):
        messages.success(request, "Sent back through the pipeline with the flow's current "
                                  "mapping; its new attempt shows below.")
    else:
        messages.error(request, "Not replayed: this dead letter is no longer open.")
    return redirect("dead_letter_detail", pk=pk)


@require_POST
@editor_required
def dead_letter_discard_view(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(DeadLetter, pk=pk)
    if dead_letters_discard(letters=[letter], by=request.user.email):
        messages.success(request, "Discarded: it stays here, marked discarded.")
    else:
        messages.error(request, "Not discarded: this dead letter is no longer open.")
    return redirect("dead_letter_detail", pk=pk)


def _describe(filters: DeadLetterLogFilter, selected: int | None) -> str:
    data = filters.form.cleaned_data
    parts = [f"{label} {data[name]}" for name, label in (
        ("pair", "integration"), ("flow", "flow"), ("error_class", "error class"),
        ("external_id", "record"), ("date_from", "from"), ("date_to", "to"))
        if data.get(name)]
    if selected is not None:
        parts.append(f"{selected} ticked")
    return "Open dead letters" + (": " + ", ".join(parts) if parts else " (all)")


@require_POST
@editor_required
def dead_letters_bulk(request: HttpRequest) -> HttpResponse:
    """Replay or discard every open dead letter matching the list's filter (or only the ticked
    ones). A first POST asks to confirm, naming how many; the confirmed one starts it."""
    action, _, scope = request.POST.get("action", "").partition(":")
    params = dead_letter_filter_params(request.POST)
    back = reverse("dead_letter_list") + "?" + _urlencode(params)
    if action not in _BULK_ACTIONS:
        messages.error(request, "Choose Replay or Discard.")
        return redirect(back)
    ids: list[int] | None = None
    if scope == "selected":
        raw = request.POST.getlist("ids")
        ids = [int(value) for value in raw if value.isdigit()]
        if not ids:
            messages.error(request, "Tick the dead letters to act on, or use the "
                                    "'all matching' buttons.")
            return redirect(back)
    filters = DeadLetterLogFilter(data=params, queryset=DeadLetter.objects.all())
    if not filters.is_valid():
        messages.error(request, "The filter is not valid; correct it and try again.")
        return redirect(back)
    label = _describe(filters, len(ids) if ids is not None else None)
    if request.POST.get("confirmed") != "yes":
        count = dead_letters_matching(filters=params, ids=ids).count()
        return render(request, "portal/dead_letters/confirm.html", {
            "action": action, "scope": scope, "count": count, "label": label,
            "params": params, "ids": ids or [], "back": back})
    operation = dead_letters_operation_start(
        kind=action, filters=params, ids=ids, label=label, by=request.user.email)
    return redirect("operation_detail", pk=operation.pk)


def _urlencode(params: dict[str, str]) -> str:
    query = QueryDict(mutable=True)
    query.update(params)
    if "resolution" not in params:
        # Keep "Any" as chosen rather than falling back to the open-only default.
        query["resolution"] = ""
    return query.urlencode()


@require_safe
@login_required
def operation_list(request: HttpRequest) -> HttpResponse:
    operations = [operation_refresh(operation=op) for op in operations_recent()]
    return render(request, "portal/operations/list.html", {"operations": operations})


@require_safe
@login_required
def operation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    operation = operation_refresh(operation=get_object_or_404(Operation, pk=pk))
    return render(request, "portal/operations/detail.html", {
        "operation": operation, "letters_url": _letters_url(operation)})


@require_safe
@login_required
def operation_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar alone, which the detail page polls every second until it is done."""
    operation = operation_refresh(operation=get_object_or_404(Operation, pk=pk))
    return render(request, "portal/operations/_progress.html", {
        "operation": operation, "letters_url": _letters_url(operation)})


def _letters_url(operation: Operation) -> str:
    """Where to see what a dead-letter operation touched: its filter, resolved its way."""
    if operation.kind not in (Operation.Kind.REPLAY, Operation.Kind.DISCARD):
        return ""
    params = {**(operation.params.get("filters") or {}),
              "resolution": (DeadLetter.Resolution.REPLAYED if operation.kind ==
                             Operation.Kind.REPLAY else DeadLetter.Resolution.DISCARDED)}
    return reverse("dead_letter_list") + "?" + _urlencode(params)
