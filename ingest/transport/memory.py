"""The embedded transport: a bounded in-process queue.

A full queue blocks the sender, which blocks the source, which stops reading: backpressure
reaches the socket or file instead of growing memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from canhgac.errors import TransportError
from ingest.transport.base import Batch, Receiver, Sender

# How often a blocked sender re-checks whether the transport was closed meanwhile.
_WAKE_SECONDS = 0.05


class MemoryTransport(Sender, Receiver):
    """Both ends of one bounded queue of batches."""

    def __init__(self, capacity: int = 64) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._queue: queue.Queue[Batch] = queue.Queue(maxsize=capacity)
        self._closed = threading.Event()
        self._unacked = 0
        self._acked = threading.Condition()

    def send(self, batch: Batch) -> None:
        tracked = Batch(batch.events, batch.dead_letters, self._tracked(batch.ack))
        with self._acked:
            self._unacked += 1
        while not self._closed.is_set():
            try:
                self._queue.put(tracked, timeout=_WAKE_SECONDS)
                return
            except queue.Full:
                continue
        self._settle()
        raise TransportError("transport is closed")

    def receive(self, timeout: float) -> Batch | None:
        try:
            return self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None

    def flush(self, timeout: float | None = None) -> None:
        with self._acked:
            if not self._acked.wait_for(lambda: self._unacked == 0, timeout):
                raise TransportError(
                    f"{self._unacked} batches still unacknowledged after {timeout}s"
                )

    def pending(self) -> int:
        """Batches queued and not yet taken by a receiver."""
        return self._queue.qsize()

    def close(self) -> None:
        """Unblock and refuse senders; batches still queued are abandoned unacknowledged."""
        self._closed.set()

    def _tracked(self, ack: Callable[[], None]) -> Callable[[], None]:
        # The receiver may call ack more than once (e.g. a retry after a partial failure);
        # the source's callback must run once and the in-flight count drop once.
        done = threading.Event()

        def tracked_ack() -> None:
            with self._acked:
                if done.is_set():
                    return
                done.set()
            try:
                ack()
            finally:
                self._settle()

        return tracked_ack

    def _settle(self) -> None:
        with self._acked:
            self._unacked -= 1
            self._acked.notify_all()
