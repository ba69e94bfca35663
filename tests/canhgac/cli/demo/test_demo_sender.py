"""The sender against real local sockets, a local HTTP server and a file."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import SecretStr

from canhgac.cli.demo.model import Channel, LogLine
from canhgac.cli.demo.sender import DemoSender, DemoSendError, DemoTargets, targets_from_settings
from canhgac.config import (
    FileSourceConfig,
    HttpSourceConfig,
    Settings,
    SyslogTcpSourceConfig,
    SyslogUdpSourceConfig,
)

VIETNAMESE = "<86>Nov 27 10:00:00 ecab-app01 cong-dich-vu[411]: Hồ sơ của Nguyễn Văn An đã nộp"


def line(channel: Channel, text: str) -> LogLine:
    return LogLine(channel, text)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def no_sleep(seconds: float) -> None:
    pytest.fail(f"retried (slept {seconds} s) where it must not")


# --- a tiny HTTP intake ---------------------------------------------------------------------
class Intake(ThreadingHTTPServer):
    """Records each POST; answers with the statuses queued in ``replies`` (then 200)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.replies: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/ingest"


class _Handler(BaseHTTPRequestHandler):
    server: Intake

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, dict(self.headers.items()), body))
        status = self.server.replies.pop(0) if self.server.replies else 200
        payload = json.dumps({"status": status}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def intake() -> Iterator[Intake]:
    server = Intake()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def udp_server() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        yield server


@pytest.fixture
def tcp_server() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(5)
        yield server


def read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        assert chunk, "connection closed early"
        data += chunk
    return data


# --- syslog ---------------------------------------------------------------------------------
def test_udp_sends_one_datagram_per_line(udp_server: socket.socket) -> None:
    port = udp_server.getsockname()[1]
    texts = [VIETNAMESE, "<14>Nov 27 10:00:01 web01 cron[1]: ok", "<13>1 - - - - - - x"]
    with DemoSender(DemoTargets(syslog_port=port)) as sender:
        sender.send([line(Channel.syslog_udp, text) for text in texts])
        received = [udp_server.recvfrom(65535)[0] for _ in texts]
    assert received == [text.encode("utf-8") for text in texts]
    assert sender.sent == {Channel.syslog_udp: 3}


def test_tcp_frames_lines_by_octet_count(tcp_server: socket.socket) -> None:
    port = tcp_server.getsockname()[1]
    texts = [VIETNAMESE, "<14>Nov 27 10:00:01 web01 sshd[2]: Accepted publickey for quantri"]
    payloads = [text.encode("utf-8") for text in texts]
    expected = b"".join(b"%d %s" % (len(p), p) for p in payloads)
    with DemoSender(DemoTargets(syslog_port=1, syslog_tcp_port=port)) as sender:
        sender.send([line(Channel.syslog_tcp, text) for text in texts[:1]])
        sender.send([line(Channel.syslog_tcp, text) for text in texts[1:]])  # same connection
        connection, _ = tcp_server.accept()
        with connection:
            connection.settimeout(5)
            data = read_exactly(connection, len(expected))
    assert data == expected
    # the count is of UTF-8 bytes, not characters
    assert data.startswith(b"%d " % len(payloads[0])) and len(payloads[0]) > len(texts[0])


def test_tcp_unreachable_raises_after_retries() -> None:
    pauses: list[float] = []
    targets = DemoTargets(syslog_port=free_port())
    with DemoSender(targets, attempts=3, sleep=pauses.append) as sender:
        with pytest.raises(DemoSendError, match="syslog TCP"):
            sender.send([line(Channel.syslog_tcp, "x")])
    assert pauses == [0.5, 1.0]


# --- HTTP -------------------------------------------------------------------------------------
def test_http_posts_ndjson(intake: Intake) -> None:
    records = [{"message": "Thanh toán phí gửi xe thành công", "so_tien": 25000}, {"n": 2}]
    texts = [json.dumps(record, ensure_ascii=False) for record in records]
    targets = DemoTargets(http_url=intake.url, http_token=SecretStr("t0k3n"))
    with DemoSender(targets) as sender:
        sender.send([line(Channel.http, text) for text in texts])
        sender.send([line(Channel.http, texts[0])])
    (path, headers, body), (_, second_headers, _) = intake.requests
    assert path == "/ingest"
    assert headers["Content-Type"] == "application/x-ndjson"
    assert headers["Authorization"] == "Bearer t0k3n"
    assert [json.loads(part) for part in body.decode("utf-8").splitlines()] == records
    assert headers["Idempotency-Key"] != second_headers["Idempotency-Key"]


def test_http_retries_while_the_instance_is_busy(intake: Intake) -> None:
    intake.replies = [503, 503]
    pauses: list[float] = []
    with DemoSender(DemoTargets(http_url=intake.url), sleep=pauses.append) as sender:
        sender.send([line(Channel.http, '{"a":1}')])
    keys = {headers["Idempotency-Key"] for _, headers, _ in intake.requests}
    assert len(intake.requests) == 3 and len(keys) == 1  # one key: stored once
    assert pauses == [0.5, 1.0]


def test_http_refusal_is_not_retried(intake: Intake) -> None:
    intake.replies = [400]
    with DemoSender(DemoTargets(http_url=intake.url), sleep=no_sleep) as sender:
        with pytest.raises(DemoSendError, match="HTTP 400"):
            sender.send([line(Channel.http, '{"a":1}')])


def test_http_connection_refused_is_retried_then_reported() -> None:
    pauses: list[float] = []
    url = f"http://127.0.0.1:{free_port()}/ingest"
    with DemoSender(DemoTargets(http_url=url), attempts=2, sleep=pauses.append) as sender:
        with pytest.raises(DemoSendError, match="after 2 attempts"):
            sender.send([line(Channel.http, '{"a":1}')])
    assert pauses == [0.5]


def test_a_dead_input_does_not_stop_the_others_and_cools_down(tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "access.log"
    targets = DemoTargets(http_url=f"http://127.0.0.1:{free_port()}/ingest", file_path=str(path))
    batch = [line(Channel.http, '{"a":1}'), line(Channel.file, "portal")]
    with DemoSender(
        targets, attempts=1, cooldown_s=5.0, sleep=no_sleep, clock=lambda: now[0]
    ) as sender:
        with pytest.raises(DemoSendError, match="POST"):
            sender.send(batch)
        sender.send(batch)  # HTTP is cooling down: dropped without another try
        now[0] = 6.0
        with pytest.raises(DemoSendError, match="POST"):
            sender.send(batch)  # cooled down: tried again
    assert path.read_text() == "portal\n" * 3
    assert sender.sent == {Channel.file: 3} and sender.dropped == {Channel.http: 3}


# --- file -------------------------------------------------------------------------------------
def test_file_appends_and_flushes_each_line(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "access.log"
    path.parent.mkdir()
    path.write_bytes(b"old line\n")
    access = '113.160.1.2 - - [27/Nov/2026:10:00:00 +0700] "GET /tra-cuu/ho-so HTTP/1.1" 200 1'
    with DemoSender(DemoTargets(file_path=str(path))) as sender:
        sender.send([line(Channel.file, access), line(Channel.file, "Trần Thị Bình")])
        # flushed: readable while the sender still holds the file open
        assert path.read_text(encoding="utf-8") == f"old line\n{access}\nTrần Thị Bình\n"


def test_file_in_a_new_directory(tmp_path: Path) -> None:
    path = tmp_path / "var" / "demo" / "access.log"
    with DemoSender(DemoTargets(file_path=str(path))) as sender:
        sender.send([line(Channel.file, "x")])
    assert path.read_bytes() == b"x\n"


def test_file_is_rotated_at_its_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    with DemoSender(DemoTargets(file_path=str(path)), max_file_bytes=10) as sender:
        sender.send([line(Channel.file, text) for text in ("aaaa", "bbbb", "cccc", "dddd")])
        sender.send([line(Channel.file, "eeee")])
    # rotated when a write reached 10 bytes; the previous ".1" is replaced
    assert (tmp_path / "access.log.1").read_bytes() == b"cccc\ndddd\n"
    assert path.read_bytes() == b"eeee\n"


# --- routing ------------------------------------------------------------------------------------
def test_every_channel_reaches_its_input(
    udp_server: socket.socket, tcp_server: socket.socket, intake: Intake, tmp_path: Path
) -> None:
    path = tmp_path / "access.log"
    targets = DemoTargets(
        syslog_port=udp_server.getsockname()[1],
        syslog_tcp_port=tcp_server.getsockname()[1],
        http_url=intake.url,
        file_path=str(path),
    )
    texts = {channel: f"{channel.value}-line" for channel in Channel}
    texts[Channel.http] = '{"x":"http-line"}'
    batch = [line(channel, text) for channel, text in texts.items()]
    with DemoSender(targets) as sender:
        sender.send(batch)
        assert udp_server.recvfrom(100)[0] == b"syslog_udp-line"
        connection, _ = tcp_server.accept()
        with connection:
            connection.settimeout(5)
            assert read_exactly(connection, 18) == b"15 syslog_tcp-line"
    assert intake.requests[0][2] == b'{"x":"http-line"}\n'
    assert path.read_bytes() == b"file-line\n"
    assert sender.sent == {channel: 1 for channel in Channel}


def test_missing_inputs_reroute_syslog_and_skip_the_rest(udp_server: socket.socket) -> None:
    targets = DemoTargets(
        syslog_port=udp_server.getsockname()[1], syslog_tcp=False, http_url=None, file_path=None
    )
    with DemoSender(targets) as sender:
        sender.send([line(channel, "x") for channel in Channel])
        assert udp_server.recvfrom(100)[0] == b"x"
        assert udp_server.recvfrom(100)[0] == b"x"  # the TCP line came over UDP
    assert sender.sent == {Channel.syslog_udp: 2}
    assert sender.skipped == {Channel.http: 1, Channel.file: 1}


def test_targets_from_settings() -> None:
    settings = Settings(
        sources=[
            SyslogUdpSourceConfig(name="udp", host="0.0.0.0", port=6514),
            SyslogTcpSourceConfig(name="tcp", host="0.0.0.0", port=6601),
            HttpSourceConfig(name="http", host="127.0.0.1", port=9088, token=SecretStr("t")),
            FileSourceConfig(name="portal", path="/var/log/nginx/dichvucong.log"),
        ]
    )
    targets = targets_from_settings(settings)
    assert (targets.syslog_host, targets.syslog_port, targets.tcp_port) == ("127.0.0.1", 6514, 6601)
    assert targets.http_url == "http://127.0.0.1:9088/ingest"
    assert targets.http_token is not None and targets.http_token.get_secret_value() == "t"
    assert targets.file_path == "/var/log/nginx/dichvucong.log"
    only_tcp = targets_from_settings(
        Settings(sources=[SyslogTcpSourceConfig(name="tcp", port=7000)]), file_path="demo.log"
    )
    assert only_tcp.route(Channel.syslog_udp) is Channel.syslog_tcp
    assert only_tcp.route(Channel.http) is None and only_tcp.file_path == "demo.log"
