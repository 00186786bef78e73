"""The scheduler process: enqueues periodic work; never does the work itself.

Several scheduler processes may run (one per machine, say): a PostgreSQL advisory lock elects
one leader, and the others stand by and take over if it dies, because the lock is released with
its session.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from django.db import connection
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
)


class Scheduler:
    def __init__(
        self,
        *,
        jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS,
        tick_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jobs = jobs
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
