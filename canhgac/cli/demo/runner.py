"""Play the demo stream in real time: for a fixed duration (``canhgac demo``) or until
stopped, from a thread (``canhgac run`` feeding itself in ``demo.mode=auto``).

Lines are sent when they fall due, gathered per tick so that HTTP posts carry a handful of
lines each. Timestamps are those the generator gave the lines: the wall clock at the start
plus their offset, i.e. "now" give or take one tick.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from canhgac.cli.demo.generator import FIRST_ROUND_S, MAX_BURST_S, DemoStream, Emission
from canhgac.cli.demo.model import LogLine, PlantedAttack
from canhgac.cli.demo.sender import DemoSender, DemoSendError, DemoTargets
from canhgac.timeutil import to_iso, utcnow

log = logging.getLogger(__name__)

TICK_S = 0.25
MIN_DURATION_S = 2 * MAX_BURST_S
# A failing input is reported at most this often by the feeder, and retried this often.
WARN_EVERY_S = 30.0
COOLDOWN_S = 5.0
# The feeder's access log is rotated at this size (about 6 hours at 20 lines/s).
MAX_FILE_BYTES = 64 * 1024 * 1024

Clock = Callable[[], float]
# Waits up to the given seconds; True means "stop now".
Wait = Callable[[float], bool]


class LineSink(Protocol):
    def send(self, lines: list[LogLine]) -> None: ...


def pump(
    emissions: Iterable[Emission],
    sink: LineSink,
    *,
    wait: Wait,
    duration_s: float | None = None,
    clock: Clock = time.monotonic,
    on_error: Callable[[DemoSendError], None] | None = None,
    on_planted: Callable[[PlantedAttack], None] | None = None,
    tick_s: float = TICK_S,
) -> list[PlantedAttack]:
    """Send each emission once it is due; return the attacks whose first line was sent.

    Stops after ``duration_s`` (None: never) or when ``wait`` says so. A DemoSendError is
    raised, or handed to ``on_error`` and the lines dropped. ``on_planted`` hears of each
    attack as soon as it is sent.
    """
    planted: list[PlantedAttack] = []
    stream = iter(emissions)
    upcoming = next(stream)
    begin = clock()
    while True:
        elapsed = clock() - begin
        cutoff = elapsed if duration_s is None else min(elapsed, duration_s)
        due: list[Emission] = []
        while upcoming.at_s <= cutoff:
            due.append(upcoming)
            upcoming = next(stream)
        if due:
            try:
                sink.send([emission.line for emission in due])
            except DemoSendError as exc:
                if on_error is None:
                    raise
                on_error(exc)
            else:
                for attack in (e.planted for e in due if e.planted is not None):
                    planted.append(attack)
                    if on_planted is not None:
                        on_planted(attack)
        if duration_s is not None and elapsed >= duration_s:
            return planted
        pause = max(upcoming.at_s - (clock() - begin), tick_s)
        if duration_s is not None:
            pause = min(pause, max(duration_s - (clock() - begin), 0.0))
        if wait(pause):
            return planted


def run_demo(
    targets: DemoTargets,
    duration_s: float,
    rate: float,
    seed: int,
    *,
    clock: Clock = time.monotonic,
    wait: Wait | None = None,
    sender: LineSink | None = None,
) -> list[PlantedAttack]:
    """Send the demo stream to a running instance for ``duration_s`` seconds (blocks).

    Every attack is planted once, within the first 10 s (sooner in a shorter run, so that
    each burst ends before the run does). Returns the planted attacks, for
    :func:`canhgac.cli.demo.report.build_outcome`. Raises DemoSendError when an input of the
    instance cannot be reached, ValueError for a run too short to plant every attack.
    """
    if duration_s < MIN_DURATION_S:
        raise ValueError(f"the demo needs at least {MIN_DURATION_S:.0f} s, not {duration_s:g}")
    stream = DemoStream(
        seed,
        rate,
        utcnow(),
        first_round_s=min(FIRST_ROUND_S, duration_s - MAX_BURST_S),
        attack_period_s=duration_s + MAX_BURST_S,
    )
    pause = wait or _sleeping_wait
    if sender is not None:
        return pump(stream, sender, wait=pause, duration_s=duration_s, clock=clock)
    with DemoSender(targets) as own:
        return pump(stream, own, wait=pause, duration_s=duration_s, clock=clock)


def _sleeping_wait(seconds: float) -> bool:
    time.sleep(seconds)
    return False


class DemoFeeder:
    """Feeds the demo stream to the instance it runs in, from a thread, until stopped.

    Attacks are planted within ``first_round_s`` of :meth:`start` and again every
    ``attack_period_s``. Delivery problems (the instance still starting, a full transport)
    are logged and the lines dropped; the feeder never stops on its own.
    """

    def __init__(
        self,
        targets: DemoTargets,
        rate: float,
        seed: int | None = None,
        *,
        first_round_s: float = FIRST_ROUND_S,
        attack_period_s: float = 180.0,
        sender: LineSink | None = None,
    ) -> None:
        self.targets = targets
        self.rate = rate
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self._first_round_s = first_round_s
        self._attack_period_s = attack_period_s
        self._sender = sender
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._planted: list[PlantedAttack] = []
        self._last_warning = float("-inf")
        self.started_at: str | None = None

    @property
    def planted(self) -> list[PlantedAttack]:
        """The attacks planted so far (a copy)."""
        with self._lock:
            return list(self._planted)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the demo feeder is already running")
        self._stop.clear()
        start = utcnow()
        stream = DemoStream(
            self.seed,
            self.rate,
            start,
            first_round_s=self._first_round_s,
            attack_period_s=self._attack_period_s,
        )
        self.started_at = to_iso(start)
        self._thread = threading.Thread(
            target=self._run, args=(stream,), name="demo-feeder", daemon=False
        )
        self._thread.start()
        log.info("demo: feeding %.0f lines/s (seed %d) to %s", self.rate, self.seed, self.targets)

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self, stream: DemoStream) -> None:
        if self._sender is not None:
            self._feed(stream, self._sender)
            return
        # Retries wait on the stop event, so stop() is never held up by a dead input, and a
        # dead input is left alone for a while instead of delaying the live ones every tick.
        with DemoSender(
            self.targets,
            attempts=2,
            cooldown_s=COOLDOWN_S,
            max_file_bytes=MAX_FILE_BYTES,
            sleep=self._stop.wait,
        ) as sender:
            self._feed(stream, sender)

    def _feed(self, stream: DemoStream, sink: LineSink) -> None:
        pump(stream, sink, wait=self._stop.wait, on_error=self._warn, on_planted=self._record)

    def _record(self, attack: PlantedAttack) -> None:
        with self._lock:
            self._planted.append(attack)

    def _warn(self, exc: DemoSendError) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_S:
            self._last_warning = now
            log.warning("demo: %s (lines dropped; will keep trying)", exc)
