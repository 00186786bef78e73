"""The scheduler's tick reads one index of due polls, whatever the number of tenants."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.scheduler import Scheduler
from tenants.models import PollSchedule, Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduler():
    connection.set_schema_to_public()
    scheduler = Scheduler(jobs=(), polls=True)
    yield scheduler
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")


def _schedules_for(tenants: int, *, first: int = 0, flows_each: int = 3) -> None:
    later = timezone.now() + dt.timedelta(hours=1)
    for n in range(first, first + tenants):
        # Rows only: the tick never opens a tenant's schema, so none is needed.
        tenant = Tenant.objects.create(schema_name=f"t_sched_{n}", name=f"Sched {n}",
                                       slug=f"sched-{n}")
        PollSchedule.objects.bulk_create(
            PollSchedule(tenant=tenant, flow_id=flow, interval_s=300, next_run_at=later)
            for flow in range(flows_each))


def _tick_queries(scheduler: Scheduler) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert scheduler.tick() == []
    return len(captured.captured_queries)


def test_a_tick_with_nothing_due_queries_the_same_for_one_tenant_or_forty(scheduler):
    _schedules_for(1)
    scheduler.tick()  # takes the leader lock
    with_one = _tick_queries(scheduler)

    _schedules_for(40, first=1)

    assert _tick_queries(scheduler) == with_one


def test_a_tick_with_nothing_due_reads_the_schedule_once(scheduler):
    _schedules_for(20)
    scheduler.tick()

    with CaptureQueriesContext(connection) as captured:
        scheduler.tick()

    reads = [q["sql"] for q in captured.captured_queries if "tenants_pollschedule" in q["sql"]]
    assert len(reads) == 1
    assert not any("search_path" in q["sql"] for q in captured.captured_queries)
