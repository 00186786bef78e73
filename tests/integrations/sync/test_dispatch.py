"""Fair dispatch: a tenant's slots and backlog, on the real Redis the suite runs against."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from config.redis import redis_client
from integrations.services.dispatch import Dispatcher


@pytest.fixture
def dispatcher() -> Iterator[Dispatcher]:
    """Keys of this test's own: a scheduler of the end-to-end stack, running on the same Redis,
    pumps the real ones."""
    prefix = f"cc-test-{uuid.uuid4().hex[:10]}:"
    yield Dispatcher(redis_client(), lease_s=30, prefix=prefix)
    for key in redis_client().scan_iter(f"{prefix}*"):
        redis_client().delete(key)


@pytest.fixture
def schema() -> str:
    """A tenant name no other test uses."""
    return f"t_{uuid.uuid4().hex[:10]}"


def _slots(dispatcher: Dispatcher, schema: str) -> str:
    return f"{dispatcher.prefix}slots:{schema}"


class Sent(list):
    """What was sent, as (schema, event ids, slot); ``options`` the delay and redispatch flag
    of each when sent through the pipeline."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[dict] = []

    def __call__(self, schema: str, event_ids: list[int], slot: str) -> None:
        self.append((schema, event_ids, slot))


def test_a_tenant_gets_as_many_messages_sent_as_it_has_slots_and_the_rest_wait(
        dispatcher, schema):
    sent = Sent()
    results = [dispatcher.dispatch(schema, [n], limit=2, send=sent) for n in range(5)]

    assert results == [True, True, False, False, False]
    assert [ids for _, ids, _ in sent] == [[0], [1]]
    assert dispatcher.backlog_size(schema) == 3
    assert dispatcher.busy(schema) == 2


def test_each_sent_message_carries_its_own_slot(dispatcher, schema):
    sent = Sent()
    dispatcher.dispatch(schema, [1], limit=2, send=sent)
    dispatcher.dispatch(schema, [2], limit=2, send=sent)

    tokens = [slot for _, _, slot in sent]
    assert all(tokens) and len(set(tokens)) == 2


def test_a_finished_message_hands_its_slot_to_the_tenants_oldest_waiting_chunk(
        dispatcher, schema):
    sent = Sent()
    for n in range(4):
        dispatcher.dispatch(schema, [n], limit=1, send=sent)

    handed = dispatcher.hand_on(schema, sent[0][2], limit=1, send=sent)

    assert handed == 1
    assert [ids for _, ids, _ in sent] == [[0], [1]]
    assert dispatcher.busy(schema) == 1
    assert dispatcher.backlog_size(schema) == 2


def test_a_new_chunk_never_overtakes_the_tenants_backlog_even_with_a_slot_free(
        dispatcher, schema):
    sent = Sent()
    for n in range(3):
        dispatcher.dispatch(schema, [n], limit=1, send=sent)
    redis_client().zrem(_slots(dispatcher, schema), sent[0][2])  # the slot is free, not handed on

    assert dispatcher.dispatch(schema, [9], limit=1, send=sent) is False
    dispatcher.hand_on(schema, "", limit=1, send=sent)
    assert [ids for _, ids, _ in sent] == [[0], [1]]


def test_another_tenants_chunk_is_sent_at_once_however_long_one_backlog_is(
        dispatcher, schema):
    other = f"{schema}_b"
    sent = Sent()
    for n in range(500):
        dispatcher.dispatch(schema, [n], limit=2, send=sent)

    assert dispatcher.dispatch(other, [7], limit=2, send=sent) is True
    assert sent[-1][:2] == (other, [7])


def test_a_slot_whose_lease_ran_out_is_free_again(dispatcher, schema):
    short = Dispatcher(redis_client(), lease_s=0.2, prefix=dispatcher.prefix)
    sent = Sent()
    short.dispatch(schema, [1], limit=1, send=sent)
    short.dispatch(schema, [2], limit=1, send=sent)  # waits: the worker "died" holding [1]

    time.sleep(0.3)

    assert short.hand_on(schema, "", limit=1, send=sent) == 1
    assert sent[-1][1] == [2]


def test_hand_on_sends_while_slots_are_free_and_stops_when_the_backlog_is_empty(
        dispatcher, schema):
    sent = Sent()
    for n in range(3):
        dispatcher.dispatch(schema, [n], limit=1, send=sent)
    redis_client().delete(_slots(dispatcher, schema))  # Redis restarted without the slots

    assert dispatcher.hand_on(schema, "", limit=5, send=sent) == 2
    assert dispatcher.hand_on(schema, "", limit=5, send=sent) == 0
    assert schema not in dispatcher.backlogged()


def test_a_tenant_with_a_backlog_is_listed_for_the_pump_until_it_drains(dispatcher, schema):
    sent = Sent()
    dispatcher.dispatch(schema, [1], limit=1, send=sent)
    dispatcher.dispatch(schema, [2], limit=1, send=sent)
    assert schema in dispatcher.backlogged()

    dispatcher.hand_on(schema, sent[0][2], limit=1, send=sent)
    dispatcher.hand_on(schema, sent[1][2], limit=1, send=sent)

    assert schema not in dispatcher.backlogged()


def test_a_send_that_fails_frees_its_slot(dispatcher, schema):
    def broken(schema: str, ids: list[int], slot: str) -> None:
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        dispatcher.dispatch(schema, [1], limit=1, send=broken)

    assert dispatcher.busy(schema) == 0


def test_a_hand_on_whose_send_fails_puts_the_chunk_back_at_the_head(dispatcher, schema):
    sent = Sent()
    for n in range(3):
        dispatcher.dispatch(schema, [n], limit=1, send=sent)

    def broken(schema: str, ids: list[int], slot: str) -> None:
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        dispatcher.hand_on(schema, sent[0][2], limit=1, send=broken)
    dispatcher.hand_on(schema, "", limit=1, send=sent)

    assert sent[-1][1] == [1]
    assert dispatcher.busy(schema) == 1


# --- the pipeline's use of it, in a real tenant schema ---------------------------------------
@pytest.fixture
def fair(settings, tenant_a, dispatcher, monkeypatch) -> Iterator[Sent]:
    """Fair dispatch on for tenant alpha (2 slots) through this test's keys, with the broker
    send recorded."""
    from integrations.services import events

    settings.SYNC_FAIR_DISPATCH = True
    tenant_a.subscription.plan.sync_concurrency = 2
    tenant_a.subscription.plan.connection_concurrency = 2
    tenant_a.subscription.plan.save(update_fields=["sync_concurrency", "connection_concurrency"])
    events._CONCURRENCY.clear()
    monkeypatch.setattr(events, "dispatcher", lambda: dispatcher)
    sent = Sent()

    def send(schema, ids, slot, delay_ms=None, redispatch=False):
        sent.append((schema, ids, slot))
        sent.options.append({"delay_ms": delay_ms, "redispatch": redispatch})

    monkeypatch.setattr(events, "_message_send", send)
    yield sent
    events._CONCURRENCY.clear()


def test_events_beyond_the_plans_slots_wait_in_the_tenants_backlog(fair, tenant_a):
    from integrations.services.events import dispatcher, events_enqueue

    events_enqueue(list(range(1, 101)))  # five messages of 20

    assert [ids[0] for _, ids, _ in fair] == [1, 21]
    assert all(slot for _, _, slot in fair)
    assert dispatcher().backlog_size(tenant_a.schema_name) == 3


def test_a_delayed_retry_waits_in_the_broker_without_a_slot(fair, tenant_a):
    from integrations.services.events import dispatcher, events_enqueue

    events_enqueue(list(range(1, 61)))
    events_enqueue([500], delay_ms=1000)

    assert fair[-1] == (tenant_a.schema_name, [500], "")
    assert fair.options[-1] == {"delay_ms": 1000, "redispatch": True}
    assert dispatcher().backlog_size(tenant_a.schema_name) == 1


def test_a_retry_whose_wait_is_over_goes_through_the_slots_like_a_new_event(fair, tenant_a):
    from integrations.services.events import dispatcher
    from integrations.tasks import events_process_task

    events_process_task.fn(list(range(1, 41)), redispatch=True)  # both slots taken
    events_process_task.fn([500], redispatch=True)

    assert [ids[0] for _, ids, _ in fair] == [1, 21]
    assert dispatcher().backlog_size(tenant_a.schema_name) == 1


def test_the_sync_actor_hands_its_slot_to_the_next_waiting_message_when_done(fair, tenant_a):
    from integrations.services.events import events_enqueue
    from integrations.tasks import events_process_task

    events_enqueue(list(range(1, 61)))
    first_slot = fair[0][2]

    events_process_task.fn([], slot=first_slot)  # ids of no event: nothing to sync

    assert [ids[0] for _, ids, _ in fair] == [1, 21, 41]


def test_the_actor_hands_its_slot_on_also_when_syncing_failed(fair, tenant_a, monkeypatch):
    from integrations import tasks
    from integrations.services.events import events_enqueue

    events_enqueue(list(range(1, 61)))

    def broken(*, event_ids: list[int]) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks, "events_process", broken)
    with pytest.raises(RuntimeError):
        tasks.events_process_task.fn([1], slot=fair[0][2])

    assert len(fair) == 3


def test_without_the_slots_redis_events_still_reach_the_broker(fair, tenant_a, monkeypatch):
    import redis

    from integrations.services import events

    def down(*args, **kwargs):
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(events.dispatcher(), "dispatch", down)
    events.events_enqueue([1, 2])

    assert fair == [(tenant_a.schema_name, [1, 2], "")]


def test_the_tenants_slots_are_its_plans_sync_concurrency(fair, tenant_a):
    from integrations.services.events import tenant_concurrency

    assert tenant_concurrency(tenant_a.schema_name) == 2


def test_the_sweeper_leaves_pending_events_of_a_backlogged_tenant_to_its_backlog(
        fair, dispatcher, tenant_a):
    import datetime as dt

    from django.utils import timezone

    from integrations.models import InboundEvent
    from integrations.services.events import events_enqueue, events_sweep
    from tests.factories import InboundEventFactory

    old = timezone.now() - dt.timedelta(minutes=10)
    stale = InboundEventFactory(status="pending")
    InboundEvent.objects.filter(pk=stale.pk).update(received_at=old)
    events_enqueue(list(range(10_000, 10_060)))  # a backlog of one message
    del fair[:]

    assert events_sweep() == 0
    assert fair == []

    # The backlog drained and its messages finished.
    dispatcher.forget(tenant_a.schema_name)
    assert events_sweep() == 1
    assert fair[0][1] == [stale.pk]


def test_the_scheduler_tick_moves_backlogs_whose_slots_came_free(fair, dispatcher, tenant_a):
    from config.scheduler import Scheduler
    from integrations.services.events import events_enqueue

    events_enqueue(list(range(1, 61)))
    redis_client().delete(_slots(dispatcher, tenant_a.schema_name))  # the slots' leases ran out

    from django.db import connection

    try:
        sent = Scheduler(jobs=(), polls=False).tick()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")

    assert sent == ["1 backlog messages"]
    assert [ids[0] for _, ids, _ in fair] == [1, 21, 41]


def test_the_pump_drops_the_backlog_of_a_tenant_that_no_longer_exists(fair, dispatcher, schema):
    from integrations.services.events import backlogs_pump

    dispatcher.dispatch(schema, [1], limit=1, send=Sent())
    dispatcher.dispatch(schema, [2], limit=1, send=Sent())

    backlogs_pump()

    assert dispatcher.backlog_size(schema) == 0
    assert schema not in dispatcher.backlogged()


def test_the_pump_leaves_a_suspended_tenants_backlog_waiting(fair, dispatcher, tenant_a):
    from integrations.services.events import backlogs_pump, events_enqueue
    from tenants.models import Tenant

    events_enqueue(list(range(1, 61)))
    redis_client().delete(_slots(dispatcher, tenant_a.schema_name))
    Tenant.objects.filter(pk=tenant_a.pk).update(status=Tenant.Status.SUSPENDED)

    assert backlogs_pump() == 0
    assert dispatcher.backlog_size(tenant_a.schema_name) == 1


def test_a_scheduler_tick_goes_on_when_the_pumps_redis_is_down(fair, tenant_a, monkeypatch):
    import redis
    from django.db import connection

    from config.scheduler import PeriodicJob, Scheduler
    from integrations.services import events

    def down() -> int:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(events, "backlogs_pump", down)
    job = "integrations.tasks.events_sweep_all_task"
    monkeypatch.setattr("integrations.tasks.events_sweep_all_task.send", lambda: None)
    try:
        sent = Scheduler(jobs=(PeriodicJob(job, every_seconds=60),), polls=False).tick()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")

    assert sent == [job]


# --- lanes: one connection's flood within a tenant -------------------------------------------
def test_a_lane_holds_at_most_its_limit_of_the_tenants_slots(dispatcher, schema):
    sent = Sent()
    results = [dispatcher.dispatch(schema, [n], limit=4, lane="7", lane_limit=3, send=sent)
               for n in range(5)]

    assert results == [True, True, True, False, False]
    assert dispatcher.busy(schema) == dispatcher.busy(schema, "7") == 3


def test_another_lane_of_the_tenant_gets_a_slot_while_one_lane_is_backlogged(
        dispatcher, schema):
    sent = Sent()
    for n in range(50):
        dispatcher.dispatch(schema, [n], limit=4, lane="7", lane_limit=3, send=sent)

    assert dispatcher.dispatch(schema, [900], limit=4, lane="8", lane_limit=3, send=sent)
    assert sent[-1][1] == [900]


def test_a_slot_token_names_its_lane(dispatcher, schema):
    sent = Sent()
    dispatcher.dispatch(schema, [1], limit=4, lane="7", lane_limit=3, send=sent)

    assert sent[0][2].startswith("7/")


def test_a_lane_name_with_a_slash_is_refused(dispatcher, schema):
    with pytest.raises(ValueError, match="cannot hold '/'"):
        dispatcher.dispatch(schema, [1], limit=4, lane="a/b", lane_limit=3, send=Sent())


def test_a_finished_message_frees_its_lanes_slot_too(dispatcher, schema):
    sent = Sent()
    dispatcher.dispatch(schema, [1], limit=4, lane="7", lane_limit=1, send=sent)

    dispatcher.hand_on(schema, sent[0][2], limit=4, lane_limit=1, send=sent)

    assert dispatcher.busy(schema, "7") == 0
    assert dispatcher.dispatch(schema, [2], limit=4, lane="7", lane_limit=1, send=sent)


def test_freed_slots_go_to_the_waiting_lanes_in_turn(dispatcher, schema):
    sent = Sent()
    for n in range(4):
        dispatcher.dispatch(schema, [n], limit=2, lane="7", lane_limit=2, send=sent)
    for n in range(100, 104):
        dispatcher.dispatch(schema, [n], limit=2, lane="8", lane_limit=2, send=sent)
    assert [ids[0] for _, ids, _ in sent] == [0, 1]

    for _ in range(4):
        dispatcher.hand_on(schema, sent[-2][2], limit=2, lane_limit=2, send=sent)

    # Lane 7 began waiting first, then each lane in turn.
    assert [ids[0] for _, ids, _ in sent[2:]] == [2, 100, 3, 101]


def test_a_lane_at_its_limit_lets_the_next_lane_take_a_freed_slot(dispatcher, schema):
    sent = Sent()
    for n in range(3):
        dispatcher.dispatch(schema, [n], limit=3, lane="7", lane_limit=2, send=sent)
    dispatcher.dispatch(schema, [100], limit=3, lane="8", lane_limit=2, send=sent)
    dispatcher.dispatch(schema, [101], limit=3, lane="8", lane_limit=2, send=sent)
    lane_8_slot = sent[-1][2]
    assert [ids[0] for _, ids, _ in sent] == [0, 1, 100]

    dispatcher.hand_on(schema, lane_8_slot, limit=3, lane_limit=2, send=sent)

    # Lane 7 still holds both its slots: the freed one goes to lane 8's waiting chunk.
    assert sent[-1][1] == [101]
    assert dispatcher.backlog_size(schema) == 1


def test_a_lanes_slot_whose_lease_ran_out_is_free_again(dispatcher, schema):
    short = Dispatcher(redis_client(), lease_s=0.2, prefix=dispatcher.prefix)
    sent = Sent()
    short.dispatch(schema, [1], limit=4, lane="7", lane_limit=1, send=sent)
    short.dispatch(schema, [2], limit=4, lane="7", lane_limit=1, send=sent)

    time.sleep(0.3)

    assert short.hand_on(schema, "", limit=4, lane_limit=1, send=sent) == 1
    assert sent[-1][1] == [2]


def test_a_backlog_left_by_a_release_before_lanes_still_drains(dispatcher, schema):
    redis_client().rpush(f"{dispatcher.prefix}backlog:{schema}", "[1, 2]")
    redis_client().sadd(f"{dispatcher.prefix}backlogged", schema)
    sent = Sent()

    assert dispatcher.backlog_size(schema) == 1
    assert dispatcher.hand_on(schema, "", limit=2, lane_limit=1, send=sent) == 1
    assert sent[0][1] == [1, 2]
    assert schema not in dispatcher.backlogged()


def test_forgetting_a_tenant_drops_the_backlogs_of_all_its_lanes(dispatcher, schema):
    sent = Sent()
    for lane in ("7", "8"):
        for n in range(3):
            dispatcher.dispatch(schema, [n], limit=1, lane=lane, lane_limit=1, send=sent)

    dispatcher.forget(schema)

    assert dispatcher.backlog_size(schema) == 0
    assert not list(redis_client().scan_iter(f"{dispatcher.prefix}*{schema}*"))


def test_events_are_dispatched_in_the_lane_of_their_source_connection(fair, tenant_a):
    from integrations.services import events
    from tests.factories import ConnectionFactory, FlowFactory, InboundEventFactory

    tenant_a.subscription.plan.sync_concurrency = 3
    tenant_a.subscription.plan.save(update_fields=["sync_concurrency"])
    events._CONCURRENCY.clear()
    flow, erp, shop = FlowFactory(), ConnectionFactory(), ConnectionFactory()
    flood = [InboundEventFactory(flow=flow, connection=erp).pk for _ in range(80)]
    order = InboundEventFactory(flow=flow, connection=shop).pk

    events.events_enqueue(flood)  # the ERP's lane takes its 2 slots; two messages wait
    events.events_enqueue([order])  # the tenant's third slot

    assert [slot.split("/")[0] for _, _, slot in fair] == [str(erp.pk)] * 2 + [str(shop.pk)]
    assert fair[-1][1] == [order]
    assert events.dispatcher().backlog_size(tenant_a.schema_name) == 2


def test_one_connections_slots_are_its_plans_connection_concurrency(fair, tenant_a):
    from integrations.services import events

    tenant_a.subscription.plan.sync_concurrency = 8
    tenant_a.subscription.plan.connection_concurrency = 6
    tenant_a.subscription.plan.save(update_fields=["sync_concurrency", "connection_concurrency"])
    events._CONCURRENCY.clear()

    assert events.connection_concurrency(tenant_a.schema_name) == 6


def test_one_connection_never_gets_more_slots_than_its_tenant(fair, tenant_a):
    from integrations.services import events

    tenant_a.subscription.plan.connection_concurrency = 9
    tenant_a.subscription.plan.save(update_fields=["connection_concurrency"])
    events._CONCURRENCY.clear()

    assert events.connection_concurrency(tenant_a.schema_name) == 2
