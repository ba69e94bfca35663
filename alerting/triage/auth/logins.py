"""Checking a login: throttled per source address and per account, audited, same for all.

The order matters. The source address's wait is looked at first (no store read, no hash: a
hammering address costs almost nothing), then the account's, then the password, through the
bounded hashing pool. An unknown username is handled exactly like a real one (a decoy hash,
strikes kept in memory with the same rule), so neither the answer nor its timing tells which
usernames exist, before or after a backoff starts. See :mod:`alerting.triage.auth.throttle`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from alerting.triage.auth.passwords import Passwords
from alerting.triage.auth.throttle import Backoff, StrikeBook, Strikes
from canhgac.config import LoginConfig
from canhgac.store.triage import AuditEntry, TriageRecord, TriageStore, User
from canhgac.timeutil import from_iso, to_iso

MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; this bounds the work per request


class LoginResult(StrEnum):
    ok = "ok"
    invalid = "invalid"  # unknown user or wrong password: the caller cannot tell which
    throttled = "throttled"  # too many failures (address or account): wait retry_after
    disabled = "disabled"  # right password, disabled account: answered as invalid


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    result: LoginResult
    user: User | None = None
    #: Seconds to wait before the next attempt (throttled only).
    retry_after: int = 0


def _seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


class LoginCheck:
    """Checks logins for :class:`~alerting.triage.auth.accounts.Accounts`."""

    def __init__(
        self,
        triage: TriageStore,
        passwords: Passwords,
        clock: Callable[[], datetime],
        config: LoginConfig,
    ) -> None:
        self._triage = triage
        self._passwords = passwords
        self._clock = clock
        self.account_backoff = Backoff(config.account_free_failures, config.account_max_delay)
        self._addresses = StrikeBook(
            Backoff(config.address_free_failures, config.address_max_delay)
        )
        self._unknown = StrikeBook(self.account_backoff)
        self._lock = threading.Lock()  # the strike books are shared by request threads

    def login(self, username: str, password: str, source_ip: str | None) -> LoginOutcome:
        now = self._clock()
        address = f"address:{source_ip or '-'}"
        with self._lock:
            wait = self._addresses.get(address, now).wait(now)
            if wait:
                # Counted: an address that keeps trying while it waits keeps itself out.
                self._addresses.fail(address, now)
        if wait:
            return LoginOutcome(LoginResult.throttled, retry_after=_seconds(wait))
        user = self._triage.get_user(username)
        strikes = self._account_strikes(user, username, now)
        if wait := strikes.wait(now):
            self._address_failed(address, now, source_ip)
            self._audit(username, "auth.login_failed", now, source_ip, {"reason": "throttled"})
            return LoginOutcome(LoginResult.throttled, retry_after=_seconds(wait))
        if user is None or len(password) > MAX_PASSWORD_LENGTH:
            self._passwords.burn_time(password[:MAX_PASSWORD_LENGTH])
            return self._failed(None, username, strikes, now, source_ip, address)
        if not self._passwords.verify(user.password_hash, password):
            return self._failed(user, username, strikes, now, source_ip, address)
        if user.disabled:
            self._audit(username, "auth.login_failed", now, source_ip, {"reason": "disabled"})
            return LoginOutcome(LoginResult.disabled)
        return self._succeeded(user, password, now, source_ip)

    def _account_strikes(self, user: User | None, username: str, now: datetime) -> Strikes:
        if user is None:
            with self._lock:
                return self._unknown.get(f"user:{username}", now)
        if now - from_iso(user.updated_at) > self.account_backoff.forget_after:
            return Strikes()  # quiet for long: starts over, as an unknown name would
        not_before = from_iso(user.locked_until) if user.locked_until else None
        return Strikes(user.failed_logins, not_before)

    def _failed(
        self,
        user: User | None,
        username: str,
        strikes: Strikes,
        now: datetime,
        source_ip: str | None,
        address: str,
    ) -> LoginOutcome:
        if user is None:
            with self._lock:
                after = self._unknown.fail(f"user:{username}", now)
        else:
            after = strikes.failed(now, self.account_backoff)
            not_before = to_iso(after.not_before) if after.not_before else None
            update = {
                "failed_logins": after.failures,
                "locked_until": not_before,
                "updated_at": to_iso(now),
            }
            self._triage.save_user(user.model_copy(update=update))
        self._address_failed(address, now, source_ip)
        detail: dict[str, object] = {"reason": "invalid", "failures": after.failures}
        self._audit(username, "auth.login_failed", now, source_ip, detail)
        if after.not_before is not None:
            until: dict[str, object] = {"by": "account", "until": to_iso(after.not_before)}
            self._audit(username, "auth.throttled", now, source_ip, until)
        return LoginOutcome(LoginResult.invalid)

    def _address_failed(self, address: str, now: datetime, source_ip: str | None) -> None:
        with self._lock:
            after = self._addresses.fail(address, now)
        if after.not_before is not None:
            # Once, when the address starts waiting: its later attempts are not audited one
            # by one (a flood must not become a flood of audit writes).
            until: dict[str, object] = {"by": "address", "until": to_iso(after.not_before)}
            self._audit(source_ip or "-", "auth.throttled", now, source_ip, until, target=address)

    def _succeeded(
        self, user: User, password: str, now: datetime, source_ip: str | None
    ) -> LoginOutcome:
        update: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if self._passwords.needs_rehash(user.password_hash):
            update["password_hash"] = self._passwords.hash(password)
        if user.failed_logins or user.locked_until or "password_hash" in update:
            user = user.model_copy(update={**update, "updated_at": to_iso(now)})
            self._triage.save_user(user)
        self._audit(user.username, "auth.login", now, source_ip, None)
        return LoginOutcome(LoginResult.ok, user)

    def _audit(
        self,
        username: str,
        action: str,
        now: datetime,
        source_ip: str | None,
        after: dict[str, object] | None,
        *,
        target: str | None = None,
    ) -> None:
        # A failed login's username is whatever was typed: bounded, and shown escaped.
        entry = AuditEntry(
            at=to_iso(now),
            actor=username[:200],
            action=action,
            target=target or f"user:{username[:200]}",
            after=after,
            source_ip=source_ip,
        )
        self._triage.record(TriageRecord(audit=[entry]))
