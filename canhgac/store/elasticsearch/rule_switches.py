"""Rule switches in the Elasticsearch store: one document per rule a person ever switched,
its id the rule's (:func:`~.documents.doc_id`), read by id (real-time, so detection sees a
switch at its next tick without a refresh)."""

from __future__ import annotations

from collections.abc import Sequence

from canhgac.models import RuleSwitch
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import doc_id


class ElasticsearchRuleSwitches:
    """The rule-switch part of :class:`~canhgac.store.elasticsearch.store.ElasticsearchStore`."""

    def __init__(self, es: ElasticsearchCalls, index: str) -> None:
        self._es = es
        self._index = index

    def save(self, switch: RuleSwitch) -> None:
        self._es.index_docs([(self._index, doc_id(switch.rule_id), switch.model_dump(mode="json"))])

    def get(self, rule_ids: Sequence[str]) -> dict[str, RuleSwitch]:
        wanted = list(dict.fromkeys(rule_ids))
        if not wanted:
            return {}
        index = self._index
        response = self._es.call(
            f"get from {index}",
            # An index not created yet (nobody switched a rule) answers "not found" per id.
            lambda: self._es.client.mget(index=index, ids=[doc_id(r) for r in wanted]),
        )
        switches = [
            RuleSwitch.model_validate(doc["_source"])
            for doc in response.body["docs"]
            if doc.get("found")
        ]
        return {switch.rule_id: switch for switch in switches}
