"""Fair dispatch of sync work: bounded slots per tenant and per lane, and a backlog per lane.

One shared broker queue is first come, first served: a tenant whose 100,000 events arrive
first would put 5,000 messages ahead of another tenant's one new order. So a tenant may have at
most its plan's ``sync_concurrency`` messages in the broker or being worked at once (its
*slots*); the events beyond that wait in a *backlog*, in order, and each finished message
hands its slot to the next waiting chunk of its own tenant. However long one backlog is,
another tenant's new event waits behind at most the slots of the tenants that are busy, never
behind their backlogs.

Within a tenant the work is split the same way into *lanes* (the events' source connection):
a lane holds at most its plan's ``connection_concurrency`` of the tenant's slots and has its
own backlog, and a freed slot goes to the lanes in turn. So one connection's flood (a
catalogue import from the ERP) leaves slots for the tenant's other connections' orders.

All of it lives in Redis (``REDIS_URL``), changed by one script each so that two processes
never see half an update:

- ``cc:slots:<schema>`` and ``cc:lane:<schema>:<lane>``: sorted sets of slot tokens scored by
  when their lease ends. A worker killed mid-message never hands its slot on; the lease
  (``SYNC_SLOT_LEASE_S``) gives it back.
- ``cc:backlog:<schema>:<lane>``: a list of JSON event-id chunks; ``cc:lanes:<schema>`` the
  tenant's lanes that have one, in round-robin order; ``cc:backlogged`` the tenants that have
  one, for the scheduler's pump (which moves backlogs on after leases run out).

The scripts name lane keys they build themselves, which a Redis Cluster would refuse: one
Redis (or a primary with replicas) holds them.

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

# A lane's keys, from the tenant's: the lane "" is the tenant's whole backlog (and the key
# backlogs had before lanes), with no slots of its own.
_LANE_KEYS = """
local function backlog_key(prefix, schema, lane)
  if lane == '' then return prefix .. 'backlog:' .. schema end
  return prefix .. 'backlog:' .. schema .. ':' .. lane
end
local function lane_slots_key(prefix, schema, lane)
  return prefix .. 'lane:' .. schema .. ':' .. lane
end
"""

# KEYS = slots, lane slots, lane backlog, lanes, backlogged; ARGV = now_ms, lease_ms, limit,
# token, schema, chunk, lane limit (0: none), lane. A slot when the tenant and the lane each
# have one free and nothing of the lane is waiting (a chunk never overtakes its lane's older
# ones); else the chunk joins the lane's backlog. 1 = send it now, 0 = queued.
_DISPATCH = """
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local lane_limit = tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('LLEN', KEYS[3]) == 0 and redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3])
    and (lane_limit == 0 or redis.call('ZCARD', KEYS[2]) < lane_limit) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], lease)
  if lane_limit > 0 then
    redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
    redis.call('PEXPIRE', KEYS[2], lease)
  end
  return 1
end
redis.call('RPUSH', KEYS[3], ARGV[6])
if not redis.call('ZSCORE', KEYS[4], ARGV[8]) then
  local last = redis.call('ZRANGE', KEYS[4], -1, -1, 'WITHSCORES')
  redis.call('ZADD', KEYS[4], (tonumber(last[2]) or 0) + 1, ARGV[8])
end
redis.call('SADD', KEYS[5], ARGV[5])
return 0
"""

# KEYS = slots, lanes, backlogged; ARGV = now_ms, lease_ms, limit, old_token, new token's
# random part, schema, lane limit (0: none), key prefix. Frees ``old_token`` (if any) in the
# tenant's and its lane's slots, then takes a slot for the first chunk of the first lane,
# in round-robin order, that has a free slot of its own; that lane goes to the back of the
# round. Returns {chunk, token}, or false when no slot is free or nothing can go.
_HAND_ON = _LANE_KEYS + """
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
local lane_limit = tonumber(ARGV[7])
local prefix, schema = ARGV[8], ARGV[6]
if ARGV[4] ~= '' then
  redis.call('ZREM', KEYS[1], ARGV[4])
  local lane = string.match(ARGV[4], '^(.*)/')
  if lane and lane ~= '' then redis.call('ZREM', lane_slots_key(prefix, schema, lane), ARGV[4]) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
-- A backlog left by a release before lanes is the lane "".
if redis.call('EXISTS', backlog_key(prefix, schema, '')) == 1 then
  redis.call('ZADD', KEYS[2], 'NX', 0, '')
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return false end
local lanes = redis.call('ZRANGE', KEYS[2], 0, -1)
for _, lane in ipairs(lanes) do
  local backlog = backlog_key(prefix, schema, lane)
  if redis.call('LLEN', backlog) == 0 then
    redis.call('ZREM', KEYS[2], lane)
  else
    local lane_slots = lane_slots_key(prefix, schema, lane)
    local bounded = lane ~= '' and lane_limit > 0
    if bounded then redis.call('ZREMRANGEBYSCORE', lane_slots, '-inf', now) end
    if not bounded or redis.call('ZCARD', lane_slots) < lane_limit then
      local chunk = redis.call('LPOP', backlog)
      local token = lane .. '/' .. ARGV[5]
      redis.call('ZADD', KEYS[1], now + lease, token)
      redis.call('PEXPIRE', KEYS[1], lease)
      if bounded then
        redis.call('ZADD', lane_slots, now + lease, token)
        redis.call('PEXPIRE', lane_slots, lease)
      end
      if redis.call('LLEN', backlog) == 0 then
        redis.call('ZREM', KEYS[2], lane)
      else
        local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
        redis.call('ZADD', KEYS[2], tonumber(last[2]) + 1, lane)
      end
      return {chunk, token}
    end
  end
end
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], schema) end
return false
"""

# KEYS = lanes; ARGV = schema, key prefix. Chunks waiting in all the tenant's lanes.
_BACKLOG_SIZE = _LANE_KEYS + """
local total = redis.call('LLEN', backlog_key(ARGV[2], ARGV[1], ''))
for _, lane in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if lane ~= '' then total = total + redis.call('LLEN', backlog_key(ARGV[2], ARGV[1], lane)) end
end
return total
"""

# A message is sent with the token of the slot it holds, or without one (a delayed retry).
Send = Callable[[str, list[int], str], None]


def _now_ms() -> int:
    return int(time.time() * 1000)


class Dispatcher:
    """The slots and backlogs of every tenant, over one Redis client.

    A tenant's work is split into *lanes* (the sync pipeline's lane is the events' source
    connection), each with a backlog of its own and at most ``lane_limit`` of the tenant's
    slots, so one connection's flood never takes all of its tenant's slots. The lane ""
    has no slots of its own. A slot token names its lane (``<lane>/<random>``), so handing it
    on needs nothing else."""

    def __init__(self, redis: Any, *, lease_s: float, prefix: str = "cc:") -> None:
        self.redis = redis
        self.lease_ms = int(lease_s * 1000)
        self.prefix = prefix
        self._dispatch = redis.register_script(_DISPATCH)
        self._hand_on = redis.register_script(_HAND_ON)
        self._backlog_size = redis.register_script(_BACKLOG_SIZE)

    def _slots(self, schema: str) -> str:
        return f"{self.prefix}slots:{schema}"

    def _lanes(self, schema: str) -> str:
        return f"{self.prefix}lanes:{schema}"

    def _backlog(self, schema: str, lane: str) -> str:
        return f"{self.prefix}backlog:{schema}" + (f":{lane}" if lane else "")

    def _lane_slots(self, schema: str, lane: str) -> str:
        return f"{self.prefix}lane:{schema}:{lane}"

    def _backlogged(self) -> str:
        return f"{self.prefix}backlogged"

    def dispatch(self, schema: str, event_ids: Sequence[int], *, limit: int, send: Send,
                 lane: str = "", lane_limit: int = 0) -> bool:
        """Send one chunk now if the tenant and the lane each have a free slot (``lane_limit``
        0: the lane has no bound of its own) and nothing of the lane waits, else queue it
        behind the lane's backlog. True when sent."""
        if "/" in lane:
            raise ValueError(f"A lane name cannot hold '/': {lane!r}")
        token = f"{lane}/{secrets.token_hex(8)}"
        chunk = json.dumps(list(event_ids))
        bound = lane_limit if lane else 0
        if not self._dispatch(keys=[self._slots(schema), self._lane_slots(schema, lane),
                                    self._backlog(schema, lane), self._lanes(schema),
                                    self._backlogged()],
                              args=[_now_ms(), self.lease_ms, limit, token, schema, chunk,
                                    bound, lane]):
            return False
        try:
            send(schema, list(event_ids), token)
        except Exception:
            self._release(schema, token)  # its events are pending: swept later
            raise
        return True

    def hand_on(self, schema: str, token: str, *, limit: int, send: Send,
                lane_limit: int = 0) -> int:
        """Free ``token``'s slot (if any) and send the lanes' next chunks, in turn, while
        slots are free. Returns how many chunks were sent."""
        sent, old = 0, token
        while True:
            found = self._hand_on(keys=[self._slots(schema), self._lanes(schema),
                                        self._backlogged()],
                                  args=[_now_ms(), self.lease_ms, limit, old,
                                        secrets.token_hex(8), schema, lane_limit, self.prefix])
            old = ""
            if not found:
                return sent
            chunk, new = (v.decode() if isinstance(v, bytes) else v for v in found)
            try:
                send(schema, json.loads(chunk), new)
            except Exception:
                # Back at the head of its lane, where it was; the pump or the next message
                # retries it.
                lane = new.rpartition("/")[0]
                self.redis.lpush(self._backlog(schema, lane), chunk)
                self.redis.zadd(self._lanes(schema), {lane: 0}, nx=True)
                self.redis.sadd(self._backlogged(), schema)
                self._release(schema, new)
                raise
            sent += 1

    def _release(self, schema: str, token: str) -> None:
        self.redis.zrem(self._slots(schema), token)
        lane = token.rpartition("/")[0]
        if lane:
            self.redis.zrem(self._lane_slots(schema, lane), token)

    def forget(self, schema: str) -> None:
        """Drop a tenant's slots and backlogs (the tenant is gone)."""
        lanes = [v.decode() if isinstance(v, bytes) else v
                 for v in self.redis.zrange(self._lanes(schema), 0, -1)]
        keys = [self._slots(schema), self._lanes(schema), self._backlog(schema, "")]
        for lane in lanes:
            keys += [self._backlog(schema, lane), self._lane_slots(schema, lane)]
        self.redis.delete(*keys)
        self.redis.srem(self._backlogged(), schema)

    def backlogged(self) -> list[str]:
        """Tenants with a backlog (the pump's round)."""
        return sorted(s.decode() if isinstance(s, bytes) else s
                      for s in self.redis.smembers(self._backlogged()))

    def backlog_size(self, schema: str) -> int:
        """Chunks waiting for a slot, in all the tenant's lanes."""
        return int(self._backlog_size(keys=[self._lanes(schema)], args=[schema, self.prefix]))

    def busy(self, schema: str, lane: str = "") -> int:
        """Slots held now (leases not yet run out): the tenant's, or one lane's."""
        key = self._lane_slots(schema, lane) if lane else self._slots(schema)
        return int(self.redis.zcount(key, _now_ms(), "+inf"))
