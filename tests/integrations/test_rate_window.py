"""The shared fixed-window limit, on the real Redis the suite runs against: several instances
stand for several web processes."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from config.redis import redis_client
from integrations.rate_window import BLOCK_MAX, SharedWindowLimit

NOW = 1_800_000_000.0  # the start of a window of 60 s


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"cc-test-rate-{uuid.uuid4().hex[:10]}"
    yield prefix
    for key in redis_client().scan_iter(f"{prefix}:*"):
        redis_client().delete(key)


def _process(prefix: str) -> SharedWindowLimit:
    return SharedWindowLimit(redis=redis_client, prefix=prefix)


def _allowed(limit: SharedWindowLimit, n: int, *, cap: int, now: float = NOW) -> int:
    return sum(limit.allow("conn", limit=cap, now=now) for _ in range(n))


def test_one_process_is_allowed_exactly_the_limit_in_a_window(prefix):
    assert _allowed(_process(prefix), 1_000, cap=700) == 700


def test_processes_together_never_exceed_the_limit(prefix):
    processes = [_process(prefix) for _ in range(4)]
    allowed = sum(_allowed(p, 10, cap=500) for _ in range(100) for p in processes)

    assert allowed <= 500


def test_processes_together_lose_little_of_the_limit_to_blocks_they_did_not_spend(prefix):
    processes = [_process(prefix) for _ in range(4)]
    allowed = sum(_allowed(p, 10, cap=5_000) for _ in range(200) for p in processes)

    assert 5_000 - 4 * BLOCK_MAX <= allowed <= 5_000


def test_threads_of_one_process_never_exceed_the_limit(prefix):
    limit = _process(prefix)
    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(_allowed(limit, 300, cap=1_000)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 1_000


def test_most_units_are_counted_locally_with_one_redis_call_a_block(prefix):
    calls: list[int] = []

    def counting_redis():
        calls.append(1)
        return redis_client()

    limit = SharedWindowLimit(redis=counting_redis, prefix=prefix)
    assert _allowed(limit, 640, cap=60_000) == 640

    assert len(calls) == 640 // BLOCK_MAX


def test_a_new_window_starts_a_new_allowance(prefix):
    limit = _process(prefix)
    _allowed(limit, 10, cap=10)

    assert not limit.allow("conn", limit=10, now=NOW + 59.9)
    assert limit.allow("conn", limit=10, now=NOW + 60)


def test_a_window_spent_by_other_processes_is_learnt_once_then_refused_locally(prefix):
    _allowed(_process(prefix), 3, cap=3)
    calls: list[int] = []

    def counting_redis():
        calls.append(1)
        return redis_client()

    other = SharedWindowLimit(redis=counting_redis, prefix=prefix)

    assert _allowed(other, 50, cap=3) == 0
    assert len(calls) == 1


def test_keys_have_separate_allowances(prefix):
    limit = _process(prefix)
    _allowed(limit, 5, cap=5)

    assert limit.allow("other", limit=5, now=NOW)


def test_a_lowered_limit_applies_to_what_a_process_already_holds(prefix):
    limit = _process(prefix)
    _allowed(limit, 1, cap=60_000)  # holds a block

    assert not limit.allow("conn", limit=1, now=NOW)


def test_retry_after_is_the_time_left_in_the_window(prefix):
    assert _process(prefix).retry_after_s(now=NOW + 45) == pytest.approx(15)
