"""Syslog over TLS (RFC 5425) and HTTPS ingest with real certificates, with and without client
certificates, through the real transport, indexer and store; refused clients leave no record
and one log line."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from canhgac.config import HttpSourceConfig, ListenerTlsConfig, SyslogTcpSourceConfig
from canhgac.text import dumps
from ingest.sources.http import HttpSource
from ingest.sources.listener import ServerSource
from ingest.sources.syslog_tcp import SyslogTcpSource
from ingest.sources.tls import RefusalLog, TlsAcceptor, certificate_names
from tests.support.certificates import ALLOWED_SENDER, SERVER_NAME, UNLISTED_SENDER, KeyPair, Pki

Pipeline = Any  # the conftest harness: store, transport, indexer
Wait = Callable[..., None]
TLS_LOG = "ingest.sources.tls"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@contextmanager
def _syslog(pipeline: Pipeline, tls: dict[str, Any]) -> Iterator[SyslogTcpSource]:
    pipeline.start_indexer()
    config = SyslogTcpSourceConfig(name="tls", port=0, parser="raw", tls=tls)
    with SyslogTcpSource(config, pipeline.transport, batch_wait=0.01) as source:
        yield source


def _send_tls(source: ServerSource, context: ssl.SSLContext, wire: bytes) -> None:
    with socket.create_connection(source.address, timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=SERVER_NAME) as client:
            client.sendall(wire)


def _octets(message: str) -> bytes:
    data = message.encode()
    return str(len(data)).encode() + b" " + data


def _acceptor(source: ServerSource) -> TlsAcceptor:
    assert isinstance(source, SyslogTcpSource | HttpSource) and source.tls is not None
    return source.tls


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == TLS_LOG and "refused" in r.msg]


def _refused_once(source: ServerSource, caplog: pytest.LogCaptureFixture, wait_until: Wait) -> str:
    """The one refusal line, after the acceptor counted it; no traceback attached."""
    # The count goes up before the line is written: wait for both.
    wait_until(lambda: _acceptor(source).refusals.refused == 1 and _refusals(caplog))
    [line] = _refusals(caplog)
    assert all(r.exc_info is None for r in caplog.records if r.name == TLS_LOG)
    return line


# --- syslog over TLS --------------------------------------------------------------------------
def test_syslog_over_tls_stores_octet_counted_frames(
    pki: Pki, pipeline: Pipeline, wait_until: Wait
) -> None:
    messages = ["<13>Đăng nhập thất bại", "<13>hai\nkhông tách"]
    with _syslog(pipeline, pki.server_tls()) as source:
        _send_tls(source, pki.client_context(), b"".join(_octets(m) for m in messages))
        wait_until(lambda: pipeline.store.count_events() == 2)
    assert pipeline.originals() == sorted(messages)
    assert {e.fields["log.source.address"] for e in pipeline.events()} == {"127.0.0.1"}


def test_a_sender_that_never_reads_loses_nothing_when_it_closes(
    pki: Pki, pipeline: Pipeline, wait_until: Wait
) -> None:
    # Syslog is one-way: a TLS 1.3 session ticket the sender never reads would turn its close
    # into a reset that discards the stream's unread end on the server.
    messages = [f"<13>dòng {n} " + "x" * 150 for n in range(3000)]
    with _syslog(pipeline, pki.server_tls()) as source:
        _send_tls(source, pki.client_context(), b"".join(_octets(m) for m in messages))
        wait_until(lambda: pipeline.records() == len(messages))
    assert pipeline.originals() == sorted(messages)


def test_stop_ends_an_open_tls_connection_at_once(
    pki: Pki, pipeline: Pipeline, wait_until: Wait
) -> None:
    # A sender that keeps its connection open (rsyslog does) must not hold up a stop until its
    # idle timeout: stop() shuts down the TLS socket, not the plain one it took over.
    pipeline.start_indexer()
    config = SyslogTcpSourceConfig(
        name="tls", port=0, parser="raw", tls=pki.server_tls(), idle_timeout="10m"
    )
    source = SyslogTcpSource(config, pipeline.transport, batch_wait=0.01)
    source.start()
    raw = socket.create_connection(source.address, timeout=10)
    with pki.client_context().wrap_socket(raw, server_hostname=SERVER_NAME) as client:
        client.sendall(_octets("<13>vẫn mở"))
        wait_until(lambda: pipeline.store.count_events() == 1)
        started = time.monotonic()
        source.stop()
        assert time.monotonic() - started < 5
        assert source.connections.open == 0


def test_mutual_tls_accepts_a_listed_sender(pki: Pki, pipeline: Pipeline, wait_until: Wait) -> None:
    sender = pki.issue("allowed", ALLOWED_SENDER)
    with _syslog(pipeline, pki.mutual_tls(ALLOWED_SENDER.upper())) as source:
        _send_tls(source, pki.client_context(sender), _octets("<13>từ tường lửa"))
        wait_until(lambda: pipeline.store.count_events() == 1)
        assert _acceptor(source).refusals.refused == 0
    assert pipeline.originals() == ["<13>từ tường lửa"]


def test_mutual_tls_matches_the_subject_common_name(
    pki: Pki, pipeline: Pipeline, wait_until: Wait
) -> None:
    sender = pki.issue("by-cn", "other.hanoi.example", common_name="syslog-relay-07")
    with _syslog(pipeline, pki.mutual_tls("syslog-relay-07")) as source:
        _send_tls(source, pki.client_context(sender), _octets("<13>relay"))
        wait_until(lambda: pipeline.store.count_events() == 1)


REFUSED_CLIENTS: dict[str, tuple[Callable[[Pki], KeyPair | None], str]] = {
    "no certificate": (lambda pki: None, "refused: no client certificate"),
    "wrong CA": (
        lambda pki: pki.issue("stranger", ALLOWED_SENDER, by_stranger=True),
        "refused: client certificate not trusted",
    ),
    "unlisted name": (
        lambda pki: pki.issue("unlisted", UNLISTED_SENDER),
        f"refused: client certificate names not allowed: '{UNLISTED_SENDER}'",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED_CLIENTS))
def test_syslog_refuses_a_client_without_an_acceptable_certificate(
    case: str,
    pki: Pki,
    pipeline: Pipeline,
    wait_until: Wait,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_pair, expected = REFUSED_CLIENTS[case]
    caplog.set_level(logging.INFO, logger=TLS_LOG)
    with _syslog(pipeline, pki.mutual_tls(ALLOWED_SENDER)) as source:
        try:
            _send_tls(source, pki.client_context(make_pair(pki)), _octets("<13>lậu"))
        except OSError:
            pass  # the TLS 1.2 client learns of the refusal during the handshake
        line = _refused_once(source, caplog, wait_until)
    pipeline.index()
    assert pipeline.records() == 0
    assert line.startswith("tls: TLS client 127.0.0.1:") and expected in line, line


def test_plaintext_on_the_tls_port_is_refused_not_stored(
    pki: Pki, pipeline: Pipeline, wait_until: Wait, caplog: pytest.LogCaptureFixture
) -> None:
    with _syslog(pipeline, pki.server_tls()) as source:
        with socket.create_connection(source.address) as client:
            client.sendall(b"<13>Nov 27 10:00:00 host plaintext\n")
            line = _refused_once(source, caplog, wait_until)
    pipeline.index()
    assert pipeline.records() == 0
    assert "not TLS" in line


def test_a_client_below_the_minimum_version_is_refused(
    pki: Pki, pipeline: Pipeline, wait_until: Wait, caplog: pytest.LogCaptureFixture
) -> None:
    old = pki.client_context()
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with _syslog(pipeline, pki.server_tls(min_version="1.3")) as source:
        with pytest.raises(ssl.SSLError):
            _send_tls(source, old, _octets("<13>old"))
        line = _refused_once(source, caplog, wait_until)
    assert "TLS version below the minimum" in line


def test_a_silent_client_is_dropped_after_the_handshake_timeout(
    pki: Pki, pipeline: Pipeline, wait_until: Wait, caplog: pytest.LogCaptureFixture
) -> None:
    with _syslog(pipeline, pki.server_tls(handshake_timeout="200ms")) as source:
        with socket.create_connection(source.address) as silent:
            line = _refused_once(source, caplog, wait_until)
            silent.settimeout(5)
            assert silent.recv(1) == b""  # closed by the server
    assert "handshake not finished in time" in line


# --- HTTPS ingest -----------------------------------------------------------------------------
@contextmanager
def _https(pipeline: Pipeline, tls: dict[str, Any]) -> Iterator[HttpSource]:
    pipeline.start_indexer()
    config = HttpSourceConfig(name="https", port=0, tls=tls)
    with HttpSource(config, pipeline.transport, ack_timeout=10) as source:
        yield source


def _post(source: HttpSource, context: ssl.SSLContext, document: Any) -> tuple[int, Any]:
    connection = http.client.HTTPSConnection(*source.address, context=context, timeout=10)
    try:
        body = dumps(document).encode()
        connection.request("POST", "/ingest", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_https_ingest_without_client_certificates(pki: Pki, pipeline: Pipeline) -> None:
    document = {"message": "Đăng nhập thất bại", "user": {"name": "nguyễn"}}
    with _https(pipeline, pki.server_tls()) as source:
        assert _post(source, pki.client_context(), document) == (
            200,
            {"accepted": 1, "dead_lettered": 0},
        )
        assert _post(source, pki.client_context(), [document, document])[0] == 200
    assert pipeline.originals() == [dumps(document)] * 3


def test_https_ingest_with_a_listed_client_certificate(pki: Pki, pipeline: Pipeline) -> None:
    sender = pki.issue("https-sender", ALLOWED_SENDER)
    with _https(pipeline, pki.mutual_tls(ALLOWED_SENDER)) as source:
        status, reply = _post(source, pki.client_context(sender), {"message": "có chứng chỉ"})
    assert (status, reply) == (200, {"accepted": 1, "dead_lettered": 0})


@pytest.mark.parametrize("case", sorted(REFUSED_CLIENTS))
def test_https_refuses_a_client_without_an_acceptable_certificate(
    case: str,
    pki: Pki,
    pipeline: Pipeline,
    wait_until: Wait,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_pair, expected = REFUSED_CLIENTS[case]
    with _https(pipeline, pki.mutual_tls(ALLOWED_SENDER)) as source:
        with pytest.raises((OSError, http.client.HTTPException)):
            _post(source, pki.client_context(make_pair(pki)), {"message": "lậu"})
        line = _refused_once(source, caplog, wait_until)
    pipeline.index()
    assert pipeline.records() == 0
    assert line.startswith("https: TLS client 127.0.0.1:") and expected in line, line


def test_plain_http_on_the_https_port_is_refused(
    pki: Pki, pipeline: Pipeline, wait_until: Wait, caplog: pytest.LogCaptureFixture
) -> None:
    with _https(pipeline, pki.server_tls()) as source:
        connection = http.client.HTTPConnection(*source.address, timeout=10)
        with pytest.raises((OSError, http.client.HTTPException)):
            connection.request("POST", "/ingest", b"{}", {"Content-Type": "application/json"})
            connection.getresponse().read()
        connection.close()
        line = _refused_once(source, caplog, wait_until)
    assert "plain HTTP sent to an HTTPS port" in line


# --- the pieces -------------------------------------------------------------------------------
def test_refusals_are_logged_at_most_once_per_interval_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    refusals = RefusalLog("syslog-tls", every=10, clock=lambda: now[0])
    for second in (0, 1, 2, 9.9, 10.1, 10.2, 30):
        now[0] = 100 + second
        refusals.refused_client(f"10.0.0.{int(second)}:514", "no client certificate")
    lines = [r.getMessage() for r in caplog.records if r.name == TLS_LOG]
    assert lines == [
        "syslog-tls: TLS client 10.0.0.0:514 refused: no client certificate",
        "syslog-tls: TLS client 10.0.0.10:514 refused: no client certificate "
        "(and 3 more refused since the last report)",
        "syslog-tls: TLS client 10.0.0.30:514 refused: no client certificate "
        "(and 1 more refused since the last report)",
    ]
    assert refusals.refused == 7


def test_certificate_names_are_the_common_names_and_alternative_names() -> None:
    certificate = {
        "subject": ((("organizationName", "UBND"),), (("commonName", "Relay-07"),)),
        "subjectAltName": (("DNS", "FW-01.Hanoi.example"), ("IP Address", "10.1.2.3")),
    }
    assert certificate_names(certificate) == {"relay-07", "fw-01.hanoi.example", "10.1.2.3"}


def test_allowed_clients_need_a_client_ca(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="allowed_clients needs client_ca_file"):
        ListenerTlsConfig(cert_file="a", key_file="b", allowed_clients=["fw-01"])
