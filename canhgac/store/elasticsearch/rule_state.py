"""Rule run-state in the Elasticsearch store: watermarks (read by id) and the run history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from canhgac.models import RuleRun, RuleState
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import doc_id
from canhgac.store.elasticsearch.mappings import IndexNames


class ElasticsearchRuleState:
    """The run-state part of :class:`~canhgac.store.elasticsearch.store.ElasticsearchStore`."""

    def __init__(self, es: ElasticsearchCalls, names: IndexNames) -> None:
        self._es = es
        self._states = names.rule_state
        self._runs = names.rule_runs

    def get(self, rule_ids: Sequence[str]) -> dict[str, RuleState]:
        if not rule_ids:
            return {}
        index = self._states
        response = self._es.call(
            f"get from {index}",
            lambda: self._es.client.mget(index=index, ids=[doc_id(r) for r in rule_ids]),
        )
        states = [
            RuleState.model_validate(doc["_source"])
            for doc in response.body["docs"]
            if doc.get("found")
        ]
        return {state.rule_id: state for state in states}

    def complete(self, windows: Sequence[tuple[RuleState, RuleRun]]) -> None:
        # One bulk request, not refreshed: the state is only ever read by id (real-time) and
        # runs() refreshes the run index itself. A failing item is retried alone and a
        # rejected one fails the call, so on return every document is stored.
        docs: list[tuple[str, str, Mapping[str, Any]]] = []
        for state, run in windows:
            key = doc_id(run.rule_id, run.window_start)
            docs.append((self._runs, key, run.model_dump(mode="json")))
            docs.append((self._states, doc_id(state.rule_id), state.model_dump(mode="json")))
        self._es.index_docs(docs)

    def save(self, states: Sequence[RuleState]) -> None:
        index = self._states
        self._es.index_docs([(index, doc_id(s.rule_id), s.model_dump(mode="json")) for s in states])

    def runs(self, rule_id: str | None) -> list[RuleRun]:
        # Runs are written without a refresh (complete), so make them searchable here, where
        # (rarely) they are listed, instead of once per detection window.
        self._es.call(
            f"refreshing {self._runs}",
            lambda: self._es.client.indices.refresh(
                index=self._runs, ignore_unavailable=True, allow_no_indices=True
            ),
        )
        query = {"term": {"rule_id": rule_id}} if rule_id is not None else {"match_all": {}}
        sort = [{"rule_id": "asc"}, {"window_start": "asc"}]
        return [
            RuleRun.model_validate(hit["_source"]) for hit in self._es.scan(self._runs, query, sort)
        ]
