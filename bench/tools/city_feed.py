"""The demo's city stream at a fixed rate, from a child process, with a report of what left.

The child plays :class:`canhgac.cli.demo.generator.DemoStream` (benign traffic plus every
planted attack about once a minute) through :class:`canhgac.cli.demo.sender.DemoSender`, over
syslog UDP and TCP, HTTP JSON and the tailed access log, as ``canhgac demo`` does, but with
one sending thread per channel: a listener pushing back holds up its own channel only. A
separate process, so generating 1,000s of lines a second does not starve the observer; it
reports over a queue:

- ``("start", wall_clock)`` first; every ``seconds`` below count from it, on the wall clock
  (``time.time``) the observer shares with the child;
- ``("mark", seconds, lines, events, errors, behind)`` about once a second: totals sent so
  far, and how far (seconds) a line trailed its schedule at worst since the last mark (the
  instance pushing back on TCP or HTTP, or the sender short of CPU);
- ``("planted", key, rules, planted_at, seconds)`` as each attack's first line falls due;
- ``("done", ...)`` as a mark, once every lane has sent all it held, then
  ``("channels", {channel: (lines sent, worst delay behind schedule)})``.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from canhgac.cli.demo.generator import DemoStream, Emission
from canhgac.cli.demo.model import Channel, LogLine, PlantedAttack
from canhgac.cli.demo.runner import pump
from canhgac.cli.demo.sender import DemoSender, DemoSendError, DemoTargets
from canhgac.timeutil import utcnow

from .soak_stats import joined_records

# Every planted attack about once a minute. Not exactly 60 s: rounds in step with the rules'
# 1-minute schedule would all meet it at one phase (always just before a run, or always just
# after); 67 s walks the rounds through every phase of the interval within ~9 rounds.
ATTACK_PERIOD_S = 67.0
FIRST_ROUND_S = 10.0
MARK_EVERY_S = 1.0
COALESCE_LINES = 2000  # a sender takes up to this many waiting lines at once
SENDERS = {Channel.http: 4}  # sending threads per channel (1 if not named)
MAX_AUDIT_IDS = 100_000  # audit ids remembered to count joined records (trimmed whole)
# The access log is renamed to "<name>.1" at this size, as logrotate would (the tailer
# finishes the renamed file), so a long soak does not keep a 10 GB log around.
MAX_FILE_BYTES = 256 * 2**20


class TrackedStream:
    """The stream, remembering when the last emission it handed out was due."""

    def __init__(self, stream: Iterable[Emission]) -> None:
        self._stream = iter(stream)
        self.last_at = 0.0

    def __iter__(self) -> Iterator[Emission]:
        return self

    def __next__(self) -> Emission:
        emission = next(self._stream)
        self.last_at = emission.at_s
        return emission


@dataclass(frozen=True, slots=True)
class Batch:
    due_at: float  # seconds after the start its oldest line was due
    lines: list[LogLine]
    events: int  # what the instance makes of them (audit records joined)


class Lane:
    """Sends one channel's lines, so a listener pushing back (TCP, HTTP) holds up its own
    channel only, as it would hold up only its own hosts in a city.

    A sender takes every batch waiting (up to COALESCE_LINES lines) at once, as a log shipper
    does. HTTP has several senders: the intake answers a POST once its lines are stored, and
    the city's many hosts post side by side; syslog and the file keep one, for their order.
    """

    def __init__(self, channel: Channel, targets: DemoTargets, start: float) -> None:
        self.channel = channel
        self.targets = targets
        self.start_at = start
        self.batches: queue.SimpleQueue[Batch | None] = queue.SimpleQueue()
        self.lines = self.events = self.errors = 0
        self.behind = 0.0  # worst since the reporter last took it
        self.worst = 0.0  # worst of the run
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"{channel}-{n}", daemon=True)
            for n in range(SENDERS.get(channel, 1))
        ]
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        for _ in self._threads:
            self.batches.put(None)

    def alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def _run(self) -> None:
        with DemoSender(self.targets, attempts=3, max_file_bytes=MAX_FILE_BYTES) as sender:
            while (batches := self._take()) is not None:
                delay = time.time() - self.start_at - batches[0].due_at
                lines = [line for batch in batches for line in batch.lines]
                try:
                    sender.send(lines)
                except DemoSendError as exc:
                    self._count(delay, errors=1)
                    if self.errors <= 5:
                        print(f"sender: {exc}", flush=True)
                    continue
                self._count(delay, len(lines), sum(batch.events for batch in batches))

    def _take(self) -> list[Batch] | None:
        first = self.batches.get()
        if first is None:
            return None
        taken, size = [first], len(first.lines)
        while size < COALESCE_LINES:
            try:
                more = self.batches.get_nowait()
            except queue.Empty:
                break
            if more is None:  # closing: send what was taken, then stop at the next take
                self.batches.put(None)
                break
            taken.append(more)
            size += len(more.lines)
        return taken

    def _count(self, delay: float, lines: int = 0, events: int = 0, errors: int = 0) -> None:
        with self._lock:
            self.behind = max(self.behind, delay)
            self.worst = max(self.worst, delay)
            self.lines += lines
            self.events += events
            self.errors += errors


class Dispatcher:
    """pump()'s sink: splits each due batch by channel onto the lanes, and reports."""

    def __init__(
        self,
        targets: DemoTargets,
        reports: multiprocessing.queues.Queue[Any],
        start: float,
        stream: TrackedStream,
    ) -> None:
        self.reports = reports
        self.start = start
        self.stream = stream
        self.lanes = {channel: Lane(channel, targets, start) for channel in Channel}
        # pump() holds one emission back (the next not yet due): it opens the next batch.
        self._oldest_due = 0.0
        self._audit_ids: set[str] = set()
        self._next_mark = start

    def send(self, lines: list[LogLine]) -> None:
        due_at, self._oldest_due = self._oldest_due, self.stream.last_at
        by_channel: dict[Channel, list[LogLine]] = {}
        for line in lines:
            by_channel.setdefault(line.channel, []).append(line)
        for channel, group in by_channel.items():
            joined = joined_records((line.text for line in group), self._audit_ids)
            self.lanes[channel].batches.put(Batch(due_at, group, len(group) - joined))
        if len(self._audit_ids) > MAX_AUDIT_IDS:
            self._audit_ids.clear()
        self.mark()

    def wait(self, seconds: float) -> bool:
        """pump()'s pause, in steps, reporting between them."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, MARK_EVERY_S))
            self.mark()
        return False

    def mark(self, kind: str = "mark", *, force: bool = False) -> None:
        now = time.time()
        if not force and now < self._next_mark:
            return
        self._next_mark = now + MARK_EVERY_S
        lanes = self.lanes.values()
        behind = max(lane.behind for lane in lanes)
        for lane in lanes:
            lane.behind = 0.0
        totals = [sum(getattr(lane, name) for lane in lanes) for name in ("lines", "events")]
        errors = sum(lane.errors for lane in lanes)
        self.reports.put((kind, now - self.start, *totals, errors, behind))

    def planted(self, attack: PlantedAttack) -> None:
        self.reports.put(
            ("planted", attack.key, attack.rules, attack.planted_at, time.time() - self.start)
        )

    def close(self) -> dict[str, tuple[int, float]]:
        """Let every lane send what it holds; (lines sent, worst delay) by channel."""
        for lane in self.lanes.values():
            lane.close()
        while any(lane.alive() for lane in self.lanes.values()):
            time.sleep(MARK_EVERY_S)
            self.mark()
        self.mark("done", force=True)
        return {str(channel): (lane.lines, lane.worst) for channel, lane in self.lanes.items()}


def feed(
    targets: DemoTargets,
    rate: float,
    duration_s: float,
    seed: int,
    reports: multiprocessing.queues.Queue[Any],
) -> None:
    """Play the stream for ``duration_s`` (the child's body)."""
    stream = TrackedStream(
        DemoStream(
            seed, rate, utcnow(), first_round_s=FIRST_ROUND_S, attack_period_s=ATTACK_PERIOD_S
        )
    )
    start = time.time()
    reports.put(("start", start))
    sink = Dispatcher(targets, reports, start, stream)
    pump(stream, sink, wait=sink.wait, duration_s=duration_s, on_planted=sink.planted)
    reports.put(("channels", sink.close()))


def start_feed(
    targets: DemoTargets, rate: float, duration_s: float, seed: int
) -> tuple[BaseProcess, multiprocessing.queues.Queue[Any], float]:
    """Start the child; returns it, its report queue and the wall-clock start it counts from."""
    context = multiprocessing.get_context("spawn")  # no copy of the observer's threads
    queue: multiprocessing.queues.Queue[Any] = context.Queue()
    child = context.Process(
        target=feed, args=(targets, rate, duration_s, seed, queue), name="city-feed"
    )
    child.start()
    kind, start = queue.get(timeout=60)
    assert kind == "start", kind
    return child, queue, float(start)
