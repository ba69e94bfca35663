"""Slowing down password guessing without handing attackers a way to lock people out.

Failures count per source address and per account. After a number of free failures each one
doubles the wait before the next attempt (1 s, 2 s, 4 s ...), up to a maximum: long for an
address (15 min), short for an account (30 s). An attempt made during its wait is refused
without a password check; it counts against its address (a guesser that keeps hammering
keeps itself out) but not against the account, so an attacker cannot hold an account shut:
once its address waits, the account's own wait runs out and the right password, from any
other address, gets in.

Accounts keep their count on their record (``failed_logins``, ``locked_until`` = the end of
the wait), so ``canhgac users unlock`` and every web instance see it. Addresses, and usernames
that do not exist, are counted here in memory, with the same rule, so an unknown username is
answered exactly like a real one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

#: The first backoff step; each further failure doubles it.
BASE_DELAY = timedelta(seconds=1)
#: Entries kept in memory; the least recently failed are forgotten first.
MAX_ENTRIES = 50_000


@dataclass(frozen=True, slots=True)
class Backoff:
    """The wait after ``failures`` failures in a row."""

    free: int
    cap: timedelta

    @property
    def forget_after(self) -> timedelta:
        """A key quiet for this long starts over: its old count no longer says anything."""
        return max(self.cap * 4, timedelta(hours=1))

    def delay(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        steps = min(failures - self.free, 30)  # 2**30 s is past any cap
        delay: timedelta = BASE_DELAY * (1 << steps)
        return min(delay, self.cap)


@dataclass(frozen=True, slots=True)
class Strikes:
    """Failures in a row and when the next attempt is allowed."""

    failures: int = 0
    not_before: datetime | None = None

    def wait(self, now: datetime) -> timedelta:
        if self.not_before is None or self.not_before <= now:
            return timedelta(0)
        return self.not_before - now

    def failed(self, now: datetime, backoff: Backoff) -> Strikes:
        failures = self.failures + 1
        delay = backoff.delay(failures)
        return Strikes(failures, now + delay if delay else None)


class StrikeBook:
    """Strikes by key, in memory, bounded: forgotten a while after their wait has passed.
    Not thread-safe: the caller holds a lock."""

    def __init__(self, backoff: Backoff, *, max_entries: int = MAX_ENTRIES) -> None:
        self.backoff = backoff
        self._entries: OrderedDict[str, tuple[Strikes, datetime]] = OrderedDict()
        self._max_entries = max_entries

    def get(self, key: str, now: datetime) -> Strikes:
        entry = self._entries.get(key)
        if entry is None:
            return Strikes()
        strikes, last = entry
        if now - last > self.backoff.forget_after:
            del self._entries[key]
            return Strikes()
        return strikes

    def fail(self, key: str, now: datetime) -> Strikes:
        strikes = self.get(key, now).failed(now, self.backoff)
        self._entries[key] = (strikes, now)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return strikes

    def clear(self, key: str) -> None:
        self._entries.pop(key, None)
