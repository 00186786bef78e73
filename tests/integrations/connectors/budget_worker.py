"""One worker process for the shared-budget test: N calls through a budgeted connector.

Prints one line of JSON: how many calls succeeded and how many were rate-limited by the store.
"""

from __future__ import annotations

import json
import os
import sys

import redis

from integrations.connectors.base import ConnectionConfig
from integrations.connectors.bigcommerce import BigCommerceConnector
from integrations.connectors.budget import RateLimit, RequestBudget
from integrations.connectors.errors import RateLimited


def main(base_url: str, store: str, token: str, key: str, quota: int, window_s: float,
         calls: int) -> None:
    budget = RequestBudget(redis.Redis.from_url(os.environ["REDIS_URL"]), key=key,
                           limit=RateLimit(quota, window_s), max_wait_s=60)
    connector = BigCommerceConnector(
        ConnectionConfig(base_url=base_url, account=store, auth_type="api_token",
                         credentials={"store_hash": store, "access_token": token}),
        budget=budget)
    ok = limited = 0
    for _ in range(calls):
        try:
            connector.test()
            ok += 1
        except RateLimited:
            limited += 1
    print(json.dumps({"ok": ok, "limited": limited}))


if __name__ == "__main__":
    base_url, store, token, key, quota, window_s, calls = sys.argv[1:]
    main(base_url, store, token, key, int(quota), float(window_s), int(calls))
