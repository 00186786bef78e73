"""Create many demo tenants, each with two sandbox pairs and their flows: for scale runs."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from tenants.demo import DEMO_TENANT_PASSWORD, demo_tenant_ensure
from tenants.services import tenant_slug_validate


def _ensure_one(slug_plan: tuple[str, str]) -> str:
    slug, plan = slug_plan
    return demo_tenant_ensure(slug=slug, plan=plan)


def _child_start() -> None:
    # Forked children must not share the parent's database socket.
    for conn in connections.all(initialized_only=True):
        conn.connection = None
        conn.close()


def _ensure_all(slugs: list[str], *, plan: str, jobs: int) -> Iterator[str]:
    work = [(slug, plan) for slug in slugs]
    if jobs == 1:
        yield from map(_ensure_one, work)
        return
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_child_start) as pool:
        yield from pool.imap(_ensure_one, work, chunksize=5)


class Command(BaseCommand):
    help = ("Create N demo tenants <prefix>-0001… with a Brightpearl + BigCommerce pair (webhook "
            "flows) and a Brightpearl + Dynamics GP pair (polled flows) on the sandbox URLs. "
            "Tenants that exist are completed if a pair is missing, otherwise skipped.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="How many demo tenants.")
        parser.add_argument("--prefix", default="demo",
                            help="Slug prefix: <prefix>-0001, <prefix>-0002, …")
        parser.add_argument("--plan", default="connect", help="Plan slug of each tenant.")
        parser.add_argument("--progress-every", type=int, default=50,
                            help="Print a progress line every this many tenants.")
        parser.add_argument("--jobs", type=int, default=1,
                            help="Processes creating tenants at once (schema clones still "
                                 "take turns).")

    def handle(self, *args: Any, **options: Any) -> None:
        count, prefix = options["count"], options["prefix"]
        if count < 1:
            raise CommandError(f"--count must be at least 1, not {count}.")
        width = max(4, len(str(count)))
        try:
            # The longest slug must be valid too; "-taken" is fine (existing tenants skip).
            tenant_slug_validate(f"{prefix}-{'9' * width}")
        except ValidationError as exc:
            if exc.code != "taken":
                raise CommandError(f"--prefix {prefix!r} makes invalid slugs: "
                                   f"{' '.join(exc.messages)}") from exc
        if options["jobs"] < 1:
            raise CommandError(f"--jobs must be at least 1, not {options['jobs']}.")
        slugs = [f"{prefix}-{n:0{width}d}" for n in range(1, count + 1)]
        created = completed = skipped = 0
        started = time.perf_counter()
        for n, outcome in enumerate(_ensure_all(slugs, plan=options["plan"],
                                                jobs=options["jobs"]), start=1):
            created += outcome == "created"
            completed += outcome == "completed"
            skipped += outcome == "skipped"
            if n % options["progress_every"] == 0 or n == count:
                elapsed = time.perf_counter() - started
                self.stdout.write(f"{n}/{count}: {created} created, {completed} completed, "
                                  f"{skipped} skipped ({elapsed:.1f} s)")
        self.stdout.write(self.style.SUCCESS(
            f"{count} demo tenants {prefix}-{1:0{width}d}…{prefix}-{count:0{width}d} ready; "
            f"owners owner@<slug>.example.com / {DEMO_TENANT_PASSWORD}"))
