"""The scheduler process: enqueues periodic work; never does the work itself.

Several scheduler processes may run (one per machine, say): a PostgreSQL advisory lock elects
one leader, and the others stand by and take over if it dies, because the lock is released with
its session.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Arbitrary, fixed: the advisory lock key that marks the scheduler leader.
LEADER_LOCK_KEY = 7_302_114_551


@dataclass(frozen=True)
class PeriodicJob:
    actor_path: str
    every_seconds: float


# Each job's actor must be idempotent: a new leader runs every job once when it takes over.
PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("billing.tasks.subscription_periods_advance_task", every_seconds=3600),
    PeriodicJob("integrations.tasks.events_sweep_all_task",
                every_seconds=settings.EVENT_SWEEP_SECONDS),
    PeriodicJob("integrations.tasks.logs_purge_all_task", every_seconds=86_400),
    PeriodicJob("integrations.tasks.anomaly_volume_check_all_task", every_seconds=600),
)
POLLS_PER_TICK = 2000


def polls_enqueue_due(*, now: dt.datetime | None = None, limit: int = POLLS_PER_TICK) -> int:
    """Enqueue every due poll and move its next run on: one indexed query for due rows, so a
    tick costs O(due flows) however many tenants there are."""
    from integrations.tasks import flow_poll_task
    from tenants.models import PollSchedule

    now = now or timezone.now()
    with transaction.atomic():
        due = list(PollSchedule.objects.select_for_update(skip_locked=True)
                   .filter(next_run_at__lte=now).select_related("tenant")
                   .order_by("next_run_at")[:limit])
        for row in due:
            flow_poll_task.send_with_options(args=(row.flow_id,),
                                             tenant_schema=row.tenant.schema_name)
            row.next_run_at = now + dt.timedelta(seconds=row.interval_s)
        PollSchedule.objects.bulk_update(due, ["next_run_at"])
    return len(due)


class Scheduler:
    def __init__(
        self,
        *,
        jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS,
        tick_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        polls: bool = True,
    ) -> None:
        self.jobs = jobs
        self.polls = polls
        self.tick_seconds = tick_seconds
        self.clock = clock
        self.next_run: dict[str, float] = {}
        self.stopping = False
        self.is_leader = False

    def try_lead(self) -> bool:
        if not self.is_leader:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_LOCK_KEY])
                self.is_leader = bool(cursor.fetchone()[0])
            if self.is_leader:
                logger.info("Scheduler is the leader; running periodic jobs.")
                self.next_run.clear()
        return self.is_leader

    def tick(self) -> list[str]:
        """Enqueue every job that is due; return the actor paths enqueued."""
        if not self.try_lead():
            return []
        now = self.clock()
        sent = []
        if self.polls:
            polled = polls_enqueue_due()
            if polled:
                sent.append(f"{polled} due polls")
        if settings.SYNC_FAIR_DISPATCH:
            from integrations.services.events import backlogs_pump

            # Backlogs whose slots came free without a hand-on (a killed worker's lease ran
            # out): one Redis read when there are none. A Redis that is down must not stop
            # the sweeper and the other jobs below.
            try:
                pumped = backlogs_pump()
            except redis.RedisError:
                logger.warning("Backlog pump skipped: Redis unavailable.", exc_info=True)
                pumped = 0
            if pumped:
                sent.append(f"{pumped} backlog messages")
        for job in self.jobs:
            if self.next_run.get(job.actor_path, 0.0) <= now:
                import_string(job.actor_path).send()
                self.next_run[job.actor_path] = now + job.every_seconds
                sent.append(job.actor_path)
        return sent

    def run_forever(self) -> None:
        def stop(signum: int, frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        logger.info("Scheduler started (tick %.1f s).", self.tick_seconds)
        while not self.stopping:
            try:
                for path in self.tick():
                    logger.info("Enqueued %s", path)
            except Exception:
                # A lost database or broker must not kill the process; retry next tick.
                logger.exception("Scheduler tick failed")
                self.is_leader = False
                connection.close()
            deadline = self.clock() + self.tick_seconds
            while not self.stopping and self.clock() < deadline:
                time.sleep(0.2)
        logger.info("Scheduler stopped.")
