"""Dead letters: replay (one, or every one matching a filter) with the current mapping, or
discard. Replay sends the original event through the pipeline again; because writes go
through record links, a replay updates what an earlier attempt created, never duplicates."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.models import DeadLetter, InboundEvent
from integrations.services.events import events_enqueue


def _open(letters: QuerySet[DeadLetter]) -> QuerySet[DeadLetter]:
    return letters.filter(resolution=DeadLetter.Resolution.OPEN)


@transaction.atomic
def dead_letters_replay(*, letters: QuerySet[DeadLetter], by: str = "") -> int:
    """Send every open dead letter in ``letters`` back through the pipeline; return how many."""
    chosen = list(_open(letters).select_for_update(skip_locked=True)
                  .values_list("pk", "event_id"))
    if not chosen:
        return 0
    event_ids = [event_id for _, event_id in chosen]
    InboundEvent.objects.filter(pk__in=event_ids).update(
        status=InboundEvent.Status.PENDING, attempts=0, next_attempt_at=None, last_error="",
        processed_at=None, lease_until=None)
    DeadLetter.objects.filter(pk__in=[pk for pk, _ in chosen]).update(
        resolution=DeadLetter.Resolution.REPLAYED, resolved_at=timezone.now(), resolved_by=by)
    transaction.on_commit(lambda: events_enqueue(event_ids))
    return len(chosen)


def dead_letter_replay(*, letter: DeadLetter, by: str = "") -> bool:
    return dead_letters_replay(letters=DeadLetter.objects.filter(pk=letter.pk), by=by) == 1


@transaction.atomic
def dead_letters_discard(*, letters: QuerySet[DeadLetter] | Iterable[DeadLetter],
                         by: str = "") -> int:
    ids = [letter.pk for letter in letters] if not isinstance(letters, QuerySet) else None
    queryset = DeadLetter.objects.filter(pk__in=ids) if ids is not None else letters
    return _open(queryset).update(resolution=DeadLetter.Resolution.DISCARDED,
                                  resolved_at=timezone.now(), resolved_by=by)
