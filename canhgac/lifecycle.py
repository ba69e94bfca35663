"""A long-running part of a process: ``start`` returns at once, ``stop`` shuts it down.

Sources, the notification dispatcher and the web server share this so ``with part:`` starts
and always stops them, and the CLI can treat them alike.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

log = logging.getLogger(__name__)


class Service(ABC):
    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class Periodic:
    """Calls ``work`` every ``every`` seconds in a thread of its own until stopped; a failing
    call is logged with ``failure`` and the next one comes as usual (a reloader, say, must
    outlive any one bad reload)."""

    def __init__(self, name: str, every: float, work: Callable[[], object], failure: str) -> None:
        self.name = name
        self._every = every
        self._work = work
        self._failure = failure
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._work()
            except Exception:
                log.exception("%s", self._failure)


def every_interval(job: Callable[[], None], seconds: float, job_id: str, first: datetime) -> Any:
    """A started APScheduler ``BackgroundScheduler`` running ``job`` every ``seconds`` from
    ``first``, one run at a time: a run still going when the next is due delays it, and missed
    runs merge into one instead of piling up. Stop it with ``shutdown(wait=True)``."""
    # Imported here: only the detect role's jobs need APScheduler.
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)}, timezone="UTC")
    scheduler.add_job(
        job,
        "interval",
        seconds=seconds,
        id=job_id,
        max_instances=1,
        coalesce=True,
        next_run_time=first,
    )
    scheduler.start()
    return scheduler
