"""Coalescing the enqueue of freshly stored events, per process.

Every stored delivery used to be one broker message, sent by the request that stored it: a
broker round trip on the request's path and a third of the ingest view's CPU. Here the request
hands its committed event ids over and returns; one thread per process sends, after at most
``window_s``, one message per key (schema and lane) for up to ``per_message`` ids, so a burst
of deliveries is a few messages and the worker fetches and writes their records in one batch.

Nothing is lost if the process dies first: the events are already committed as pending, and
the sweeper re-enqueues pending events older than its grace period. At exit the thread's
backlog is sent at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Sequence

logger = logging.getLogger(__name__)

# Called with the key the ids were added under (the schema, and in the sync pipeline its lane).
Send = Callable[[Hashable, list[int]], None]


class EnqueueBuffer:
    def __init__(self, *, send: Send, window_s: float, per_message: int) -> None:
        self._send = send
        self.window_s = window_s
        self.per_message = per_message
        self._lock = threading.Lock()
        self._pending: dict[Hashable, list[int]] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        atexit.register(self.flush)

    def add(self, key: Hashable, event_ids: Sequence[int]) -> None:
        with self._lock:
            self._pending.setdefault(key, []).extend(event_ids)
            # A forked web worker inherits the object but not the thread.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="enqueue-buffer",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def flush(self) -> int:
        """Send everything waiting now; returns how many ids were sent."""
        with self._lock:
            pending, self._pending = self._pending, {}
        sent = 0
        for key, ids in pending.items():
            for start in range(0, len(ids), self.per_message):
                chunk = ids[start:start + self.per_message]
                try:
                    self._send(key, chunk)
                except Exception:  # the broker is down: the sweeper enqueues them later
                    logger.exception("Enqueueing %d events of %s failed; the sweeper will "
                                     "pick them up.", len(chunk), key)
                else:
                    sent += len(chunk)
        return sent

    def _run(self) -> None:
        while True:
            self._wake.wait()
            # Let a burst gather; the first event waits at most one window.
            self._wake.clear()
            time.sleep(self.window_s)
            self.flush()
