"""The indexer: receive batches, merge them, write them to the store, then acknowledge them.

A batch is acknowledged only after the store has durably written all of it, and batches are
acknowledged in the order received, so a source's checkpoint never passes unstored data. When
the store fails, the same merged batch is retried with exponential backoff until it is stored
or the indexer is stopped: nothing is dropped, nothing unstored is acknowledged.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from canhgac.config import IndexerConfig
from canhgac.errors import StoreError
from canhgac.models import DeadLetter, Event
from canhgac.retry import RetryPolicy
from canhgac.store.base import EventWriter
from ingest.transport.base import Batch, Receiver

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IndexerStats:
    """Counters for health and metrics; :meth:`Indexer.stats` returns a copy."""

    batches: int = 0
    events_in: int = 0
    events_written: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    retries: int = 0
    last_error: str | None = None


@dataclass(slots=True)
class _Merged:
    """Received batches merged for one store write; kept across retries."""

    batches: list[Batch]
    events: list[Event] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    events_stored: bool = False  # events first, so a dead-letter failure retries only those

    def __len__(self) -> int:
        return len(self.events) + len(self.dead_letters)


class Indexer:
    def __init__(
        self,
        receiver: Receiver,
        store: EventWriter,
        batch_size: int = 2000,
        batch_wait: float = 0.2,
        *,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
        receive_timeout: float = 0.2,
        drain_timeout: float = 5.0,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self._receiver = receiver
        self._store = store
        self._batch_size = batch_size
        self._batch_wait = batch_wait
        self._retry = RetryPolicy(initial=backoff_initial, cap=backoff_max)
        self._receive_timeout = receive_timeout
        self._drain_timeout = drain_timeout
        self._stop = threading.Event()
        # Sleeps between retries; returns True when the indexer is stopping. A seam for tests.
        self._wait = wait or self._stop.wait
        self._merged: _Merged | None = None
        self._stats = IndexerStats()
        self._stats_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, receiver: Receiver, store: EventWriter, config: IndexerConfig) -> Indexer:
        return cls(receiver, store, config.batch_size, config.batch_wait.total_seconds())

    def stats(self) -> IndexerStats:
        with self._stats_lock:
            return copy.copy(self._stats)

    # --- one round ---------------------------------------------------------------------------
    def run_once(self, timeout: float | None = None) -> int:
        """Receive (waiting up to ``timeout``), store and acknowledge one merged batch.

        Returns how many records were stored; 0 if nothing arrived, or if the store still
        failed when the indexer was stopped (the batch is then kept for the next call).
        """
        merged = self._merged
        if merged is None:
            merged = self._receive(self._receive_timeout if timeout is None else timeout)
        return 0 if merged is None else self._handle(merged)

    def _handle(self, merged: _Merged) -> int:
        self._merged = merged
        if not self._write(merged):
            return 0  # kept for the next call
        self._merged = None
        return self._ack(merged)

    def _ack(self, merged: _Merged) -> int:
        """Acknowledge a stored batch (its sources' checkpoints or offsets advance)."""
        for batch in merged.batches:
            try:
                batch.ack()
            except Exception:  # a source's checkpoint failing must not stop indexing
                log.exception("acknowledging a batch failed; its source will re-read it")
        return len(merged)

    def _receive(self, timeout: float) -> _Merged | None:
        first = self._receiver.receive(timeout)
        if first is None:
            return None
        batches, count = [first], len(first)
        deadline = time.monotonic() + self._batch_wait
        while count < self._batch_size and (left := deadline - time.monotonic()) > 0:
            more = self._receiver.receive(left)
            if more is None:
                break
            batches.append(more)
            count += len(more)
        merged = _Merged(batches)
        for batch in batches:
            merged.events.extend(batch.events)
            merged.dead_letters.extend(batch.dead_letters)
        with self._stats_lock:
            self._stats.batches += len(batches)
            self._stats.events_in += len(merged.events)
        return merged

    def _write(self, merged: _Merged) -> bool:
        """Store ``merged``, retrying with backoff; False if stopped before it succeeded."""
        delays = self._retry.delays()
        while True:
            delay = next(delays)
            try:
                self._write_once(merged)
                return True
            except StoreError as exc:
                log.warning("store write failed, retrying in %.1fs: %s", delay, exc)
                error = str(exc)
            except Exception as exc:  # unexpected, but dropping data is worse
                log.exception("store write failed unexpectedly, retrying in %.1fs", delay)
                error = repr(exc)
            with self._stats_lock:
                self._stats.retries += 1
                self._stats.last_error = error
            if self._wait(delay):
                return False

    def _write_once(self, merged: _Merged) -> None:
        if not merged.events_stored:
            new = self._store.write_events(merged.events) if merged.events else 0
            merged.events_stored = True
            with self._stats_lock:
                self._stats.events_written += new
                self._stats.duplicates += len(merged.events) - new
        if merged.dead_letters:
            self._store.write_dead_letters(merged.dead_letters)
            with self._stats_lock:
                self._stats.dead_letters += len(merged.dead_letters)

    # --- the thread ------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="indexer", daemon=False)
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the indexing thread is alive (for health checks)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop after storing what is already in the transport (up to ``drain_timeout``);
        stop the sources first, so nothing new arrives meanwhile."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        """Receive the next batch while the last one is being written: writing is mostly
        waiting for the store, receiving mostly decoding, so the two overlap. Batches are
        still acknowledged one at a time, in order, each after it is stored, and the
        receiver is only ever used from this thread (a Kafka consumer is not thread-safe)."""
        with ThreadPoolExecutor(1, thread_name_prefix="indexer-store") as store_thread:
            writing: tuple[_Merged, Future[bool]] | None = None
            while not self._stop.is_set():
                merged = self._receive_safely()
                if writing is not None and (merged is not None or writing[1].done()):
                    previous, stored = writing[0], writing[1].result()
                    writing = None
                    if not stored:  # given up at stop: kept; what came after is not acked
                        break
                    if merged is not None:  # the next write starts before this ack's commit
                        writing = (merged, store_thread.submit(self._write, merged))
                    self._merged = writing[0] if writing else None
                    self._ack(previous)
                elif merged is not None:
                    self._merged = merged
                    writing = (merged, store_thread.submit(self._write, merged))
            if writing is not None and writing[1].result():
                self._merged = None
                self._ack(writing[0])
        self._drain()

    def _receive_safely(self) -> _Merged | None:
        try:
            return self._receive(self._receive_timeout)
        except Exception:  # a receiver failure; keep the thread alive
            log.exception("receiving a batch failed")
            self._stop.wait(self._retry.initial)
            return None

    def _drain(self) -> None:
        """Store what is still queued; gives up at the deadline or when the store fails."""
        deadline = time.monotonic() + self._drain_timeout
        try:
            while time.monotonic() < deadline and self._merged is None:
                merged = self._receive(0.0)
                if merged is None:
                    return
                self._handle(merged)
        except Exception:  # stopping anyway; the sources replay what they can
            log.exception("indexer drain failed")
