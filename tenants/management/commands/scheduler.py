from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from config.scheduler import Scheduler


class Command(BaseCommand):
    help = "Run the scheduler process: enqueue periodic jobs on the broker."

    def handle(self, *args: Any, **options: Any) -> None:
        Scheduler(tick_seconds=settings.SCHEDULER_TICK_SECONDS).run_forever()
