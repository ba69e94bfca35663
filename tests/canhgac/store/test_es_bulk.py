"""The Elasticsearch bulk policy with a scripted fake node (no client, no node)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from canhgac.errors import StoreError, StoreUnavailableError
from canhgac.store.elasticsearch.bulk import Backoff, Outcome, bulk_create, classify


def _item(status: int, error_type: str = "x") -> dict[str, Any]:
    result: dict[str, Any] = {"status": status}
    if status >= 300:
        result["error"] = {"type": error_type, "reason": f"{error_type} happened"}
    return {"create": result}


class FakeNode:
    """Answers each request with the next scripted status per document id."""

    def __init__(self, script: dict[str, list[int]]) -> None:
        self.script = script
        self.requests: list[list[str]] = []

    def send(self, lines: list[str]) -> Mapping[str, Any]:
        self.requests.append([json.loads(a)["create"]["_id"] for a in lines[::2]])
        return {"items": [_item(self.script[i].pop(0)) for i in self.requests[-1]]}


def _render(key: int) -> tuple[str, str]:
    return json.dumps({"create": {"_id": f"d{key}"}}), json.dumps({"n": key})


def test_classify_maps_statuses_to_outcomes() -> None:
    assert classify(_item(201))[0] is Outcome.CREATED
    assert classify(_item(409, "version_conflict_engine_exception"))[0] is Outcome.EXISTS
    assert classify(_item(429, "es_rejected_execution_exception"))[0] is Outcome.RETRY
    assert classify(_item(503, "unavailable_shards_exception"))[0] is Outcome.RETRY
    outcome, reason = classify(_item(400, "document_parsing_exception"))
    assert outcome is Outcome.REJECTED and reason.startswith("document_parsing_exception:")
    assert classify(_item(403, "cluster_block_exception"))[0] is Outcome.FAILED


def test_only_failed_items_are_retried_with_backoff() -> None:
    node = FakeNode(
        {"d0": [201], "d1": [429, 503, 201], "d2": [409], "d3": [400], "d4": [429, 201]}
    )
    sleeps: list[float] = []
    result = bulk_create(
        range(5), _render, node.send, backoff=Backoff(4, 0.1, 1), sleep=sleeps.append
    )
    assert node.requests == [["d0", "d1", "d2", "d3", "d4"], ["d1", "d4"], ["d1"]]
    assert sleeps == [0.1, 0.2]
    assert sorted(result.created) == [0, 1, 4]
    assert result.existing == [2]
    assert list(result.rejected) == [3] and "x happened" in result.rejected[3]


def test_giving_up_is_an_unavailable_store() -> None:
    node = FakeNode({"d0": [201], "d1": [429] * 3})
    with pytest.raises(StoreUnavailableError, match="1 documents still not accepted after 3"):
        bulk_create(range(2), _render, node.send, backoff=Backoff(3, 0, 0), sleep=lambda _: None)


def test_a_cluster_level_refusal_fails_the_write() -> None:
    node = FakeNode({"d0": [403]})
    with pytest.raises(StoreError, match="status 403"):
        bulk_create([0], _render, node.send, sleep=lambda _: None)


def test_requests_are_split_by_size() -> None:
    node = FakeNode({f"d{i}": [201] for i in range(10)})
    item = sum(len(line) + 1 for line in _render(0))
    result = bulk_create(range(10), _render, node.send, max_request_chars=3 * item + 1)
    assert [len(r) for r in node.requests] == [3, 3, 3, 1]
    assert sorted(result.created) == list(range(10))
