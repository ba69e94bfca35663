"""Writer marks: how far detection may search without missing an event still being written.

An event's ``event.ingested`` is stamped when the write attempt that stores it starts (see
:meth:`canhgac.store.elasticsearch.store.ElasticsearchStore.write_events`), and the event becomes
searchable when that attempt returns. A detection window ending at ``T`` is complete only when
every attempt stamped before ``T`` has returned -- which a fixed ``ingest_delay`` only guesses.

So every process writing events publishes, about every second, its *mark*: the stamp of its
oldest attempt still in flight or, when none is, the time of publishing (its stamps never go
backwards, so later attempts are stamped after it). Every event stamped before the lowest
mark of all writers is searchable, and detection ends its windows there:

* clock skew between machines does not matter: a writer's stamps and its mark come from the
  same clock, and freshness is judged by the detector's own clock (how long a mark has not
  changed since this process first saw it), never by comparing two machines' clocks;
* a live writer republishes every second, also while one of its attempts is stuck (its
  mark then stays where that attempt was stamped, holding windows there for as long as it
  takes); every publication is a new version of its mark document, the heartbeat;
* a writer that stops cleanly deletes its mark; one that dies stops beating, and its mark is
  ignored once no new version has appeared for ``stale_after`` (until then it holds
  windows back: later alerts, never missed ones, as what it had not stored is delivered
  again by Kafka and stamped anew), and deleted by a detector after 30 times that;
* with no fresh mark (no writer running, or one that never wrote) detection falls back on
  ``detection.ingest_delay``.

Not covered: a writer process frozen as a whole (publisher thread included) for longer than
``stale_after`` in the middle of an attempt that then completes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from canhgac.errors import StoreError
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import doc_id

log = logging.getLogger(__name__)

PUBLISH_EVERY_S = 1.0
STALE_AFTER_S = 10.0
# A mark stale for this many times stale_after is a writer that is not coming back: deleted.
FORGET_AFTER_STALE = 30
# More marks than this means something keeps starting writers that never stop cleanly.
MAX_MARKS = 10_000


class WriterMarks:
    """This process's mark (as a writer) and the lowest fresh mark (as a detector)."""

    def __init__(
        self,
        calls: ElasticsearchCalls,
        index: str,
        now: Callable[[], str],
        *,
        publish_every: float = PUBLISH_EVERY_S,
        stale_after: float = STALE_AFTER_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._es = calls
        self._index = index
        self._now = now  # the writer's ingested clock: never goes backwards
        self._publish_every = publish_every
        self._stale_after = stale_after
        self._monotonic = monotonic
        self.writer = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._registered = False
        self._register_lock = threading.Lock()
        # writer -> (version of its mark document, when this process first saw that version):
        # a version unchanged for stale_after (by this clock) is a writer that stopped beating.
        self._seen: dict[str, tuple[tuple[int, int], float]] = {}

    # --- as a writer -----------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[Callable[[], str]]:
        """Stamps for one write: ``take()`` gives the next ``event.ingested`` stamp, which
        this writer's mark holds until the block ends -- by then every request that carried
        any of them has returned, and its events are searchable."""
        taken: list[str] = []

        def take() -> str:
            if not self._registered:
                self._register()  # before the first stamp: detectors see us before it exists
            # Stamp and hold it in one step: a mark computed in between could pass it.
            with self._lock:
                stamp = self._now()
                self._in_flight[stamp] += 1
                taken.append(stamp)
            return stamp

        try:
            yield take
        finally:
            with self._lock:
                for stamp in taken:
                    self._in_flight[stamp] -= 1
                    if not self._in_flight[stamp]:
                        del self._in_flight[stamp]

    def _register(self) -> None:
        """Publish this writer's mark (searchable at once) before it takes its first stamp,
        which the mark then precedes, so no detector can close a window over a request of
        this writer without seeing it; then keep the mark fresh from a thread. Later marks
        never go down, so a detector reading one a refresh late only waits longer. Raises if
        the mark could not be published: a writer detectors cannot see must not write."""
        with self._register_lock:
            if self._registered or self._stop.is_set():
                return
            self.publish(refresh=True)
            self._thread = threading.Thread(
                target=self._publish_loop, name="writer-marks", daemon=True
            )
            self._thread.start()
            with self._lock:
                self._registered = True

    def mark(self) -> str:
        with self._lock:
            if self._in_flight:
                return min(self._in_flight)
            return self._now()

    def publish(self, *, refresh: bool = False) -> None:
        mark = self.mark()
        self._es.call(
            "publishing the writer mark",
            lambda: self._es.client.index(
                index=self._index,
                id=doc_id(self.writer),
                document={"mark": mark},
                refresh="true" if refresh else "false",
            ),
        )

    def _publish_loop(self) -> None:
        while not self._stop.wait(self._publish_every):
            try:
                self.publish()
            except StoreError as exc:  # the node is away: detection then waits for us
                log.warning("could not publish the writer mark: %s", exc)

    def close(self) -> None:
        """Stop publishing and withdraw this writer's mark (if it ever published one)."""
        self._stop.set()
        with self._register_lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        if thread.is_alive():
            thread.join()
        try:
            self._es.call(
                "withdrawing the writer mark",
                lambda: self._es.client.options(ignore_status=404).delete(
                    index=self._index, id=doc_id(self.writer)
                ),
            )
        except StoreError as exc:
            log.warning("writer mark not withdrawn (it goes stale by itself): %s", exc)

    # --- as a detector ---------------------------------------------------------------------
    def settled_before(self) -> str | None:
        """The lowest fresh mark of all writers: every event stamped before it is
        searchable. None when no writer has a fresh mark."""
        response = self._es.call(
            f"reading {self._index}",
            lambda: self._es.client.search(
                index=self._index,
                size=MAX_MARKS,
                seq_no_primary_term=True,
                ignore_unavailable=True,
                allow_no_indices=True,
            ),
        )
        hits = response.body["hits"]["hits"]
        if len(hits) >= MAX_MARKS:  # dead writers' marks are deleted long before this
            raise StoreError(f"{self._index} holds {len(hits)}+ writer marks; not all were read")
        now = self._monotonic()
        fresh: list[str] = []
        seen: dict[str, tuple[tuple[int, int], float]] = {}
        for hit in hits:
            mark = hit["_source"].get("mark")
            version = (int(hit["_seq_no"]), int(hit["_primary_term"]))
            previous = self._seen.get(hit["_id"])
            since = previous[1] if previous is not None and previous[0] == version else now
            seen[hit["_id"]] = (version, since)
            if isinstance(mark, str) and now - since < self._stale_after:
                fresh.append(mark)
            elif now - since >= self._stale_after * FORGET_AFTER_STALE:
                self._forget(hit["_id"], version)
        self._seen = seen
        return min(fresh) if fresh else None

    def _forget(self, key: str, version: tuple[int, int]) -> None:
        """Delete a dead writer's mark, unless it beat again meanwhile (version check)."""
        try:
            self._es.call(
                "deleting a dead writer's mark",
                lambda: self._es.client.options(ignore_status=(404, 409)).delete(
                    index=self._index, id=key, if_seq_no=version[0], if_primary_term=version[1]
                ),
            )
        except StoreError as exc:
            log.warning("dead writer mark %s not deleted: %s", key, exc)
