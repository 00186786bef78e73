"""The per-process buffer that coalesces the enqueue of stored events."""

from __future__ import annotations

import threading
import time

from integrations.services.outbox import EnqueueBuffer


def _recording_buffer(*, window_s: float = 0.2, per_message: int = 20, fail_first: int = 0
                      ) -> tuple[EnqueueBuffer, list[tuple[str, list[int]]], threading.Event]:
    sent: list[tuple[str, list[int]]] = []
    arrived = threading.Event()
    failures = [fail_first]

    def send(schema: str, ids: list[int]) -> None:
        if failures[0]:
            failures[0] -= 1
            raise ConnectionError("broker down")
        sent.append((schema, ids))
        arrived.set()

    return EnqueueBuffer(send=send, window_s=window_s, per_message=per_message), sent, arrived


def test_a_burst_within_the_window_is_one_message_per_schema():
    buffer, sent, arrived = _recording_buffer()
    buffer.add("alpha", [1])
    buffer.add("alpha", [2, 3])
    buffer.add("beta", [9])

    assert arrived.wait(5)
    time.sleep(0.05)
    assert sorted(sent) == [("alpha", [1, 2, 3]), ("beta", [9])]


def test_more_ids_than_a_message_takes_are_split():
    buffer, sent, _ = _recording_buffer(window_s=60, per_message=2)
    buffer.add("alpha", [1, 2, 3, 4, 5])

    assert buffer.flush() == 5
    assert sent == [("alpha", [1, 2]), ("alpha", [3, 4]), ("alpha", [5])]


def test_a_lone_event_is_sent_without_waiting_for_more():
    buffer, sent, arrived = _recording_buffer(window_s=0.05)
    buffer.add("alpha", [1])

    assert arrived.wait(5)
    assert sent == [("alpha", [1])]


def test_a_failed_send_is_left_to_the_sweeper_and_later_events_still_go(caplog):
    buffer, sent, arrived = _recording_buffer(window_s=0.02, fail_first=1)
    buffer.add("alpha", [1])
    deadline = time.monotonic() + 5
    while "sweeper will pick them up" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.01)

    buffer.add("alpha", [2])

    assert arrived.wait(5)
    assert sent == [("alpha", [2])]
    assert "Enqueueing 1 events of alpha failed" in caplog.text
