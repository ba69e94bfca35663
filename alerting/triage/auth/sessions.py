"""Browser sessions: a random cookie whose SHA-256 is the server-side session's key.

The cookie is HttpOnly and SameSite=Strict, Secure (with the ``__Host-`` prefix) when the
deployment says it is behind TLS. Logging out deletes the server-side row, so a stolen cookie
dies with the session instead of living until its expiry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime

from starlette.responses import Response

from canhgac.config import WebConfig
from canhgac.store.triage import Session, TriageStore, User
from canhgac.timeutil import from_iso, to_iso, utcnow

LOGIN_CSRF_COOKIE = "canhgac_login_csrf"


def digest(secret: str) -> str:
    """SHA-256 hex of a random secret (a session id or an API token)."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


class Sessions:
    def __init__(
        self, triage: TriageStore, web: WebConfig, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._triage = triage
        self._web = web
        self._clock = clock

    @property
    def cookie_name(self) -> str:
        # __Host- cookies must be Secure, host-only and Path=/: a sibling subdomain or a plain
        # HTTP page cannot plant or overwrite them.
        return "__Host-canhgac_session" if self._web.secure_cookies else "canhgac_session"

    def open(self, user: User) -> tuple[str, Session]:
        """A new session for ``user``; returns the cookie value (kept nowhere else)."""
        now = self._clock()
        cookie = secrets.token_urlsafe(32)
        session = Session(
            id_hash=digest(cookie),
            username=user.username,
            csrf_token=secrets.token_urlsafe(32),
            created_at=to_iso(now),
            expires_at=to_iso(now + self._web.session_lifetime),
        )
        self._triage.delete_sessions(expired_at=to_iso(now))
        self._triage.add_session(session)
        return cookie, session

    def resolve(self, cookie: str | None) -> Session | None:
        if not cookie or len(cookie) > 200:
            return None
        session = self._triage.get_session(digest(cookie))
        if session is None:
            return None
        if from_iso(session.expires_at) <= self._clock():
            self._triage.delete_session(session.id_hash)
            return None
        return session

    def close(self, session: Session) -> None:
        self._triage.delete_session(session.id_hash)

    def set_cookie(self, response: Response, cookie: str) -> None:
        response.set_cookie(
            self.cookie_name,
            cookie,
            max_age=int(self._web.session_lifetime.total_seconds()),
            path="/",
            secure=self._web.secure_cookies,
            httponly=True,
            samesite="strict",
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            self.cookie_name,
            path="/",
            secure=self._web.secure_cookies,
            httponly=True,
            samesite="strict",
        )

    def set_login_csrf(self, response: Response, token: str) -> None:
        """The login form's double-submit token (there is no session to hold it yet)."""
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            max_age=3600,
            path="/",
            secure=self._web.secure_cookies,
            httponly=True,
            samesite="strict",
        )
