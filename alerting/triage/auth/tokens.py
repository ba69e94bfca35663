"""API tokens for integrations: random secrets shown once, stored as SHA-256, scoped to a role.

A token is worth no more than its issuer: it stops working when the account that issued it is
disabled, deleted or no longer holds a role that may issue tokens (admin), so a departed
admin's integrations cannot keep creating accounts. Every token expires: without an expiry it
gets ``web.tokens.default_lifetime``; none may live longer than ``web.tokens.max_lifetime``
from its creation (tokens issued before that rule included).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from alerting.triage.auth.sessions import digest
from alerting.triage.errors import InvalidInputError, NotFoundError
from canhgac.config import TokenConfig
from canhgac.store.triage import ApiToken, AuditEntry, Role, TriageRecord, TriageStore, User
from canhgac.text import nfc
from canhgac.timeutil import from_iso, to_iso, utcnow

TOKEN_PREFIX = "cgt_"
# last_used_at is written at most this often, so a busy integration is not a write per call.
LAST_USED_RESOLUTION = timedelta(minutes=5)
#: The roles that may issue tokens (the token routes admit admins only); an issuer who no
#: longer holds one takes its tokens down with it.
ISSUER_ROLES = frozenset({Role.admin})


def issuer_entitled(issuer: User | None) -> bool:
    return issuer is not None and not issuer.disabled and issuer.role in ISSUER_ROLES


class Tokens:
    def __init__(
        self,
        triage: TriageStore,
        clock: Callable[[], datetime] = utcnow,
        lifetimes: TokenConfig | None = None,
    ) -> None:
        self._triage = triage
        self._clock = clock
        self._lifetimes = lifetimes or TokenConfig()

    def _expiry(self, now: datetime, asked: str | None) -> str:
        """``asked`` (a canonical UTC time) if allowed, else the default expiry."""
        if asked is None:
            return to_iso(now + self._lifetimes.default_lifetime)
        longest = self._lifetimes.max_lifetime
        if from_iso(asked) <= now:
            raise InvalidInputError("the expiry must be in the future", code="token_expiry")
        if from_iso(asked) > now + longest:
            raise InvalidInputError(
                f"a token may live at most {longest.days} days", code="token_expiry"
            )
        return asked

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
        moment = self._clock()
        expires_at = self._expiry(moment, expires_at)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = to_iso(moment)
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
        if token is None or token.revoked_at is not None or self._expired(token, now):
            return None
        if not issuer_entitled(self._triage.get_user(token.created_by)):
            return None
        if token.last_used_at is None or now - from_iso(token.last_used_at) > LAST_USED_RESOLUTION:
            token = token.model_copy(update={"last_used_at": to_iso(now)})
            self._triage.save_token(token)
        return token

    def _expired(self, token: ApiToken, now: datetime) -> bool:
        if token.expires_at is not None and from_iso(token.expires_at) <= now:
            return True
        return from_iso(token.created_at) + self._lifetimes.max_lifetime <= now

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
