"""The triage store in Elasticsearch, so several web instances share accounts and history.

Layout for ``index_prefix`` *p*: ``p-triage-users`` (``_id`` the username), ``p-triage-sessions``
(``_id`` the session id's hash), ``p-triage-tokens`` (``_id`` the token's hash),
``p-triage-comments``, ``p-triage-status-changes`` and ``p-triage-audit``. Each document is
the record's pydantic JSON; only the fields looked up or ordered by are mapped (``dynamic:
false``), so nothing in a comment or an audit entry can cause a mapping conflict.

How it keeps the :class:`~canhgac.store.triage.TriageStore` promises without transactions:

- lookups by key (a login's user, a request's session or token) are realtime ``GET`` by ``_id``;
  writes refresh the index (``refresh=true``), so the page a post redirects to, served by any
  instance, lists what was just written. Triage writes are human-paced, so the refresh is cheap.
- :meth:`add_user` is ``op_type=create``: two instances adding the same username at once
  cannot both win. :meth:`save_user`/:meth:`save_token` update an existing document only.
- :meth:`record` sends the status changes, comments and audit entries in one bulk request and
  fails if any item failed. Elasticsearch has no multi-document transaction, so a crash
  mid-request can keep part of a record; every part is an append (never a change), so what
  is kept is true, and the alert itself is updated by the caller before.
- order: each record gets a ``seq`` of microseconds since the epoch, strictly increasing in a
  process; instances share the wall clock (NTP), so history and the audit log read in the
  order things happened. Microseconds stay below 2^53, exact in a JavaScript client.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from elasticsearch import Elasticsearch
from pydantic import BaseModel

from canhgac.config import ElasticsearchStoreConfig
from canhgac.errors import StoreError
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.client import client_from_config as store_client
from canhgac.store.elasticsearch.documents import clean, doc_id, loose_json
from canhgac.store.elasticsearch.errors import translated
from canhgac.store.elasticsearch.mappings import fixed_template
from canhgac.store.elasticsearch.queries import MAX_WINDOW
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

Model = TypeVar("Model", bound=BaseModel)

_KEYWORD = {"type": "keyword"}
_SEQ = {"type": "long"}
# Appended records are ordered by (seq, key): key, the document's random id, breaks the tie
# two instances' equal seqs would leave, so search_after paging never skips one.
ORDER = [{"seq": "asc"}, {"key": "asc"}]


def _mapping(**properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"},
        "mappings": {"dynamic": False, "properties": properties},
    }


# kind -> (index suffix, mapping)
TRIAGE_INDICES: dict[str, tuple[str, dict[str, Any]]] = {
    "users": ("triage-users", _mapping(username=_KEYWORD)),
    "sessions": (
        "triage-sessions",
        _mapping(id_hash=_KEYWORD, username=_KEYWORD, expires_at=_KEYWORD),
    ),
    "tokens": ("triage-tokens", _mapping(id=_KEYWORD, created_at=_KEYWORD)),
    "comments": ("triage-comments", _mapping(alert_id=_KEYWORD, seq=_SEQ, key=_KEYWORD)),
    "status_changes": (
        "triage-status-changes",
        _mapping(alert_id=_KEYWORD, alert_created_at=_KEYWORD, seq=_SEQ, key=_KEYWORD),
    ),
    "audit": ("triage-audit", _mapping(actor=_KEYWORD, at=_KEYWORD, seq=_SEQ, key=_KEYWORD)),
}


class ElasticsearchTriageStore(TriageStore):
    """Safe to share between threads and between processes (see module doc)."""

    def __init__(
        self, config: ElasticsearchStoreConfig, *, client: Elasticsearch | None = None
    ) -> None:
        self.prefix = config.index_prefix
        self._own_client = client is None
        self._client = client or store_client(config)
        # Searches retry transient failures and refuse partial results, as the store's do.
        self._calls = ElasticsearchCalls(self._client)
        self._lock = threading.Lock()
        self._last_seq = 0
        try:
            with translated("creating triage index templates"):
                for name, body in self._indices().items():
                    self._client.indices.put_index_template(name=name, **fixed_template(name, body))
        except BaseException:
            self.close()
            raise

    def _indices(self) -> dict[str, dict[str, Any]]:
        return {self._index(kind): body for kind, (_, body) in TRIAGE_INDICES.items()}

    def _index(self, kind: str) -> str:
        return f"{self.prefix}-{TRIAGE_INDICES[kind][0]}"

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def delete_indices(self) -> None:
        """Delete this prefix's triage indices and templates (tests, demo resets)."""
        names = list(self._indices())
        with translated("deleting triage indices"):
            self._client.options(ignore_status=404).indices.delete(
                index=",".join(names), ignore_unavailable=True
            )
            self._client.options(ignore_status=404).indices.delete_index_template(
                name=",".join(names)
            )

    # --- plumbing ------------------------------------------------------------------------------
    def _next_seq(self) -> int:
        with self._lock:
            self._last_seq = max(time.time_ns() // 1000, self._last_seq + 1)
            return self._last_seq

    def _get(self, kind: str, key: str, model: type[Model]) -> Model | None:
        with translated(f"get from {self._index(kind)}"):
            found = self._client.options(ignore_status=404).get(
                index=self._index(kind), id=doc_id(key)
            )
        if not found.body.get("found"):
            return None
        return model.model_validate(found.body["_source"])

    def _put(self, kind: str, key: str, record: BaseModel, **options: Any) -> bool:
        """Index ``record`` under ``key``; False if ``op_type=create`` found it taken."""
        with translated(f"write to {self._index(kind)}"):
            answer = self._client.options(ignore_status=409).index(
                index=self._index(kind),
                id=doc_id(key),
                document=record.model_dump(mode="json"),
                refresh="true",
                **options,
            )
        return bool(answer.meta.status != 409)

    def _replace(self, kind: str, key: str, record: BaseModel) -> None:
        """Overwrite a stored record; nothing if there is none (like an SQL UPDATE)."""
        with translated(f"update in {self._index(kind)}"):
            self._client.options(ignore_status=404).update(
                index=self._index(kind),
                id=doc_id(key),
                doc=record.model_dump(mode="json"),
                refresh="true",
            )

    def _search(
        self,
        kind: str,
        query: Mapping[str, Any] | None,
        sort: list[dict[str, str]],
        *,
        size: int = MAX_WINDOW,
        offset: int = 0,
        after: list[Any] | None = None,
    ) -> list[dict[str, Any]]:
        extra: dict[str, Any] = {"search_after": after} if after is not None else {}
        return self._calls.search(
            self._index(kind),
            query=dict(query) if query else {"match_all": {}},
            sort=sort,
            size=size,
            from_=offset,
            **extra,
        )

    def _scan(
        self, kind: str, query: Mapping[str, Any] | None, sort: list[dict[str, str]]
    ) -> Iterator[dict[str, Any]]:
        """Every hit in ``sort`` order (unique, so ``search_after`` neither skips nor repeats)."""
        after: list[Any] | None = None
        while True:
            hits = self._search(kind, query, sort, after=after)
            yield from hits
            if len(hits) < MAX_WINDOW:
                return
            after = hits[-1]["sort"]

    def _models(
        self, model: type[Model], hits: Iterator[dict[str, Any]] | list[Any]
    ) -> list[Model]:
        return [model.model_validate(hit["_source"]) for hit in hits]

    # --- users ---------------------------------------------------------------------------------
    def add_user(self, user: User) -> bool:
        return self._put("users", user.username, user, op_type="create")

    def get_user(self, username: str) -> User | None:
        return self._get("users", username, User)

    def list_users(self) -> list[User]:
        return self._models(User, self._scan("users", None, [{"username": "asc"}]))

    def save_user(self, user: User) -> None:
        self._replace("users", user.username, user)

    # --- sessions ------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        self._put("sessions", session.id_hash, session)

    def get_session(self, id_hash: str) -> Session | None:
        return self._get("sessions", id_hash, Session)

    def delete_session(self, id_hash: str) -> None:
        with translated("deleting a session"):
            self._client.options(ignore_status=404).delete(
                index=self._index("sessions"), id=doc_id(id_hash), refresh="true"
            )

    def delete_sessions(self, *, username: str | None = None, expired_at: str | None = None) -> int:
        clauses: list[dict[str, Any]] = []
        if username is not None:
            clauses.append({"term": {"username": username}})
        if expired_at is not None:
            clauses.append({"range": {"expires_at": {"lte": expired_at}}})
        if not clauses:
            return 0
        # Found, then deleted by id: delete_by_query lives in the reindex module, which
        # minimal nodes (like the test node) do not ship. Sessions are few.
        query = {"bool": {"filter": clauses}}
        ids = [hit["_id"] for hit in self._scan("sessions", query, [{"id_hash": "asc"}])]
        if not ids:
            return 0
        index = self._index("sessions")
        lines: list[Any] = [loose_json({"delete": {"_index": index, "_id": key}}) for key in ids]
        with translated("deleting sessions"):
            answer = self._client.bulk(
                operations=lines, refresh="true", filter_path="items.*.result"
            )
        return sum(
            1
            for item in answer.body.get("items", [])
            for i in item.values()
            if i["result"] == "deleted"
        )

    # --- API tokens ----------------------------------------------------------------------------
    def add_token(self, token: ApiToken) -> None:
        self._put("tokens", token.token_hash, token)

    def get_token(self, token_hash: str) -> ApiToken | None:
        return self._get("tokens", token_hash, ApiToken)

    def list_tokens(self) -> list[ApiToken]:
        sort = [{"created_at": "desc"}, {"id": "asc"}]
        return self._models(ApiToken, self._scan("tokens", None, sort))

    def save_token(self, token: ApiToken) -> None:
        self._replace("tokens", token.token_hash, token)

    # --- what was done to alerts ----------------------------------------------------------------
    def record(self, record: TriageRecord) -> None:
        # A comment's _id is its id, so a duplicate is found before anything is written and
        # the whole record is refused, as the SQLite store's transaction would.
        self._refuse_known_comments([c.id for c in record.comments])
        documents: list[tuple[str, str, dict[str, Any]]] = [
            *(
                ("status_changes", uuid.uuid4().hex, c.model_dump(mode="json"))
                for c in record.status_changes
            ),
            *(("comments", doc_id(c.id), c.model_dump(mode="json")) for c in record.comments),
            *(
                ("audit", uuid.uuid4().hex, e.model_dump(mode="json", exclude={"seq"}))
                for e in record.audit
            ),
        ]
        if not documents:
            return
        lines: list[Any] = []
        for kind, key, doc in documents:
            lines.append(loose_json({"create": {"_index": self._index(kind), "_id": key}}))
            lines.append(clean(loose_json({**doc, "seq": self._next_seq(), "key": key})))
        with translated("recording triage actions"):
            answer = self._client.bulk(
                operations=lines, refresh="true", filter_path="errors,items.*.error"
            )
        if answer.body.get("errors"):
            failed = [i for item in answer.body["items"] for i in item.values() if "error" in i]
            raise StoreError(f"recording triage actions: {len(failed)} failed: {failed[0]}")

    def _refuse_known_comments(self, ids: list[str]) -> None:
        if len(set(ids)) != len(ids):
            raise StoreError("recording triage actions: a comment id is repeated")
        if not ids:
            return
        with translated("checking comment ids"):
            answer = self._client.options(ignore_status=404).mget(
                index=self._index("comments"), ids=[doc_id(i) for i in ids], source=False
            )
        if any(doc.get("found") for doc in answer.body.get("docs", [])):
            raise StoreError("recording triage actions: a comment with this id exists")

    def list_comments(self, alert_id: str) -> list[Comment]:
        hits = self._scan("comments", {"term": {"alert_id": alert_id}}, ORDER)
        return [Comment.model_validate(_without(hit, "seq", "key")) for hit in hits]

    def list_status_changes(self, alert_id: str) -> list[StatusChange]:
        hits = self._scan("status_changes", {"term": {"alert_id": alert_id}}, ORDER)
        return [StatusChange.model_validate(_without(hit, "seq", "key")) for hit in hits]

    def status_changes_since(self, since: str) -> list[StatusChange]:
        query = {"range": {"alert_created_at": {"gte": since}}}
        hits = self._scan("status_changes", query, ORDER)
        return [StatusChange.model_validate(_without(hit, "seq", "key")) for hit in hits]

    def list_audit(
        self, *, limit: int = 100, offset: int = 0, actor: str | None = None
    ) -> list[AuditEntry]:
        if offset + limit > MAX_WINDOW:
            raise StoreError(f"the audit log pages at most {MAX_WINDOW} entries deep")
        query = {"term": {"actor": actor}} if actor is not None else None
        hits = self._search(
            "audit", query, [{"seq": "desc"}, {"key": "desc"}], size=limit, offset=offset
        )
        return [AuditEntry.model_validate(_without(hit, "key")) for hit in hits]


def _without(hit: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in hit["_source"].items() if k not in names}
