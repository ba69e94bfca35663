"""Browser sessions: a random cookie whose SHA-256 is the server-side session's key.

The session cookie and the login form's CSRF cookie are HttpOnly, SameSite=Strict and
Path=/ without a Domain. Behind TLS (``web.secure_cookies``) they are also Secure and carry
the ``__Host-`` prefix, so a sibling subdomain or a plain-HTTP page cannot plant or overwrite
them. Over plain HTTP they keep their bare names without Secure: browsers refuse a
``__Host-`` cookie that is not Secure, and Safari (like Chrome and Firefox for any host other
than ``localhost``) drops Secure cookies set over ``http://``, so prefixing there would make
logging in impossible. Logging out deletes the server-side row, so a stolen cookie dies with
the session instead of living until its expiry.
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

SESSION_COOKIE = "canhgac_session"
LOGIN_CSRF_COOKIE = "canhgac_login_csrf"
HOST_PREFIX = "__Host-"


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

    def _named(self, name: str) -> str:
        return HOST_PREFIX + name if self._web.secure_cookies else name

    @property
    def cookie_name(self) -> str:
        return self._named(SESSION_COOKIE)

    @property
    def login_csrf_cookie(self) -> str:
        return self._named(LOGIN_CSRF_COOKIE)

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
            self.login_csrf_cookie,
            token,
            max_age=3600,
            path="/",
            secure=self._web.secure_cookies,
            httponly=True,
            samesite="strict",
        )

    def clear_login_csrf(self, response: Response) -> None:
        response.delete_cookie(
            self.login_csrf_cookie,
            path="/",
            secure=self._web.secure_cookies,
            httponly=True,
            samesite="strict",
        )
