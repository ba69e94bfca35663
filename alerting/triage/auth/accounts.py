"""Local accounts: creating and changing users, their own password changes, and logins
(checked by :mod:`alerting.triage.auth.logins`, throttled rather than locked)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from alerting.triage.auth.logins import MAX_PASSWORD_LENGTH, LoginCheck, LoginOutcome, LoginResult
from alerting.triage.auth.passwords import Passwords
from alerting.triage.errors import ConflictError, InvalidInputError, NotFoundError
from canhgac.config import LoginConfig
from canhgac.store.triage import AuditEntry, Role, TriageRecord, TriageStore, User
from canhgac.text import nfc
from canhgac.timeutil import to_iso, utcnow

__all__ = ["Accounts", "LoginOutcome", "LoginResult", "create_user"]

MIN_PASSWORD_LENGTH = 12
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class Accounts:
    def __init__(
        self,
        triage: TriageStore,
        passwords: Passwords,
        clock: Callable[[], datetime] = utcnow,
        *,
        login: LoginConfig | None = None,
        initial_password_file: Path | None = None,
    ) -> None:
        """``initial_password_file``: where the first admin's generated password was written;
        it is deleted once that password stops being valid (changed or reset)."""
        self._triage = triage
        self._passwords = passwords
        self._clock = clock
        self._logins = LoginCheck(triage, passwords, clock, login or LoginConfig())
        self._initial_password_file = initial_password_file

    def create_user(
        self,
        username: str,
        password: str,
        role: Role | str,
        *,
        display_name: str = "",
        actor: str = "cli",
        must_change_password: bool = False,
    ) -> User:
        """Add a local account, audited as done by ``actor``; raises
        :class:`InvalidInputError` saying what is wrong. ``must_change_password``: the
        password was generated, its owner must choose their own at the first login."""
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
            must_change_password=must_change_password,
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
        must_change_password: bool | None = None,
    ) -> User:
        """Change an account (admins, ``canhgac users``); audited with the fields before and
        after. Disabling it or setting its password ends its sessions. The last active admin
        stays one."""
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
        if must_change_password is not None:
            update["must_change_password"] = must_change_password
        changed = user.model_copy(update={**update, "updated_at": to_iso(self._clock())})
        if _active_admin(user) and not _active_admin(changed) and self._admins() <= 1:
            raise ConflictError("keep at least one active admin", code="last_admin")
        self._triage.save_user(changed)
        if changed.disabled or password is not None:
            self._triage.delete_sessions(username=username)
        if password is not None:
            self._retire_initial_password(user.password_hash, username)
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
        """Check a login (see :mod:`alerting.triage.auth.logins`); every attempt is audited,
        except those refused while their address waits."""
        return self._logins.login(username, password, source_ip)

    def change_password(self, username: str, current: str, new: str) -> User:
        """A user choosing their own password (after a generated one, or at will); raises
        :class:`InvalidInputError` with code ``wrong_current``, ``same`` or ``invalid``."""
        user = self._triage.get_user(username)
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        if len(current) > MAX_PASSWORD_LENGTH or not self._passwords.verify(
            user.password_hash, current
        ):
            raise InvalidInputError("the current password is wrong", code="wrong_current")
        if new == current:
            raise InvalidInputError("choose a new password", code="same")
        try:
            self._check_password(new)
        except InvalidInputError as exc:
            raise InvalidInputError(exc.message, code="invalid") from None
        now = self._clock()
        changed = user.model_copy(
            update={
                "password_hash": self._passwords.hash(new),
                "must_change_password": False,
                "updated_at": to_iso(now),
            }
        )
        self._triage.save_user(changed)
        self._retire_initial_password(user.password_hash, username)
        after: dict[str, object] = {"password": "changed"}
        self._audit(username, "user.password_change", now, None, after, target=username)
        return changed

    def _retire_initial_password(self, old_hash: str, username: str) -> None:
        """Delete the first admin's password file once the password in it no longer works."""
        path = self._initial_password_file
        if path is None or not path.exists():
            return
        written = path.read_text(encoding="utf-8").strip()
        if written and self._passwords.verify(old_hash, written):
            path.unlink(missing_ok=True)
            now = self._clock()
            self._audit("system", "user.initial_password_deleted", now, None, None, target=username)

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
    must_change_password: bool = False,
) -> User:
    """Add a local account (for ``canhgac users add``); audited as done by ``cli``."""
    return Accounts(triage, passwords or Passwords()).create_user(
        username,
        password,
        role,
        display_name=display_name,
        actor="cli",
        must_change_password=must_change_password,
    )
