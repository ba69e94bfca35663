"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    """Hashes and checks passwords. Tests may pass a cheaper :class:`PasswordHasher`."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # Checked against when the username is unknown, so a wrong username takes as long
        # as a wrong password and response times do not tell which usernames exist.
        self._decoy = self._hasher.hash("decoy password, never matches anything")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
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
