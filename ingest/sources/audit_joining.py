"""The joining step for auditd: between a source's batcher and the transport.

Why here: the records of one audit event arrive in different reads (a file poll or a TCP
segment may end mid-event) and interleave with other events and hosts, so parsing, which sees
one record, cannot join them; the transport and the store must see the joined event only, or
an executable and its command line are stored apart. Each source that may carry audit lines
(file and syslog sources parsed by ``auto`` or ``auditd``) gets its own
:class:`AuditJoiningSender`; every other record passes straight through in the batch it came
in.

Nothing lost, nothing doubled: a batch from the source is acknowledged (a file source then
moves its checkpoint) only once every record in it has left in a batch the next stage
acknowledged, joined events included, and acknowledgements stay in the order the batches
came. So a record held when the process dies was never acknowledged: a file source reads it
again after a restart (the joined event keeps the id of its first record, so a second write
replaces it); a syslog sender's records held at a crash are lost like any record in memory.
On an orderly stop :meth:`release_held` (called by the batcher as it closes) sends every
held event at once, marked partial if its EOE had not come.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from canhgac.errors import TransportError
from canhgac.models import Event
from ingest.parse.auditd_join import AuditJoiner, Joined, is_joinable
from ingest.transport.base import Batch, Sender

log = logging.getLogger(__name__)

#: Parsers whose output may hold audit records.
JOINING_PARSERS = frozenset(("auto", "auditd"))


@dataclass(eq=False)
class _Incoming:
    """A batch from the source: acknowledged once ``pending`` is 0 and it is ``sealed``."""

    ack: Callable[[], None]
    pending: int = 0
    sealed: bool = False


class AuditJoiningSender(Sender):
    def __init__(
        self,
        inner: Sender,
        *,
        name: str = "source",
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._name = name
        self._joiner: AuditJoiner[_Incoming] = AuditJoiner(timeout, clock=clock)
        self._send_lock = threading.Lock()  # one send at a time: acks stay in order
        self._books = threading.Lock()  # pending counts; taken by acks from other threads
        self._incoming: deque[_Incoming] = deque()
        self._stop_timer = threading.Event()
        self._timer: threading.Thread | None = None
        self._stopping = False  # after release_held(): hold nothing any more

    @property
    def held(self) -> int:
        """Audit events waiting for their last record."""
        return len(self._joiner)

    # --- sending -------------------------------------------------------------------------------
    def send(self, batch: Batch) -> None:
        with self._send_lock:
            if not self._stopping:
                self._ensure_timer()
            incoming = _Incoming(batch.ack)
            with self._books:
                self._incoming.append(incoming)
            passing: list[Event] = []
            done: list[Joined[_Incoming]] = []
            for event in batch.events:
                if is_joinable(event):
                    with self._books:
                        incoming.pending += 1
                    done.extend(self._joiner.add(event, incoming))
                else:
                    passing.append(event)
            if self._stopping:
                done.extend(self._joiner.drain())
            self._forward(passing, batch, incoming, done)

    def _forward(
        self,
        passing: list[Event],
        batch: Batch,
        incoming: _Incoming,
        done: list[Joined[_Incoming]],
    ) -> None:
        """Send the batch's passing records and the events completed, in one batch."""
        events = [joined.event for joined in done]
        # A batch the joined events' records came in counts once per held record; the
        # batch sent now settles one count per record, plus one for the batch itself.
        tokens = [token for joined in done for token in joined.tokens]
        tokens.append(incoming)
        with self._books:
            incoming.pending += 1
            incoming.sealed = True
        out = Batch(passing + events, batch.dead_letters, lambda: self._settle(tokens))
        if not len(out):
            self._settle(tokens)
            return
        try:
            self._inner.send(out)
        except BaseException:
            self._settle(tokens)  # the source learns of the failure from the exception
            raise

    def _emit(self, done: list[Joined[_Incoming]]) -> None:
        if not done:
            return
        tokens = [token for joined in done for token in joined.tokens]
        out = Batch([joined.event for joined in done], [], lambda: self._settle(tokens))
        self._inner.send(out)

    # --- acknowledgements ------------------------------------------------------------------
    def _settle(self, tokens: list[_Incoming]) -> None:
        with self._books:
            for token in tokens:
                token.pending -= 1
            while self._incoming and self._incoming[0].sealed and not self._incoming[0].pending:
                self._incoming.popleft().ack()

    # --- time-outs and stopping -------------------------------------------------------------
    def _ensure_timer(self) -> None:
        if self._timer is None or not self._timer.is_alive():
            self._stop_timer.clear()
            # A daemon: the source never tells this stage it stops except via
            # release_held(), which ends the thread.
            self._timer = threading.Thread(
                target=self._tick, name=f"auditd-join-{self._name}", daemon=True
            )
            self._timer.start()

    def _tick(self) -> None:
        interval = max(min(self._joiner.timeout / 4, 0.5), 0.01)
        while not self._stop_timer.wait(interval):
            try:
                self.expire()
            except TransportError as exc:
                log.warning("%s: audit events not sent: %s", self._name, exc)

    def expire(self) -> None:
        """Send the events that waited longer than the time-out, partial."""
        with self._send_lock:
            self._emit(self._joiner.expire())

    def release_held(self) -> None:
        """Send every held event now (the source is stopping) and stop the timer."""
        self._stopping = True
        self._stop_timer.set()
        timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.join()
        with self._send_lock:
            held = self._joiner.drain()
            if held:
                log.info("%s: %d audit events sent partial at stop", self._name, len(held))
            self._emit(held)

    def flush(self, timeout: float | None = None) -> None:
        self._inner.flush(timeout)

    def close(self) -> None:
        """Send what is held; the transport itself is shared and closed by its owner."""
        self.release_held()
