"""The triage store in SQLite: its own ``triage_*`` tables, usually in the events' database file.

Each record is kept as its pydantic JSON document plus the columns it is looked up or ordered
by. Connections follow :class:`~canhgac.store.sqlite.store.SQLiteStore`: one per thread, WAL mode,
writes serialized by a lock and wrapped in ``BEGIN IMMEDIATE`` transactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from canhgac.store.sqlite.db import SQLiteDatabase
from canhgac.store.triage import (
    ApiToken,
    AuditEntry,
    Comment,
    Session,
    StatusChange,
    TriageRecord,
    TriageStore,
    User,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS triage_users (
    username TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS triage_sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS triage_sessions_user ON triage_sessions(username);
CREATE INDEX IF NOT EXISTS triage_sessions_expiry ON triage_sessions(expires_at);
CREATE TABLE IF NOT EXISTS triage_tokens (
    token_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS triage_comments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    alert_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS triage_comments_alert ON triage_comments(alert_id, seq);
CREATE TABLE IF NOT EXISTS triage_status_changes (
    seq INTEGER PRIMARY KEY,
    alert_id TEXT NOT NULL,
    alert_created_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS triage_status_alert ON triage_status_changes(alert_id, seq);
CREATE INDEX IF NOT EXISTS triage_status_created
    ON triage_status_changes(alert_created_at, seq);
CREATE TABLE IF NOT EXISTS triage_audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS triage_audit_actor ON triage_audit(actor, seq);
"""

Model = TypeVar("Model", bound=BaseModel)


def _models(model: type[Model], rows: Sequence[Any]) -> list[Model]:
    return [model.model_validate_json(row[0]) for row in rows]


class SQLiteTriageStore(TriageStore):
    """Safe to share between threads, like :class:`~canhgac.store.sqlite.store.SQLiteStore`."""

    def __init__(self, path: str | Path) -> None:
        self._db = SQLiteDatabase(path)
        self.path = self._db.path
        self._db.executescript(SCHEMA)
        self._write = self._db.write
        self._read = self._db.read

    def close(self) -> None:
        self._db.close()

    # --- users ---------------------------------------------------------------------------------
    def add_user(self, user: User) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO triage_users (username, doc) VALUES (?, ?)",
                (user.username, user.model_dump_json()),
            )
            return cursor.rowcount == 1

    def get_user(self, username: str) -> User | None:
        rows = self._read("SELECT doc FROM triage_users WHERE username = ?", (username,))
        return User.model_validate_json(rows[0][0]) if rows else None

    def list_users(self) -> list[User]:
        return _models(User, self._read("SELECT doc FROM triage_users ORDER BY username"))

    def save_user(self, user: User) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE triage_users SET doc = ? WHERE username = ?",
                (user.model_dump_json(), user.username),
            )

    # --- sessions ------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO triage_sessions (id_hash, username, expires_at, doc)"
                " VALUES (?, ?, ?, ?)",
                (session.id_hash, session.username, session.expires_at, session.model_dump_json()),
            )

    def get_session(self, id_hash: str) -> Session | None:
        rows = self._read("SELECT doc FROM triage_sessions WHERE id_hash = ?", (id_hash,))
        return Session.model_validate_json(rows[0][0]) if rows else None

    def delete_session(self, id_hash: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM triage_sessions WHERE id_hash = ?", (id_hash,))

    def delete_sessions(self, *, username: str | None = None, expired_at: str | None = None) -> int:
        clauses: list[str] = []
        params: list[str] = []
        if username is not None:
            clauses.append("username = ?")
            params.append(username)
        if expired_at is not None:
            clauses.append("expires_at <= ?")
            params.append(expired_at)
        if not clauses:
            return 0
        with self._write() as conn:
            cursor = conn.execute(
                f"DELETE FROM triage_sessions WHERE {' AND '.join(clauses)}", params
            )
            return cursor.rowcount

    # --- API tokens ----------------------------------------------------------------------------
    def add_token(self, token: ApiToken) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO triage_tokens (token_hash, id, created_at, doc) VALUES (?, ?, ?, ?)",
                (token.token_hash, token.id, token.created_at, token.model_dump_json()),
            )

    def get_token(self, token_hash: str) -> ApiToken | None:
        rows = self._read("SELECT doc FROM triage_tokens WHERE token_hash = ?", (token_hash,))
        return ApiToken.model_validate_json(rows[0][0]) if rows else None

    def list_tokens(self) -> list[ApiToken]:
        rows = self._read("SELECT doc FROM triage_tokens ORDER BY created_at DESC, id")
        return _models(ApiToken, rows)

    def save_token(self, token: ApiToken) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE triage_tokens SET doc = ? WHERE token_hash = ?",
                (token.model_dump_json(), token.token_hash),
            )

    # --- what was done to alerts ----------------------------------------------------------------
    def record(self, record: TriageRecord) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO triage_status_changes (alert_id, alert_created_at, doc)"
                " VALUES (?, ?, ?)",
                [
                    (c.alert_id, c.alert_created_at, c.model_dump_json())
                    for c in record.status_changes
                ],
            )
            conn.executemany(
                "INSERT INTO triage_comments (id, alert_id, doc) VALUES (?, ?, ?)",
                [(c.id, c.alert_id, c.model_dump_json()) for c in record.comments],
            )
            conn.executemany(
                "INSERT INTO triage_audit (at, actor, doc) VALUES (?, ?, ?)",
                [(e.at, e.actor, e.model_dump_json(exclude={"seq"})) for e in record.audit],
            )

    def list_comments(self, alert_id: str) -> list[Comment]:
        rows = self._read(
            "SELECT doc FROM triage_comments WHERE alert_id = ? ORDER BY seq", (alert_id,)
        )
        return _models(Comment, rows)

    def list_status_changes(self, alert_id: str) -> list[StatusChange]:
        rows = self._read(
            "SELECT doc FROM triage_status_changes WHERE alert_id = ? ORDER BY seq", (alert_id,)
        )
        return _models(StatusChange, rows)

    def status_changes_since(self, since: str) -> list[StatusChange]:
        rows = self._read(
            "SELECT doc FROM triage_status_changes WHERE alert_created_at >= ? ORDER BY seq",
            (since,),
        )
        return _models(StatusChange, rows)

    def list_audit(
        self, *, limit: int = 100, offset: int = 0, actor: str | None = None
    ) -> list[AuditEntry]:
        sql = "SELECT doc, seq FROM triage_audit"
        params: list[Any] = []
        if actor is not None:
            sql += " WHERE actor = ?"
            params.append(actor)
        rows = self._read(sql + " ORDER BY seq DESC LIMIT ? OFFSET ?", [*params, limit, offset])
        return [
            AuditEntry.model_validate_json(doc).model_copy(update={"seq": seq}) for doc, seq in rows
        ]
