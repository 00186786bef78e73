"""Fair dispatch of sync work between tenants: bounded slots per tenant and a backlog each.

One shared broker queue is first come, first served: a tenant whose 100,000 events arrive
first would put 5,000 messages ahead of another tenant's one new order. So a tenant may have at
most its plan's ``sync_concurrency`` messages in the broker or being worked at once (its
*slots*); the events beyond that wait in the tenant's *backlog*, in order, and each finished
message hands its slot to the next chunk of its own tenant's backlog. However long one
backlog is, another tenant's new event waits behind at most the slots of the tenants that are
busy, never behind their backlogs.

Both live in Redis (``REDIS_URL``), changed by one script each so that two processes never see
half an update:

- ``cc:slots:<schema>``: a sorted set of slot tokens scored by when their lease ends. A worker
  killed mid-message never hands its slot on; the lease (``SYNC_SLOT_LEASE_S``) gives it back.
- ``cc:backlog:<schema>``: a list of JSON event-id chunks; ``cc:backlogged`` names the tenants
  that have one, for the scheduler's pump (which moves backlogs on after leases run out).

Redis only orders work; it never holds the only copy of anything acknowledged. The events are
committed as pending before they are dispatched, so if Redis loses a backlog the sweeper finds
them pending and dispatches them again.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)

# KEYS = slots, backlog, backlogged; ARGV = now_ms, lease_ms, limit, token, schema, chunk.
# A slot when one is free and nothing of the tenant is waiting (a chunk never overtakes the
# tenant's older ones); else the chunk joins the backlog. 1 = send it now, 0 = queued.
_DISPATCH = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('LLEN', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
redis.call('RPUSH', KEYS[2], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[5])
return 0
"""

# KEYS = slots, backlog, backlogged; ARGV = now_ms, lease_ms, limit, old_token, new_token,
# schema. Frees ``old_token`` (if any), then takes a slot for the backlog's first chunk.
# Returns the chunk, or false when no slot is free or nothing waits.
_HAND_ON = """
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[1], ARGV[4]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return false end
local chunk = redis.call('LPOP', KEYS[2])
if not chunk then
  redis.call('SREM', KEYS[3], ARGV[6])
  return false
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return chunk
"""

# A message is sent with the token of the slot it holds, or without one (a delayed retry).
Send = Callable[[str, list[int], str], None]




def _now_ms() -> int:
    return int(time.time() * 1000)


class Dispatcher:
    """The slots and backlogs of every tenant, over one Redis client."""

    def __init__(self, redis: Any, *, lease_s: float, prefix: str = "cc:") -> None:
        self.redis = redis
        self.lease_ms = int(lease_s * 1000)
        self.prefix = prefix
        self._dispatch = redis.register_script(_DISPATCH)
        self._hand_on = redis.register_script(_HAND_ON)

    def _keys(self, schema: str) -> list[str]:
        return [f"{self.prefix}slots:{schema}", f"{self.prefix}backlog:{schema}",
                f"{self.prefix}backlogged"]

    def dispatch(self, schema: str, event_ids: Sequence[int], *, limit: int,
                 send: Send) -> bool:
        """Send one chunk now if the tenant has a free slot, else queue it behind the tenant's
        backlog. True when sent."""
        token = secrets.token_hex(8)
        chunk = json.dumps(list(event_ids))
        if not self._dispatch(keys=self._keys(schema), args=[
                _now_ms(), self.lease_ms, limit, token, schema, chunk]):
            return False
        try:
            send(schema, list(event_ids), token)
        except Exception:
            self.redis.zrem(self._keys(schema)[0], token)  # its events are pending: swept later
            raise
        return True

    def hand_on(self, schema: str, token: str, *, limit: int, send: Send) -> int:
        """Free ``token``'s slot (if any) and send the backlog's next chunks while slots are
        free. Returns how many chunks were sent."""
        sent, old = 0, token
        while True:
            new = secrets.token_hex(8)
            chunk = self._hand_on(keys=self._keys(schema), args=[
                _now_ms(), self.lease_ms, limit, old, new, schema])
            old = ""
            if not chunk:
                return sent
            try:
                send(schema, json.loads(chunk), new)
            except Exception:
                # Back at the head, where it was; the pump or the next message retries it.
                self.redis.lpush(self._keys(schema)[1], chunk)
                self.redis.zrem(self._keys(schema)[0], new)
                self.redis.sadd(self._keys(schema)[2], schema)
                raise
            sent += 1

    def forget(self, schema: str) -> None:
        """Drop a tenant's slots and backlog (the tenant is gone)."""
        self.redis.delete(*self._keys(schema)[:2])
        self.redis.srem(self._keys(schema)[2], schema)

    def backlogged(self) -> list[str]:
        """Tenants with a backlog (the pump's round)."""
        return sorted(s.decode() if isinstance(s, bytes) else s
                      for s in self.redis.smembers(f"{self.prefix}backlogged"))

    def backlog_size(self, schema: str) -> int:
        """Chunks waiting for a slot."""
        return int(self.redis.llen(self._keys(schema)[1]))

    def busy(self, schema: str) -> int:
        """Slots held now (leases not yet run out)."""
        return int(self.redis.zcount(self._keys(schema)[0], _now_ms(), "+inf"))
