"""API tokens for integrations: random secrets shown once, stored as SHA-256, scoped to a role."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from alerting.triage.auth.sessions import digest
from alerting.triage.errors import InvalidInputError, NotFoundError
from canhgac.store.triage import ApiToken, AuditEntry, Role, TriageRecord, TriageStore
from canhgac.text import nfc
from canhgac.timeutil import from_iso, to_iso, utcnow

TOKEN_PREFIX = "cgt_"
# last_used_at is written at most this often, so a busy integration is not a write per call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class Tokens:
    def __init__(self, triage: TriageStore, clock: Callable[[], datetime] = utcnow) -> None:
        self._triage = triage
        self._clock = clock

    def issue(
        self,
        name: str,
        role: Role,
        *,
        created_by: str,
        expires_at: str | None = None,
    ) -> tuple[str, ApiToken]:
        """A new token; returns the secret (shown once, kept nowhere) and its record."""
        name = nfc(name.strip())
        if not 1 <= len(name) <= 200:
            raise InvalidInputError("a token needs a name of 1-200 characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = to_iso(self._clock())
        token = ApiToken(
            id=secrets.token_hex(8),
            name=name,
            role=role,
            token_hash=digest(secret),
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
        self._triage.add_token(token)
        after: dict[str, object] = {
            "id": token.id,
            "name": name,
            "role": role.value,
            "expires_at": expires_at,
        }
        self._audit(created_by, "token.create", token.id, None, after)
        return secret, token

    def resolve(self, secret: str) -> ApiToken | None:
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        token = self._triage.get_token(digest(secret))
        now = self._clock()
        if token is None or token.revoked_at is not None:
            return None
        if token.expires_at is not None and from_iso(token.expires_at) <= now:
            return None
        if token.last_used_at is None or now - from_iso(token.last_used_at) > LAST_USED_RESOLUTION:
            token = token.model_copy(update={"last_used_at": to_iso(now)})
            self._triage.save_token(token)
        return token

    def revoke(self, token_id: str, *, actor: str) -> ApiToken:
        found = next((t for t in self._triage.list_tokens() if t.id == token_id), None)
        if found is None:
            raise NotFoundError(f"no token {token_id!r}")
        if found.revoked_at is not None:
            return found
        revoked = found.model_copy(update={"revoked_at": to_iso(self._clock())})
        self._triage.save_token(revoked)
        self._audit(
            actor,
            "token.revoke",
            token_id,
            {"revoked_at": None},
            {"revoked_at": revoked.revoked_at},
        )
        return revoked

    def _audit(
        self,
        actor: str,
        action: str,
        token_id: str,
        before: dict[str, object] | None,
        after: dict[str, object] | None,
    ) -> None:
        entry = AuditEntry(
            at=to_iso(self._clock()),
            actor=actor,
            action=action,
            target=f"token:{token_id}",
            before=before,
            after=after,
        )
        self._triage.record(TriageRecord(audit=[entry]))
