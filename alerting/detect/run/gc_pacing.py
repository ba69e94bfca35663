"""The cyclic garbage collector paced for a detection round.

A round decodes up to a few hundred thousand stored documents into dicts and holds them
(a correlation groups every base event of its window), and every dict is tracked by the
cyclic collector. At Python's default pace (a young collection every 700 allocations) the
collector walks those live objects again and again: 1.7 s of a 20 s cycle over 1,000,000
events (``bench_detect.py --growth``). For the length of a round the young generation
collects every :data:`ROUND_THRESHOLD` allocations instead; the collector still runs, so
garbage cycles made meanwhile (by this thread or another) are still reclaimed, later.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ROUND_THRESHOLD = 100_000

_lock = threading.Lock()
_rounds = 0
_before: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def round_pace() -> Iterator[None]:
    """Collect at the round's pace until the last overlapping round ends."""
    global _rounds, _before
    with _lock:
        if _rounds == 0:
            _before = gc.get_threshold()
            if 0 < _before[0] < ROUND_THRESHOLD:  # 0: collection is off; keep it off
                gc.set_threshold(ROUND_THRESHOLD, *_before[1:])
        _rounds += 1
    try:
        yield
    finally:
        with _lock:
            _rounds -= 1
            if _rounds == 0:
                gc.set_threshold(*_before)
