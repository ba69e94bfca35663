"""HTTP JSON intake on 127.0.0.1 through the real transport, indexer and store."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from canhgac.config import HttpSourceConfig
from canhgac.text import dumps
from ingest.sources.http import HttpSource

Pipeline = Any  # the conftest harness: store, transport, indexer
Response = tuple[int, dict[str, Any]]


def _source(pipeline: Pipeline, **options: Any) -> HttpSource:
    ack_timeout = options.pop("ack_timeout", 10.0)
    config = HttpSourceConfig(name="web", port=0, max_body_bytes=4096, **options)
    return HttpSource(config, pipeline.transport, ack_timeout=ack_timeout)


@pytest.fixture
def web(pipeline: Pipeline) -> Iterator[HttpSource]:
    pipeline.start_indexer()
    with _source(pipeline) as source:
        yield source


def _request(
    source: HttpSource,
    body: bytes | Iterator[bytes] | None,
    *,
    method: str = "POST",
    path: str = "/ingest",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    connection = http.client.HTTPConnection(*source.address, timeout=10)
    try:
        sent = {"Content-Type": content_type, **(headers or {})}
        chunked = body is not None and not isinstance(body, bytes)
        connection.request(method, path, body=body, headers=sent, encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_single_object_is_stored_before_the_200(web: HttpSource, pipeline: Pipeline) -> None:
    document = {"message": "Đăng nhập thất bại", "user": {"name": "nguyễn"}}
    assert _request(web, dumps(document).encode()) == (200, {"accepted": 1, "dead_lettered": 0})
    assert pipeline.originals() == [dumps(document)]


def test_array_of_objects_and_a_stray_scalar(web: HttpSource, pipeline: Pipeline) -> None:
    body = b'[{"n": 1}, {"n": 2}, 3, {"n": 4}]'
    assert _request(web, body, path="/") == (200, {"accepted": 3, "dead_lettered": 1})
    assert pipeline.originals() == ['{"n":1}', '{"n":2}', '{"n":4}']
    [dead] = pipeline.dead_letters()
    assert (dead.reason, dead.raw) == ("array element 2 is not a JSON object", b"3")


def test_ndjson_keeps_good_lines_and_dead_letters_bad_ones(
    web: HttpSource, pipeline: Pipeline
) -> None:
    body = b'{"n": 1}\n{"n": oops}\n\n{"n": 3}\n'
    status, reply = _request(web, body, content_type="application/x-ndjson")
    assert (status, reply) == (200, {"accepted": 2, "dead_lettered": 1})
    assert pipeline.originals() == ['{"n":1}', '{"n":3}']
    [dead] = pipeline.dead_letters()
    assert dead.raw == b'{"n": oops}'
    assert dead.reason.startswith("line 2: invalid JSON")


def test_invalid_json_is_400_with_the_line_and_kept_as_a_dead_letter(
    web: HttpSource, pipeline: Pipeline
) -> None:
    body = b'{\n  "a": 1,\n  "b": \n}'
    status, reply = _request(web, body)
    assert status == 400
    assert reply["line"] == 4 and reply["error"].startswith("invalid JSON")
    [dead] = pipeline.dead_letters()
    assert dead.raw == body
    assert pipeline.store.count_events() == 0


def test_hostile_nesting_is_a_400_not_a_crash(web: HttpSource, pipeline: Pipeline) -> None:
    bomb = b"[" * 2000 + b"]" * 2000
    assert _request(web, bomb) == (400, {"error": "invalid JSON: nested too deeply", "line": 1})
    assert pipeline.dead_letters()[0].raw == bomb
    assert _request(web, b'{"still": "serving"}')[0] == 200


def test_too_large_bodies_are_refused_unread(web: HttpSource, pipeline: Pipeline) -> None:
    big = dumps({"pad": "x" * 5000}).encode()
    assert _request(web, big)[0] == 413
    chunks = iter([b'{"pad": "', b"y" * 3000, b"y" * 3000, b'"}'])
    assert _request(web, chunks)[0] == 413
    assert pipeline.records() == 0


def test_expect_100_continue_is_refused_before_the_body_is_sent(web: HttpSource) -> None:
    head = (
        "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 999999\r\nExpect: 100-continue\r\n\r\n"
    )
    with socket.create_connection(web.address, timeout=10) as client:
        client.sendall(head.encode())
        reply = client.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413 ")


def test_chunked_body_within_the_limit_is_accepted(web: HttpSource, pipeline: Pipeline) -> None:
    chunks = iter([b'{"chunked":', b" true}"])
    assert _request(web, chunks) == (200, {"accepted": 1, "dead_lettered": 0})
    assert pipeline.originals() == ['{"chunked":true}']


def test_bearer_token(pipeline: Pipeline) -> None:
    pipeline.start_indexer()
    with _source(pipeline, token="bí mật") as source:
        body = b'{"n": 1}'
        assert _request(source, body)[0] == 401
        assert _request(source, body, headers={"Authorization": "Bearer wrong"})[0] == 401
        right = {"Authorization": "Bearer bí mật".encode().decode("latin-1")}
        assert _request(source, body, headers=right)[0] == 200
    assert pipeline.store.count_events() == 1


def test_a_retried_request_is_stored_once(web: HttpSource, pipeline: Pipeline) -> None:
    body = b'[{"n": 1}, {"n": 2}]'
    assert _request(web, body)[0] == 200
    assert _request(web, body)[0] == 200
    assert pipeline.store.count_events() == 2
    # With an Idempotency-Key the retry may even be serialized differently.
    key = {"Idempotency-Key": "batch-42"}
    assert _request(web, b'{"n": 3}', headers=key)[0] == 200
    assert _request(web, b'{ "n" : 3 }', headers=key)[0] == 200
    assert pipeline.store.count_events() == 3
    assert pipeline.indexer.stats().duplicates == 3


def test_no_ack_in_time_is_503_and_the_retry_is_deduplicated(pipeline: Pipeline) -> None:
    body = b'{"n": 1}'
    with _source(pipeline, ack_timeout=0.1) as source:
        assert _request(source, body)[0] == 503  # no indexer yet
        pipeline.start_indexer()
        assert _request(source, body)[0] == 200
    assert pipeline.store.count_events() == 1


def test_healthz_unknown_paths_and_media_types(web: HttpSource) -> None:
    assert _request(web, None, method="GET", path="/healthz") == (200, {"status": "ok"})
    assert _request(web, b"{}", path="/other")[0] == 404
    assert _request(web, b"{}", content_type="text/plain")[0] == 415
    assert _request(web, b"  ")[0] == 400
