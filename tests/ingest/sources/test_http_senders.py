"""Per-sender tokens and Idempotency-Keys scoped to their sender (issue 10, M3).

The attack: a sender who knows (or guesses) another sender's Idempotency-Key sends first with
it; the victim's batch was then answered ``200 accepted:3`` while only the records the
attacker's request did not cover were stored.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canhgac.config import HttpSourceConfig
from canhgac.errors import ConfigError
from canhgac.text import dumps
from ingest.sources.http import HttpSource

Pipeline = Any  # the conftest harness: store, transport, indexer

VICTIM, ATTACKER = "victim-secret-token", "attacker-secret-token"


@pytest.fixture
def web(pipeline: Pipeline, tmp_path: Path) -> Iterator[HttpSource]:
    secret_file = tmp_path / "attacker.token"
    secret_file.write_text(ATTACKER + "\n")
    config = HttpSourceConfig.model_validate(
        {
            "name": "web",
            "port": 0,
            "tokens": [
                {"name": "dc-01", "secret": VICTIM},
                {"name": "intruder", "secret_file": str(secret_file)},
            ],
        }
    )
    pipeline.start_indexer()
    with HttpSource(config, pipeline.transport, ack_timeout=10) as source:
        yield source


def _post(source: HttpSource, records: list[dict[str, Any]], token: str | None, key: str) -> Any:
    connection = http.client.HTTPConnection(*source.address, timeout=10)
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request("POST", "/ingest", body=dumps(records).encode(), headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _messages(pipeline: Pipeline) -> list[str]:
    return sorted(json.loads(original)["message"] for original in pipeline.originals())


def test_another_senders_key_cannot_make_records_vanish(
    web: HttpSource, pipeline: Pipeline
) -> None:
    forged = [{"message": "giả mạo"}]
    assert _post(web, forged, ATTACKER, "batch-7")[0] == 200
    batch = [{"message": f"đăng nhập {n}"} for n in range(3)]
    assert _post(web, batch, VICTIM, "batch-7") == (200, {"accepted": 3, "dead_lettered": 0})
    assert _messages(pipeline) == sorted(["giả mạo", "đăng nhập 0", "đăng nhập 1", "đăng nhập 2"])


def test_a_retry_is_stored_once_and_a_reused_key_with_another_body_is_refused(
    web: HttpSource, pipeline: Pipeline
) -> None:
    batch = [{"message": "một"}, {"message": "hai"}]
    assert _post(web, batch, VICTIM, "k-1")[0] == 200
    assert _post(web, batch, VICTIM, "k-1")[0] == 200  # a retry: same ids, one copy
    assert _messages(pipeline) == ["hai", "một"]
    other = [{"message": "một"}, {"message": "hai"}, {"message": "ba"}]
    status, reply = _post(web, other, VICTIM, "k-1")
    assert status == 422 and "different body" in reply["error"]
    assert _messages(pipeline) == ["hai", "một"]  # nothing claimed as accepted that is not stored


def test_a_forgotten_key_reused_with_another_body_stores_it_all(
    web: HttpSource, pipeline: Pipeline
) -> None:
    """After a restart (keys forgotten), the ids still differ by body: no 200 for a record
    the store would drop as a duplicate."""
    assert _post(web, [{"message": "cũ"}], VICTIM, "k-2")[0] == 200
    web._recent_keys = type(web._recent_keys)()  # what a restart forgets
    assert _post(web, [{"message": "cũ"}, {"message": "mới"}], VICTIM, "k-2") == (
        200,
        {"accepted": 2, "dead_lettered": 0},
    )
    assert _messages(pipeline) == ["cũ", "cũ", "mới"]


def test_only_listed_tokens_are_accepted(web: HttpSource, pipeline: Pipeline) -> None:
    assert _post(web, [{"message": "x"}], None, "k")[0] == 401
    assert _post(web, [{"message": "x"}], "revoked-token", "k")[0] == 401
    assert _post(web, [{"message": "x"}], VICTIM, "k")[0] == 200
    assert _post(web, [{"message": "y"}], ATTACKER, "k")[0] == 200
    assert _messages(pipeline) == ["x", "y"]


def test_a_missing_secret_file_is_refused_at_construction(pipeline: Pipeline) -> None:
    config = HttpSourceConfig.model_validate(
        {"name": "web", "port": 0, "tokens": [{"name": "a", "secret_file": "/nonexistent/t"}]}
    )
    with pytest.raises(ConfigError, match="token 'a'"):
        HttpSource(config, pipeline.transport)


@pytest.mark.parametrize(
    "tokens",
    [
        [{"name": "a", "secret": "s1"}, {"name": "a", "secret": "s2"}],
        [{"name": "a"}],
        [{"name": "a", "secret": "s", "secret_file": "/f"}],
        [{"name": "bad name", "secret": "s"}],
    ],
)
def test_token_lists_are_checked_at_load(tokens: list[dict[str, str]]) -> None:
    with pytest.raises(ValueError):
        HttpSourceConfig.model_validate({"name": "web", "tokens": tokens})
