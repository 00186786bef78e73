"""Two worker processes share one account's budget and together stay under the store's limit."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_burst_from_two_processes_stays_under_the_stores_rate_limit(new_account, control):
    store = new_account("bigcommerce")
    quota, window_ms, calls = 10, 2000, 15
    control.limits("bigcommerce", store["account"], requests_quota=quota, window_ms=window_ms)
    key = f"bigcommerce:test:{uuid.uuid4().hex}"
    args = [store["base_url"], store["account"], store["credentials"]["access_token"], key,
            str(quota), str(window_ms / 1000), str(calls)]

    workers = [subprocess.Popen([sys.executable, "-m",
                                 "tests.integrations.connectors.budget_worker", *args],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out))

    assert [r["limited"] for r in results] == [0, 0]
    assert sum(r["ok"] for r in results) == 2 * calls
