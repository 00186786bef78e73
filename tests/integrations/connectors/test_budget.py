"""The shared request budget, against a real Redis."""

import os
import uuid

import pytest
import redis

from integrations.connectors.budget import RateLimit, RequestBudget
from integrations.connectors.errors import RateLimited


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def client() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def budget(client, clock, **kwargs) -> RequestBudget:
    options = {"limit": RateLimit(requests=100, period_s=60), "max_wait_s": 5.0, **kwargs}
    return RequestBudget(client, key=f"test:{uuid.uuid4().hex}", clock=clock,
                         sleep=clock.sleep, **options)


def test_burst_is_a_tenth_of_the_limit_then_requests_are_spaced(client, clock):
    spent = budget(client, clock)
    assert [spent.try_acquire() for _ in range(10)] == [0.0] * 10
    wait = spent.try_acquire()
    assert wait == pytest.approx(60 / 90, abs=0.002)


def test_no_window_of_the_period_sees_more_than_the_limit(client, clock):
    spent = budget(client, clock, max_wait_s=3600)
    granted = []
    for _ in range(400):
        spent.acquire()
        granted.append(clock.now)
    for i, start in enumerate(granted):
        in_window = sum(1 for t in granted[i:] if t < start + 60)
        assert in_window <= 100


def test_two_budgets_on_one_key_share_the_allowance(client, clock):
    key = f"shared:{uuid.uuid4().hex}"
    first = RequestBudget(client, key=key, limit=RateLimit(100, 60), clock=clock)
    second = RequestBudget(client, key=key, limit=RateLimit(100, 60), clock=clock)
    granted = sum(1 for b in [first, second] * 10 if b.try_acquire() == 0)
    assert granted == 10


def test_long_wait_raises_rate_limited_with_the_wait(client, clock):
    spent = budget(client, clock)
    spent.penalize(30)
    with pytest.raises(RateLimited) as excinfo:
        spent.acquire()
    assert excinfo.value.wait_s == pytest.approx(30, abs=0.01)
    assert clock.slept == []


def test_short_wait_sleeps_then_proceeds(client, clock):
    spent = budget(client, clock)
    spent.penalize(2)
    spent.acquire()
    assert clock.slept == [pytest.approx(2, abs=0.01)]


def test_impossible_limit_is_refused():
    with pytest.raises(ValueError, match="requests ≥ 1"):
        RateLimit(requests=0, period_s=60)
