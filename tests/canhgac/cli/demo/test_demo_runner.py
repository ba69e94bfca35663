"""Playing the stream: a timed run (with a hand-moved clock) and the feeder thread."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from canhgac.cli.demo import DemoFeeder, DemoTargets, run_demo
from canhgac.cli.demo.attacks import SCENARIOS
from canhgac.cli.demo.generator import DemoStream
from canhgac.cli.demo.model import Channel, LogLine
from canhgac.cli.demo.runner import pump
from canhgac.cli.demo.sender import DemoSendError
from canhgac.timeutil import utcnow

KEYS = [scenario.key for scenario in SCENARIOS]


class FakeTime:
    """``wait`` moves the clock instead of sleeping, so a 30 s run takes milliseconds."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits = 0

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits += 1
        self.now += seconds
        return False


class Recorder:
    def __init__(self, time_source: FakeTime | None = None) -> None:
        self.batches: list[list[LogLine]] = []
        self.sent_at: list[float] = []
        self._time = time_source
        self.lock = threading.Lock()

    def send(self, lines: list[LogLine]) -> None:
        with self.lock:
            self.batches.append(list(lines))
            if self._time is not None:
                self.sent_at.append(self._time.now)

    @property
    def lines(self) -> list[LogLine]:
        with self.lock:
            return [line for batch in self.batches for line in batch]


def test_run_plants_every_attack_once_with_whole_bursts() -> None:
    fake = FakeTime()
    sink = Recorder(fake)
    planted = run_demo(DemoTargets(), 20.0, 10.0, 42, clock=fake.clock, wait=fake.wait, sender=sink)
    assert [attack.key for attack in planted] == KEYS
    sent = Counter(line for line in sink.lines)
    for attack in planted:
        assert all(sent[line] == 1 for line in attack.lines), attack.key  # no burst cut short
    benign = sum(1 for line in sink.lines if line.attack is None)
    assert 150 < benign < 250  # 10 lines/s for 20 s
    assert fake.now == pytest.approx(120.0)
    # batched per tick, not one send per line
    assert len(sink.batches) < len(sink.lines) / 2


def test_short_run_squeezes_the_first_round() -> None:
    fake = FakeTime()
    sink = Recorder(fake)
    planted = run_demo(DemoTargets(), 5.0, 5.0, 1, clock=fake.clock, wait=fake.wait, sender=sink)
    assert [attack.key for attack in planted] == KEYS
    assert all(line in sink.lines for attack in planted for line in attack.lines)
    with pytest.raises(ValueError, match="at least 5 s"):
        run_demo(DemoTargets(), 4.0, 5.0, 1, sender=sink)


def test_lines_are_sent_when_due() -> None:
    fake = FakeTime()
    sink = Recorder(fake)
    run_demo(DemoTargets(), 10.0, 20.0, 3, clock=fake.clock, wait=fake.wait, sender=sink)
    assert sink.sent_at == sorted(sink.sent_at)
    gaps = [b - a for a, b in zip(sink.sent_at, sink.sent_at[1:], strict=False)]
    assert min(gaps) >= 0.25 - 1e-9  # a tick gathers lines
    assert max(gaps) < 1.0


class Flaky(Recorder):
    """Refuses everything until the clock reaches ``up_at``."""

    def __init__(self, fake: FakeTime, up_at: float) -> None:
        super().__init__(fake)
        self.fake, self.up_at = fake, up_at

    def send(self, lines: list[LogLine]) -> None:
        if self.fake.now < self.up_at:
            raise DemoSendError("connection refused")
        super().send(lines)


def test_failed_sends_are_reported_and_their_attacks_not_counted() -> None:
    fake = FakeTime()
    errors: list[DemoSendError] = []
    stream = DemoStream(9, 10.0, utcnow(), first_round_s=10.0, attack_period_s=20.0)
    down_for_5s = Flaky(fake, up_at=fake.now + 5.0)
    planted = pump(
        stream,
        down_for_5s,
        wait=fake.wait,
        duration_s=12.0,
        clock=fake.clock,
        on_error=errors.append,
    )
    assert errors and all("refused" in str(e) for e in errors)
    planted_keys = [attack.key for attack in planted]
    assert planted_keys and planted_keys == KEYS[len(KEYS) - len(planted_keys) :]
    assert "ssh_brute_force" not in planted_keys  # planted at 0.7 s, while down
    assert down_for_5s.lines and all(line.attack != "ssh_brute_force" for line in down_for_5s.lines)


def test_without_an_error_handler_a_failed_send_raises() -> None:
    fake = FakeTime()
    stream = DemoStream(9, 10.0, utcnow())
    with pytest.raises(DemoSendError):
        pump(stream, Flaky(fake, up_at=fake.now + 5.0), wait=fake.wait, clock=fake.clock)


# --- real inputs ---------------------------------------------------------------------------
@pytest.fixture
def inputs(tmp_path: Path) -> Iterator[tuple[DemoTargets, socket.socket, socket.socket]]:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
    ):
        udp.bind(("127.0.0.1", 0))
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        targets = DemoTargets(
            syslog_port=udp.getsockname()[1],
            syslog_tcp_port=tcp.getsockname()[1],
            http_url=None,  # the HTTP path has its own tests
            file_path=str(tmp_path / "access.log"),
        )
        yield targets, udp, tcp


def test_run_against_real_sockets(
    inputs: tuple[DemoTargets, socket.socket, socket.socket],
) -> None:
    targets, udp, tcp = inputs
    fake = FakeTime()
    planted = run_demo(targets, 6.0, 20.0, 5, clock=fake.clock, wait=fake.wait)
    udp.settimeout(0)
    datagrams = []
    while True:
        try:
            datagrams.append(udp.recv(65535).decode("utf-8"))
        except BlockingIOError:
            break
    connection, _ = tcp.accept()
    with connection:
        connection.settimeout(2)
        stream = b""
        while chunk := connection.recv(65536):
            stream += chunk
    frames = []
    while stream:
        count, _, rest = stream.partition(b" ")
        frames.append(rest[: int(count)].decode("utf-8"))
        stream = rest[int(count) :]
    access = Path(str(targets.file_path)).read_text(encoding="utf-8").splitlines()
    planted_lines = [line for attack in planted for line in attack.lines]
    assert [a.key for a in planted] == KEYS
    for line in planted_lines:
        received = {
            Channel.syslog_udp: datagrams,
            Channel.syslog_tcp: frames,
            Channel.file: access,
            Channel.http: [],
        }[line.channel]
        assert line.channel is Channel.http or line.text in received, line.text
    assert len(datagrams) > 20 and len(frames) > 5 and len(access) > 50


# --- the feeder thread ------------------------------------------------------------------------
def wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_feeder_plants_attacks_soon_and_stops() -> None:
    sink = Recorder()
    feeder = DemoFeeder(DemoTargets(), 50.0, seed=4, first_round_s=0.5, sender=sink)
    feeder.start()
    try:
        wait_until(lambda: len(feeder.planted) == len(KEYS))
    finally:
        feeder.stop()
    assert [attack.key for attack in feeder.planted] == KEYS
    assert feeder.started_at is not None and feeder.started_at.endswith("Z")
    assert not any(t.name == "demo-feeder" for t in threading.enumerate())
    with pytest.raises(RuntimeError):
        started = DemoFeeder(DemoTargets(), 1.0, sender=sink)
        started.start()
        try:
            started.start()
        finally:
            started.stop()


def test_feeder_survives_a_dead_instance_and_stops_promptly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    targets = DemoTargets(
        syslog_port=dead_port,
        http_url=f"http://127.0.0.1:{dead_port}/ingest",
        file_path=str(tmp_path / "access.log"),
    )
    feeder = DemoFeeder(targets, 100.0, seed=1, first_round_s=0.5)
    feeder.start()
    wait_until(lambda: "lines dropped" in caplog.text)
    begun = time.monotonic()
    feeder.stop()
    assert time.monotonic() - begun < 3.0  # retries wait on the stop signal
    assert (tmp_path / "access.log").stat().st_size > 0  # the file input still worked
