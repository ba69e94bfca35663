"""Calls to one Elasticsearch client with the store's policies: retries and error translation.

Every call goes through :meth:`ElasticsearchCalls.call`, which turns client exceptions into the
project's store errors (:mod:`.errors`) and retries the transient ones with
backoff; bulk writes use the per-item policy of :mod:`.bulk`. The store and its
parts (alerts, leases) share one instance, so they share one connection pool and one policy.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, cast

from elasticsearch import Elasticsearch

from canhgac.config import ElasticsearchStoreConfig
from canhgac.errors import ConfigError, StoreError, StoreUnavailableError
from canhgac.store.elasticsearch.bulk import DEFAULT_BACKOFF, Backoff, BulkResult, bulk_create
from canhgac.store.elasticsearch.documents import clean, loose_json
from canhgac.store.elasticsearch.errors import translated
from canhgac.store.elasticsearch.queries import MAX_WINDOW

Refresh = Literal["wait_for", "true", "false"]


class ElasticsearchCalls:
    """One client and the retry policy its calls follow."""

    def __init__(
        self,
        client: Elasticsearch,
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.backoff = backoff
        self._sleep = sleep

    def bulk_create(
        self,
        keys: Sequence[int],
        render: Callable[[int], tuple[str, str]],
        send: Callable[[list[str]], Mapping[str, Any]],
    ) -> BulkResult:
        return bulk_create(keys, render, send, backoff=self.backoff, sleep=self._sleep)

    def bulk(self, lines: list[str], refresh: Refresh) -> Mapping[str, Any]:
        # The lines are pre-serialized NDJSON strings, which the client sends as they are
        # (its stubs only know dicts); the response keeps just what classify() reads.
        operations = cast(Sequence[Mapping[str, Any]], lines)
        with translated("bulk write"):
            response = self.client.bulk(
                operations=operations, refresh=refresh, filter_path="items.*.status,items.*.error"
            )
        body: Mapping[str, Any] = response.body
        return body

    def call(self, action: str, call: Callable[[], Any], *, all_shards: bool = False) -> Any:
        """One client call. A transient failure (unreachable, 429/5xx, a shard not answering,
        as for an index another writer created a moment ago) is retried with backoff, which
        is safe because every call made through here is idempotent or conditional."""
        delays = self.backoff.delays()
        while True:
            try:
                with translated(action):
                    response = call()
                if all_shards:
                    require_all_shards(action, response.body)
                return response
            except StoreUnavailableError:
                delay = next(delays, None)
                if delay is None:
                    raise
                self._sleep(delay)

    def search(self, index: str, **body: Any) -> list[dict[str, Any]]:
        response = self.call(
            f"search in {index}",
            lambda: self.client.search(
                index=index,
                ignore_unavailable=True,
                allow_no_indices=True,
                track_total_hits=False,
                allow_partial_search_results=False,
                **body,
            ),
            all_shards=True,
        )
        hits: list[dict[str, Any]] = response["hits"]["hits"]
        return hits

    def scan(
        self, index: str, query: dict[str, Any], sort: list[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        """Every hit, in ``sort`` order (which must be unique), page by page."""
        after: list[Any] | None = None
        while True:
            extra = {"search_after": after} if after is not None else {}
            hits = self.search(index, query=query, sort=sort, size=MAX_WINDOW, **extra)
            yield from hits
            if len(hits) < MAX_WINDOW:
                return
            after = hits[-1]["sort"]

    def count(self, index: str, query: dict[str, Any] | None = None) -> int:
        response = self.call(
            f"count in {index}",
            lambda: self.client.count(
                index=index, query=query, ignore_unavailable=True, allow_no_indices=True
            ),
            all_shards=True,
        )
        return int(response["count"])

    def get(self, index: str, key: str) -> dict[str, Any] | None:
        response = self.call(
            f"get from {index}",
            lambda: self.client.options(ignore_status=404).get(index=index, id=key),
        )
        return dict(response.body) if response.body.get("found") else None

    def put_versioned(
        self, index: str, key: str, doc: Mapping[str, Any], current: Mapping[str, Any] | None
    ) -> bool:
        """Write ``doc`` if the document is still ``current`` (absent: create it); False
        on a concurrent change, so the caller re-reads and merges again."""
        if current is None:
            version: dict[str, Any] = {"op_type": "create"}
        else:
            version = {
                "if_seq_no": current["_seq_no"],
                "if_primary_term": current["_primary_term"],
            }
        response = self.call(
            f"write to {index}",
            lambda: self.client.options(ignore_status=409).index(
                index=index, id=key, document=doc, refresh="true", **version
            ),
        )
        return bool(response.meta.status != 409)

    def create_docs(
        self, index: str, docs: Sequence[tuple[str, Mapping[str, Any]]], refresh: Refresh
    ) -> int:
        """Create documents idempotently; returns how many were new."""
        return len(self.create_docs_result(index, docs, refresh))

    def create_docs_result(
        self, index: str, docs: Sequence[tuple[str, Mapping[str, Any]]], refresh: Refresh
    ) -> list[int]:
        """Create documents idempotently; the positions of those that were new. Nothing here
        comes from the logs unescaped, so a rejected document is a bug and fails the write."""
        if not docs:
            return []

        def render(key: int) -> tuple[str, str]:
            ident, doc = docs[key]
            return loose_json({"create": {"_index": index, "_id": ident}}), clean(loose_json(doc))

        result = self.bulk_create(range(len(docs)), render, lambda lines: self.bulk(lines, refresh))
        if result.rejected:
            reason = next(iter(result.rejected.values()))
            raise StoreError(f"{index}: {len(result.rejected)} documents rejected: {reason}")
        return result.created

    def index_docs(self, docs: Sequence[tuple[str, str, Mapping[str, Any]]]) -> None:
        """Write (index, id, document) triples, overwriting, in one bulk request without a
        refresh; like :meth:`create_docs`, a rejected document is a bug and fails the write."""

        def render(key: int) -> tuple[str, str]:
            index, ident, doc = docs[key]
            return loose_json({"index": {"_index": index, "_id": ident}}), clean(loose_json(doc))

        result = self.bulk_create(range(len(docs)), render, lambda lines: self.bulk(lines, "false"))
        if result.rejected or result.existing:
            reason = next(iter(result.rejected.values()), "version conflict")
            raise StoreError(f"bulk index: {len(docs) - len(result.created)} not written: {reason}")


def client_from_config(config: ElasticsearchStoreConfig) -> Elasticsearch:
    if config.api_key is not None and config.username is not None:
        raise ConfigError("store: set either api_key or username/password, not both")
    if config.username is not None and config.password is None:
        raise ConfigError("store.password: required with store.username")
    basic_auth = None
    if config.username is not None and config.password is not None:
        # Encoded here as UTF-8 (what Elasticsearch decodes): the client would encode the
        # (user, password) pair as ASCII and crash on a Vietnamese password.
        pair = f"{config.username}:{config.password.get_secret_value()}"
        basic_auth = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    tls: dict[str, Any] = {"ca_certs": config.ca_file} if config.ca_file else {}
    return Elasticsearch(
        list(config.hosts),
        api_key=config.api_key.get_secret_value() if config.api_key else None,
        basic_auth=basic_auth,
        verify_certs=config.verify_certs,
        **tls,
        request_timeout=60,
        max_retries=3,
        retry_on_timeout=True,
    )


def require_all_shards(action: str, response: Mapping[str, Any]) -> None:
    # A shard that is still starting (an index created a moment ago) or relocating makes
    # Elasticsearch answer 200 with partial results; a count or page missing documents
    # would silently break alert counts and detection windows.
    shards = response.get("_shards", {})
    if shards.get("failed") or shards.get("successful", 0) < shards.get("total", 0):
        raise StoreUnavailableError(f"Elasticsearch {action}: not all shards answered: {shards}")
