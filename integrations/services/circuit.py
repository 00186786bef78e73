"""A circuit breaker per connection, shared by all workers through the database.

After ``FAILURE_THRESHOLD`` transient failures in a row the circuit opens: events for that
connection wait (they retry later) instead of hammering a system that is down. A probe runs
when the open period ends; success closes the circuit and releases the waiting events.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from integrations.models import Connection

FAILURE_THRESHOLD = 10
OPEN_FOR = dt.timedelta(seconds=60)


def open_for(connection: Connection, *, now: dt.datetime | None = None,
             reload: bool = True) -> float:
    """Seconds until the circuit may be tried again (0 when closed or half-open).

    ``reload=False`` trusts the row as given: for a caller that has just read it.
    """
    until = (Connection.objects.filter(pk=connection.pk)
             .values_list("circuit_open_until", flat=True).first() if reload
             else connection.circuit_open_until)
    now = now or timezone.now()
    return max(0.0, (until - now).total_seconds()) if until else 0.0


def record_failure(connection: Connection, message: str) -> bool:
    """Count a transient failure; return True when this one opened the circuit."""
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_error=message[:2000],
        last_checked_at=now)
    opened = Connection.objects.filter(
        pk=connection.pk, consecutive_failures__gte=FAILURE_THRESHOLD,
    ).exclude(circuit_open_until__gt=now).update(
        circuit_open_until=now + OPEN_FOR, health=Connection.Health.FAILING)
    if opened:
        from integrations.services.alerts import alert_raise
        from integrations.tasks import connection_probe_task

        alert_raise(kind="circuit_open", key=f"connection:{connection.pk}",
                    message=f"{connection.name}: paused after {FAILURE_THRESHOLD} failures in a "
                            f"row ({message}). Retrying in {OPEN_FOR.seconds} s.")
        connection_probe_task.send_with_options(args=(connection.pk,),
                                                delay=int(OPEN_FOR.total_seconds() * 1000))
    return bool(opened)


def record_success(connection: Connection) -> None:
    """Close the circuit after a success. The row was read with the flow at the start of this
    event, so only a connection that was failing then costs an UPDATE: the hot path of a
    healthy connection does no write here."""
    if connection.consecutive_failures or connection.circuit_open_until:
        Connection.objects.filter(pk=connection.pk).update(
            consecutive_failures=0, circuit_open_until=None, health=Connection.Health.OK,
            last_success_at=timezone.now())
        connection.consecutive_failures, connection.circuit_open_until = 0, None


def connection_probe(*, connection_id: int) -> bool:
    """Test the connection; on success close the circuit and release waiting events."""
    from integrations.services.connections import connection_test
    from integrations.services.events import events_sweep

    connection = Connection.objects.get(pk=connection_id)
    result = connection_test(connection=connection)
    if result.ok:
        record_success(connection)
        events_sweep()
        return True
    Connection.objects.filter(pk=connection_id).update(
        circuit_open_until=timezone.now() + OPEN_FOR)
    from integrations.tasks import connection_probe_task

    connection_probe_task.send_with_options(args=(connection_id,),
                                            delay=int(OPEN_FOR.total_seconds() * 1000))
    return False
