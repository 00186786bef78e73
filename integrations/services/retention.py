"""Log retention: transaction logs and finished events older than the plan keeps are purged.

Both tables grow by appending: ids rise with time (an event's ``received_at`` is its insert;
a transaction's ``started_at`` precedes its insert by one sync at most). So the purge finds
the last id older than the cutoff by a binary search on the primary key (a few dozen index
probes, whatever the table's size), then deletes in id order, a chunk of ``BATCH`` ids per
statement, each in its own short transaction. Nothing scans the table or sorts it by time,
no time index is kept just for purging (which every insert would pay for), and the only rows
locked are old ones that nothing writes, so the pipeline's inserts never wait on a purge
(``bench/retention_bench.py`` measures them during one). Each row is still checked against
the cutoff, so one out of time order is kept until a later purge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection as db
from django.utils import timezone

from integrations.models import DeadLetter, InboundEvent, Transaction

BATCH = 2000
FINISHED = (InboundEvent.Status.DONE, InboundEvent.Status.SKIPPED,
            InboundEvent.Status.UNROUTED)


@dataclass(frozen=True)
class Purged:
    transactions: int
    events: int
    more: bool  # stopped at max_batches with old rows left


def boundary_id(table: str, column: str, cutoff: dt.datetime) -> int | None:
    """The largest id whose row's ``column`` is before ``cutoff``, assuming ids rise with it;
    None when the oldest row is not. Binary search over the primary key."""
    with db.cursor() as cursor:
        def first_from(start: int) -> tuple[int, dt.datetime] | None:
            cursor.execute(f"SELECT id, {column} FROM {table} WHERE id >= %s "  # noqa: S608 - our names
                           "ORDER BY id LIMIT 1", [start])
            return cursor.fetchone()

        cursor.execute(f"SELECT min(id), max(id) FROM {table}")  # noqa: S608
        low, high = cursor.fetchone()
        if low is None:
            return None
        oldest = first_from(low)
        if oldest is None or oldest[1] >= cutoff:
            return None
        while low < high:
            middle = (low + high + 1) // 2
            row = first_from(middle)
            if row is not None and row[1] < cutoff:
                low = min(row[0], high)
            else:
                high = middle - 1
        return low


_TRANSACTIONS = """
WITH chunk AS (SELECT id, started_at FROM {tx} WHERE id > %(after)s AND id <= %(upto)s
               ORDER BY id LIMIT %(batch)s),
gone AS (DELETE FROM {tx} t USING chunk c WHERE t.id = c.id AND c.started_at < %(cutoff)s
         RETURNING t.id)
SELECT (SELECT max(id) FROM chunk), (SELECT count(*) FROM gone)
"""

# A finished event's transactions keep their row (the link to it is cleared, as Django's
# SET_NULL would) and a resolved dead letter of it goes with it (CASCADE): one statement, so
# the deferred foreign keys hold at its end.
_EVENTS = """
WITH chunk AS (SELECT id, received_at, status FROM {ev} WHERE id > %(after)s AND id <= %(upto)s
               ORDER BY id LIMIT %(batch)s),
doomed AS (SELECT id FROM chunk WHERE received_at < %(cutoff)s AND status = ANY(%(finished)s)),
unlinked AS (UPDATE {tx} SET event_id = NULL WHERE event_id IN (SELECT id FROM doomed)),
letters AS (DELETE FROM {dl} WHERE event_id IN (SELECT id FROM doomed)),
gone AS (DELETE FROM {ev} WHERE id IN (SELECT id FROM doomed) RETURNING id)
SELECT (SELECT max(id) FROM chunk), (SELECT count(*) FROM gone)
"""


def _purge(sql: str, params: dict[str, object], *, upto: int | None,
           max_batches: int) -> tuple[int, bool]:
    if upto is None:
        return 0, False
    deleted, after = 0, 0
    with db.cursor() as cursor:
        for _ in range(max_batches):
            cursor.execute(sql, {**params, "after": after, "upto": upto, "batch": BATCH})
            last, count = cursor.fetchone()
            if last is None:
                return deleted, False
            deleted, after = deleted + count, last
    return deleted, after < upto


def logs_purge(*, now: dt.datetime | None = None, max_batches: int = 500) -> Purged:
    """Purge what is past the tenant's plan retention; dead letters and their events stay
    until a person resolves them."""
    subscription = getattr(db.tenant, "subscription", None)
    if subscription is None:
        return Purged(transactions=0, events=0, more=False)
    cutoff = (now or timezone.now()) - dt.timedelta(days=subscription.plan.log_retention_days)
    tx, ev = Transaction._meta.db_table, InboundEvent._meta.db_table
    names = {"tx": tx, "ev": ev, "dl": DeadLetter._meta.db_table}
    transactions, more_tx = _purge(
        _TRANSACTIONS.format(**names), {"cutoff": cutoff},
        upto=boundary_id(tx, "started_at", cutoff), max_batches=max_batches)
    events, more_ev = _purge(
        _EVENTS.format(**names), {"cutoff": cutoff, "finished": list(FINISHED)},
        upto=boundary_id(ev, "received_at", cutoff), max_batches=max_batches)
    return Purged(transactions=transactions, events=events, more=more_tx or more_ev)
