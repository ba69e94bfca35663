"""Dead letters never pass silently: each is counted and (rate-limited) logged as stored.

``canhgac_dead_letters_total{source,reason}`` counts them by source and reason *class*
(:func:`canhgac.dead_letters.reason_class`: a handful of values, never the free text). The
log shows the first :data:`LOG_FIRST` letters of each (source, class) per minute with their
reason, then one line with how many more there were, when the next one comes after the
minute. A source name coming from the data (a dataset field) cannot grow the label set past
:data:`MAX_SOURCES`: later names are counted as ``other``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from canhgac.dead_letters import reason_class
from canhgac.metrics import Metrics
from canhgac.models import DeadLetter

log = logging.getLogger("canhgac.dead_letters")

LOG_FIRST = 5
LOG_WINDOW = 60.0
MAX_SOURCES = 200


@dataclass
class _Window:
    started: float
    logged: int = 0
    unlogged: int = 0


class DeadLetterWatch:
    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.monotonic) -> None:
        self._total = metrics.counter(
            "canhgac_dead_letters_total",
            "Dead letters stored, per source and reason class (binary, too_long, parse, ...).",
            labels=("source", "reason"),
        )
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._sources: set[str] = set()
        self._lock = threading.Lock()

    def seen(self, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            kind = reason_class(letter.reason)
            source = self._label(letter.source)
            self._total.labels(source=source, reason=kind).inc()
            self._log(letter, source, kind)

    def _label(self, source: str) -> str:
        with self._lock:
            if source in self._sources or len(self._sources) < MAX_SOURCES:
                self._sources.add(source)
                return source
        return "other"

    def _log(self, letter: DeadLetter, source: str, kind: str) -> None:
        now = self._clock()
        with self._lock:
            window = self._windows.get((source, kind))
            if window is None or now - window.started >= LOG_WINDOW:
                missed = window.unlogged if window else 0
                window = self._windows[(source, kind)] = _Window(now)
            else:
                missed = 0
            loud = window.logged < LOG_FIRST
            window.logged += loud
            window.unlogged += not loud
        if missed:
            log.warning(
                "%d more dead letters from %r (%s) in the minute before", missed, source, kind
            )
        if loud:
            # %r: the reason may quote the record, which is attacker-controlled.
            log.warning("dead letter %s from %r (%s): %r", letter.id, source, kind, letter.reason)
