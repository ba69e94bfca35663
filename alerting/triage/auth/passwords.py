"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults), through a bounded pool.

One argon2id computation with the default parameters takes 64 MiB of memory and tens of
milliseconds of CPU. Logins are unauthenticated, so without a bound a flood of bogus logins
costs 64 MiB each at once (24 of them took the process from 94 MB to 1.5 GB) and starves
ingest and detection, which share the process. :class:`HashingPool` lets ``slots`` hashes run
at once and ``queue`` more wait up to ``wait`` seconds; anything beyond is refused at once
with :class:`~alerting.triage.errors.TooManyRequestsError` (HTTP 429 and Retry-After), so a
flood costs at most ``slots`` x 64 MiB and a few waiting threads, never more.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from alerting.triage.errors import TooManyRequestsError
from canhgac.config import LoginConfig


class HashingPool:
    """At most ``slots`` password hashes at once; ``queue`` more wait up to ``wait`` seconds."""

    def __init__(self, slots: int = 2, queue: int = 8, wait: float = 5.0) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._max_waiting = queue
        self._wait = wait
        self._waiting = 0
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, login: LoginConfig) -> HashingPool:
        return cls(login.hash_concurrency, login.hash_queue, login.hash_wait.total_seconds())

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            self._queue_for_slot()
        try:
            yield
        finally:
            self._slots.release()

    def _queue_for_slot(self) -> None:
        with self._lock:
            if self._waiting >= self._max_waiting:
                raise self._busy()
            self._waiting += 1
        try:
            acquired = self._slots.acquire(timeout=self._wait)
        finally:
            with self._lock:
                self._waiting -= 1
        if not acquired:
            raise self._busy()

    def _busy(self) -> TooManyRequestsError:
        return TooManyRequestsError(
            "too many password checks at once; try again shortly",
            retry_after=math.ceil(self._wait) or 1,
            code="busy",
        )


class Passwords:
    """Hashes and checks passwords. Tests may pass a cheaper :class:`PasswordHasher`."""

    def __init__(self, hasher: PasswordHasher | None = None, pool: HashingPool | None = None):
        self._hasher = hasher or PasswordHasher()
        self._pool = pool or HashingPool()
        # Checked against when the username is unknown, so a wrong username takes as long
        # as a wrong password and response times do not tell which usernames exist.
        self._decoy = self._hasher.hash("decoy password, never matches anything")

    def hash(self, password: str) -> str:
        with self._pool.slot():
            return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._pool.slot():
            try:
                return self._hasher.verify(password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def burn_time(self, password: str) -> None:
        """Spend as long as a real check (for an unknown username)."""
        self.verify(self._decoy, password + "\x00")
