"""Log retention: transaction logs and finished events older than the plan keeps are purged.

Deleted in small batches by primary key, so the purge never holds long locks on tables the
pipeline is writing to.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection as db
from django.utils import timezone

from integrations.models import InboundEvent, Transaction

BATCH = 2000
FINISHED = (InboundEvent.Status.DONE, InboundEvent.Status.SKIPPED,
            InboundEvent.Status.UNROUTED)


def _purge(queryset, *, max_batches: int) -> int:
    deleted = 0
    for _ in range(max_batches):
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]
    return deleted


def logs_purge(*, now: dt.datetime | None = None, max_batches: int = 500) -> dict[str, int]:
    """Purge what is past the tenant's plan retention; dead letters and their events stay
    until a person resolves them."""
    subscription = getattr(db.tenant, "subscription", None)
    if subscription is None:
        return {"transactions": 0, "events": 0}
    cutoff = (now or timezone.now()) - dt.timedelta(days=subscription.plan.log_retention_days)
    return {
        "transactions": _purge(Transaction.objects.filter(started_at__lt=cutoff),
                               max_batches=max_batches),
        "events": _purge(InboundEvent.objects.filter(received_at__lt=cutoff,
                                                     status__in=FINISHED),
                         max_batches=max_batches),
    }
