"""The notification outbox in the Elasticsearch store: one document per (alert, channel)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from canhgac.models import Notification
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import doc_id
from canhgac.store.elasticsearch.queries import MAX_WINDOW
from canhgac.timeutil import now_iso


class ElasticsearchNotifications:
    """The outbox part of :class:`~canhgac.store.elasticsearch.store.ElasticsearchStore`."""

    def __init__(self, es: ElasticsearchCalls, index: str) -> None:
        self._es = es
        self._index = index

    def enqueue(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        """A pending notification per (alert id, channel); one already there is left alone."""
        now = now_iso()
        docs = [
            (
                doc_id(alert_id, channel),
                Notification(alert_id=alert_id, channel=channel, updated_at=now).model_dump(
                    mode="json"
                ),
            )
            for alert_id, channels in items
            for channel in dict.fromkeys(channels)
        ]
        self._es.create_docs(self._index, docs, "true")

    def pending(self, limit: int) -> list[Notification]:
        return self._search({"term": {"status": "pending"}}, "updated_at", limit)

    def mark(self, note: Notification) -> None:
        self._es.call(
            "updating a notification",
            lambda: self._es.client.options(ignore_status=404).update(
                index=self._index,
                id=doc_id(note.alert_id, note.channel),
                doc=note.model_dump(mode="json"),
                refresh="true",
            ),
        )

    def of_alert(self, alert_id: str) -> list[Notification]:
        return self._search({"term": {"alert_id": alert_id}}, "channel", MAX_WINDOW)

    def _search(self, query: dict[str, Any], order: str, limit: int) -> list[Notification]:
        hits = self._es.search(
            self._index,
            query=query,
            sort=[{order: "asc"}, {"alert_id": "asc"}, {"channel": "asc"}],
            size=min(limit, MAX_WINDOW),
        )
        return [Notification.model_validate(hit["_source"]) for hit in hits]
