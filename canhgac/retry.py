"""The one retry policy: how long to wait before each retry of something that failed.

Exponential backoff: ``initial * factor**(n - 1)`` seconds before retry ``n``, never more than
``cap``; ``jitter`` takes up to that fraction off at random, so that clients which failed
together (a store restart) do not all come back in the same instant. Callers keep their own
loops (a stop event to wait on, a row's ``updated_at`` to count from); they ask the policy only
for the delay.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Seconds; ``attempts`` counts tries in all (the first one included), None: no limit."""

    initial: float
    cap: float = math.inf
    factor: float = 2.0
    jitter: float = 0.0
    attempts: int | None = None

    def __post_init__(self) -> None:
        if self.initial < 0 or self.cap < 0 or self.factor < 1:
            raise ValueError("a retry policy needs initial >= 0, cap >= 0 and factor >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter is a fraction of the delay, between 0 and 1")
        if self.attempts is not None and self.attempts < 1:
            raise ValueError("attempts counts the first try: at least 1")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1: the first retry; < 1: none)."""
        if retry < 1:
            return 0.0
        try:
            raw = self.initial * self.factor ** (retry - 1)
        except OverflowError:  # retry 10,000 of a row stuck for weeks: past any cap
            raw = math.inf
        delay = min(self.cap, raw)
        if self.jitter:
            delay *= 1.0 - self.jitter * random.random()
        return delay

    def delays(self) -> Iterator[float]:
        """The delay before each retry in turn: ``attempts - 1`` of them, or endless."""
        retries = count(1) if self.attempts is None else range(1, self.attempts)
        return (self.delay(retry) for retry in retries)
