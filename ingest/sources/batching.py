"""Collect one source's records into batches: sent when full or when the oldest is too old.

Sending happens under the batcher's lock, so a transport that is full blocks every thread
adding to this batcher: backpressure reaches the socket or file being read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from canhgac.errors import TransportError
from canhgac.models import DeadLetter, Event
from ingest.transport.base import Batch, Sender

log = logging.getLogger(__name__)

Record = Event | DeadLetter
Ack = Callable[[], None]


def _no_ack() -> Ack:
    return lambda: None


class Batcher:
    """Batches for one source. ``make_ack`` is called when a batch is cut (under the lock,
    so it sees exactly the records added so far) and returns that batch's ack callback."""

    def __init__(
        self,
        sender: Sender,
        *,
        name: str = "source",
        max_records: int = 500,
        max_wait: float = 0.1,
        make_ack: Callable[[], Ack] = _no_ack,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sender = sender
        self._name = name
        self._max_records = max_records
        self._max_wait = max_wait
        self._make_ack = make_ack
        self._clock = clock
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._dead_letters: list[DeadLetter] = []
        self._opened_at = 0.0
        self._in_flight = 0
        self._acked = threading.Condition()
        self._stop_timer = threading.Event()
        self._timer: threading.Thread | None = None

    # --- adding and sending --------------------------------------------------------------
    def add(self, record: Record) -> None:
        """Queue one record; sends (and may block) once ``max_records`` are queued."""
        self.add_all((record,))

    def add_all(self, records: Sequence[Record]) -> None:
        """Queue records that must leave in one batch: the events of one line (a cloud
        export envelope), so the batch whose ack moves the checkpoint past the line holds
        them all."""
        with self._lock:
            if not self._events and not self._dead_letters:
                self._opened_at = self._clock()
            for record in records:
                if isinstance(record, Event):
                    self._events.append(record)
                else:
                    self._dead_letters.append(record)
            if len(self._events) + len(self._dead_letters) >= self._max_records:
                self._send_locked()

    def flush(self, *, even_if_empty: bool = False) -> None:
        """Send what is queued. ``even_if_empty`` sends a batch with no records, so its ack
        still runs in order (a file source persisting a checkpoint-only change)."""
        with self._lock:
            if self._events or self._dead_letters or even_if_empty:
                self._send_locked()

    def flush_if_due(self) -> None:
        with self._lock:
            pending = self._events or self._dead_letters
            if pending and self._clock() - self._opened_at >= self._max_wait:
                self._send_locked()

    def _send_locked(self) -> None:
        batch = Batch(self._events, self._dead_letters, self._counted(self._make_ack()))
        self._events, self._dead_letters = [], []
        with self._acked:
            self._in_flight += 1
        try:
            self._sender.send(batch)
        except BaseException:
            self._settle()
            raise

    # --- acknowledgements ----------------------------------------------------------------
    def wait_acked(self, timeout: float) -> bool:
        """Wait until every sent batch is acknowledged; False if ``timeout`` ran out."""
        with self._acked:
            return self._acked.wait_for(lambda: self._in_flight == 0, timeout)

    def _counted(self, ack: Ack) -> Ack:
        def counted_ack() -> None:
            try:
                ack()
            finally:
                self._settle()

        return counted_ack

    def _settle(self) -> None:
        with self._acked:
            self._in_flight -= 1
            self._acked.notify_all()

    # --- the timer for sources that block on sockets ------------------------------------------
    def start_timer(self) -> None:
        """Send partial batches once they are ``max_wait`` old, from a thread of its own."""
        self._stop_timer.clear()
        self._timer = threading.Thread(
            target=self._tick, name=f"batcher-{self._name}", daemon=False
        )
        self._timer.start()

    def _tick(self) -> None:
        interval = max(self._max_wait / 2, 0.005)
        while not self._stop_timer.wait(interval):
            try:
                self.flush_if_due()
            except TransportError as exc:
                log.warning("%s: records dropped, transport refused a batch: %s", self._name, exc)

    def close(self) -> None:
        """Stop the timer and send what is left (logged, not raised, if the transport is
        already closed: the records were never acknowledged)."""
        self._stop_timer.set()
        if self._timer is not None:
            self._timer.join()
            self._timer = None
        try:
            self.flush()
            self._sender.release_held()
        except TransportError as exc:
            log.warning("%s: final batch not sent: %s", self._name, exc)
