"""The process runtime: every system's context, demo accounts, reset, seeding, persistence."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sandboxes.config import SandboxConfig
from sandboxes.seeding import dataset_generate
from sandboxes.system import SandboxSystem, SystemContext
from sandboxes.webhooks import WebhookDispatcher

logger = logging.getLogger("sandboxes")

SEED_KEYS = ("products", "customers", "orders", "suppliers", "purchase_orders")
STATE_FORMAT = 1


class Sandbox:
    def __init__(self, config: SandboxConfig, systems: Sequence[SandboxSystem]) -> None:
        self.config = config
        self.dispatcher = WebhookDispatcher()
        self.contexts: dict[str, SystemContext] = {
            s.name: SystemContext(s, config, self.dispatcher) for s in systems
        }
        self.changes = 0  # bumped by control writes; API writes are caught by the periodic save

    def context(self, name: str) -> SystemContext | None:
        return self.contexts.get(name)

    # -- demo and seeding ---------------------------------------------------------------
    def demo_sizes(self) -> dict[str, int]:
        n = self.config.demo_size
        return {"products": n, "customers": n, "orders": n}

    def demo_create(self, ctx: SystemContext) -> None:
        demo = ctx.system.demo_account
        ctx.account_create(demo.name, demo.credentials)
        self.account_seed(ctx, demo.name, self.demo_sizes(), seed=self.config.seed)

    def demos_ensure(self) -> None:
        """Create each system's demo account unless it exists (e.g. loaded from the state file)."""
        for ctx in self.contexts.values():
            if ctx.account(ctx.system.demo_account.name) is None:
                self.demo_create(ctx)

    def account_seed(
        self, ctx: SystemContext, account: str, sizes: dict[str, Any], *, seed: int | None
    ) -> dict[str, int]:
        if ctx.system.seed_account is None:
            return {}
        target = ctx.account(account)
        if target is None:
            raise KeyError(account)
        # Kinds not asked for are not generated (suppliers excepted: orders and POs need them).
        options: dict[str, Any] = {"products": 0, "customers": 0, "orders": 0}
        options.update({k: int(v) for k, v in sizes.items() if k in SEED_KEYS and v is not None})
        dataset = dataset_generate(seed=self.config.seed if seed is None else seed, **options)
        ctx.system.seed_account(ctx, target, dataset)
        self.changes += 1
        return dataset.counts()

    # -- reset --------------------------------------------------------------------------
    def reset(
        self, system: str | None = None, account: str | None = None, *, demo: bool = True
    ) -> None:
        """Wipe state (all, one system, or one account's records); re-seed the demo accounts."""
        targets = [self.contexts[system]] if system else list(self.contexts.values())
        for ctx in targets:
            demo_name = ctx.system.demo_account.name
            if account is not None:
                target = ctx.account(account)
                if target is not None:
                    target.clear()
                    if ctx.system.init_account is not None:
                        ctx.system.init_account(ctx, target)
                    ctx.faults.clear(account)
                    ctx.limits.pop(account, None)
                    ctx.limiters_reset(account)
                    self.dispatcher.clear(ctx.name, account)
                    if demo and account == demo_name:
                        self.account_seed(ctx, account, self.demo_sizes(), seed=self.config.seed)
                continue
            ctx.state.accounts.clear()
            ctx.state.tokens.clear()
            ctx.faults.clear(everything=True)
            ctx.limits = {None: dict(ctx.system.default_limits)}
            ctx.limiters_reset()
            self.dispatcher.clear(ctx.name)
            if demo and self.config.demo:
                self.demo_create(ctx)
        self.changes += 1

    # -- persistence --------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "systems": {name: ctx.state.dump() for name, ctx in self.contexts.items()},
        }

    def save(self, path: Path | None = None) -> None:
        path = path or self.config.state_file
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.dump(), separators=(",", ":")))
        os.replace(tmp, path)

    def load(self, path: Path | None = None) -> bool:
        path = path or self.config.state_file
        if path is None or not path.exists():
            return False
        data = json.loads(path.read_text() or "{}")
        for name, sdata in data.get("systems", {}).items():
            ctx = self.contexts.get(name)
            if ctx is not None:
                ctx.state.load(sdata)
        logger.info("sandbox state loaded from %s", path)
        return True

    def fingerprint(self) -> tuple[int, ...]:
        """Cheap change detector for the periodic save: counts and last-modified times."""
        parts: list[int] = [self.changes]
        for ctx in self.contexts.values():
            parts.append(len(ctx.state.tokens))
            for account in ctx.state.accounts.values():
                for table in account.tables.values():
                    parts.append(len(table))
                    parts.append(int(max(table.updated.values(), default=0) * 1000))
        return tuple(parts)
