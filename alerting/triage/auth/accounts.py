"""Local accounts: creating users and checking logins, with lock-out after repeated failures."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from alerting.triage.auth.passwords import Passwords
from alerting.triage.errors import ConflictError, InvalidInputError, NotFoundError
from canhgac.store.triage import AuditEntry, Role, TriageRecord, TriageStore, User
from canhgac.text import nfc
from canhgac.timeutil import from_iso, to_iso, utcnow

#: Failed logins in a row that lock an account, and for how long.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; this bounds the work per request
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class LoginResult(StrEnum):
    ok = "ok"
    invalid = "invalid"  # unknown user or wrong password: the caller cannot tell which
    locked = "locked"
    disabled = "disabled"


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    result: LoginResult
    user: User | None = None


class Accounts:
    def __init__(
        self,
        triage: TriageStore,
        passwords: Passwords,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._triage = triage
        self._passwords = passwords
        self._clock = clock

    def create_user(
        self,
        username: str,
        password: str,
        role: Role | str,
        *,
        display_name: str = "",
        actor: str = "cli",
    ) -> User:
        """Add a local account, audited as done by ``actor``; raises
        :class:`InvalidInputError` saying what is wrong."""
        if not USERNAME_PATTERN.match(username):
            raise InvalidInputError(
                f"username {username!r} must be 1-64 of a-z 0-9 . _ - (starting alphanumeric)"
            )
        self._check_password(password)
        try:
            role = Role(role)
        except ValueError:
            raise InvalidInputError(
                f"role {role!r} is not one of {', '.join(r.value for r in Role)}"
            ) from None
        now = to_iso(self._clock())
        user = User(
            username=username,
            display_name=nfc(display_name.strip()) or username,
            role=role,
            password_hash=self._passwords.hash(password),
            created_at=now,
            updated_at=now,
        )
        if not self._triage.add_user(user):
            raise InvalidInputError(f"user {username!r} already exists", code="user_exists")
        after: dict[str, object] = {"role": user.role.value, "display_name": user.display_name}
        self._audit(actor, "user.create", self._clock(), None, after, target=username)
        return user

    def update_user(
        self,
        actor: str,
        username: str,
        *,
        role: Role | None = None,
        display_name: str | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        unlock: bool = False,
    ) -> User:
        """Change an account (admins); audited with the fields before and after. Disabling
        it or setting its password ends its sessions. The last active admin stays one."""
        user = self._triage.get_user(username)
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        update: dict[str, object] = {}
        if role is not None:
            update["role"] = role
        if display_name is not None:
            update["display_name"] = nfc(display_name.strip()) or username
        if disabled is not None:
            update["disabled"] = disabled
        if unlock:
            update |= {"failed_logins": 0, "locked_until": None}
        if password is not None:
            self._check_password(password)
            update["password_hash"] = self._passwords.hash(password)
        changed = user.model_copy(update={**update, "updated_at": to_iso(self._clock())})
        if _active_admin(user) and not _active_admin(changed) and self._admins() <= 1:
            raise ConflictError("keep at least one active admin", code="last_admin")
        self._triage.save_user(changed)
        if changed.disabled or password is not None:
            self._triage.delete_sessions(username=username)
        before, after = _account_fields(user), _account_fields(changed)
        if password is not None:
            after["password"] = "changed"
        self._audit(
            actor, "user.update", self._clock(), None, after, target=username, before=before
        )
        return changed

    def _admins(self) -> int:
        return sum(1 for u in self._triage.list_users() if _active_admin(u))

    def _check_password(self, password: str) -> None:
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise InvalidInputError(
                f"the password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
            )

    def login(self, username: str, password: str, *, source_ip: str | None = None) -> LoginOutcome:
        """Check a login; every attempt is audited and failures count toward a lock-out."""
        now = self._clock()
        user = self._triage.get_user(username)
        if user is None or len(password) > MAX_PASSWORD_LENGTH:
            self._passwords.burn_time(password[:MAX_PASSWORD_LENGTH])
            self._audit(username, "auth.login_failed", now, source_ip, {"reason": "invalid"})
            return LoginOutcome(LoginResult.invalid)
        if user.locked_until is not None and from_iso(user.locked_until) > now:
            # Checked before the password, so guessing during a lock-out learns nothing.
            self._audit(username, "auth.login_failed", now, source_ip, {"reason": "locked"})
            return LoginOutcome(LoginResult.locked)
        if not self._passwords.verify(user.password_hash, password):
            return self._failed(user, now, source_ip)
        if user.disabled:
            self._audit(username, "auth.login_failed", now, source_ip, {"reason": "disabled"})
            return LoginOutcome(LoginResult.disabled)
        update: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if self._passwords.needs_rehash(user.password_hash):
            update["password_hash"] = self._passwords.hash(password)
        if user.failed_logins or user.locked_until or "password_hash" in update:
            user = user.model_copy(update={**update, "updated_at": to_iso(now)})
            self._triage.save_user(user)
        self._audit(username, "auth.login", now, source_ip, None)
        return LoginOutcome(LoginResult.ok, user)

    def _failed(self, user: User, now: datetime, source_ip: str | None) -> LoginOutcome:
        failures = user.failed_logins + 1
        locked = failures >= MAX_FAILURES
        user = user.model_copy(
            update={
                "failed_logins": 0 if locked else failures,
                "locked_until": to_iso(now + LOCKOUT) if locked else None,
                "updated_at": to_iso(now),
            }
        )
        self._triage.save_user(user)
        detail = {"reason": "invalid", "failures": failures}
        self._audit(user.username, "auth.login_failed", now, source_ip, detail)
        if locked:
            self._audit(
                user.username, "auth.locked_out", now, source_ip, {"until": user.locked_until}
            )
            return LoginOutcome(LoginResult.locked)
        return LoginOutcome(LoginResult.invalid)

    def _audit(
        self,
        username: str,
        action: str,
        now: datetime,
        source_ip: str | None,
        after: dict[str, object] | None,
        *,
        target: str | None = None,
        before: dict[str, object] | None = None,
    ) -> None:
        # A failed login's username is whatever was typed: bounded, and shown escaped.
        entry = AuditEntry(
            at=to_iso(now),
            actor=username[:200],
            action=action,
            target=f"user:{(target or username)[:200]}",
            before=before,
            after=after,
            source_ip=source_ip,
        )
        self._triage.record(TriageRecord(audit=[entry]))


def _active_admin(user: User) -> bool:
    return user.role is Role.admin and not user.disabled


def _account_fields(user: User) -> dict[str, object]:
    """What the audit log keeps of an account: never the password hash."""
    return user.model_dump(mode="json", exclude={"password_hash", "created_at", "updated_at"})


def create_user(
    triage: TriageStore,
    username: str,
    password: str,
    role: Role | str,
    *,
    display_name: str = "",
    passwords: Passwords | None = None,
) -> User:
    """Add a local account (for ``canhgac users add``); audited as done by ``cli``."""
    return Accounts(triage, passwords or Passwords()).create_user(
        username, password, role, display_name=display_name, actor="cli"
    )
