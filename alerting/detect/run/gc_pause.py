"""The cyclic garbage collector paused for the length of a detection round.

A round decodes up to a few hundred thousand stored documents into dicts and holds them
(a correlation groups every base event of its window), and every dict is tracked by the
cyclic collector, which walks the live ones again at each collection of an older generation:
the correlations of one cycle over 1,000,000 events took 8.2 s of CPU with it and 4.8 s
without, and the cost grows faster than the events (``bench_detect.py --growth``: 5.3x for 4x
the events with only a raised threshold, 3.9x with the collector paused).
A round makes no reference cycles of its own worth collecting (its objects are freed by
reference counting when it ends), so automatic collection waits until the last running round
ends, then resumes as before; cycles made meanwhile by other threads are collected then.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_rounds = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic collection off until the last overlapping round ends (if it was on)."""
    global _rounds, _was_enabled
    with _lock:
        if _rounds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _rounds += 1
    try:
        yield
    finally:
        with _lock:
            _rounds -= 1
            if _rounds == 0 and _was_enabled:
                gc.enable()
