import threading

import pytest
from django.db import connection

from config.scheduler import PeriodicJob, Scheduler

JOB = "billing.tasks.subscription_periods_advance_task"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scheduler(db, clock):
    scheduler = Scheduler(jobs=(PeriodicJob(JOB, every_seconds=60),), clock=clock, polls=False)
    yield scheduler
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")


def test_due_job_is_enqueued_once_per_interval(scheduler, clock):
    assert scheduler.tick() == [JOB]
    clock.now += 59
    assert scheduler.tick() == []
    clock.now += 1
    assert scheduler.tick() == [JOB]


def test_only_one_scheduler_leads_at_a_time(scheduler):
    assert scheduler.tick() == [JOB]
    outcome = {}

    def second_scheduler() -> None:
        # Another thread has its own database session, like another scheduler process.
        try:
            outcome["sent"] = Scheduler(jobs=scheduler.jobs, polls=False).tick()
        finally:
            connection.close()

    thread = threading.Thread(target=second_scheduler)
    thread.start()
    thread.join()
    assert outcome["sent"] == []
